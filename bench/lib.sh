# bench/lib.sh: the pieces every benchmark shares (sourced).
#
# The caller sets T (its temp directory) and SOCK (a unix socket path in
# it) first; BENCH names it in messages.

BENCH=${BENCH:-$(basename "$0")}

# stop PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null || return 0
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# redis_start: a private redis-server on $SOCK (no TCP port, no
# persistence); sets RPID.
redis_start() {
	redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 \
	    --save '' --appendonly no --daemonize yes \
	    --pidfile "$T/redis.pid" --logfile "$T/redis.log" --dir "$T" \
	    >/dev/null
	i=0
	while [ ! -S "$SOCK" ] || [ ! -s "$T/redis.pid" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "$BENCH: redis-server did not start" >&2; exit 1; }
		sleep 0.05
	done
	RPID=$(cat "$T/redis.pid")
}

# redis_stop: stop it and wait for its socket to go (from cleanup).
redis_stop() {
	[ -f "$T/redis.pid" ] || return 0
	kill "$(cat "$T/redis.pid")" 2>/dev/null || true
	i=0
	while [ -S "$SOCK" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

rcli() {
	redis-cli -s "$SOCK" "$@"
}

# verdict VALUE le|ge TARGET: "met" or "MISSED" (floats).
verdict() {
	if python3 -c "import sys; v,t=float(sys.argv[1]),float(sys.argv[3]); sys.exit(0 if (v<=t if sys.argv[2]=='le' else v>=t) else 1)" "$@"; then
		echo met
	else
		echo MISSED
	fi
}
