-- retention.lua: purge the message records of old, finished events,
-- keeping what is counted about them.
--
-- ARGV[1] is the key prefix, ARGV[2] the operation.  The layout is
-- outbox.lua's; what this script removes is P msg:E:R (and E:R from
-- P unknown) of events that are over.  The event hash with its n:<state>
-- counters and "messages", P ev:E:reach and P events:list stay: `event
-- list` and `event status` show a purged event as before.  It marks the
-- event hash with
--   purged               when (ms) its last message record went
--   purged_messages      how many records were removed, in all
-- and keeps one key of its own:
--   P retention:low      rank in P events:list below which every
--                        event is purged (where candidates starts)
--
-- Every call does bounded work (a page of events, one SCAN step), so
-- Redis is never held long; the caller repeats until done.

local P = ARGV[1]
local OP = ARGV[2]
local FINAL = { sent = true, delivered = true, failed = true,
    expired = true, cancelled = true, unknown = true }
local EV_FINAL = { done = true, cancelled = true, expired = true }
local PAGE = 1000		-- events looked at per candidates call
local DAY = 86400000

local function evkey(e)
	return P .. 'ev:' .. e
end

-- Over, and nothing of it queued or with a channel any more.
local function finished(st)
	return EV_FINAL[st[1]] and tonumber(st[2] or '0') == 0 and
	    tonumber(st[3] or '0') == 0
end

-- candidates NOW CUTOFF MAX FROM: up to MAX events accepted before CUTOFF
-- (ms) that are over and not purged yet, oldest first, looking at one
-- page of P events:list from rank FROM ("-": from P retention:low).
-- Returns { NEXT, E... }: NEXT is the rank to go on from, 0 when every
-- event before CUTOFF has been looked at.
local function candidates()
	local now, cutoff, max = tonumber(ARGV[3]), tonumber(ARGV[4]),
	    tonumber(ARGV[5])
	local from = tonumber(ARGV[6])
	local lowkey = P .. 'retention:low'
	local low = tonumber(redis.call('GET', lowkey) or '0')
	if not from or from < low then
		from = low
	end
	local page = redis.call('ZRANGE', P .. 'events:list', from,
	    from + PAGE - 1, 'WITHSCORES')
	local out, nxt, gap = { 0 }, 0, false
	local newlow = low
	for i = 1, #page, 2 do
		local e, at = page[i], tonumber(page[i + 1])
		local rank = from + (i - 1) / 2
		if at >= cutoff then
			break
		end
		local st = redis.call('HMGET', evkey(e), 'state', 'n:queued',
		    'n:sending', 'purged')
		if st[4] then
			-- A day back from now, so an event accepted late by
			-- a daemon whose clock lags is not passed over.
			if not gap and rank == newlow and at < now - DAY then
				newlow = rank + 1
			end
		else
			gap = true
			if finished(st) then
				out[#out + 1] = e
				if #out - 1 >= max then
					nxt = rank + 1
					break
				end
			end
		end
		if i + 1 == #page and #page == 2 * PAGE then
			nxt = rank + 1
		end
	end
	if newlow > low then
		redis.call('SET', lowkey, newlow)
	end
	out[1] = nxt
	return out
end

-- purge CURSOR COUNT NOW E...: one SCAN step (COUNT) over P msg:*,
-- removing the records in a final state of the events E... (a message
-- still queued or with a channel stays).  One scan serves every event
-- named: it walks the whole keyspace once, however many they are.
-- Returns { CURSOR', DELETED } and, once CURSOR' is 0, then pairs
-- E, N for each event now marked purged (N records in all).  An event
-- that came back to life meanwhile (an unknown outcome resent) is not
-- marked: a later run takes it again.
local function purge()
	local cursor, count, now = ARGV[3], ARGV[4], ARGV[5]
	local want, n, del, unk = {}, {}, {}, {}
	for i = 6, #ARGV do
		want[ARGV[i]] = true
	end
	-- The prefix as a glob that matches only itself.
	local glob = string.gsub(P, '[%*%?%[%]\\]', '\\%0') .. 'msg:*'
	local res = redis.call('SCAN', cursor, 'MATCH', glob, 'COUNT', count)
	local plen = #P + 5		-- "P msg:"
	for _, key in ipairs(res[2]) do
		local id = string.sub(key, plen)
		local e = string.match(id, '^(%d+):%d+$')
		if e and want[e] then
			local st = redis.call('HGET', key, 'state')
			if st and FINAL[st] then
				del[#del + 1] = key
				n[e] = (n[e] or 0) + 1
				if st == 'unknown' then
					unk[#unk + 1] = id
				end
			end
		end
	end
	for i = 1, #del, 1000 do
		redis.call('DEL', unpack(del, i, math.min(i + 999, #del)))
	end
	for i = 1, #unk, 1000 do
		redis.call('ZREM', P .. 'unknown', unpack(unk, i,
		    math.min(i + 999, #unk)))
	end
	for e, c in pairs(n) do
		redis.call('HINCRBY', evkey(e), 'purged_messages', c)
	end
	local out = { res[1], #del }
	if res[1] ~= '0' then
		return out
	end
	for i = 6, #ARGV do
		local k = evkey(ARGV[i])
		local st = redis.call('HMGET', k, 'state', 'n:queued',
		    'n:sending', 'purged')
		if st[1] and not st[4] and finished(st) then
			redis.call('HSET', k, 'purged', now)
			redis.call('HSETNX', k, 'purged_messages', 0)
			out[#out + 1] = ARGV[i]
			out[#out + 1] = redis.call('HGET', k, 'purged_messages')
		end
	end
	return out
end

local ops = { candidates = candidates, purge = purge }
local fn = ops[OP]
if not fn then
	return redis.error_reply('retention.lua: unknown operation ' ..
	    tostring(OP))
end
return fn()
