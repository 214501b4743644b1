#!/bin/sh
# serialport.sh: both ways src/serial.c opens a port, against the modem
# simulator: plain termios on its pty, and libserialport on the same pty
# seen as a real serial port.
#
# libserialport 0.1.1 refuses a name without a /sys/class/tty entry and
# fails on a pty (TIOCMGET answers ENOTTY).  So, inside a private mount
# namespace (unshare -m), the pty slave is bind-mounted over an existing
# /dev/ttySn (one with a /sys/class/tty entry), and tests/ioctlshim.so
# (LD_PRELOAD) emulates the modem-control lines.  Nothing is mounted
# outside that namespace; the script checks the real /dev/ttySn after.
#
# Needs no Redis.  Skipped (77) when not root, without unshare, without a
# /dev/ttySn that has a /sys/class/tty entry, or when a bind mount inside
# a private namespace does not work (a container without CAP_SYS_ADMIN).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

MODEMSIM="$top_builddir/tests/modemsim"
SERIALTEST="$top_builddir/tests/serialtest"
SHIM="$top_builddir/tests/ioctlshim.so"
for f in "$MODEMSIM" "$SERIALTEST" "$SHIM"; do
	[ -f "$f" ] || fail "$f not built"
done

[ "$(id -u)" = 0 ] || {
	echo "SKIP: needs root (unshare -m, mount --bind)"
	exit 77
}
command -v unshare >/dev/null 2>&1 || {
	echo "SKIP: unshare not installed (util-linux)"
	exit 77
}

# A legacy serial port known to sysfs, with its node in /dev: the name
# libserialport will be given.  Its own device is never opened.
DEV=""
for s in /sys/class/tty/ttyS*; do
	[ -e "$s" ] || continue
	n=/dev/${s##*/}
	if [ -c "$n" ]; then
		DEV=$n
		break
	fi
done
[ -n "$DEV" ] || {
	echo "SKIP: no /dev/ttySn with a /sys/class/tty entry"
	exit 77
}

# A trial: a private namespace where /dev/null can be bound over $DEV.
if ! unshare -m sh -c 'mount --make-rprivate / &&
    mount --bind /dev/null "$1" && [ "$(stat -L -c %t:%T "$1")" = 1:3 ]' \
    sh "$DEV" >"$T/trial" 2>&1; then
	echo "SKIP: cannot bind-mount over $DEV in a private mount namespace:"
	sed 's/^/	/' "$T/trial"
	exit 77
fi

# How the real node looks now, to compare after.
devstat() {
	stat -c '%F %t:%T %i %a %U' "$DEV"
}
BEFORE=$(devstat)
mounted() {
	awk -v d="$DEV" '$5 == d { found = 1 } END { exit !found }' \
	    /proc/self/mountinfo
}
! mounted || fail "$DEV is a mount point before the test"

"$MODEMSIM" -d "$T" -l "$T/modemsim.jsonl" 2>"$T/modemsim.err" &
TEST_PIDS="$TEST_PIDS $!"
wait_for test -f "$T/modemsim.pid"
PTY=$(readlink -f "$T/ttySIM0")
case $PTY in
/dev/pts/*) ;;
*) fail "ttySIM0 points at [$PTY], not a pty" ;;
esac

# 1. The simulator's link, as the daemon opens it: termios.
expect_rc 0 "$SERIALTEST" -v "$T/ttySIM0"
expect_grep '^method termios$' "$T/out"
expect_grep "^path $PTY\$" "$T/out"
expect_grep '^answer AT\\r\\r\\nOK\\r\\n$' "$T/out"
expect_grep 'a pseudo-terminal, which libserialport cannot open' "$T/err"
ok "termios on the simulator's pty ($PTY)"

# 2. Inside a private mount namespace: the pty over $DEV, opened first
# without the shim (libserialport fails on TIOCMGET, termios takes over),
# then with it (libserialport).  Outputs in $T/ns.*; the exit codes too.
unshare -m sh -c '
	dev=$1 pty=$2 st=$3 shim=$4 out=$5
	mount --make-rprivate / || exit 10
	mount --bind "$pty" "$dev" || exit 11
	stat -L -c "%t:%T" "$dev" > "$out.node"
	"$st" -v "$dev" > "$out.plain.out" 2> "$out.plain.err"
	echo $? > "$out.plain.rc"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    IOCTLSHIM_DEBUG=1 LD_PRELOAD="$shim" \
	    "$st" -v "$dev" AT+CGSN > "$out.sp.out" 2> "$out.sp.err"
	echo $? > "$out.sp.rc"
' sh "$DEV" "$PTY" "$SERIALTEST" "$SHIM" "$T/ns" ||
    fail "the private namespace set-up failed (exit $?)"

expect_eq "$DEV is the pty in the namespace" "$(cat "$T/ns.node")" \
    "$(stat -L -c %t:%T "$PTY")"

[ "$(cat "$T/ns.plain.rc")" = 0 ] || {
	cat "$T/ns.plain.out" "$T/ns.plain.err" >&2
	fail "serialtest $DEV without the shim: exit $(cat "$T/ns.plain.rc")"
}
expect_grep '^method termios$' "$T/ns.plain.out"
expect_grep "^path $DEV\$" "$T/ns.plain.out"
expect_grep 'libserialport failed: sp_open' "$T/ns.plain.err"
expect_grep '^answer AT\\r\\r\\nOK\\r\\n$' "$T/ns.plain.out"
ok "without the shim: sp_open fails on the pty, termios takes over"

[ "$(cat "$T/ns.sp.rc")" = 0 ] || {
	cat "$T/ns.sp.out" "$T/ns.sp.err" >&2
	fail "serialtest $DEV with the shim: exit $(cat "$T/ns.sp.rc")"
}
expect_grep '^method libserialport$' "$T/ns.sp.out"
expect_grep "^path $DEV\$" "$T/ns.sp.out"
expect_grep "serial $DEV: open at 115200 (libserialport)" "$T/ns.sp.err"
ok "with the shim: $DEV opened with libserialport"

# modem 0's IMEI: 86123456000000 and its Luhn digit.
expect_grep '^answer AT+CGSN\\r\\r\\n861234560000005\\r\\n\\r\\nOK\\r\\n$' \
    "$T/ns.sp.out"
ok "AT+CGSN through libserialport: the simulator's IMEI and OK"

expect_grep '^ioctlshim: fd [0-9]* TIOCMGET -> ' "$T/ns.sp.err"
last=$(grep '^ioctlshim: ' "$T/ns.sp.err" | tail -n 1)
case $last in
*"-> DTR|RTS|CTS|CD|DSR") ;;
*) cat "$T/ns.sp.err" >&2; fail "lines after the open: [$last]" ;;
esac
ok "sp_open went through the emulated lines; DTR and RTS stay up"

# 3. Nothing leaked out of the namespace.
! mounted || fail "$DEV is still a mount point outside the namespace"
expect_eq "the real $DEV is untouched" "$(devstat)" "$BEFORE"

kill "$(cat "$T/modemsim.pid")"
wait_for test ! -e "$T/modemsim.pid"
TEST_PIDS=""

echo "serialport.sh: $N_OK passed, 0 failed"
