-- registry.lua: the resident registry's writes and queries, run inside
-- Redis so each call is atomic and every civicast process sharing the
-- Redis sees one consistent registry.
--
-- ARGV[1] is the key prefix, ARGV[2] the operation; see each op below.
--
-- Layout (P = prefix):
--   P res:seq          counter of dense resident ids (rid), never reused
--   P res:ids          hash  external id -> rid
--   P r:<rid/128>      hash  rid -> "id US phone US district US groups US
--                      name" (US = \x1f): records in buckets of 128
--   P res:phones       hash  phone -> "rid[,rid...]" (a carer's phone is shared)
--   P res:sphone       hash  rid -> phone, for residents whose phone is shared
--   P bm:all           bitmap of live rids
--   P bm:g:<group>     bitmap of rids in a group
--   P bm:d:<code>      bitmap of rids living in a district, one per level
--                      prefix of 2/4/6/9 digits: a query is one lookup
--   P set:d:<village>  set of rids in a 12-digit village (see below)
--   P bm:shared        rids whose phone another live resident also has
--   P bm:optout        rids whose phone is opted out
--   P optout           hash  phone -> "unix-time user"
--   P audit            stream of registry changes (no phone in clear)
--
-- Why bitmaps: an audience is (groups) AND (districts) AND NOT (excluded)
-- over dense ids, a few BITOPs over 125 KB per million residents, where
-- set unions of that size take hundreds of milliseconds.  Only residents
-- whose phone is shared need a look at their phone to count distinct
-- phones, and those are few (res:sphone holds just them).
--
-- Why sets for villages: a Redis bitmap always starts at bit 0, so a
-- village of 30 residents with high rids would cost rid/8 bytes; there
-- are tens of villages per township.  A query naming a village turns its
-- set into a temporary bitmap, which is cheap for a village's size.
--
-- Why buckets: a hash per resident costs a key (~200 bytes) and a
-- redis.call per write; 128 records per hash stay in Redis's compact
-- listpack encoding when records are short, and a batch writes each
-- bucket once.  Records never hold \x1f: ids are printable ASCII, names
-- have no control characters (resident.c).
--
-- Why writes are staged: a redis.call costs far more than the command it
-- runs, so a batch of rows collects its bit, set and hash changes per key
-- (last write wins) and writes each key once: BITFIELD for bits, one
-- HSET/HDEL per hash.

local P = ARGV[1]
local OP = ARGV[2]
-- Locals: a global lookup per bit operation adds up over a million rows.
local floor, band, bor, bnot, rshift =
    math.floor, bit.band, bit.bor, bit.bnot, bit.rshift
local PREFIX_LEVELS = { 2, 4, 6, 9 }
local VILLAGE = 12
local CHUNK = 1000		-- elements per call: unpack() has a C-stack limit

local function prefixes(code)
	local t = {}
	for _, l in ipairs(PREFIX_LEVELS) do
		if l <= #code then
			t[#t + 1] = string.sub(code, 1, l)
		end
	end
	return t
end

local US = '\031'
local BUCKET = 128

local bucket_keys = {}
local function bucket(rid)
	local b = floor(tonumber(rid) / BUCKET)
	local k = bucket_keys[b]
	if not k then
		k = P .. 'r:' .. b
		bucket_keys[b] = k
	end
	return k
end

local function record(id, phone, district, groups, name)
	return id .. US .. phone .. US .. district .. US .. groups .. US .. name
end

local FIELD = '([^' .. US .. ']*)' .. US
local function unrecord(s)
	if not s then
		return nil
	end
	local f, i = {}, 1
	for part in string.gmatch(s .. US, FIELD) do
		f[i] = part
		i = i + 1
	end
	return { id = f[1], phone = f[2], district = f[3],
	    groups = f[4] or '', name = f[5] or '' }
end

local function groups_of(s)
	local t = {}
	for g in string.gmatch(s or '', '[^;]+') do
		t[#t + 1] = g
	end
	return t
end

-- Rids are kept as strings from end to end: a Lua number passed to
-- redis.call is formatted with sprintf, which costs more than the
-- command.  Only bit arithmetic turns them into numbers.
local function rids_of(list)
	local t = {}
	for r in string.gmatch(list or '', '%d+') do
		t[#t + 1] = r
	end
	return t
end

-- Run cmd key with the flat argument list args, CHUNK items at a time;
-- per is how many list items make one unit (BITFIELD SET u1 off v = 4).
local function chunked(cmd, key, args, per)
	local step = CHUNK * per
	for i = 1, #args, step do
		redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args)))
	end
end

-- Staged changes of one call, written by flush().
local stage = {
	bits = {},	-- key -> { [rid] = 0|1 }
	members = {},	-- set key -> { [rid] = true|false }
	phones = {},	-- phone -> array of rids (final), loaded on first use
	touched = {},	-- phone -> true when its list changed
	left = {},	-- rids removed from some phone's list
	shared0 = {},	-- phone -> 1 when it was shared before this call
	new = {},	-- rids created by this call (their bits start at 0)
	recs = {},	-- bucket key -> { [rid] = record or false (delete) }
	dkeys = {},	-- district code -> its index keys (a cache)
	gkeys = {},	-- group list -> its bitmap keys (a cache)
}

-- The staged bits of a bitmap key, keyed by numeric rid.
local function bits_of(key)
	local t = stage.bits[key]
	if not t then
		t = {}
		stage.bits[key] = t
	end
	return t
end

local function stage_bit(key, rid, v)
	bits_of(key)[tonumber(rid)] = v
end

local function member(key, rid, present)
	local t = stage.members[key]
	if not t then
		t = {}
		stage.members[key] = t
	end
	t[rid] = present
end

-- Stage the group and district indexes of a resident, on (1) or off (0).
-- Key names are built once per distinct district and group list.
local function index(rid, groups, district, v)
	local g = stage.gkeys[groups]
	if not g then
		g = {}
		for _, name in ipairs(groups_of(groups)) do
			g[#g + 1] = bits_of(P .. 'bm:g:' .. name)
		end
		stage.gkeys[groups] = g
	end
	local d = stage.dkeys[district]
	if not d then
		d = {}
		for _, code in ipairs(prefixes(district)) do
			d[#d + 1] = bits_of(P .. 'bm:d:' .. code)
		end
		d[#d + 1] = bits_of(P .. 'bm:all')
		if #district == VILLAGE then
			d.set = P .. 'set:d:' .. district
		end
		stage.dkeys[district] = d
	end
	local n = tonumber(rid)
	for i = 1, #g do
		g[i][n] = v
	end
	for i = 1, #d do
		d[i][n] = v
	end
	if d.set then
		member(d.set, rid, v == 1)
	end
end

local function stage_record(rid, rec)
	local key = bucket(rid)
	local t = stage.recs[key]
	if not t then
		t = {}
		stage.recs[key] = t
	end
	t[rid] = rec
end

-- Load the rid lists of phones not loaded yet, in one HMGET.
local function load_phones(list)
	local want, seen = {}, {}
	for _, ph in ipairs(list) do
		if stage.phones[ph] == nil and not seen[ph] then
			want[#want + 1] = ph
			seen[ph] = true
		end
	end
	for i = 1, #want, CHUNK do
		local last = math.min(i + CHUNK - 1, #want)
		local got = redis.call('HMGET', P .. 'res:phones',
		    unpack(want, i, last))
		for k = i, last do
			local l = rids_of(got[k - i + 1])
			stage.phones[want[k]] = l
			if #l >= 2 then
				stage.shared0[want[k]] = true
			end
		end
	end
end

local function phone_add(phone, rid)
	local l = stage.phones[phone]
	l[#l + 1] = rid
	stage.touched[phone] = true
end

local function phone_del(phone, rid)
	local l, rest = stage.phones[phone], {}
	for _, r in ipairs(l) do
		if r ~= rid then
			rest[#rest + 1] = r
		end
	end
	stage.phones[phone] = rest
	stage.touched[phone] = true
	stage.left[#stage.left + 1] = rid
end

-- Write the staged bits of one bitmap.  The script is atomic, so when
-- the bits fall in a short byte range (a batch of new residents has
-- consecutive rids) it reads the range, sets the bits in Lua and writes
-- it back: two calls, where BITFIELD would take four arguments per bit,
-- and argument conversion is what costs.  Scattered bits use BITFIELD.
local RANGE_MAX = 4096	-- bytes; string.char(unpack()) stays under the
			-- Lua C stack limit
local function write_bits(key, t)
	local lo, hi
	for n in pairs(t) do
		local b = floor(n / 8)
		if not lo or b < lo then
			lo = b
		end
		if not hi or b > hi then
			hi = b
		end
	end
	if not lo then
		return
	end
	if hi - lo + 1 > RANGE_MAX then
		local args = {}
		for n, v in pairs(t) do
			args[#args + 1] = 'SET'
			args[#args + 1] = 'u1'
			args[#args + 1] = n
			args[#args + 1] = v
		end
		chunked('BITFIELD', key, args, 4)
		return
	end
	local cur = redis.call('GETRANGE', key, lo, hi)
	local bytes = { string.byte(cur, 1, -1) }
	for i = #bytes + 1, hi - lo + 1 do
		bytes[i] = 0
	end
	for n, v in pairs(t) do
		local i = floor(n / 8) - lo + 1
		local m = rshift(128, n % 8)
		if v == 1 then
			bytes[i] = bor(bytes[i], m)
		else
			bytes[i] = band(bytes[i], bnot(m))
		end
	end
	redis.call('SETRANGE', key, lo, string.char(unpack(bytes)))
end

-- Write every staged change.
local function flush()
	-- Phones: lists, and the shared/opt-out state of their residents.
	local set, del, sphone_set, sphone_del, ph_list = {}, {}, {}, {}, {}
	for _, rid in ipairs(stage.left) do
		stage_bit(P .. 'bm:shared', rid, 0)
		stage_bit(P .. 'bm:optout', rid, 0)
		sphone_del[rid] = true
	end
	for ph in pairs(stage.touched) do
		ph_list[#ph_list + 1] = ph
	end
	-- Nothing to look up while nobody has opted out.
	local opted = {}
	if #ph_list > 0 and redis.call('EXISTS', P .. 'optout') == 1 then
		for i = 1, #ph_list, CHUNK do
			local last = math.min(i + CHUNK - 1, #ph_list)
			local got = redis.call('HMGET', P .. 'optout',
			    unpack(ph_list, i, last))
			for k = i, last do
				opted[ph_list[k]] = got[k - i + 1] and true
			end
		end
	end
	local new = stage.new
	for _, ph in ipairs(ph_list) do
		local l = stage.phones[ph]
		local shared = #l >= 2
		if #l == 0 then
			del[#del + 1] = ph
		else
			set[#set + 1] = ph
			set[#set + 1] = #l == 1 and l[1] or table.concat(l, ',')
		end
		for _, rid in ipairs(l) do
			-- A new rid's bits are 0 already: write only ones.
			if shared or not new[rid] then
				stage_bit(P .. 'bm:shared', rid, shared and 1 or 0)
			end
			if opted[ph] or not new[rid] then
				stage_bit(P .. 'bm:optout', rid,
				    opted[ph] and 1 or 0)
			end
			if shared then
				sphone_set[rid] = ph
				sphone_del[rid] = nil
			elseif stage.shared0[ph] then
				sphone_del[rid] = true
			end
		end
	end
	if #set > 0 then
		chunked('HSET', P .. 'res:phones', set, 2)
	end
	if #del > 0 then
		chunked('HDEL', P .. 'res:phones', del, 1)
	end
	local hs, hd = {}, {}
	for rid, ph in pairs(sphone_set) do
		hs[#hs + 1] = rid
		hs[#hs + 1] = ph
	end
	for rid in pairs(sphone_del) do
		hd[#hd + 1] = rid
	end
	if #hs > 0 then
		chunked('HSET', P .. 'res:sphone', hs, 2)
	end
	if #hd > 0 then
		chunked('HDEL', P .. 'res:sphone', hd, 1)
	end

	for key, t in pairs(stage.recs) do
		local set, del = {}, {}
		for rid, rec in pairs(t) do
			if rec then
				set[#set + 1] = rid
				set[#set + 1] = rec
			else
				del[#del + 1] = rid
			end
		end
		if #set > 0 then
			chunked('HSET', key, set, 2)
		end
		if #del > 0 then
			chunked('HDEL', key, del, 1)
		end
	end
	for key, t in pairs(stage.bits) do
		write_bits(key, t)
	end
	for key, t in pairs(stage.members) do
		local add, rem = {}, {}
		for rid, present in pairs(t) do
			if present then
				add[#add + 1] = rid
			else
				rem[#rem + 1] = rid
			end
		end
		if #add > 0 then
			chunked('SADD', key, add, 1)
		end
		if #rem > 0 then
			chunked('SREM', key, rem, 1)
		end
	end
end

-- One audit entry: who, what, through what (import or cli), which
-- residents ("id" or "id(fields)", space-separated).  Never a phone.
local function audit(user, action, via, residents)
	if #residents == 0 then
		return
	end
	redis.call('XADD', P .. 'audit', '*', 'user', user, 'action', action,
	    'via', via, 'count', #residents,
	    'residents', table.concat(residents, ' '))
end

-- upsert USER NOW VIA N (ID PHONE DISTRICT GROUPS NAME)*N
-- Returns one code per resident: 0 unchanged, 1 added, 2 updated.
local function upsert()
	local user, now, via, n = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
	local rows, ids, phones = {}, {}, {}
	for i = 1, n do
		local b = 7 + (i - 1) * 5
		rows[i] = { id = ARGV[b], phone = ARGV[b + 1],
		    district = ARGV[b + 2], groups = ARGV[b + 3],
		    name = ARGV[b + 4] }
		ids[i] = ARGV[b]
		phones[i] = ARGV[b + 1]
	end
	local known = {}
	for i = 1, n, CHUNK do
		local last = math.min(i + CHUNK - 1, n)
		local got = redis.call('HMGET', P .. 'res:ids',
		    unpack(ids, i, last))
		for k = i, last do
			if got[k - i + 1] then
				known[ids[k]] = got[k - i + 1]
			end
		end
	end

	-- Old records of known residents, one HMGET per bucket.
	local old, wanted = {}, {}
	for i = 1, n do
		local rid = known[rows[i].id]
		if rid then
			local key = bucket(rid)
			local w = wanted[key]
			if not w then
				w = {}
				wanted[key] = w
			end
			w[#w + 1] = rid
		end
	end
	for key, w in pairs(wanted) do
		local got = redis.call('HMGET', key, unpack(w))
		for k, rid in ipairs(w) do
			local o = unrecord(got[k])
			if o then
				old[rid] = o
				phones[#phones + 1] = o.phone
			end
		end
	end
	load_phones(phones)

	local nnew, seen = 0, {}
	for i = 1, n do
		local id = rows[i].id
		if seen[id] then
			-- The caller sends each id once per batch.
			return redis.error_reply('registry: id ' .. id ..
			    ' twice in one batch')
		end
		seen[id] = true
		if not known[id] then
			nnew = nnew + 1
			known[id] = nnew	-- a number: new, placed below
		end
	end
	local first = 0
	if nnew > 0 then
		first = redis.call('INCRBY', P .. 'res:seq', nnew) - nnew
	end

	local out, added, updated, newids = {}, {}, {}, {}
	for i = 1, n do
		local r = rows[i]
		local rid = known[r.id]
		if type(rid) == 'number' then
			rid = tostring(first + rid)
			known[r.id] = rid
			stage.new[rid] = true
			newids[#newids + 1] = r.id
			newids[#newids + 1] = rid
			stage_record(rid, record(r.id, r.phone, r.district,
			    r.groups, r.name))
			index(rid, r.groups, r.district, 1)
			phone_add(r.phone, rid)
			added[#added + 1] = r.id
			out[i] = 1
		else
			local o = old[rid]
			if not o then
				return redis.error_reply('registry: resident ' ..
				    r.id .. ' has an index but no record')
			end
			local changed = {}
			if o.phone ~= r.phone then
				phone_del(o.phone, rid)
				phone_add(r.phone, rid)
				changed[#changed + 1] = 'phone'
			end
			if o.district ~= r.district or o.groups ~= r.groups then
				index(rid, o.groups, o.district, 0)
				index(rid, r.groups, r.district, 1)
				if o.district ~= r.district then
					changed[#changed + 1] = 'district'
				end
				if o.groups ~= r.groups then
					changed[#changed + 1] = 'groups'
				end
			end
			if o.name ~= r.name then
				changed[#changed + 1] = 'name'
			end
			if #changed == 0 then
				out[i] = 0
			else
				stage_record(rid, record(r.id, r.phone,
				    r.district, r.groups, r.name))
				updated[#updated + 1] = r.id .. '(' ..
				    table.concat(changed, ',') .. ')'
				out[i] = 2
			end
		end
	end
	if #newids > 0 then
		chunked('HSET', P .. 'res:ids', newids, 2)
	end
	flush()
	audit(user, 'add', via, added)
	audit(user, 'update', via, updated)
	return out
end

-- remove USER ID: 1 removed, 0 unknown.
local function remove()
	local user, id = ARGV[3], ARGV[4]
	local rid = redis.call('HGET', P .. 'res:ids', id)
	if not rid then
		return 0
	end
	local o = unrecord(redis.call('HGET', bucket(rid), rid))
	if o then
		load_phones({ o.phone })
		index(rid, o.groups, o.district, 0)
		phone_del(o.phone, rid)
	end
	stage_record(rid, false)
	flush()
	redis.call('HDEL', P .. 'res:ids', id)
	audit(user, 'remove', 'cli', { id })
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
	for _, r in ipairs(rids_of(list)) do
		redis.call('SETBIT', P .. 'bm:optout', r, on and 1 or 0)
	end
	redis.call('XADD', P .. 'audit', '*', 'user', user,
	    'action', on and 'optout-add' or 'optout-remove',
	    'phone', masked)
	return 1
end

local T = P .. 'tmp:aud:'
local temps = { T .. 'm', T .. 'd', T .. 'e', T .. 'x', T .. 's', T .. 'b' }

-- Call fn(rid) for each set bit of string s, from bit offset `from`;
-- stops early when fn returns true.
local function each_bit(s, from, fn)
	local pos = floor(from / 8) + 1
	while true do
		local i = string.find(s, '[^%z]', pos)
		if not i then
			return
		end
		local byte = string.byte(s, i)
		for k = 0, 7 do
			local rid = (i - 1) * 8 + k
			if rid >= from and
			    band(byte, rshift(128, k)) ~= 0 then
				if fn(rid) then
					return
				end
			end
		end
		pos = i + 1
	end
end

-- Distinct phones among the rids of bitmap key: every rid whose phone
-- is not shared is one phone; the shared ones are looked up in
-- res:sphone, a thousand at a time.
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
	local rids = {}
	each_bit(redis.call('GET', T .. 's'), 0, function(rid)
		rids[#rids + 1] = rid
	end)
	local seen, n = {}, 0
	for i = 1, #rids, CHUNK do
		local last = math.min(i + CHUNK - 1, #rids)
		local got = redis.call('HMGET', P .. 'res:sphone',
		    unpack(rids, i, last))
		for k = i, last do
			local ph = got[k - i + 1]
			if not ph then
				-- Not expected; the record still knows.
				local o = unrecord(redis.call('HGET',
				    bucket(rids[k]), rids[k]))
				ph = o and o.phone
			end
			if ph and not seen[ph] then
				seen[ph] = true
				n = n + 1
			end
		end
	end
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

-- The bitmap key of a district; a village's set becomes a temporary
-- bitmap first.
local function dkey(code)
	if #code ~= VILLAGE then
		return P .. 'bm:d:' .. code
	end
	local k = T .. 'v' .. #temps
	temps[#temps + 1] = k
	redis.call('DEL', k)
	local args = {}
	for _, r in ipairs(redis.call('SMEMBERS', P .. 'set:d:' .. code)) do
		args[#args + 1] = 'SET'
		args[#args + 1] = 'u1'
		args[#args + 1] = r
		args[#args + 1] = 1
	end
	if #args > 0 then
		chunked('BITFIELD', k, args, 4)
	end
	return k
end

local function dkeys(list)
	local t = {}
	for i, code in ipairs(list) do
		t[i] = dkey(code)
	end
	return t
end

-- Build the matching bitmap in T..'m' from the query in ARGV:
-- MATCH(any|all) OPTOUT(1 apply|0) then counted lists of groups,
-- districts and excluded districts.  Returns residents matched before
-- opt-outs, residents dropped by opt-outs, the query lists.
local function match(i)
	local all = ARGV[i] == 'all'
	local apply_optout = ARGV[i + 1] == '1'
	local q = {}
	q.all = all
	q.groups, i = arglist(i + 2)
	q.districts, i = arglist(i)
	q.excl, i = arglist(i)
	q.dkeys = dkeys(q.districts)
	local m = T .. 'm'
	if #q.groups == 0 then
		redis.call('BITOP', 'OR', m, P .. 'bm:all')
	else
		local g = {}
		for k, v in ipairs(q.groups) do
			g[k] = P .. 'bm:g:' .. v
		end
		redis.call('BITOP', all and 'AND' or 'OR', m, unpack(g))
	end
	if #q.districts > 0 then
		redis.call('BITOP', 'OR', T .. 'd', unpack(q.dkeys))
		redis.call('BITOP', 'AND', m, m, T .. 'd')
	end
	if #q.excl > 0 then
		redis.call('BITOP', 'OR', T .. 'e', unpack(dkeys(q.excl)))
		andnot(m, T .. 'e')
	end
	local before = redis.call('BITCOUNT', m)
	if apply_optout then
		andnot(m, P .. 'bm:optout')
	end
	return before, before - redis.call('BITCOUNT', m), q
end

local function cleanup()
	redis.call('DEL', unpack(temps))
end

-- count QUERY...: { residents, optedout, phones,
--   {district, phones}..., '|', {group, phones}... } as a flat list.
local function count()
	local before, dropped, q = match(3)
	local m = T .. 'm'
	local total = distinct(m)
	local out = { before, dropped, total }
	for k, d in ipairs(q.districts) do
		out[#out + 1] = d
		if #q.districts == 1 and #q.excl == 0 then
			-- The one district is the whole match.
			out[#out + 1] = total
		else
			redis.call('BITOP', 'AND', T .. 'b', m, q.dkeys[k])
			out[#out + 1] = distinct(T .. 'b')
		end
	end
	out[#out + 1] = '|'
	for _, g in ipairs(q.groups) do
		out[#out + 1] = g
		if #q.groups == 1 or q.all then
			-- Every match is in this group.
			out[#out + 1] = total
		else
			redis.call('BITOP', 'AND', T .. 'b', m, P .. 'bm:g:' .. g)
			out[#out + 1] = distinct(T .. 'b')
		end
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

-- save_match KEY EVKEY QUERY...: the audience of an event, kept in KEY (a
-- bitmap of matching residents) so that its fan-out can go in chunks and
-- resume after a crash, with its counts in the event's hash EVKEY, in
-- the same step.  Idempotent: a resumed fan-out keeps both.  Returns
-- { residents, optedout, phones }.
local function save_match()
	local key, evk = ARGV[3], ARGV[4]
	if redis.call('EXISTS', key) == 1 or
	    redis.call('HGET', evk, 'cursor') ~= '0' then
		-- Resumed: the counts were written with the bitmap.
		return redis.call('HMGET', evk, 'residents', 'optedout',
		    'targeted')
	end
	local before, dropped = match(5)
	local phones = distinct(T .. 'm')
	if redis.call('EXISTS', T .. 'm') == 1 then
		redis.call('RENAME', T .. 'm', key)
	end
	redis.call('HSET', evk, 'residents', before, 'optedout', dropped,
	    'targeted', phones)
	cleanup()
	return { before, dropped, phones }
end

-- expand KEY FROM LIMIT: the next residents of an event's audience, from
-- rid FROM, at most LIMIT of them, one per phone: a resident whose phone
-- a lower matching rid has too is left to that one, whose groups then
-- include the others' (for reach by group).  Returns { NEXT, (rid,
-- phone, name, district, groups)... } where NEXT is where the following
-- call starts, or -1 at the end.
local function expand()
	local key, from, limit = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
	local s = redis.call('GET', key)
	local out = { -1 }
	if not s then
		return out
	end
	local shared = redis.call('GET', P .. 'bm:shared') or ''
	local function isset(str, rid)
		local b = string.byte(str, floor(rid / 8) + 1)
		return b and band(b, rshift(128, rid % 8)) ~= 0
	end
	local picked, last, also = {}, nil, {}
	each_bit(s, from, function(rid)
		if #picked >= limit then
			last = rid
			return true
		end
		local keep, others = true, {}
		if isset(shared, rid) then
			local ph = redis.call('HGET', P .. 'res:sphone', rid)
			local list = ph and redis.call('HGET', P .. 'res:phones',
			    ph)
			for r in string.gmatch(list or '', '%d+') do
				local n = tonumber(r)
				if n ~= rid and isset(s, n) then
					if n < rid then
						keep = false
						break
					end
					others[#others + 1] = r
				end
			end
		end
		if keep then
			picked[#picked + 1] = rid
			if #others > 0 then
				also[rid] = others
			end
		end
	end)
	out[1] = last or -1
	-- Records, one HMGET per bucket.
	local byb, order = {}, {}
	for _, rid in ipairs(picked) do
		local b = bucket(rid)
		if not byb[b] then
			byb[b] = {}
			order[#order + 1] = b
		end
		local t = byb[b]
		t[#t + 1] = rid
	end
	for _, b in ipairs(order) do
		local got = redis.call('HMGET', b, unpack(byb[b]))
		for k, rid in ipairs(byb[b]) do
			local o = unrecord(got[k])
			if o then
				local groups = o.groups
				-- One message serves every matching resident
				-- of a shared phone: it counts for their
				-- groups too.
				for _, r in ipairs(also[rid] or {}) do
					local m = unrecord(redis.call('HGET',
					    bucket(r), r))
					if m and m.groups ~= '' then
						groups = groups .. ';' .. m.groups
					end
				end
				out[#out + 1] = rid
				out[#out + 1] = o.phone
				out[#out + 1] = o.name
				out[#out + 1] = o.district
				out[#out + 1] = groups
			end
		end
	end
	return out
end

local ops = { upsert = upsert, remove = remove, optout = optout,
    count = count, list = list, save_match = save_match, expand = expand }
local fn = ops[OP]
if not fn then
	return redis.error_reply('registry.lua: unknown operation ' ..
	    tostring(OP))
end
return fn()
