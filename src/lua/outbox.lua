-- outbox.lua: events and messages, from acceptance to a final state, run
-- inside Redis so that every transition is atomic and every civicastd
-- sharing the Redis sees the same outbox.
--
-- ARGV[1] is the key prefix, ARGV[2] the operation.
--
-- Layout (P = prefix; E = event number, a dense integer; R = resident id):
--   P ev:seq             counter of event numbers
--   P ev:ids             hash  "department/id" -> E
--   P ev:sids            hash  stream entry id -> E (an entry read again
--                        after a crash is known at once)
--   P ev:E               hash  the event: dept id kind priority json sig
--                        stream_id state text accepted not_before expires
--                        cursor targeted messages, and n:<state> counters
--   P ev:E:m             bitmap of matching residents while fanning out
--   P ev:E:reach         hash  "<t|s|d>:<d|g>:<district or group>" ->
--                        targeted / sent / delivered counts
--   P evq:E              list of R waiting to be sent (the event's queue)
--   P msg:E:R            hash  the message: phone text d g state attempts
--                        channel ref error created updated
--   P events:list        zset  E by acceptance time (ms)
--   P events:resolving   set   E being fanned out
--   P events:scheduled   zset  E by not_before (ms), not yet sending
--   P events:pending     set   E waiting for a second operator's approval
--                        (ev:E then has held_at, held_for, publisher,
--                        publisher_verified, approved_1: see approve())
--   P active:<prio>      list  E with queued messages, served round-robin
--   P retry              zset  "E:R" by the time to try again (ms)
--   P inflight:<inst>    zset  "E:R" handed to a channel by instance
--                        <inst>, by lease deadline (ms)
--   P inflight:owners    set   instances that may hold leases
--   P ref:<chan>:<ref>:<phone>  "E:R" of the message a channel
--                        reference names (a modem's TP-MR wraps at 255,
--                        hence the number in the key), for 3 days
--   P rl:c:<chan>        a channel's GCRA state: the theoretical arrival
--                        time of its next message, "<ms>" or
--                        "<ms>+<rem>/<count>" (rem/count of a ms more)
--   P rl:r:<phone>:<prio>:<day>  messages a phone got that day (routine,
--                        urgent; emergencies are never counted)
--   P budget:<dept>:d:<day>, P budget:<dept>:m:<month>  SMS segments a
--                        department used
--   P unknown            zset  "E:R" whose outcome is unknown, by when
--                        (resent after outbox.unknown_resend, if set)
--   P events:draining    set   E stopped (cancelled, expired) whose queue
--                        still holds messages to close
--   P sim:<id>, P sim:<id>:n  times (ms) of the parts a modem sent through
--                        SIM <id> (IMSI, else IMEI), for its limits' windows
--
-- Message states: queued -> sending -> sent -> delivered | failed |
-- expired | cancelled, and unknown (the channel cannot tell whether it
-- went out: never resent blindly).  Event states: resolving,
-- pending_approval, scheduled, active, done, cancelled, expired.

local P = ARGV[1]
local OP = ARGV[2]
local PRIOS = { 'emergency', 'urgent', 'routine' }
local FINAL = { sent = true, delivered = true, failed = true,
    expired = true, cancelled = true, unknown = true }
local REF_TTL = 3 * 86400	-- seconds a report may take to come back

local function evkey(e)
	return P .. 'ev:' .. e
end

-- Counter changes are summed per key and field and written once at the
-- end of an operation (or before a counter is read): a redis.call costs
-- more than the HINCRBY it runs.
local deltas = {}

local function bump(key, field, n)
	local t = deltas[key]
	if not t then
		t = {}
		deltas[key] = t
	end
	t[field] = (t[field] or 0) + n
end

local function flush_counts()
	for key, t in pairs(deltas) do
		for field, n in pairs(t) do
			if n ~= 0 then
				redis.call('HINCRBY', key, field, n)
			end
		end
	end
	deltas = {}
end

local function count(e, state, n)
	bump(evkey(e), 'n:' .. state, n)
end

local function reach(e, kind, d, g, n)
	local key = evkey(e) .. ':reach'
	if d and d ~= '' then
		bump(key, kind .. ':d:' .. d, n)
	end
	for grp in string.gmatch(g or '', '[^;]+') do
		bump(key, kind .. ':g:' .. grp, n)
	end
end

-- Put an event in its priority's rotation once.
local function activate(e)
	local k = evkey(e)
	if redis.call('HGET', k, 'active') == '1' then
		return
	end
	local prio = redis.call('HGET', k, 'priority')
	redis.call('HSET', k, 'active', '1')
	redis.call('RPUSH', P .. 'active:' .. prio, e)
end

-- A message leaves the queue for a final state without being sent.
local function finish_unsent(e, r, state, now)
	local mk = P .. 'msg:' .. e .. ':' .. r
	local old = redis.call('HGET', mk, 'state')
	if not old or FINAL[old] then
		return 0
	end
	redis.call('HSET', mk, 'state', state, 'updated', now)
	count(e, old, -1)
	count(e, state, 1)
	return 1
end

-- Close an event whose messages are all final: expired when any of them
-- ran out of time (its last messages may expire one by one, when taken
-- or deferred past `expires`, before tick() stops the event), else done.
local function maybe_done(e)
	local k = evkey(e)
	flush_counts()
	local st = redis.call('HMGET', k, 'state', 'n:queued', 'n:sending',
	    'n:expired')
	if st[1] == 'active' and tonumber(st[2] or '0') == 0 and
	    tonumber(st[3] or '0') == 0 then
		redis.call('HSET', k, 'state',
		    tonumber(st[4] or '0') > 0 and 'expired' or 'done')
	end
end

-- Stop an event's unsent messages: the queue is drained by tick().
local function stop_event(e, state, now)
	local k = evkey(e)
	local cur = redis.call('HGET', k, 'state')
	if cur == 'cancelled' or cur == 'expired' or cur == 'done' then
		return cur
	end
	redis.call('HSET', k, 'state', state, 'stopped', now)
	redis.call('SADD', P .. 'events:draining', e)
	redis.call('SREM', P .. 'events:resolving', e)
	redis.call('SREM', P .. 'events:pending', e)
	redis.call('ZREM', P .. 'events:scheduled', e)
	redis.call('DEL', k .. ':m')
	return state
end

-- accept DEPT ID STREAM_ID KIND PRIORITY REF JSON SIG NOW NOT_BEFORE EXPIRES
--   TEXT SIGNATURE TEMPLATE PUBLISHER VERIFIED
-- (VERIFIED "1": the publisher is covered by the event's signature.)
-- Records an event, atomically with its duplicate check and the
-- cancellation an update or cancel brings.  Returns { status, E } where
-- status is "new", "redelivered" (the same stream entry again: ack it),
-- "duplicate" (same department and id, another entry) or "noref" (an
-- update or cancel naming no known event of the department).
local function accept()
	local dept, id, sid, kind, prio, ref, json, sig, now, nb, exp, text,
	    signature, template, publisher, verified = ARGV[3], ARGV[4],
	    ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11],
	    ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16], ARGV[17] or '',
	    ARGV[18] == '1' and '1' or '0'
	local e = redis.call('HGET', P .. 'ev:ids', dept .. '/' .. id)
	if e then
		if redis.call('HGET', evkey(e), 'stream_id') == sid then
			return { 'redelivered', e }
		end
		redis.call('HINCRBY', evkey(e), 'duplicates', 1)
		return { 'duplicate', e }
	end
	local refe
	if kind ~= 'alert' then
		refe = redis.call('HGET', P .. 'ev:ids', dept .. '/' .. ref)
		if not refe then
			return { 'noref', '' }
		end
	end
	e = redis.call('INCR', P .. 'ev:seq')
	redis.call('HSET', P .. 'ev:ids', dept .. '/' .. id, e)
	redis.call('HSET', P .. 'ev:sids', sid, e)
	local state = kind == 'cancel' and 'done' or 'resolving'
	redis.call('HSET', evkey(e), 'dept', dept, 'id', id, 'kind', kind,
	    'priority', prio, 'json', json, 'sig', sig, 'stream_id', sid,
	    'state', state, 'text', text, 'signature', signature,
	    'template', template, 'accepted', now, 'not_before', nb,
	    'expires', exp, 'cursor', 0, 'targeted', 0, 'messages', 0,
	    'references', refe or '', 'publisher', publisher,
	    'publisher_verified', verified)
	redis.call('ZADD', P .. 'events:list', now, e)
	if refe then
		stop_event(refe, 'cancelled', now)
		redis.call('HSET', evkey(refe), 'cancelled_by', e)
	end
	if state == 'resolving' then
		redis.call('SADD', P .. 'events:resolving', e)
	end
	return { 'new', tostring(e) }
end

-- enqueue E FROM NEXT LAST NOW (R PHONE TEXT DISTRICT GROUPS)*
-- Adds one chunk of a fan-out: the messages of residents FROM..NEXT-1.
-- A chunk whose FROM is not the event's cursor was applied already (a
-- retry after a crash) and is ignored.  LAST=1 ends the fan-out.
-- Returns the number of messages added, or -1 for a stale chunk.
local function enqueue()
	local e, from, nxt, last, now = ARGV[3], ARGV[4], ARGV[5],
	    ARGV[6] == '1', ARGV[7]
	local k = evkey(e)
	local ev = redis.call('HMGET', k, 'cursor', 'state', 'priority',
	    'not_before')
	if ev[1] ~= from then
		return -1
	end
	if ev[2] ~= 'resolving' then
		-- Cancelled (or replaced) while fanning out: no more messages.
		return -2
	end
	local live, state = true, 'queued'
	local rids, n = {}, 0
	for i = 8, #ARGV, 5 do
		local r, phone, text, d, g = ARGV[i], ARGV[i + 1], ARGV[i + 2],
		    ARGV[i + 3], ARGV[i + 4]
		local mk = P .. 'msg:' .. e .. ':' .. r
		if text ~= '' then
			redis.call('HSET', mk, 'phone', phone, 'text', text,
			    'd', d, 'g', g, 'state', state, 'attempts', 0,
			    'created', now, 'updated', now)
		else
			redis.call('HSET', mk, 'phone', phone, 'd', d, 'g', g,
			    'state', state, 'attempts', 0, 'created', now,
			    'updated', now)
		end
		reach(e, 't', d, g, 1)
		rids[#rids + 1] = r
		n = n + 1
	end
	if n > 0 then
		if live then
			for i = 1, #rids, 1000 do
				redis.call('RPUSH', P .. 'evq:' .. e,
				    unpack(rids, i, math.min(i + 999, #rids)))
			end
		end
		count(e, state, n)
		redis.call('HINCRBY', k, 'messages', n)
	end
	redis.call('HSET', k, 'cursor', nxt)
	flush_counts()
	if last then
		redis.call('SREM', P .. 'events:resolving', e)
		redis.call('DEL', k .. ':m')
		if live then
			local nb = tonumber(ev[4] or '0')
			if nb > tonumber(now) then
				redis.call('HSET', k, 'state', 'scheduled')
				redis.call('ZADD', P .. 'events:scheduled', nb, e)
			else
				redis.call('HSET', k, 'state', 'active')
				activate(e)
				maybe_done(e)
			end
		end
	end
	return n
end

-- take INSTANCE NOW LEASE MAX QUIET: hand up to MAX due messages to this
-- instance, emergency first, events of one priority in turn (so a big
-- routine broadcast does not starve a small one published after it);
-- QUIET lists the priorities in their quiet hours ("routine,urgent"),
-- whose messages stay queued.
-- Returns a flat list of { "E:R", phone, text, attempts, priority }.
local function take()
	local inst, nows, lease, max = ARGV[3], ARGV[4], tonumber(ARGV[5]),
	    tonumber(ARGV[6])
	-- Priorities in their quiet hours stay in their queues.
	local held = {}
	for p in string.gmatch(ARGV[7] or '', '[^,]+') do
		held[p] = true
	end
	local now = tonumber(nows)
	local out, got, leases = {}, 0, {}
	-- Strings once: a number passed to redis.call is formatted each time.
	local deadline = tostring(now + lease)
	local infl = P .. 'inflight:' .. inst
	for _, prio in ipairs(PRIOS) do
		local act = P .. 'active:' .. prio
		local tries = held[prio] and 0 or redis.call('LLEN', act)
		while got < max and tries > 0 do
			tries = tries - 1
			local e = redis.call('LINDEX', act, 0)
			local k = evkey(e)
			local ev = redis.call('HMGET', k, 'state', 'expires',
			    'text', 'signature', 'dept')
			local q = P .. 'evq:' .. e
			if ev[1] ~= 'active' then
				-- Cancelled, expired: tick() drains the queue.
				redis.call('LPOP', act)
				redis.call('HSET', k, 'active', '0')
			else
				local want = math.min(max - got, 32)
				local rids = redis.call('LPOP', q, want)
				if not rids then
					rids = {}
				end
				local exp = tonumber(ev[2] or '0')
				for _, r in ipairs(rids) do
					local id = e .. ':' .. r
					local mk = P .. 'msg:' .. id
					if exp > 0 and now >= exp then
						finish_unsent(e, r, 'expired', now)
					else
						local m = redis.call('HMGET', mk,
						    'phone', 'text', 'attempts',
						    'state', 'd', 'avoid')
						if m[4] == 'queued' then
							local a = tonumber(m[3]) + 1
							redis.call('HSET', mk, 'state',
							    'sending', 'attempts',
							    tostring(a), 'updated',
							    nows)
							count(e, 'queued', -1)
							count(e, 'sending', 1)
							leases[#leases + 1] = deadline
							leases[#leases + 1] = id
							out[#out + 1] = id
							out[#out + 1] = m[1]
							out[#out + 1] = m[2] or
							    (ev[4] .. ev[3])
							out[#out + 1] = a
							out[#out + 1] = prio
							out[#out + 1] = ev[5]
							out[#out + 1] = m[5] or ''
							out[#out + 1] = m[6] or ''
							got = got + 1
						end
					end
				end
				if redis.call('LLEN', q) == 0 then
					redis.call('LPOP', act)
					redis.call('HSET', k, 'active', '0')
					maybe_done(e)
				else
					redis.call('LMOVE', act, act, 'LEFT',
					    'RIGHT')
				end
			end
		end
	end
	if got > 0 then
		for i = 1, #leases, 1000 do
			redis.call('ZADD', infl, unpack(leases, i,
			    math.min(i + 999, #leases)))
		end
		redis.call('SADD', P .. 'inflight:owners', inst)
	end
	flush_counts()
	return out
end

-- done INSTANCE NOW (ID RESULT CHANNEL REF ERROR RETRY_AT REPORTS)*
-- Records what channels said.  RESULT is ok, tempfail, permfail,
-- unknown or requeue; RETRY_AT (ms) is when a tempfail may be tried
-- again, 0 when it must not (out of attempts): then it fails.  REPORTS
-- is 1 when the channel sends delivery reports later (modems): the
-- reference is then kept for matching them.
local function done()
	local inst, nows = ARGV[3], ARGV[4]
	local now = tonumber(nows)
	local infl = P .. 'inflight:' .. inst
	local n, touched, evs, ids, held, rem = 0, {}, {}, {}, {}, {}
	for i = 5, #ARGV, 7 do
		ids[#ids + 1] = ARGV[i]
	end
	-- Only messages this instance still holds: a lease that ran out and
	-- moved on must not be overwritten.
	for i = 1, #ids, 1000 do
		local last = math.min(i + 999, #ids)
		local sc = redis.call('ZMSCORE', infl, unpack(ids, i, last))
		for k = i, last do
			held[k] = sc[k - i + 1] and true or false
		end
	end
	for k = 1, #ids do
		local i = 5 + (k - 1) * 7
		local id, res, chan, ref, err, at, reports = ARGV[i],
		    ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4],
		    tonumber(ARGV[i + 5]), ARGV[i + 6]
		local e, r = string.match(id, '^(%d+):(%d+)$')
		local mk = P .. 'msg:' .. id
		if e and held[k] then
			rem[#rem + 1] = id
			local m = redis.call('HMGET', mk, 'state', 'd', 'g',
			    'error', 'phone')
			-- One read per event and batch: results come in
			-- batches of one event's messages.
			local ev = evs[e]
			if not ev then
				ev = redis.call('HMGET', evkey(e), 'expires',
				    'state')
				evs[e] = ev
			end
			local exp = tonumber(ev[1] or '0')
			local state
			if res == 'ok' then
				state = 'sent'
				reach(e, 's', m[2], m[3], 1)
			elseif res == 'permfail' then
				state = 'failed'
			elseif res == 'requeue' then
				-- Taken but no channel had room after all: back
				-- to the front, and the attempt does not count.
				state = 'queued'
				redis.call('HINCRBY', mk, 'attempts', -1)
				redis.call('LPUSH', P .. 'evq:' .. e, r)
				activate(e)
			elseif res == 'defer' and (exp == 0 or at < exp) then
				-- Held by a limit (the channel's rate, the
				-- recipient's cap, the department's budget): not
				-- an attempt; back when the limit allows.
				state = 'queued'
				redis.call('HINCRBY', mk, 'attempts', -1)
				redis.call('ZADD', P .. 'retry', at, id)
			elseif res == 'defer' then
				state = 'expired'
			elseif res == 'unknown' then
				state = 'unknown'
			elseif ev[2] == 'cancelled' or ev[2] == 'expired' then
				-- No second try for a stopped event.
				state = ev[2]
			elseif at > 0 and (exp == 0 or at < exp) then
				state = 'queued'
				redis.call('ZADD', P .. 'retry', at, id)
			elseif at > 0 then
				-- The next try would come after expires.
				state = 'expired'
			else
				-- Out of attempts.
				state = 'failed'
			end
			local f = { 'HSET', mk, 'state', state, 'channel', chan,
			    'updated', nows }
			if ref ~= '' then
				f[#f + 1] = 'ref'
				f[#f + 1] = ref
			end
			if err ~= '' then
				f[#f + 1] = 'error'
				f[#f + 1] = err
			end
			-- A failed channel is avoided by the next try.
			if res == 'tempfail' and chan ~= '' then
				f[#f + 1] = 'avoid'
				f[#f + 1] = chan
			end
			redis.call(unpack(f))
			if err == '' and m[4] then
				redis.call('HDEL', mk, 'error')
			end
			if state == 'unknown' then
				redis.call('ZADD', P .. 'unknown', nows, id)
			end
			-- A later delivery report names (ref, phone).
			if reports == '1' and ref ~= '' and
			    (state == 'sent' or state == 'unknown') then
				redis.call('SET', P .. 'ref:' .. chan .. ':' ..
				    ref .. ':' .. m[5], id, 'EX', REF_TTL)
			end
			count(e, m[1], -1)
			count(e, state, 1)
			touched[e] = true
			n = n + 1
		end
	end
	for i = 1, #rem, 1000 do
		redis.call('ZREM', infl, unpack(rem, i, math.min(i + 999, #rem)))
	end
	flush_counts()
	for e in pairs(touched) do
		maybe_done(e)
	end
	return n
end

-- Put inflight messages back in their queue (front), attempts kept.
local function requeue_ids(infl, ids, now)
	for _, id in ipairs(ids) do
		local e, r = string.match(id, '^(%d+):(%d+)$')
		redis.call('ZREM', infl, id)
		if e then
			local mk = P .. 'msg:' .. id
			if redis.call('HGET', mk, 'state') == 'sending' then
				redis.call('HSET', mk, 'state', 'queued',
				    'updated', now)
				count(e, 'sending', -1)
				count(e, 'queued', 1)
				redis.call('LPUSH', P .. 'evq:' .. e, r)
				local st = redis.call('HGET', evkey(e), 'state')
				if st == 'done' then
					redis.call('HSET', evkey(e), 'state',
					    'active')
				end
				activate(e)
			end
		end
	end
	return #ids
end

-- requeue INSTANCE NOW ALL: an instance's leases back to the queues:
-- all of them when it restarts (they were in flight at a crash), or
-- only the expired ones of an instance that has gone.
local function requeue()
	local inst, now, all = ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
	local infl = P .. 'inflight:' .. inst
	local ids
	if all then
		ids = redis.call('ZRANGE', infl, 0, 999)
	else
		ids = redis.call('ZRANGEBYSCORE', infl, '-inf', now, 'LIMIT',
		    0, 1000)
	end
	local n = requeue_ids(infl, ids, now)
	flush_counts()
	if redis.call('ZCARD', infl) == 0 then
		redis.call('SREM', P .. 'inflight:owners', inst)
	end
	return n
end

-- renew INSTANCE NOW LEASE ID...: extend the leases of messages still
-- with a channel.
local function renew()
	local inst, now, lease = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
	local infl = P .. 'inflight:' .. inst
	for i = 6, #ARGV do
		redis.call('ZADD', infl, 'XX', now + lease, ARGV[i])
	end
	return #ARGV - 5
end

-- Unknown outcomes older than `after` ms go back to their queue (the
-- operator's policy, outbox.unknown_resend: a duplicate is then possible).
local function resend_unknown(now, after)
	local n = 0
	if after <= 0 then
		return 0
	end
	local old = redis.call('ZRANGEBYSCORE', P .. 'unknown', '-inf',
	    now - after, 'LIMIT', 0, 1000)
	for _, id in ipairs(old) do
		local e, r = string.match(id, '^(%d+):(%d+)$')
		redis.call('ZREM', P .. 'unknown', id)
		local mk = P .. 'msg:' .. id
		local st = e and redis.call('HGET', evkey(e), 'state')
		if e and redis.call('HGET', mk, 'state') == 'unknown' and
		    (st == 'active' or st == 'done') then
			redis.call('HSET', mk, 'state', 'queued', 'updated', now,
			    'error', 'resent: outcome unknown')
			count(e, 'unknown', -1)
			count(e, 'queued', 1)
			redis.call('LPUSH', P .. 'evq:' .. e, r)
			if st == 'done' then
				redis.call('HSET', evkey(e), 'state', 'active')
			end
			activate(e)
			n = n + 1
		end
	end
	return n
end

-- tick NOW [RESEND_UNKNOWN_MS]: the clock's work, bounded per call.  Due retries go back
-- to their queues; scheduled events whose not_before has come start;
-- events past expires stop; the queues of stopped events are drained
-- into their final state.  Returns how much was done.
local function tick()
	local now = tonumber(ARGV[3])
	local work = resend_unknown(now, tonumber(ARGV[4] or '0'))
	local due = redis.call('ZRANGEBYSCORE', P .. 'retry', '-inf', now,
	    'LIMIT', 0, 1000)
	for _, id in ipairs(due) do
		local e, r = string.match(id, '^(%d+):(%d+)$')
		redis.call('ZREM', P .. 'retry', id)
		local st = e and redis.call('HGET', evkey(e), 'state')
		if st == 'cancelled' or st == 'expired' then
			finish_unsent(e, r, st, now)
			work = work + 1
		elseif e then
			redis.call('LPUSH', P .. 'evq:' .. e, r)
			if st == 'done' then
				redis.call('HSET', evkey(e), 'state', 'active')
				st = 'active'
			end
			if st == 'active' then
				activate(e)
			end
			work = work + 1
		end
	end
	local starting = redis.call('ZRANGEBYSCORE', P .. 'events:scheduled',
	    '-inf', now, 'LIMIT', 0, 100)
	for _, e in ipairs(starting) do
		redis.call('ZREM', P .. 'events:scheduled', e)
		redis.call('HSET', evkey(e), 'state', 'active')
		activate(e)
		work = work + 1
	end
	-- An event still waiting for approval when it expires goes nowhere.
	for _, e in ipairs(redis.call('SMEMBERS', P .. 'events:pending')) do
		local exp = tonumber(redis.call('HGET', evkey(e), 'expires') or
		    '0')
		if exp > 0 and now >= exp then
			stop_event(e, 'expired', now)
			work = work + 1
		end
	end
	-- Expiry and draining: look at the events that still hold queues.
	for _, prio in ipairs(PRIOS) do
		for _, e in ipairs(redis.call('LRANGE', P .. 'active:' .. prio,
		    0, -1)) do
			local ev = redis.call('HMGET', evkey(e), 'expires',
			    'state')
			local exp = tonumber(ev[1] or '0')
			if exp > 0 and now >= exp and ev[2] == 'active' then
				stop_event(e, 'expired', now)
				work = work + 1
			end
		end
	end
	flush_counts()
	return work
end

-- drain E NOW MAX: move up to MAX queued messages of a stopped event to
-- its final state (cancelled or expired).  Returns how many remain.
local function drain()
	local e, now, max = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
	local k = evkey(e)
	local st = redis.call('HGET', k, 'state')
	local final = st == 'expired' and 'expired' or 'cancelled'
	local q = P .. 'evq:' .. e
	local rids = redis.call('LPOP', q, max) or {}
	for _, r in ipairs(rids) do
		finish_unsent(e, r, final, now)
	end
	-- Retries still waiting are closed by tick() when they fall due.
	local left = redis.call('LLEN', q)
	if left == 0 then
		redis.call('HSET', k, 'active', '0')
		redis.call('SREM', P .. 'events:draining', e)
	end
	flush_counts()
	return left
end

-- GCRA (the generic cell rate algorithm) for a channel, in exact
-- integers: COUNT messages every PERIOD ms, one every PERIOD/COUNT ms,
-- with BURST more at once.  src/rate.c is the same algorithm in C, its
-- reference and its unit test; read its comment for the why.  Time is ms
-- plus ticks of 1/COUNT ms, so the interval is PERIOD ticks and the
-- tolerance BURST * PERIOD ticks.  Lua numbers are doubles, exact below
-- 2^53: a timestamp (~1.8e12 ms) is never multiplied by COUNT (up to
-- 1e6), only a distance from now within the tolerance (at most 8.64e12
-- ticks).  The state is one string per channel, the theoretical arrival
-- time (TAT) of its next message: "<ms>" on a whole ms, else
-- "<ms>+<rem>/<count>", so every daemon sharing the Redis shares the
-- limit exactly.

-- a // b and a % b for whole numbers below 2^53, exact.
local function idiv(a, b)
	local q = math.floor(a / b)
	local r = a - q * b
	if r < 0 then
		q, r = q - 1, r + b
	elseif r >= b then
		q, r = q + 1, r - b
	end
	return q, r
end

-- The stored TAT as (ms, rem); a remainder of another count (the rate
-- changed) rounds up to the next whole ms, anything else is no state.
local function gcra_get(key, count)
	local v = redis.call('GET', key)
	if not v then
		return 0, 0
	end
	local ms, rem, den = string.match(v, '^(%d+)%+(%d+)/(%d+)$')
	if ms then
		ms, rem, den = tonumber(ms), tonumber(rem), tonumber(den)
		if den ~= count or rem >= count then
			if rem > 0 then
				ms = ms + 1
			end
			rem = 0
		end
		return ms, rem
	end
	if string.match(v, '^%d+$') then
		return tonumber(v), 0
	end
	return 0, 0
end

-- TAT' - now as (ms, rem): the TAT, unless it is a whole ms or more
-- behind now (then 0, 0); ms is -1 for a TAT in the ms just gone (a
-- stamp stands for its whole ms: clamping that would lose a fraction of
-- an interval at every message).
local function gcra_ahead(ms, rem, now)
	if ms + (rem > 0 and 1 or 0) < now then
		return 0, 0
	end
	return ms - now, rem
end

-- How many messages channel key may send now, and in how many ms the
-- next one may when that is 0.
local function gcra_allow(key, now, period, count, burst)
	local ms, rem = gcra_get(key, count)
	ms, rem = gcra_ahead(ms, rem, now)
	local tau = burst * period
	local tms, trem = idiv(tau, count)
	if ms > tms or (ms == tms and rem > trem) then
		return 0, ms - tms + (rem > trem and 1 or 0)
	end
	return idiv(tau - (ms * count + rem), period) + 1, 0
end

-- Take one message: TAT = TAT' + PERIOD/COUNT ms, kept a second past it.
local function gcra_take(key, now, period, count)
	local ms, rem = gcra_get(key, count)
	ms, rem = gcra_ahead(ms, rem, now)
	local q, f = idiv(period, count)
	ms, rem = now + ms + q, rem + f
	if rem >= count then
		ms, rem = ms + 1, rem - count
	end
	local v = string.format('%d', ms)
	if rem > 0 then
		v = string.format('%d+%d/%d', ms, rem, count)
	end
	redis.call('SET', key, v, 'PX', string.format('%d',
	    ms - now + (rem > 0 and 1 or 0) + 1000))
end

-- allow NOW (CHANNEL PERIOD COUNT BURST)*: for each channel, how many it
-- may send now and, if none, in how many ms (nothing is consumed).
-- Every number is a whole one; COUNT 0 is no limit.
local function allow()
	local now, out = tonumber(ARGV[3]), {}
	for i = 4, #ARGV, 4 do
		local count = tonumber(ARGV[i + 2])
		local n, wait = 1099511627776, 0
		if count > 0 then
			n, wait = gcra_allow(P .. 'rl:c:' .. ARGV[i], now,
			    tonumber(ARGV[i + 1]), count,
			    tonumber(ARGV[i + 3]))
		end
		out[#out + 1] = n
		out[#out + 1] = wait
	end
	return out
end

-- admit NOW DAY MONTH DAY_END MONTH_END (ID CHANNEL PERIOD COUNT BURST
--   PHONE PRIO DEPT SEGMENTS RCAP BUDGET_DAY BUDGET_MONTH)*
-- Checks and consumes, for each message about to go to a channel: the
-- recipient's cap for the day (not for emergencies), the department's
-- budget in SMS segments (routine only: urgent and emergency messages go
-- whatever the budget, and count), and the channel's rate.  Returns for
-- each { 0, 0 } when it may go, or { why, at } when it must wait until
-- ms `at`: 1 the channel's rate, 2 the recipient's cap, 3 the budget.
local function admit()
	local now, day, month = tonumber(ARGV[3]), ARGV[4], ARGV[5]
	local day_end, month_end = tonumber(ARGV[6]), tonumber(ARGV[7])
	local out, flagged = {}, {}
	for i = 8, #ARGV, 12 do
		local id, chan, period, count, burst, phone, prio, dept, segs,
		    rcap, bday, bmonth = ARGV[i], ARGV[i + 1],
		    tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]),
		    tonumber(ARGV[i + 4]), ARGV[i + 5], ARGV[i + 6],
		    ARGV[i + 7], tonumber(ARGV[i + 8]), tonumber(ARGV[i + 9]),
		    tonumber(ARGV[i + 10]), tonumber(ARGV[i + 11])
		local rk = P .. 'rl:r:' .. phone .. ':' .. prio .. ':' .. day
		local dk = P .. 'budget:' .. dept .. ':d:' .. day
		local mk = P .. 'budget:' .. dept .. ':m:' .. month
		local why, at = 0, 0
		if prio ~= 'emergency' and rcap > 0 and
		    tonumber(redis.call('GET', rk) or '0') >= rcap then
			why, at = 2, day_end
		elseif prio == 'routine' and bday > 0 and
		    tonumber(redis.call('GET', dk) or '0') + segs > bday then
			why, at = 3, day_end
		elseif prio == 'routine' and bmonth > 0 and
		    tonumber(redis.call('GET', mk) or '0') + segs > bmonth then
			why, at = 3, month_end
		elseif count > 0 then
			local n, wait = gcra_allow(P .. 'rl:c:' .. chan, now,
			    period, count, burst)
			if n == 0 then
				why, at = 1, now + wait
			end
		end
		if why == 0 then
			if count > 0 then
				gcra_take(P .. 'rl:c:' .. chan, now, period,
				    count)
			end
			if prio ~= 'emergency' then
				redis.call('INCR', rk)
				redis.call('EXPIRE', rk, 2 * 86400)
			end
			redis.call('INCRBY', dk, segs)
			redis.call('EXPIRE', dk, 40 * 86400)
			redis.call('INCRBY', mk, segs)
			redis.call('EXPIRE', mk, 400 * 86400)
		end
		-- The event's `held` says whether its messages wait for the
		-- budget now: set by a held one, cleared by one that goes;
		-- written at most once per event per call.
		local e = string.match(id, '^(%d+):')
		if e and (why == 0 or why == 3) and flagged[e] ~= why then
			if why == 3 then
				redis.call('HSET', evkey(e), 'held',
				    'department budget')
			else
				redis.call('HDEL', evkey(e), 'held')
			end
			flagged[e] = why
		end
		out[#out + 1] = why
		out[#out + 1] = at
	end
	return out
end

-- report NOW (CHANNEL REF PHONE STATE DETAIL)*: delivery reports.  STATE
-- is 1 delivered or -1 failed.  A message that was sent, or whose outcome
-- was unknown, takes the reported state; anything else is left alone (a
-- late or repeated report).  Returns how many messages changed.
local function report()
	local now, n = ARGV[3], 0
	for i = 4, #ARGV, 5 do
		local chan, ref, ph, st, detail = ARGV[i], ARGV[i + 1],
		    ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
		local rk = P .. 'ref:' .. chan .. ':' .. ref .. ':' .. ph
		local id = redis.call('GET', rk)
		local e = id and string.match(id, '^(%d+):')
		if e then
			local mk = P .. 'msg:' .. id
			local m = redis.call('HMGET', mk, 'state', 'd', 'g')
			if m[1] == 'sent' or m[1] == 'unknown' then
				local state = st == '1' and 'delivered' or
				    'failed'
				redis.call('HSET', mk, 'state', state,
				    'updated', now, 'report', detail)
				count(e, m[1], -1)
				count(e, state, 1)
				if state == 'delivered' then
					reach(e, 'd', m[2], m[3], 1)
					if m[1] == 'unknown' then
						reach(e, 's', m[2], m[3], 1)
					end
				end
				redis.call('DEL', rk)
				redis.call('ZREM', P .. 'unknown', id)
				n = n + 1
			end
		end
	end
	flush_counts()
	return n
end

-- stop E STATE NOW REASON: stop an event by number (the fan-out gives
-- up on an event it cannot render any more).
local function stop()
	local e, state, now, why = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
	redis.call('HSET', evkey(e), 'reason', why)
	return stop_event(e, state, now)
end

-- refuse E NOW WHEN REASON: an accepted event turned down at fan-out
-- (over its department's max_audience): cancelled and, in the same step,
-- copied to the dead letters with its reason like a rejection at intake
-- (WHEN: the time as civicast prints it).  Returns the state it is in.
local function refuse()
	local e, now, when, why = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
	local k = evkey(e)
	local ev = redis.call('HMGET', k, 'json', 'stream_id', 'state')
	if not ev[3] then
		return ''
	end
	if ev[3] == 'cancelled' or ev[3] == 'expired' or ev[3] == 'done' then
		return ev[3]
	end
	redis.call('HSET', k, 'reason', why)
	redis.call('XADD', P .. 'events:rejected', '*', 'event', ev[1] or '',
	    'reason', why, 'stream_id', ev[2] or '', 'rejected_at', when)
	return stop_event(e, 'cancelled', now)
end

-- cancel DEPT ID NOW: stop an event by department and id.  Returns the
-- state it is left in, or "" when unknown.
local function cancel()
	local e = redis.call('HGET', P .. 'ev:ids', ARGV[3] .. '/' .. ARGV[4])
	if not e then
		return ''
	end
	return stop_event(e, 'cancelled', ARGV[5])
end

-- The two-person rule.  An event whose audience is large or sensitive
-- waits, pending_approval, for a second operator; every step is one
-- operation here so that approvals, rejections, cancels and expiry
-- cannot interleave (two operators approving at once release it once; an
-- approval after a cancel finds it cancelled).  The publisher may not
-- decide on its own event; when nothing vouches for who published it
-- (publisher_verified ~= "1": unsigned, or no publisher in the signed
-- bytes) two different operators must approve.

-- hold E NOW WHY: a resolving event waits for approval.  Returns the
-- state it is in (a cancel may have come first).
local function hold()
	local e, now, why = ARGV[3], ARGV[4], ARGV[5]
	local k = evkey(e)
	local st = redis.call('HGET', k, 'state')
	if st ~= 'resolving' then
		return st or ''
	end
	redis.call('HSET', k, 'state', 'pending_approval', 'held_at', now,
	    'held_for', why)
	redis.call('SREM', P .. 'events:resolving', e)
	redis.call('SADD', P .. 'events:pending', e)
	return 'pending_approval'
end

-- review E WHY: an emergency went without approval; flag it.
local function review()
	redis.call('HSET', evkey(ARGV[3]), 'review', 'needed', 'review_for',
	    ARGV[4])
	return 1
end

-- What may USER decide on held event E at NOW?  nil when they may, or
-- the answer to return: { "unknown" }, { "state", S } (not held, or it
-- expired just now), { "self", PUBLISHER }.
local function decidable(e, user, now)
	local k = evkey(e)
	local ev = redis.call('HMGET', k, 'state', 'publisher', 'expires')
	if not ev[1] then
		return { 'unknown', '' }
	end
	if ev[1] ~= 'pending_approval' then
		return { 'state', ev[1] }
	end
	local exp = tonumber(ev[3] or '0')
	if exp > 0 and now >= exp then
		stop_event(e, 'expired', now)
		return { 'state', 'expired' }
	end
	if ev[2] and ev[2] ~= '' and ev[2] == user then
		return { 'self', ev[2] }
	end
	return nil
end

-- approve E USER NOW: returns { "approved", FIRST } (released; FIRST the
-- earlier approver or ""), { "first", "" } (one more operator must
-- approve), { "again", USER } (this operator approved already), or
-- what decidable() says.
local function approve()
	local e, user, now = ARGV[3], ARGV[4], tonumber(ARGV[5])
	local k = evkey(e)
	local no = decidable(e, user, now)
	if no then
		return no
	end
	local ev = redis.call('HMGET', k, 'publisher_verified', 'approved_1')
	if ev[1] ~= '1' then
		if not ev[2] then
			redis.call('HSET', k, 'approved_1', user,
			    'approved_1_at', now)
			return { 'first', '' }
		end
		if ev[2] == user then
			return { 'again', user }
		end
	end
	redis.call('HSET', k, 'state', 'resolving', 'approved', user,
	    'approved_at', now)
	redis.call('SREM', P .. 'events:pending', e)
	redis.call('SADD', P .. 'events:resolving', e)
	return { 'approved', ev[2] or '' }
end

-- reject E USER NOW REASON: turn a held event down (one operator other
-- than the publisher suffices: stopping is the safe side).  Returns
-- { "rejected", "" } or what decidable() says.
local function reject()
	local e, user, now, why = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
	local no = decidable(e, user, now)
	if no then
		return no
	end
	redis.call('HSET', evkey(e), 'reason', why, 'rejected_by', user,
	    'rejected_at', now)
	stop_event(e, 'cancelled', now)
	return { 'rejected', '' }
end

-- A modem's SIM windows (its `limits`, the SIM plan's caps), kept so that
-- a restart does not give the SIM a fresh allowance: P sim:ID is a zset
-- of the times (ms) of the parts sent through SIM ID (its IMSI, else the
-- modem's IMEI), P sim:ID:n the counter that makes each member unique.
-- The modem keeps the windows in memory too and checks them there; this
-- is the copy a restarted daemon starts from.

-- sim_add ID MS HORIZON DEPTH: one part sent at MS; parts older than
-- HORIZON ms (the longest window) and beyond the newest DEPTH (the
-- largest count) can never matter again and are dropped.
local function sim_add()
	local k = P .. 'sim:' .. ARGV[3]
	local ms, horizon, depth = tonumber(ARGV[4]), tonumber(ARGV[5]),
	    tonumber(ARGV[6])
	local n = redis.call('INCR', k .. ':n')
	redis.call('ZADD', k, ms, ms .. ':' .. n)
	redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. (ms - horizon))
	redis.call('ZREMRANGEBYRANK', k, 0, -(depth + 1))
	redis.call('PEXPIRE', k, horizon + 1000)
	redis.call('PEXPIRE', k .. ':n', horizon + 1000)
	return redis.call('ZCARD', k)
end

-- sim_times ID NOW HORIZON DEPTH: the times of the parts still inside
-- the longest window at NOW (the newest DEPTH), oldest first.
local function sim_times()
	local k = P .. 'sim:' .. ARGV[3]
	local now, horizon, depth = tonumber(ARGV[4]), tonumber(ARGV[5]),
	    tonumber(ARGV[6])
	local t = redis.call('ZRANGEBYSCORE', k, '(' .. (now - horizon),
	    '+inf', 'WITHSCORES')
	local out = {}
	for i = 2, #t, 2 do
		out[#out + 1] = tonumber(t[i])
	end
	while #out > depth do
		table.remove(out, 1)
	end
	return out
end

local ops = { sim_add = sim_add, sim_times = sim_times, hold = hold, review = review, approve = approve,
    reject = reject, refuse = refuse, accept = accept, enqueue = enqueue, take = take, done = done,
    requeue = requeue, renew = renew, tick = tick, drain = drain,
    cancel = cancel, report = report, stop = stop, allow = allow,
    admit = admit }
local fn = ops[OP]
if not fn then
	return redis.error_reply('outbox.lua: unknown operation ' ..
	    tostring(OP))
end
return fn()
