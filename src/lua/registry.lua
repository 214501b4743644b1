-- registry.lua: the resident registry's writes and queries, run inside
-- Redis so each call is atomic and every civicast process sharing the
-- Redis sees one consistent registry.
--
-- ARGV[1] is the key prefix, ARGV[2] the operation; see each op below.
--
-- Layout (P = prefix):
--   P res:seq          counter of dense resident ids (rid), never reused
--   P res:ids          hash  external id -> rid
--   P res:<rid>        hash  id phone district groups name created updated
--   P res:phones       hash  phone -> "rid[,rid...]" (a carer's phone is shared)
--   P bm:all           bitmap of live rids
--   P bm:g:<group>     bitmap of rids in a group
--   P bm:d:<code>      bitmap of rids living in a district, one per level
--                      prefix (2/4/6/9/12 digits): a query is one lookup
--   P bm:shared        rids whose phone another live resident also has
--   P bm:optout        rids whose phone is opted out
--   P optout           hash  phone -> "unix-time user"
--   P audit            stream of registry changes (no phone in clear)
--
-- Why bitmaps: an audience is (groups) AND (districts) AND NOT (excluded)
-- over dense ids, a few BITOPs over 125 KB per million residents, where
-- set unions of that size take hundreds of milliseconds.  Only residents
-- whose phone is shared need a per-resident look at their phone to count
-- distinct phones, and those are few.

local P = ARGV[1]
local OP = ARGV[2]
local LEVELS = { 2, 4, 6, 9, 12 }

local function prefixes(code)
	local t = {}
	for _, l in ipairs(LEVELS) do
		if l <= #code then
			t[#t + 1] = string.sub(code, 1, l)
		end
	end
	return t
end

local function groups_of(s)
	local t = {}
	for g in string.gmatch(s or '', '[^;]+') do
		t[#t + 1] = g
	end
	return t
end

local function set_groups(rid, groups, v)
	for _, g in ipairs(groups_of(groups)) do
		redis.call('SETBIT', P .. 'bm:g:' .. g, rid, v)
	end
end

local function set_district(rid, code, v)
	for _, d in ipairs(prefixes(code)) do
		redis.call('SETBIT', P .. 'bm:d:' .. d, rid, v)
	end
end

local function phone_add(phone, rid)
	local key = P .. 'res:phones'
	local list = redis.call('HGET', key, phone)
	if not list then
		redis.call('HSET', key, phone, rid)
	else
		list = list .. ',' .. rid
		redis.call('HSET', key, phone, list)
		for r in string.gmatch(list, '%d+') do
			redis.call('SETBIT', P .. 'bm:shared', r, 1)
		end
	end
	if redis.call('HEXISTS', P .. 'optout', phone) == 1 then
		redis.call('SETBIT', P .. 'bm:optout', rid, 1)
	end
end

local function phone_del(phone, rid)
	local key = P .. 'res:phones'
	local list = redis.call('HGET', key, phone)
	local rest = {}
	for r in string.gmatch(list or '', '%d+') do
		if r ~= tostring(rid) then
			rest[#rest + 1] = r
		end
	end
	if #rest == 0 then
		redis.call('HDEL', key, phone)
	else
		redis.call('HSET', key, phone, table.concat(rest, ','))
		if #rest == 1 then
			redis.call('SETBIT', P .. 'bm:shared', rest[1], 0)
		end
	end
	redis.call('SETBIT', P .. 'bm:shared', rid, 0)
	redis.call('SETBIT', P .. 'bm:optout', rid, 0)
end

-- An audit entry: who, what, which resident, through what (import or
-- cli), and which fields changed.  Never a phone number.
local function audit(user, action, id, via, detail)
	local f = { 'XADD', P .. 'audit', '*', 'user', user, 'action', action,
	    'resident', id }
	if via and via ~= '' then
		f[#f + 1] = 'via'
		f[#f + 1] = via
	end
	if detail and detail ~= '' then
		f[#f + 1] = 'fields'
		f[#f + 1] = detail
	end
	redis.call(unpack(f))
end

-- upsert USER NOW VIA N (ID PHONE DISTRICT GROUPS NAME)*N
-- Returns one code per resident: 0 unchanged, 1 added, 2 updated.
local function upsert()
	local user, now, via, n = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
	local out = {}
	for i = 0, n - 1 do
		local b = 7 + i * 5
		local id, phone, district, groups, name =
		    ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
		local rid = redis.call('HGET', P .. 'res:ids', id)
		if not rid then
			rid = redis.call('INCR', P .. 'res:seq')
			redis.call('HSET', P .. 'res:ids', id, rid)
			redis.call('HSET', P .. 'res:' .. rid, 'id', id,
			    'phone', phone, 'district', district,
			    'groups', groups, 'name', name,
			    'created', now, 'updated', now)
			redis.call('SETBIT', P .. 'bm:all', rid, 1)
			set_groups(rid, groups, 1)
			set_district(rid, district, 1)
			phone_add(phone, rid)
			audit(user, 'add', id, via)
			out[#out + 1] = 1
		else
			local key = P .. 'res:' .. rid
			local old = redis.call('HMGET', key, 'phone',
			    'district', 'groups', 'name')
			local changed = {}
			if old[1] ~= phone then
				phone_del(old[1], rid)
				phone_add(phone, rid)
				changed[#changed + 1] = 'phone'
			end
			if old[2] ~= district then
				set_district(rid, old[2], 0)
				set_district(rid, district, 1)
				changed[#changed + 1] = 'district'
			end
			if old[3] ~= groups then
				set_groups(rid, old[3], 0)
				set_groups(rid, groups, 1)
				changed[#changed + 1] = 'groups'
			end
			if (old[4] or '') ~= name then
				changed[#changed + 1] = 'name'
			end
			if #changed == 0 then
				out[#out + 1] = 0
			else
				redis.call('HSET', key, 'phone', phone,
				    'district', district, 'groups', groups,
				    'name', name, 'updated', now)
				audit(user, 'update', id, via,
				    table.concat(changed, ','))
				out[#out + 1] = 2
			end
		end
	end
	return out
end

-- remove USER ID: 1 removed, 0 unknown.
local function remove()
	local user, id = ARGV[3], ARGV[4]
	local rid = redis.call('HGET', P .. 'res:ids', id)
	if not rid then
		return 0
	end
	local key = P .. 'res:' .. rid
	local old = redis.call('HMGET', key, 'phone', 'district', 'groups')
	set_groups(rid, old[3], 0)
	set_district(rid, old[2], 0)
	phone_del(old[1], rid)
	redis.call('SETBIT', P .. 'bm:all', rid, 0)
	redis.call('DEL', key)
	redis.call('HDEL', P .. 'res:ids', id)
	audit(user, 'remove', id, 'cli')
	return 1
end

-- optout USER NOW PHONE MASKED on|off: 1 changed, 0 already so.
local function optout()
	local user, now, phone, masked, on =
	    ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7] == 'on'
	local had = redis.call('HEXISTS', P .. 'optout', phone) == 1
	if had == on then
		return 0
	end
	if on then
		redis.call('HSET', P .. 'optout', phone, now .. ' ' .. user)
	else
		redis.call('HDEL', P .. 'optout', phone)
	end
	local list = redis.call('HGET', P .. 'res:phones', phone)
	for r in string.gmatch(list or '', '%d+') do
		redis.call('SETBIT', P .. 'bm:optout', r, on and 1 or 0)
	end
	redis.call('XADD', P .. 'audit', '*', 'user', user,
	    'action', on and 'optout-add' or 'optout-remove',
	    'phone', masked)
	return 1
end

local T = P .. 'tmp:aud:'

-- Call fn(rid) for each set bit of string s, from bit offset `from`;
-- stops early when fn returns true.
local function each_bit(s, from, fn)
	local pos = math.floor(from / 8) + 1
	while true do
		local i = string.find(s, '[^%z]', pos)
		if not i then
			return
		end
		local byte = string.byte(s, i)
		for k = 0, 7 do
			local rid = (i - 1) * 8 + k
			if rid >= from and
			    bit.band(byte, bit.rshift(128, k)) ~= 0 then
				if fn(rid) then
					return
				end
			end
		end
		pos = i + 1
	end
end

-- Distinct phones among the rids of bitmap key.
local function distinct(key)
	local total = redis.call('BITCOUNT', key)
	if total == 0 then
		return 0
	end
	redis.call('BITOP', 'AND', T .. 's', key, P .. 'bm:shared')
	local nshared = redis.call('BITCOUNT', T .. 's')
	if nshared == 0 then
		return total
	end
	local seen, n = {}, 0
	each_bit(redis.call('GET', T .. 's'), 0, function(rid)
		local phone = redis.call('HGET', P .. 'res:' .. rid, 'phone')
		if phone and not seen[phone] then
			seen[phone] = true
			n = n + 1
		end
	end)
	return total - nshared + n
end

-- key := key AND NOT other, by XOR with (key AND other): BITOP NOT would
-- need both strings padded to one length first.
local function andnot(key, other)
	redis.call('BITOP', 'AND', T .. 'x', key, other)
	redis.call('BITOP', 'XOR', key, key, T .. 'x')
end

-- Read "N a b c" lists from ARGV starting at i; returns list, next i.
local function arglist(i)
	local n, t = tonumber(ARGV[i]), {}
	for k = 1, n do
		t[k] = ARGV[i + k]
	end
	return t, i + n + 1
end

local function keys_of(kind, list)
	local t = {}
	for i, v in ipairs(list) do
		t[i] = P .. kind .. v
	end
	return t
end

-- Build the matching bitmap in T..'m' from the query in ARGV:
-- MATCH(any|all) OPTOUT(1 apply|0) then counted lists of groups,
-- districts and excluded districts.  Returns residents matched before
-- opt-outs, residents dropped by opt-outs, the lists.
local function match(i)
	local all = ARGV[i] == 'all'
	local apply_optout = ARGV[i + 1] == '1'
	local groups, districts, excl
	groups, i = arglist(i + 2)
	districts, i = arglist(i)
	excl, i = arglist(i)
	local m = T .. 'm'
	if #groups == 0 then
		redis.call('BITOP', 'OR', m, P .. 'bm:all')
	else
		redis.call('BITOP', all and 'AND' or 'OR', m,
		    unpack(keys_of('bm:g:', groups)))
	end
	if #districts > 0 then
		redis.call('BITOP', 'OR', T .. 'd',
		    unpack(keys_of('bm:d:', districts)))
		redis.call('BITOP', 'AND', m, m, T .. 'd')
	end
	if #excl > 0 then
		redis.call('BITOP', 'OR', T .. 'e',
		    unpack(keys_of('bm:d:', excl)))
		andnot(m, T .. 'e')
	end
	local before = redis.call('BITCOUNT', m)
	if apply_optout then
		andnot(m, P .. 'bm:optout')
	end
	local dropped = before - redis.call('BITCOUNT', m)
	return before, dropped, groups, districts
end

local function cleanup()
	redis.call('DEL', T .. 'm', T .. 'd', T .. 'e', T .. 'x', T .. 's',
	    T .. 'b')
end

-- count QUERY...: { residents, optedout, phones,
--   {district, phones}..., '|', {group, phones}... } as a flat list.
local function count()
	local before, dropped, groups, districts = match(3)
	local m = T .. 'm'
	local out = { before, dropped, distinct(m) }
	for _, d in ipairs(districts) do
		redis.call('BITOP', 'AND', T .. 'b', m, P .. 'bm:d:' .. d)
		out[#out + 1] = d
		out[#out + 1] = distinct(T .. 'b')
	end
	out[#out + 1] = '|'
	for _, g in ipairs(groups) do
		redis.call('BITOP', 'AND', T .. 'b', m, P .. 'bm:g:' .. g)
		out[#out + 1] = g
		out[#out + 1] = distinct(T .. 'b')
	end
	cleanup()
	return out
end

-- list FROM LIMIT QUERY...: up to LIMIT rids >= FROM that match.
local function list()
	local from, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
	match(5)
	local out = {}
	local s = redis.call('GET', T .. 'm')
	if s then
		each_bit(s, from, function(rid)
			out[#out + 1] = rid
			return #out >= limit
		end)
	end
	cleanup()
	return out
end

if OP == 'upsert' then
	return upsert()
elseif OP == 'remove' then
	return remove()
elseif OP == 'optout' then
	return optout()
elseif OP == 'count' then
	return count()
elseif OP == 'list' then
	return list()
end
return redis.error_reply('registry.lua: unknown operation ' .. tostring(OP))
