#!/usr/bin/env python3
# tests/luaops.py: direct tests of the Lua operations (src/lua/*.lua)
# against a real redis-server, called the way civicastd calls them
# (src/script.c: EVALSHA sha 0 PREFIX OP ARGS...).  Run by
# tests/integration/lua-outbox.sh, lua-registry.sh and lua-retention.sh:
#   luaops.py outbox|registry|retention SOCKET TOP_SRCDIR
# Prints "ok N - what" per check; the first failed check exits 1.
import os
import sys

SUITE, SOCK, TOP = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, os.path.join(TOP, 'bench'))
from resp import R  # noqa: E402

P = 't:'
r = R(SOCK)
N = [0]


def ok(what):
	N[0] += 1
	print('ok %d - %s' % (N[0], what))
	sys.stdout.flush()


def fail(what):
	print('FAIL: %s' % what)
	sys.exit(1)


def eq(what, got, want):
	if got != want:
		fail('%s: got %r, want %r' % (what, got, want))
	ok(what)


def load(name):
	with open(os.path.join(TOP, 'src', 'lua', name + '.lua'), 'rb') as f:
		src = f.read().decode()
	return r.cmd('SCRIPT', 'LOAD', src)


SHA = {}


def op(script, name, *args):
	return r.cmd('EVALSHA', SHA[script], 0, P, name, *args)


def op_err(script, name, *args):
	try:
		op(script, name, *args)
	except RuntimeError as e:
		return str(e)
	return None


def h(key, field):
	return r.cmd('HGET', P + key, field)


def hall(key):
	v = r.cmd('HGETALL', P + key)
	return dict(zip(v[0::2], v[1::2]))


def msg(e, rid):
	return hall('msg:%s:%s' % (e, rid))


def nstate(e):
	"""The event's non-zero n:<state> counters."""
	d = hall('ev:%s' % e)
	return dict((k[2:], int(v)) for k, v in d.items()
	    if k.startswith('n:') and int(v) != 0)


def zscore(key, m):
	v = r.cmd('ZSCORE', P + key, m)
	return None if v is None else int(float(v))


def lrange(key):
	return r.cmd('LRANGE', P + key, 0, -1)


def smembers(key):
	return sorted(r.cmd('SMEMBERS', P + key))


# ---------------------------------------------------------------- outbox

def ob(name, *args):
	return op('outbox', name, *args)


SEQ = [0]


def accept(dept='mzj', id=None, kind='alert', prio='routine', ref='',
    now=1000, nb=0, exp=0, text='正文', sid=None, publisher=None,
    verified=None):
	"""accept with the daemon's 16 (or 15, 14) arguments; the reply."""
	SEQ[0] += 1
	if id is None:
		id = 'ev%d' % SEQ[0]
	if sid is None:
		sid = '%d-0' % (1000 + SEQ[0])
	a = [dept, id, sid, kind, prio, ref, '{"j":1}', 'sig', now, nb, exp,
	    text, '【嵊州民政】', 'tmpl']
	if publisher is not None:
		a.append(publisher)
		if verified is not None:
			a.append(verified)
	return ob('accept', *a)


def res(rid, phone=None, text='', d='330683102', g='elderly'):
	if phone is None:
		phone = '1380013%04d' % rid
	return [rid, phone, text, d, g]


def enqueue(e, frm, nxt, last, now, rows):
	a = [e, frm, nxt, 1 if last else 0, now]
	for x in rows:
		a += x
	return ob('enqueue', *a)


def event(n, prio='routine', now=1000, exp=0, nb=0, first=1, text=''):
	"""A new active event with n messages (rids first..first+n-1)."""
	e = accept(prio=prio, now=now, exp=exp, nb=nb)[1]
	enqueue(e, 0, n, True, now, [res(first + i, text=text)
	    for i in range(n)])
	return e


def take(inst='a', now=2000, lease=30000, mx=100, held=None):
	a = [inst, now, lease, mx]
	if held is not None:
		a.append(held)
	v = ob('take', *a)
	return [v[i:i + 8] for i in range(0, len(v), 8)]


def done(inst, now, *rows):
	a = [inst, now]
	for x in rows:
		a += list(x)
	return ob('done', *a)


def reset():
	r.cmd('FLUSHALL')


def t_outbox_accept():
	reset()
	v = accept(id='a1', sid='1-0', now=1000, nb=0, exp=9000,
	    publisher='alice')
	eq('accept: a new event', v, ['new', '1'])
	ev = hall('ev:1')
	eq('accept: the event is resolving', ev.get('state'), 'resolving')
	eq('accept: its fields', (ev['dept'], ev['id'], ev['kind'],
	    ev['priority'], ev['stream_id'], ev['expires'], ev['publisher'],
	    ev['cursor'], ev['messages'], ev['references']),
	    ('mzj', 'a1', 'alert', 'routine', '1-0', '9000', 'alice', '0',
	    '0', ''))
	eq('accept: in events:resolving', smembers('events:resolving'), ['1'])
	eq('accept: in events:list by time', zscore('events:list', '1'), 1000)
	eq('accept: ev:ids and ev:sids', (h('ev:ids', 'mzj/a1'),
	    h('ev:sids', '1-0')), ('1', '1'))
	eq('accept: the same entry again is redelivered',
	    accept(id='a1', sid='1-0'), ['redelivered', '1'])
	eq('accept: a redelivery is no duplicate', h('ev:1', 'duplicates'),
	    None)
	eq('accept: the same id from another entry is a duplicate',
	    accept(id='a1', sid='2-0'), ['duplicate', '1'])
	eq('accept: a second duplicate', accept(id='a1', sid='3-0'),
	    ['duplicate', '1'])
	eq('accept: duplicates counted', h('ev:1', 'duplicates'), '2')
	eq('accept: no new event for a duplicate', r.cmd('GET', P + 'ev:seq'),
	    '1')
	eq('accept: the same id in another department is new',
	    accept(dept='jyj', id='a1'), ['new', '2'])
	eq('accept: publisher defaults to empty', h('ev:2', 'publisher'), '')
	eq('accept: an update naming no event', accept(kind='update',
	    ref='zz'), ['noref', ''])
	eq('accept: a cancel naming another department\'s event',
	    accept(dept='jyj', kind='cancel', ref='nothere'), ['noref', ''])
	eq('accept: noref allocates nothing', r.cmd('GET', P + 'ev:seq'), '2')
	v = accept(id='u1', kind='update', ref='a1', now=1500)
	eq('accept: an update is new', v, ['new', '3'])
	eq('accept: the update resolves', h('ev:3', 'state'), 'resolving')
	eq('accept: the update names what it replaces',
	    h('ev:3', 'references'), '1')
	eq('accept: the replaced event is cancelled', (h('ev:1', 'state'),
	    h('ev:1', 'cancelled_by'), h('ev:1', 'stopped')),
	    ('cancelled', '3', '1500'))
	eq('accept: the replaced event drains, stops resolving',
	    (smembers('events:draining'), smembers('events:resolving')),
	    (['1'], ['2', '3']))
	v = accept(dept='jyj', id='c1', kind='cancel', ref='a1', now=1600)
	eq('accept: a cancel is new', v, ['new', '4'])
	eq('accept: a cancel is done at once, never resolving',
	    (h('ev:4', 'state'), '4' in smembers('events:resolving')),
	    ('done', False))
	eq('accept: the cancelled event', h('ev:2', 'state'), 'cancelled')
	eq('accept: a cancel of a cancelled event keeps its first stop',
	    (accept(dept='jyj', id='c2', kind='cancel', ref='a1',
	    now=1700)[0], h('ev:2', 'stopped'), h('ev:2', 'cancelled_by')),
	    ('new', '1600', '5'))


def t_outbox_enqueue():
	reset()
	e = accept(prio='urgent', now=1000)[1]
	rows = [res(1, text='自己的正文', d='330683102', g='elderly;disabled'),
	    res(2, d='330683001', g=''), res(3, d='', g='dibao')]
	eq('enqueue: a first chunk', enqueue(e, 0, 3, False, 1100, rows), 3)
	m = msg(e, 1)
	eq('enqueue: a message', (m['phone'], m['text'], m['d'], m['g'],
	    m['state'], m['attempts'], m['created']),
	    ('13800130001', '自己的正文', '330683102', 'elderly;disabled',
	    'queued', '0', '1100'))
	eq('enqueue: no text field when the text is the event\'s',
	    'text' in msg(e, 2), False)
	eq('enqueue: the queue', lrange('evq:' + e), ['1', '2', '3'])
	eq('enqueue: counters', (nstate(e), h('ev:' + e, 'messages'),
	    h('ev:' + e, 'cursor')), ({'queued': 3}, '3', '3'))
	eq('enqueue: reach targeted', hall('ev:%s:reach' % e),
	    {'t:d:330683102': '1', 't:g:elderly': '1', 't:g:disabled': '1',
	    't:d:330683001': '1', 't:g:dibao': '1'})
	eq('enqueue: still resolving before the last chunk',
	    (h('ev:' + e, 'state'), smembers('events:resolving')),
	    ('resolving', [e]))
	eq('enqueue: a chunk applied already is stale',
	    enqueue(e, 0, 3, False, 1100, rows), -1)
	eq('enqueue: a stale chunk changes nothing', (nstate(e),
	    lrange('evq:' + e)), ({'queued': 3}, ['1', '2', '3']))
	eq('enqueue: a chunk from ahead of the cursor is stale',
	    enqueue(e, 5, 6, False, 1100, [res(9)]), -1)
	r.cmd('SET', P + 'ev:%s:m' % e, 'x')
	eq('enqueue: the last chunk', enqueue(e, 3, 4, True, 1200,
	    [res(4, g='elderly')]), 1)
	eq('enqueue: the last chunk starts the event', (h('ev:' + e, 'state'),
	    h('ev:' + e, 'active'), lrange('active:urgent'),
	    smembers('events:resolving')), ('active', '1', [e], []))
	eq('enqueue: the last chunk drops the match bitmap',
	    r.cmd('EXISTS', P + 'ev:%s:m' % e), 0)
	eq('enqueue: reach adds up', h('ev:%s:reach' % e, 't:g:elderly'), '2')
	# An audience of nobody is done at once.
	e2 = accept(now=1000)[1]
	eq('enqueue: an empty last chunk', enqueue(e2, 0, 0, True, 1000, []),
	    0)
	eq('enqueue: an event of no message is done', h('ev:' + e2, 'state'),
	    'done')
	# A not_before still to come: scheduled.
	e3 = accept(now=1000, nb=5000)[1]
	enqueue(e3, 0, 1, True, 1000, [res(1)])
	eq('enqueue: a not_before to come schedules the event',
	    (h('ev:' + e3, 'state'), zscore('events:scheduled', e3),
	    e3 in lrange('active:routine')), ('scheduled', 5000, False))
	e4 = accept(now=1000, nb=1000)[1]
	enqueue(e4, 0, 1, True, 1000, [res(1)])
	eq('enqueue: a not_before of now starts at once',
	    (h('ev:' + e4, 'state'), e4 in lrange('active:routine')),
	    ('active', True))
	# Cancelled while fanning out.
	e5 = accept(id='c5', now=1000)[1]
	eq('cancel: while resolving', ob('cancel', 'mzj', 'c5', 1100),
	    'cancelled')
	eq('enqueue: after a cancel adds nothing', (enqueue(e5, 0, 1, False,
	    1200, [res(1)]), r.cmd('EXISTS', P + 'msg:%s:1' % e5)), (-2, 0))


def t_outbox_take():
	reset()
	e = event(3, text='')	# the event's text: signature + text
	eq('take: nothing when nothing is active for the priority',
	    take(held='routine'), [])
	eq('take: held priorities stay queued', nstate(e), {'queued': 3})
	eq('take: no lease, no owner', smembers('inflight:owners'), [])
	got = take(inst='a', now=2000, lease=30000, mx=2)
	eq('take: up to MAX', [x[0] for x in got], [e + ':1', e + ':2'])
	eq('take: what a channel needs', got[0], [e + ':1', '13800130001',
	    '【嵊州民政】正文', 1, 'routine', 'mzj', '330683102', ''])
	m = msg(e, 1)
	eq('take: the message is sending', (m['state'], m['attempts'],
	    m['updated']), ('sending', '1', '2000'))
	eq('take: leased to the instance', (zscore('inflight:a', e + ':1'),
	    smembers('inflight:owners')), (32000, ['a']))
	eq('take: counters', nstate(e), {'queued': 1, 'sending': 2})
	eq('take: the event stays in rotation', lrange('active:routine'), [e])
	got = take(inst='a', now=2000, mx=5)
	eq('take: the rest', [x[0] for x in got], [e + ':3'])
	eq('take: an emptied queue leaves the rotation',
	    (lrange('active:routine'), h('ev:' + e, 'active')), ([], '0'))
	eq('take: not done while messages are sending', h('ev:' + e, 'state'),
	    'active')
	eq('take: nothing left', take(now=2000), [])

	# Priorities: emergency first; events of one priority in turn.
	reset()
	r1 = event(3, first=1)
	r2 = event(3, first=10)
	em = event(1, prio='emergency', first=20)
	ur = event(1, prio='urgent', first=30)
	got = take(mx=2)
	eq('take: emergency, then urgent', [x[0] for x in got],
	    [em + ':20', ur + ':30'])
	eq('take: the priority is passed', [x[4] for x in got],
	    ['emergency', 'urgent'])
	got = [take(mx=1)[0][0] for _ in range(4)]
	eq('take: routine events in turn', got, [r1 + ':1', r2 + ':10',
	    r1 + ':2', r2 + ':11'])
	eq('take: an urgent held back in quiet hours',
	    (take(mx=1, held='routine,emergency'), ), ([], ))

	# A message's own text; attempts count up; an avoided channel.
	reset()
	e = event(1, text='个人')
	r.cmd('HSET', P + 'msg:%s:1' % e, 'attempts', 2, 'avoid', 'http1')
	got = take()
	eq('take: a message\'s own text, its attempt, the avoided channel',
	    (got[0][2], got[0][3], got[0][7]), ('个人', 3, 'http1'))

	# Expired, cancelled.
	reset()
	e = event(2, exp=5000)
	eq('take: nothing once the event has expired', take(now=5000), [])
	eq('take: its messages expire', (msg(e, 1)['state'], nstate(e)),
	    ('expired', {'expired': 2}))
	e = event(2, exp=5000, first=10)
	eq('take: a millisecond before expiry still goes',
	    len(take(now=4999)), 2)
	reset()
	e = event(2)
	r.cmd('HSET', P + 'ev:' + e, 'state', 'cancelled')
	eq('take: nothing of a cancelled event', take(), [])
	eq('take: a cancelled event leaves the rotation',
	    (lrange('active:routine'), h('ev:' + e, 'active'),
	    lrange('evq:' + e)), ([], '0', ['1', '2']))
	reset()
	e = event(2)
	r.cmd('HSET', P + 'msg:%s:1' % e, 'state', 'cancelled')
	eq('take: a message no longer queued is skipped',
	    [x[0] for x in take()], [e + ':2'])


def t_outbox_done():
	reset()
	e = event(8, exp=100000)
	take(inst='a', now=2000, mx=8)
	ids = [e + ':%d' % i for i in range(1, 9)]
	n = done('a', 3000,
	    (ids[0], 'ok', 'm1', '17', '', 0, 1),
	    (ids[1], 'permfail', 'http1', '', 'bad number', 0, 0),
	    (ids[2], 'tempfail', 'http1', '', 'timeout', 9000, 0),
	    (ids[3], 'tempfail', 'http1', '', 'timeout', 0, 0),
	    (ids[4], 'tempfail', 'http1', '', 'timeout', 100000, 0),
	    (ids[5], 'unknown', 'm1', '18', 'no answer', 0, 1),
	    (ids[6], 'requeue', '', '', '', 0, 0),
	    (ids[7], 'ok', 'http1', 'abc', '', 0, 0))
	eq('done: every held message counted', n, 8)
	m = msg(e, 1)
	eq('done: ok is sent, with channel and ref', (m['state'],
	    m['channel'], m['ref'], m['updated']), ('sent', 'm1', '17',
	    '3000'))
	eq('done: a reporting channel keeps the reference',
	    r.cmd('GET', P + 'ref:m1:17:13800130001'), ids[0])
	ttl = r.cmd('TTL', P + 'ref:m1:17:13800130001')
	eq('done: for three days', 3 * 86400 - 5 <= ttl <= 3 * 86400, True)
	eq('done: no reference kept for a channel without reports',
	    r.cmd('EXISTS', P + 'ref:http1:abc:13800130008'), 0)
	eq('done: permfail fails, with the error', (msg(e, 2)['state'],
	    msg(e, 2)['error']), ('failed', 'bad number'))
	m = msg(e, 3)
	eq('done: a tempfail to retry is queued, avoiding the channel',
	    (m['state'], m['avoid'], m['error'], zscore('retry', ids[2])),
	    ('queued', 'http1', 'timeout', 9000))
	eq('done: a tempfail out of attempts fails', msg(e, 4)['state'],
	    'failed')
	eq('done: a retry at expires is too late', (msg(e, 5)['state'],
	    zscore('retry', ids[4])), ('expired', None))
	eq('done: unknown is kept apart', (msg(e, 6)['state'],
	    zscore('unknown', ids[5]),
	    r.cmd('GET', P + 'ref:m1:18:13800130006')),
	    ('unknown', 3000, ids[5]))
	m = msg(e, 7)
	eq('done: requeue goes back to the front, the attempt not counted',
	    (m['state'], m['attempts'], lrange('evq:' + e),
	    lrange('active:routine')), ('queued', '0', ['7'], [e]))
	eq('done: counters', nstate(e), {'sent': 2, 'failed': 2,
	    'queued': 2, 'expired': 1, 'unknown': 1})
	eq('done: reach sent', (h('ev:%s:reach' % e, 's:d:330683102'),
	    h('ev:%s:reach' % e, 's:g:elderly')), ('2', '2'))
	eq('done: the leases are given back', r.cmd('ZCARD', P + 'inflight:a'),
	    0)
	eq('done: a message not held is ignored', done('a', 3100,
	    (ids[0], 'permfail', 'm1', '', 'x', 0, 0)), 0)
	eq('done: ... and left as it was', msg(e, 1)['state'], 'sent')
	eq('done: a malformed id is ignored', done('a', 3100,
	    ('junk', 'ok', 'm1', '', '', 0, 0)), 0)

	# The error of an earlier attempt goes when the next one succeeds.
	got = take(inst='a', now=4000)
	eq('done: requeued message taken again', [x[0] for x in got], [ids[6]])
	r.cmd('HSET', P + 'msg:' + ids[6], 'error', 'earlier')
	done('a', 4100, (ids[6], 'ok', 'http1', 'r7', '', 0, 0))
	eq('done: an old error is cleared', 'error' in msg(e, 7), False)

	# A new error replaces the one of an earlier attempt.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'tempfail', 'http1', '', 'first', 2500, 0))
	ob('tick', 2500)
	take(inst='a', now=2600)
	done('a', 2700, (e + ':1', 'permfail', 'http2', '', 'second', 0, 0))
	eq('done: the last error is kept', (msg(e, 1)['error'],
	    msg(e, 1)['state'], msg(e, 1)['channel']), ('second', 'failed',
	    'http2'))

	# Defer: held by a limit, not an attempt.
	reset()
	e = event(2, exp=10000)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'defer', 'http1', '', '', 5000, 0),
	    (e + ':2', 'defer', 'http1', '', '', 10000, 0))
	m = msg(e, 1)
	eq('done: defer waits, the attempt not counted', (m['state'],
	    m['attempts'], zscore('retry', e + ':1'), 'avoid' in m),
	    ('queued', '0', 5000, False))
	eq('done: defer past expires expires', (msg(e, 2)['state'],
	    zscore('retry', e + ':2')), ('expired', None))
	e2 = event(1, first=5)
	take(inst='a', now=2000)
	done('a', 2100, (e2 + ':5', 'defer', 'http1', '', '', 99999999, 0))
	eq('done: defer of an event that never expires',
	    msg(e2, 5)['state'], 'queued')

	# All final: done.
	reset()
	e = event(2)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'ok', 'http1', '', '', 0, 0))
	eq('done: not done with a message still sending',
	    h('ev:' + e, 'state'), 'active')
	done('a', 2200, (e + ':2', 'permfail', 'http1', '', 'x', 0, 0))
	eq('done: the event is done once every message is final',
	    h('ev:' + e, 'state'), 'done')

	# A tempfail without expiry retries.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'tempfail', '', '', 'busy', 2500, 0))
	eq('done: a tempfail of an event that never expires retries',
	    (msg(e, 1)['state'], 'avoid' in msg(e, 1)), ('queued', False))


def t_outbox_cancel_during_send():
	reset()
	e = accept(id='cx', now=1000)[1]
	enqueue(e, 0, 4, True, 1000, [res(i) for i in range(1, 5)])
	take(inst='a', now=2000, mx=3)
	r.cmd('SET', P + 'ev:%s:m' % e, 'x')
	eq('cancel: during a send', ob('cancel', 'mzj', 'cx', 2500),
	    'cancelled')
	eq('cancel: no match bitmap left', r.cmd('EXISTS', P + 'ev:%s:m' % e),
	    0)
	eq('cancel: the event stops and drains', (h('ev:' + e, 'state'),
	    h('ev:' + e, 'stopped'), smembers('events:draining')),
	    ('cancelled', '2500', [e]))
	done('a', 3000, (e + ':1', 'ok', 'http1', 'r1', '', 0, 0),
	    (e + ':2', 'tempfail', 'http1', '', 'timeout', 4000, 0),
	    (e + ':3', 'permfail', 'http1', '', 'bad', 0, 0))
	eq('cancel: a message that went is sent', msg(e, 1)['state'], 'sent')
	eq('cancel: no second try for a stopped event', (msg(e, 2)['state'],
	    zscore('retry', e + ':2')), ('cancelled', None))
	eq('cancel: a permanent failure still fails', msg(e, 3)['state'],
	    'failed')
	eq('cancel: the event stays cancelled', h('ev:' + e, 'state'),
	    'cancelled')
	eq('drain: the queue of a cancelled event', ob('drain', e, 3100, 10),
	    0)
	eq('drain: its queued message is cancelled', (msg(e, 4)['state'],
	    nstate(e)), ('cancelled', {'sent': 1, 'cancelled': 2,
	    'failed': 1}))
	eq('drain: no longer draining', (smembers('events:draining'),
	    h('ev:' + e, 'active')), ([], '0'))
	eq('cancel: again keeps the state', ob('cancel', 'mzj', 'cx', 3200),
	    'cancelled')
	eq('cancel: an unknown event', ob('cancel', 'mzj', 'nothere', 3200),
	    '')
	e2 = accept(id='dn', now=1000)[1]
	enqueue(e2, 0, 0, True, 1000, [])
	eq('cancel: a done event stays done', (ob('cancel', 'mzj', 'dn',
	    3300), h('ev:' + e2, 'state'), e2 in smembers('events:draining')),
	    ('done', 'done', False))
	e3 = event(1, exp=3000, first=7)
	ob('tick', 3000)
	eq('cancel: an expired event stays expired',
	    (ob('stop', e3, 'cancelled', 3500, 'why'), h('ev:' + e3, 'state')),
	    ('expired', 'expired'))
	e4 = event(1, first=8)
	eq('stop: stops with a reason', (ob('stop', e4, 'cancelled', 3600,
	    'template gone'), h('ev:' + e4, 'reason'),
	    h('ev:' + e4, 'stopped')), ('cancelled', 'template gone', '3600'))
	# Scheduled then cancelled: never starts.
	e5 = accept(id='sc', now=1000, nb=9000)[1]
	enqueue(e5, 0, 1, True, 1000, [res(9)])
	ob('cancel', 'mzj', 'sc', 2000)
	eq('cancel: a scheduled event leaves the schedule',
	    zscore('events:scheduled', e5), None)
	ob('tick', 9500)
	eq('cancel: ... and does not start at its not_before',
	    h('ev:' + e5, 'state'), 'cancelled')
	eq('drain: of a cancelled event never started',
	    (ob('drain', e5, 9600, 10), msg(e5, 9)['state']),
	    (0, 'cancelled'))


def t_outbox_drain():
	reset()
	e = event(5, exp=3000)
	eq('tick: an active event past expires', ob('tick', 3000) >= 1, True)
	eq('tick: expired, draining', (h('ev:' + e, 'state'),
	    h('ev:' + e, 'stopped'), smembers('events:draining')),
	    ('expired', '3000', [e]))
	eq('drain: MAX at a time, how many remain', ob('drain', e, 3100, 2), 3)
	eq('drain: an expired event\'s messages expire',
	    (msg(e, 1)['state'], msg(e, 1)['updated'], msg(e, 3)['state']),
	    ('expired', '3100', 'queued'))
	eq('drain: still draining', smembers('events:draining'), [e])
	eq('drain: the rest', ob('drain', e, 3200, 3), 0)
	eq('drain: counters', nstate(e), {'expired': 5})
	eq('drain: done draining', (smembers('events:draining'),
	    lrange('evq:' + e)), ([], []))
	eq('drain: again, nothing', ob('drain', e, 3300, 3), 0)
	# A queue may name a message already final (sent after a requeue
	# race) or one whose record is gone: neither is counted again.
	e2 = event(2, first=10)
	r.cmd('HSET', P + 'msg:%s:10' % e2, 'state', 'sent')
	r.cmd('HINCRBY', P + 'ev:' + e2, 'n:queued', -1)
	r.cmd('HINCRBY', P + 'ev:' + e2, 'n:sent', 1)
	r.cmd('RPUSH', P + 'evq:' + e2, 99)
	ob('stop', e2, 'cancelled', 4000, 'test')
	eq('drain: a final message and a missing one', ob('drain', e2, 4100,
	    10), 0)
	eq('drain: ... are left alone', (msg(e2, 10)['state'], msg(e2, 99),
	    nstate(e2)), ('sent', {}, {'sent': 1, 'cancelled': 1}))
	eq('drain: a drained message is not drained twice', nstate(e),
	    {'expired': 5})


def t_outbox_tick():
	reset()
	e = event(3, exp=50000)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'tempfail', 'http1', '', 't', 5000, 0),
	    (e + ':2', 'tempfail', 'http1', '', 't', 6000, 0),
	    (e + ':3', 'ok', 'http1', '', '', 0, 0))
	eq('tick: nothing due yet', ob('tick', 4999), 0)
	eq('tick: one retry due', ob('tick', 5000), 1)
	eq('tick: the due one is back in its queue', (lrange('evq:' + e),
	    zscore('retry', e + ':1'), zscore('retry', e + ':2'),
	    lrange('active:routine')), (['1'], None, 6000, [e]))
	take(inst='a', now=5100)
	done('a', 5200, (e + ':1', 'ok', 'http1', '', '', 0, 0))
	eq('tick: the event waits for its retry', h('ev:' + e, 'state'),
	    'active')
	r.cmd('HSET', P + 'ev:' + e, 'state', 'done')	# as after a restart
	eq('tick: the second retry', ob('tick', 6000), 1)
	eq('tick: a retry brings a done event back', (h('ev:' + e, 'state'),
	    lrange('active:routine')), ('active', [e]))
	# A retry of a stopped event is closed.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'tempfail', 'http1', '', 't', 5000, 0))
	ob('stop', e, 'expired', 2200, 'x')
	eq('tick: a retry of an expired event', ob('tick', 5000), 1)
	eq('tick: ... ends expired', (msg(e, 1)['state'], nstate(e),
	    lrange('evq:' + e)), ('expired', {'expired': 1}, []))
	# Scheduled events start.
	reset()
	e = accept(now=1000, nb=8000)[1]
	enqueue(e, 0, 1, True, 1000, [res(1)])
	eq('tick: a scheduled event waits', (ob('tick', 7999),
	    h('ev:' + e, 'state')), (0, 'scheduled'))
	eq('tick: ... and starts at its not_before', ob('tick', 8000), 1)
	eq('tick: started', (h('ev:' + e, 'state'), lrange('active:routine'),
	    zscore('events:scheduled', e)), ('active', [e], None))
	# Expiry, every priority; not before its time.
	reset()
	es = [event(1, prio=p, exp=9000, first=i)
	    for i, p in enumerate(('emergency', 'urgent', 'routine'), 1)]
	eq('tick: nothing expires before its time', (ob('tick', 8999),
	    [h('ev:' + x, 'state') for x in es]), (0, ['active'] * 3))
	eq('tick: every priority expires', (ob('tick', 9000),
	    [h('ev:' + x, 'state') for x in es]), (3, ['expired'] * 3))
	eq('tick: expired events drain', smembers('events:draining'),
	    sorted(es))
	eq('tick: an expired event is not stopped twice', ob('tick', 9500), 0)
	e = event(1, first=9)
	eq('tick: an event without expiry never expires', (ob('tick', 10**12),
	    h('ev:' + e, 'state')), (0, 'active'))
	# Messages still queued when their event expires (held back by a
	# slow rate, quiet hours or a budget) are never handed out.
	reset()
	e = event(3, exp=9000)
	take(inst='a', now=2000, mx=1)
	done('a', 2100, (e + ':1', 'defer', 'http1', '', '', 4000, 0))
	ob('tick', 9000)
	eq('tick: after expiry nothing is taken', take(now=9001), [])
	ob('drain', e, 9002, 10)
	ob('tick', 9003)
	eq('tick: held-back messages end expired', nstate(e), {'expired': 3})


def t_outbox_unknown():
	reset()
	e = event(2)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'unknown', 'm1', '5', 'lost', 0, 1),
	    (e + ':2', 'ok', 'm1', '6', '', 0, 1))
	eq('unknown: the event is done', h('ev:' + e, 'state'), 'done')
	eq('tick: unknown outcomes not resent without a policy',
	    (ob('tick', 99999), ob('tick', 99999, 0), msg(e, 1)['state']),
	    (0, 0, 'unknown'))
	eq('tick: not resent before their time', (ob('tick', 3099, 1000),
	    msg(e, 1)['state']), (0, 'unknown'))
	eq('tick: resent after unknown_resend', ob('tick', 3100, 1000), 1)
	m = msg(e, 1)
	eq('tick: a resent unknown is queued, and says why', (m['state'],
	    m['error'], zscore('unknown', e + ':1'), lrange('evq:' + e)),
	    ('queued', 'resent: outcome unknown', None, ['1']))
	eq('tick: a resend brings the event back', (h('ev:' + e, 'state'),
	    lrange('active:routine'), nstate(e)), ('active', [e],
	    {'queued': 1, 'sent': 1}))
	# Unknown of a cancelled event: not resent.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'unknown', 'm1', '5', 'lost', 0, 1))
	r.cmd('HSET', P + 'ev:' + e, 'state', 'cancelled')
	eq('tick: an unknown of a cancelled event is not resent',
	    (ob('tick', 9999, 1000), msg(e, 1)['state'],
	    zscore('unknown', e + ':1')), (0, 'unknown', None))


def t_outbox_requeue():
	reset()
	e = event(3)
	take(inst='a', now=2000, lease=1000, mx=2)
	take(inst='b', now=2500, lease=1000, mx=1)
	eq('renew: extends held leases only', ob('renew', 'a', 2800, 1000,
	    e + ':1', e + ':9'), 2)
	eq('renew: ... the held one', (zscore('inflight:a', e + ':1'),
	    zscore('inflight:a', e + ':2'), zscore('inflight:a', e + ':9')),
	    (3800, 3000, None))
	eq('requeue: only expired leases of an instance',
	    ob('requeue', 'a', 3000, 0), 1)
	eq('requeue: the expired one is back, attempts kept',
	    (msg(e, 2)['state'], msg(e, 2)['attempts'], lrange('evq:' + e),
	    msg(e, 1)['state']), ('queued', '1', ['2'], 'sending'))
	eq('requeue: owners kept while leases remain',
	    smembers('inflight:owners'), ['a', 'b'])
	eq('requeue: a lease not yet expired stays', ob('requeue', 'a', 3799,
	    0), 0)
	# The reclaimed message is taken by another instance; the first one's
	# late result must not overwrite it.
	got = take(inst='b', now=3100, lease=1000)
	eq('requeue: the reclaimed message goes to another instance',
	    ([x[0] for x in got], got[0][3]), ([e + ':2'], 2))
	eq('done: a late result for a reclaimed lease is ignored',
	    done('a', 3200, (e + ':2', 'permfail', 'x', '', 'late', 0, 0)), 0)
	eq('done: ... the message is still with the new holder',
	    msg(e, 2)['state'], 'sending')
	eq('requeue: all of an instance\'s leases at restart',
	    ob('requeue', 'b', 3300, 1), 2)
	eq('requeue: all back in the queue', (sorted(lrange('evq:' + e)),
	    r.cmd('ZCARD', P + 'inflight:b'), smembers('inflight:owners')),
	    (['2', '3'], 0, ['a']))
	eq('requeue: counters', nstate(e), {'queued': 2, 'sending': 1})
	done('a', 3400, (e + ':1', 'ok', 'x', '', '', 0, 0))
	take(inst='a', now=3500)
	done('a', 3600, (e + ':2', 'ok', 'x', '', '', 0, 0),
	    (e + ':3', 'ok', 'x', '', '', 0, 0))
	eq('requeue: the event finishes', h('ev:' + e, 'state'), 'done')
	# A message in flight of a done event (a crash between take and done
	# cannot leave one, but a state changed by hand can): requeued, the
	# event is active again.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	r.cmd('HSET', P + 'ev:' + e, 'state', 'done')
	eq('requeue: of a done event', ob('requeue', 'a', 2100, 1), 1)
	eq('requeue: the event is active again', (h('ev:' + e, 'state'),
	    lrange('active:routine')), ('active', [e]))
	eq('requeue: a message no longer sending is only unleased',
	    (take(inst='a', now=2200) != [], done('a', 2300, (e + ':1', 'ok',
	    'x', '', '', 0, 0)), ob('requeue', 'a', 2400, 1)), (True, 1, 0))


def t_outbox_report():
	reset()
	e = event(4)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'ok', 'm1', '10', '', 0, 1),
	    (e + ':2', 'ok', 'm1', '11', '', 0, 1),
	    (e + ':3', 'unknown', 'm1', '12', 'lost', 0, 1),
	    (e + ':4', 'permfail', 'm1', '13', 'bad', 0, 1))
	eq('report: a reference is kept for sent and unknown only',
	    [r.cmd('EXISTS', P + 'ref:m1:%d:1380013000%d' % (9 + i, i))
	    for i in range(1, 5)], [1, 1, 1, 0])
	eq('report: delivered', ob('report', 3000, 'm1', '10', '13800130001',
	    1, 'ok'), 1)
	m = msg(e, 1)
	eq('report: the message is delivered', (m['state'], m['updated'],
	    m['report']), ('delivered', '3000', 'ok'))
	eq('report: reach delivered', (h('ev:%s:reach' % e, 'd:d:330683102'),
	    h('ev:%s:reach' % e, 'd:g:elderly')), ('1', '1'))
	eq('report: a sent message delivered was counted sent already',
	    h('ev:%s:reach' % e, 's:g:elderly'), '2')
	eq('report: the reference is used up',
	    r.cmd('EXISTS', P + 'ref:m1:10:13800130001'), 0)
	eq('report: a repeated report changes nothing', ob('report', 3100,
	    'm1', '10', '13800130001', -1, 'late'), 0)
	eq('report: ... still delivered', msg(e, 1)['state'], 'delivered')
	eq('report: a failed report', ob('report', 3200, 'm1', '11',
	    '13800130002', -1, 'TP-ST 65'), 1)
	m = msg(e, 2)
	eq('report: the message fails with the detail', (m['state'],
	    m['report']), ('failed', 'TP-ST 65'))
	eq('report: a failure does not count as delivered',
	    h('ev:%s:reach' % e, 'd:d:330683102'), '1')
	eq('report: the reference of another phone does not match',
	    ob('report', 3300, 'm1', '12', '13800130001', 1, 'x'), 0)
	eq('report: an unknown outcome delivered', ob('report', 3400, 'm1',
	    '12', '13800130003', 1, 'ok'), 1)
	eq('report: ... is delivered, sent and out of the unknown set',
	    (msg(e, 3)['state'], zscore('unknown', e + ':3'),
	    h('ev:%s:reach' % e, 's:g:elderly'),
	    h('ev:%s:reach' % e, 'd:g:elderly')), ('delivered', None, '3', '2'))
	eq('report: counters', nstate(e), {'delivered': 2, 'failed': 2})
	eq('report: several in one call, one unmatched',
	    ob('report', 3500, 'm1', '99', '13800130001', 1, '', 'm2', '10',
	    '13800130001', 1, ''), 0)
	# A report of a message whose record is gone (purged): nothing.
	r.cmd('SET', P + 'ref:m1:50:13800130009', e + ':9')
	eq('report: for a message no longer there', ob('report', 3600, 'm1',
	    '50', '13800130009', 1, ''), 0)
	# A failed report of an unknown outcome: failed, reach unchanged.
	reset()
	e = event(1)
	take(inst='a', now=2000)
	done('a', 2100, (e + ':1', 'unknown', 'm1', '20', 'lost', 0, 1))
	ob('report', 2200, 'm1', '20', '13800130001', -1, 'TP-ST 70')
	eq('report: a failed unknown outcome', (msg(e, 1)['state'],
	    zscore('unknown', e + ':1'), h('ev:%s:reach' % e, 's:g:elderly'),
	    nstate(e)), ('failed', None, None, {'failed': 1}))


def held_event(publisher, verified, exp=0, now=1000):
	"""An accepted event held for approval (hold from resolving)."""
	e = accept(publisher=publisher, verified=verified, now=now, exp=exp)[1]
	eq('hold: a resolving event waits', ob('hold', e, now + 1, 'big'),
	    'pending_approval')
	return e


def t_outbox_approval():
	reset()
	e = accept(publisher='alice', verified='1')[1]
	eq('accept: a signed publisher is verified',
	    (h('ev:%s' % e, 'publisher'), h('ev:%s' % e, 'publisher_verified')),
	    ('alice', '1'))
	e2 = accept(publisher='bob', verified='0')[1]
	eq('accept: a claimed publisher is not', h('ev:%s' % e2,
	    'publisher_verified'), '0')
	e3 = accept(publisher='bob', verified='yes')[1]
	eq('accept: only "1" verifies', h('ev:%s' % e3, 'publisher_verified'),
	    '0')
	eq('hold: from resolving', ob('hold', e, 1001, '5 phones'),
	    'pending_approval')
	eq('hold: the event waits, out of resolving, in pending',
	    (h('ev:%s' % e, 'state'), h('ev:%s' % e, 'held_for'),
	    h('ev:%s' % e, 'held_at'), e in smembers('events:resolving'),
	    smembers('events:pending')), ('pending_approval', '5 phones',
	    '1001', False, [e]))
	eq('hold: again is a no-op answering the state',
	    ob('hold', e, 1002, 'x'), 'pending_approval')
	eq('hold: of an unknown event', ob('hold', 99, 1002, 'x'), '')
	eq('approve: the verified publisher is refused',
	    ob('approve', e, 'alice', 1003), ['self', 'alice'])
	eq('reject: the publisher is refused', ob('reject', e, 'alice', 1003,
	    'no'), ['self', 'alice'])
	eq('approve: still held', h('ev:%s' % e, 'state'), 'pending_approval')
	eq('approve: another operator releases a verified event at once',
	    ob('approve', e, 'carol', 1004), ['approved', ''])
	eq('approve: back to resolving, approved by carol',
	    (h('ev:%s' % e, 'state'), h('ev:%s' % e, 'approved'),
	    smembers('events:pending'), e in smembers('events:resolving')),
	    ('resolving', 'carol', [], True))
	eq('approve: twice finds it resolving', ob('approve', e, 'dave', 1005),
	    ['state', 'resolving'])
	eq('approve: an unknown event', ob('approve', 99, 'dave', 1005),
	    ['unknown', ''])

	# Unverified: two different operators, the claimed publisher never.
	u = held_event('bob', '0')
	eq('approve: the claimed publisher is refused too',
	    ob('approve', u, 'bob', 1010), ['self', 'bob'])
	eq('approve: a first operator', ob('approve', u, 'carol', 1011),
	    ['first', ''])
	eq('approve: recorded, still held', (h('ev:%s' % u, 'approved_1'),
	    h('ev:%s' % u, 'state')), ('carol', 'pending_approval'))
	eq('approve: the same operator again', ob('approve', u, 'carol', 1012),
	    ['again', 'carol'])
	eq('approve: a second, different operator releases it',
	    ob('approve', u, 'dave', 1013), ['approved', 'carol'])
	eq('approve: released', h('ev:%s' % u, 'state'), 'resolving')
	n = held_event('', '0')
	eq('approve: an empty publisher: first', ob('approve', n, 'carol',
	    1014), ['first', ''])
	eq('approve: still held', h('ev:%s' % n, 'state'), 'pending_approval')

	# Reject, cancel, expiry: each ends the hold, none can be undone.
	j = held_event('bob', '1')
	eq('reject: another operator', ob('reject', j, 'carol', 1020,
	    'wrong text'), ['rejected', ''])
	eq('reject: cancelled with the reason and who',
	    (h('ev:%s' % j, 'state'), h('ev:%s' % j, 'reason'),
	    h('ev:%s' % j, 'rejected_by'), j in smembers('events:pending'),
	    j in smembers('events:draining')),
	    ('cancelled', 'wrong text', 'carol', False, True))
	eq('approve after reject', ob('approve', j, 'dave', 1021),
	    ['state', 'cancelled'])
	c = held_event('bob', '1')
	d, i = h('ev:%s' % c, 'dept'), h('ev:%s' % c, 'id')
	eq('cancel: a held event', ob('cancel', d, i, 1030), 'cancelled')
	eq('cancel: no longer pending', c in smembers('events:pending'), False)
	eq('approve after cancel', ob('approve', c, 'dave', 1031),
	    ['state', 'cancelled'])
	x = held_event('bob', '1', exp=5000)
	eq('approve: at expiry it expires instead', ob('approve', x, 'dave',
	    5000), ['state', 'expired'])
	eq('approve: the event expired, out of pending',
	    (h('ev:%s' % x, 'state'), x in smembers('events:pending')),
	    ('expired', False))
	y = held_event('bob', '1', exp=6000)
	eq('reject: at expiry it expires instead', ob('reject', y, 'dave',
	    6001, 'late'), ['state', 'expired'])
	t1 = held_event('bob', '1', exp=7000)
	t2 = held_event('bob', '1', exp=0)
	ob('tick', 6999)
	eq('tick: a held event before its expiry stays',
	    h('ev:%s' % t1, 'state'), 'pending_approval')
	ob('tick', 7000)
	eq('tick: a held event expires at its expiry',
	    (h('ev:%s' % t1, 'state'), t1 in smembers('events:pending'),
	    h('ev:%s' % t2, 'state')), ('expired', False, 'pending_approval'))

	# Review flags; refuse cancels and dead-letters in one step.
	eq('review', ob('review', t2, 'over 5'), 1)
	eq('review: flagged', (h('ev:%s' % t2, 'review'),
	    h('ev:%s' % t2, 'review_for')), ('needed', 'over 5'))
	f = accept(publisher='bob', verified='1', sid='777-0')[1]
	eq('refuse: a resolving event', ob('refuse', f, 8000,
	    '2026-12-01T00:00:00+08:00', 'over max_audience'), 'cancelled')
	dl = r.cmd('XRANGE', P + 'events:rejected', '-', '+')
	eq('refuse: one dead letter', len(dl), 1)
	fl = dict(zip(dl[0][1][0::2], dl[0][1][1::2]))
	eq('refuse: with the event, its reason, entry and time',
	    (fl['event'], fl['reason'], fl['stream_id'], fl['rejected_at']),
	    ('{"j":1}', 'over max_audience', '777-0',
	    '2026-12-01T00:00:00+08:00'))
	eq('refuse: the event cancelled with the reason',
	    (h('ev:%s' % f, 'state'), h('ev:%s' % f, 'reason')),
	    ('cancelled', 'over max_audience'))
	eq('refuse: again answers the state, no second letter',
	    (ob('refuse', f, 8001, 'x', 'y'),
	    r.cmd('XLEN', P + 'events:rejected')), ('cancelled', 1))
	eq('refuse: an unknown event', ob('refuse', 99, 8001, 'x', 'y'), '')


def t_outbox_sim():
	reset()
	eq('sim_times: nothing kept', ob('sim_times', 'imsi1', 10000, 3600000,
	    3), [])
	for ms in (1000, 2000, 3000, 4000):
		ob('sim_add', 'imsi1', ms, 3600000, 3)
	eq('sim_add: the newest DEPTH kept', ob('sim_times', 'imsi1', 5000,
	    3600000, 3), [2000, 3000, 4000])
	eq('sim_times: DEPTH below what is kept', ob('sim_times', 'imsi1',
	    5000, 3600000, 2), [3000, 4000])
	eq('sim_times: only inside the horizon at NOW',
	    ob('sim_times', 'imsi1', 3602500, 3600000, 10), [3000, 4000])
	eq('sim_times: a part exactly HORIZON old no longer counts',
	    ob('sim_times', 'imsi1', 3603000, 3600000, 10), [4000])
	eq('sim_add: members unique for parts in the same ms',
	    (ob('sim_add', 'imsi2', 500, 1000, 5),
	    ob('sim_add', 'imsi2', 500, 1000, 5)), (1, 2))
	ob('sim_add', 'imsi2', 1501, 1000, 5)
	eq('sim_add: parts older than the horizon dropped',
	    r.cmd('ZCARD', P + 'sim:imsi2'), 1)
	ttl = r.cmd('PTTL', P + 'sim:imsi2')
	eq('sim_add: kept a second past the horizon', 1000 < ttl <= 2000, True)
	eq('sim_add: the counter expires with it',
	    0 < r.cmd('PTTL', P + 'sim:imsi2:n') <= 2000, True)
	eq('sim: another SIM is apart', ob('sim_times', 'imsi3', 5000,
	    3600000, 3), [])


def t_outbox_misc():
	eq('outbox: an unknown operation is an error',
	    'unknown operation' in (op_err('outbox', 'nosuch') or ''), True)


# -------------------------------------------------------------- registry

def rg(name, *args):
	return op('registry', name, *args)


def upsert(rows, user='op', now=1000, via='import'):
	a = [user, now, via, len(rows)]
	for x in rows:
		a += list(x)
	return rg('upsert', *a)


def q(groups=(), districts=(), excl=(), match='any', optout=1):
	a = [match, optout, len(groups)] + list(groups) + [len(districts)] + \
	    list(districts) + [len(excl)] + list(excl)
	return a


def count(*a, **k):
	return rg('count', *q(*a, **k))


def phones(*a, **k):
	return count(*a, **k)[2]


def ph(n):
	return '1380013%04d' % n


def audit_entries():
	v = r.cmd('XRANGE', P + 'audit', '-', '+')
	return [dict(zip(x[1][0::2], x[1][1::2])) for x in v]


def t_registry():
	reset()
	v = upsert([('a1', ph(1), '330683102', 'elderly', '甲'),
	    ('a2', ph(2), '330683102', 'elderly;disabled', '乙'),
	    ('a3', ph(3), '330683001', 'disabled', '丙'),
	    ('a4', ph(4), '330602001', 'elderly', '丁'),
	    ('a5', ph(5), '330683102001', 'dibao', '戊'),
	    ('c1', ph(9), '330683102', 'elderly', 'carer-1'),
	    ('c2', ph(9), '330683001', 'disabled', 'carer-2'),
	    ('c3', ph(9), '330602001', 'low_income', 'carer-3'),
	    ('n1', ph(10), '330683102', '', 'no-groups')])
	eq('upsert: new residents', v, [1] * 9)
	eq('upsert: dense ids from 1', (h('res:ids', 'a1'), h('res:ids', 'n1'),
	    r.cmd('GET', P + 'res:seq')), ('1', '9', '9'))
	eq('upsert: the record', h('r:0', '2'),
	    'a2\x1f%s\x1f330683102\x1felderly;disabled\x1f乙' % ph(2))
	eq('upsert: a shared phone lists its residents',
	    (h('res:phones', ph(9)), h('res:sphone', '6'),
	    h('res:sphone', '1')), ('6,7,8', ph(9), None))
	eq('upsert: bitmaps', [r.cmd('GETBIT', P + 'bm:shared', i)
	    for i in range(1, 10)], [0, 0, 0, 0, 0, 1, 1, 1, 0])
	eq('upsert: a village is a set', smembers('set:d:330683102001'), ['5'])
	eq('upsert: district prefixes', [r.cmd('BITCOUNT', P + 'bm:d:' + c)
	    for c in ('33', '3306', '330683', '330683102')], [9, 9, 7, 5])
	au = audit_entries()
	eq('upsert: audited, without phones', (au[0]['action'], au[0]['count'],
	    au[0]['user'], au[0]['via'], ph(1) in au[0]['residents']),
	    ('add', '9', 'op', 'import', False))

	eq('count: everyone', count(), [9, 0, 7, '|'])
	eq('count: in a county', phones(districts=['330683']), 6)
	eq('count: a group', phones(groups=['elderly']), 4)
	eq('count: a group in a county', phones(groups=['elderly'],
	    districts=['330683']), 3)
	eq('count: any of two groups', phones(groups=['elderly', 'disabled'],
	    districts=['330683']), 4)
	eq('count: all of two groups', phones(groups=['elderly', 'disabled'],
	    match='all'), 1)
	eq('count: a township', phones(districts=['330683102']), 5)
	eq('count: a village', phones(districts=['330683102001']), 1)
	eq('count: a village among districts', phones(districts=[
	    '330683102001', '330683001']), 3)
	eq('count: an exclusion', phones(districts=['330683'],
	    excl=['330683102']), 2)
	eq('count: excluding a village', phones(districts=['330683102'],
	    excl=['330683102001']), 4)
	eq('count: two districts', phones(districts=['330683001', '330602']),
	    3)
	eq('count: a shared phone through a non-matching resident',
	    phones(groups=['low_income'], districts=['330683']), 0)
	eq('count: a shared phone counted once', phones(groups=['elderly',
	    'disabled', 'low_income']), 5)
	eq('count: breakdown by district and group',
	    count(groups=['elderly', 'disabled'], districts=['330683102',
	    '330602']), [4, 0, 4, '330683102', 3, '330602', 1, '|',
	    'elderly', 4, 'disabled', 1])
	eq('count: one district is the whole match',
	    count(districts=['330683102']), [5, 0, 5, '330683102', 5, '|'])
	eq('count: one district with an exclusion',
	    count(districts=['330683102'], excl=['330683102001']),
	    [4, 0, 4, '330683102', 4, '|'])
	eq('count: all groups, each is the match',
	    count(groups=['elderly', 'disabled'], match='all'),
	    [1, 0, 1, '|', 'elderly', 1, 'disabled', 1])
	eq('count: a group nobody is in', count(groups=['tekun']),
	    [0, 0, 0, '|', 'tekun', 0])
	eq('count: leaves no temporary key',
	    r.cmd('KEYS', P + 'tmp:*'), [])
	count(groups=['elderly', 'disabled'], districts=['330683102001',
	    '330683102'])
	eq('count: a village query leaves no temporary key either',
	    r.cmd('KEYS', P + 'tmp:*'), [])
	# A temporary key left by a call that failed half-way does not
	# leak into the next query.
	r.cmd('SETBIT', P + 'tmp:aud:v6', 1, 1)
	eq('count: a stale temporary village bitmap is ignored',
	    phones(districts=['330683102001']), 1)

	eq('list: matching rids', rg('list', 0, 100, *q(groups=['elderly'])),
	    [1, 2, 4, 6])
	eq('list: from a rid, up to a limit', rg('list', 2, 2,
	    *q(groups=['elderly'])), [2, 4])
	eq('list: from past the last', rg('list', 7, 10,
	    *q(groups=['elderly'])), [])
	eq('list: nobody', rg('list', 0, 10, *q(groups=['tekun'])), [])

	na = len(audit_entries())
	eq('upsert: unchanged', upsert([('a1', ph(1), '330683102', 'elderly',
	    '甲')]), [0])
	eq('upsert: an unchanged batch is not audited', len(audit_entries()),
	    na)
	eq('upsert: changed fields', upsert([
	    ('a1', ph(11), '330683102', 'elderly', '甲'),
	    ('a2', ph(2), '330683001', 'elderly;disabled', '乙'),
	    ('a3', ph(3), '330683001', 'dibao', '丙'),
	    ('a4', ph(4), '330602001', 'elderly', '丁丁'),
	    ('z1', ph(12), '330683001', 'tekun', '新')]), [2, 2, 2, 2, 1])
	au = audit_entries()[-1]
	eq('upsert: the update is audited with the fields',
	    (au['action'], au['residents']), ('update',
	    'a1(phone) a2(district) a3(groups) a4(name)'))
	eq('upsert: a new phone replaces the old',
	    (h('res:phones', ph(1)), h('res:phones', ph(11))), (None, '1'))
	eq('upsert: a new district moves the indexes',
	    (r.cmd('GETBIT', P + 'bm:d:330683102', 2),
	    r.cmd('GETBIT', P + 'bm:d:330683001', 2)), (0, 1))
	eq('upsert: new groups move the indexes',
	    (r.cmd('GETBIT', P + 'bm:g:disabled', 3),
	    r.cmd('GETBIT', P + 'bm:g:dibao', 3)), (0, 1))
	eq('upsert: the new resident has the next id', h('res:ids', 'z1'),
	    '10')
	err = op_err('registry', 'upsert', 'op', 1, 'cli', 2, 'd1', ph(20),
	    '330683', '', 'x', 'd1', ph(21), '330683', '', 'y')
	eq('upsert: an id twice in a batch is refused', 'twice' in
	    (err or ''), True)
	eq('upsert: ... and nothing of it is written', h('res:ids', 'd1'),
	    None)
	# A carer's phone leaves one of three: the others stay shared.
	upsert([('c1', ph(30), '330683102', 'elderly', 'carer-1')])
	eq('upsert: a phone that stops being shared',
	    (h('res:phones', ph(9)), h('res:sphone', '6'),
	    r.cmd('GETBIT', P + 'bm:shared', 6),
	    r.cmd('GETBIT', P + 'bm:shared', 7)), ('7,8', None, 0, 1))
	upsert([('c2', ph(31), '330683001', 'disabled', 'carer-2')])
	eq('upsert: the last of a shared phone is no longer shared',
	    (h('res:phones', ph(9)), r.cmd('GETBIT', P + 'bm:shared', 8),
	    h('res:sphone', '8')), ('8', 0, None))
	upsert([('c2', ph(9), '330683001', 'disabled', 'carer-2')])
	eq('upsert: a phone shared again', (h('res:phones', ph(9)),
	    r.cmd('GETBIT', P + 'bm:shared', 7), h('res:sphone', '8')),
	    ('8,7', 1, ph(9)))

	# Opt-outs.
	eq('optout: on', rg('optout', 'op', 2000, ph(9), '138****0009', 'on'),
	    1)
	eq('optout: already on', rg('optout', 'op', 2001, ph(9),
	    '138****0009', 'on'), 0)
	eq('optout: every resident of the phone',
	    [r.cmd('GETBIT', P + 'bm:optout', i) for i in (6, 7, 8)],
	    [0, 1, 1])
	eq('optout: recorded with when and who', h('optout', ph(9)),
	    '2000 op')
	au = audit_entries()[-1]
	eq('optout: audited with the masked phone', (au['action'],
	    au['phone']), ('optout-add', '138****0009'))
	eq('count: opted-out residents are dropped', count(districts=[
	    '330602']), [2, 1, 1, '330602', 1, '|'])
	eq('count: unless the query keeps them', count(districts=['330602'],
	    optout=0), [2, 0, 2, '330602', 2, '|'])
	eq('upsert: a new resident of an opted-out phone is opted out',
	    (upsert([('o1', ph(9), '330683001', '', 'x')]),
	    r.cmd('GETBIT', P + 'bm:optout', 11)), ([1], 1))
	eq('upsert: a resident leaving an opted-out phone is not',
	    (upsert([('o1', ph(40), '330683001', '', 'x')]),
	    r.cmd('GETBIT', P + 'bm:optout', 11)), ([2], 0))
	eq('optout: off', rg('optout', 'op', 2002, ph(9), '138****0009',
	    'off'), 1)
	eq('optout: off again', rg('optout', 'op', 2003, ph(9),
	    '138****0009', 'off'), 0)
	eq('optout: bits cleared', (r.cmd('GETBIT', P + 'bm:optout', 7),
	    h('optout', ph(9)), audit_entries()[-1]['action']),
	    (0, None, 'optout-remove'))
	eq('optout: of a phone nobody has', rg('optout', 'op', 2004, ph(99),
	    '138****0099', 'on'), 1)

	# Remove.
	eq('remove: unknown', rg('remove', 'op', 'nobody'), 0)
	before = r.cmd('BITCOUNT', P + 'bm:all')
	eq('remove: a resident', rg('remove', 'op', 'c3'), 1)
	eq('remove: gone from the indexes', (r.cmd('BITCOUNT', P + 'bm:all'),
	    r.cmd('GETBIT', P + 'bm:g:low_income', 8),
	    r.cmd('GETBIT', P + 'bm:d:330602', 8), h('res:ids', 'c3'),
	    h('r:0', '8')), (before - 1, 0, 0, None, None))
	eq('remove: its phone\'s last other resident is no longer shared',
	    (h('res:phones', ph(9)), r.cmd('GETBIT', P + 'bm:shared', 7),
	    r.cmd('GETBIT', P + 'bm:shared', 8), h('res:sphone', '7')),
	    ('7', 0, 0, None))
	eq('remove: audited', (audit_entries()[-1]['action'],
	    audit_entries()[-1]['residents'], audit_entries()[-1]['via']),
	    ('remove', 'c3', 'cli'))
	eq('remove: again', rg('remove', 'op', 'c3'), 0)
	rg('remove', 'op', 'a5')
	eq('remove: a village resident leaves the set',
	    smembers('set:d:330683102001'), [])
	eq('upsert: a removed id comes back with a new rid',
	    (upsert([('c3', ph(9), '330602001', 'low_income', 'c')]),
	    h('res:ids', 'c3')), ([1], '12'))
	# Two shared phones, and phones whose sphone entry went missing.
	upsert([('x1', ph(50), '330683102', 'pair', 'x'),
	    ('x2', ph(50), '330683102', 'pair', 'x'),
	    ('y1', ph(51), '330683102', 'pair', 'y'),
	    ('y2', ph(51), '330683102', 'pair', 'y')])
	eq('count: two shared phones', phones(groups=['pair']), 2)
	for rid in (h('res:ids', 'x1'), h('res:ids', 'x2'),
	    h('res:ids', 'y1')):
		r.cmd('HDEL', P + 'res:sphone', rid)
	eq('count: a shared phone missing from res:sphone is read from the '
	    'record', phones(groups=['pair']), 2)
	rg('remove', 'op', 'x1')
	rg('remove', 'op', 'x2')
	rg('remove', 'op', 'y1')
	rg('remove', 'op', 'y2')
	eq('registry: an unknown operation', 'unknown operation' in
	    (op_err('registry', 'nosuch') or ''), True)


def t_registry_fanout():
	reset()
	upsert([('a1', ph(1), '330683102', 'elderly', '甲'),
	    ('s1', ph(9), '330683102', 'elderly', 's-1'),
	    ('s2', ph(9), '330683102', 'disabled', 's-2'),
	    ('a2', ph(2), '330683001', 'elderly', '乙'),
	    ('s3', ph(9), '330683102', 'dibao', 's-3'),
	    ('a3', ph(3), '330683102', 'elderly', '丙'),
	    ('a4', ph(4), '330683102', 'elderly', '丁')])
	rg('optout', 'op', 1, ph(4), '138****0004', 'on')
	r.cmd('HSET', P + 'ev:1', 'cursor', 0)
	v = rg('save_match', P + 'ev:1:m', P + 'ev:1',
	    *q(groups=['elderly', 'disabled'], districts=['330683102']))
	eq('save_match: counts', v, [5, 1, 3])
	eq('save_match: kept in the event', (h('ev:1', 'residents'),
	    h('ev:1', 'optedout'), h('ev:1', 'targeted')), ('5', '1', '3'))
	eq('save_match: the bitmap', [r.cmd('GETBIT', P + 'ev:1:m', i)
	    for i in range(1, 8)], [1, 1, 1, 0, 0, 1, 0])
	upsert([('a5', ph(5), '330683102', 'elderly', '戊')])
	eq('save_match: a resumed fan-out keeps its audience',
	    rg('save_match', P + 'ev:1:m', P + 'ev:1',
	    *q(groups=['elderly'])), ['5', '1', '3'])
	r.cmd('HSET', P + 'ev:2', 'cursor', 5)
	r.cmd('HSET', P + 'ev:2', 'residents', 7, 'optedout', 0,
	    'targeted', 6)
	eq('save_match: a fan-out past its start keeps its counts',
	    rg('save_match', P + 'ev:2:m', P + 'ev:2', *q()),
	    ['7', '0', '6'])
	eq('save_match: ... and makes no bitmap', r.cmd('EXISTS',
	    P + 'ev:2:m'), 0)
	r.cmd('HSET', P + 'ev:3', 'cursor', 0)
	eq('save_match: nobody', rg('save_match', P + 'ev:3:m', P + 'ev:3',
	    *q(groups=['tekun'])), [0, 0, 0])
	eq('save_match: nobody, no bit set', (r.cmd('BITCOUNT', P + 'ev:3:m'),
	    h('ev:3', 'targeted')), (0, '0'))

	v = rg('expand', P + 'ev:1:m', 0, 10)
	eq('expand: one message per phone, the lowest rid',
	    (v[0], v[1::5]), (-1, [1, 2, 6]))
	eq('expand: a record', v[1:6], [1, ph(1), '甲', '330683102',
	    'elderly'])
	eq('expand: a shared phone carries every matching resident\'s groups',
	    v[6:11], [2, ph(9), 's-1', '330683102', 'elderly;disabled'])
	v = rg('expand', P + 'ev:1:m', 0, 2)
	eq('expand: LIMIT, and where to go on', (v[0], v[1::5]), (3, [1, 2]))
	v = rg('expand', P + 'ev:1:m', 3, 2)
	eq('expand: a rid whose phone a lower one has is left to it',
	    (v[0], v[1::5]), (-1, [6]))
	v = rg('expand', P + 'ev:1:m', 6, 1)
	eq('expand: the last one, exactly LIMIT', (v[0], v[1::5]), (-1, [6]))
	eq('expand: a missing bitmap', rg('expand', P + 'ev:9:m', 0, 10), [-1])
	# Rids past the first bytes: a shared phone found by its bit.
	reset()
	r.cmd('SET', P + 'res:seq', 100)
	upsert([('f1', ph(1), '330683102', 'elderly', 'a'),
	    ('f2', ph(1), '330683102', '', 'b'),
	    ('f3', ph(3), '330683102', 'elderly', 'c')])
	r.cmd('HSET', P + 'ev:1', 'cursor', 0)
	rg('save_match', P + 'ev:1:m', P + 'ev:1', *q())
	v = rg('expand', P + 'ev:1:m', 0, 10)
	eq('expand: a shared phone at high rids, once', (v[0], v[1::5]),
	    (-1, [101, 103]))
	eq('expand: a resident without groups adds none', v[5], 'elderly')
	# Bits far apart (past the range read at once) and many in a row.
	reset()
	rows = [('b%d' % i, ph(100 + i), '330683102', 'elderly', 'n')
	    for i in range(1, 1201)]
	eq('upsert: a batch over a thousand', upsert(rows), [1] * 1200)
	eq('count: all of it', phones(groups=['elderly']), 1200)
	r.cmd('SET', P + 'res:seq', 100000)
	# Every resident moves group, with one new far away: more than a
	# thousand bits over more than the range written at once.
	rows = [('b%d' % i, ph(100 + i), '330683102', 'disabled', 'n')
	    for i in range(1, 1201)] + [('far', ph(5000), '330683102',
	    'disabled', 'f')]
	eq('upsert: scattered bits, over a thousand', upsert(rows),
	    [2] * 1200 + [1])
	eq('upsert: scattered bits written', (phones(groups=['disabled']),
	    phones(groups=['elderly']), r.cmd('GETBIT', P + 'bm:g:disabled',
	    1), r.cmd('GETBIT', P + 'bm:g:disabled', 1200),
	    r.cmd('GETBIT', P + 'bm:g:disabled', 100001),
	    r.cmd('GETBIT', P + 'bm:g:elderly', 1)), (1201, 0, 1, 1, 1, 0))
	eq('list: past the first byte range', rg('list', 1199, 5,
	    *q(groups=['disabled'])), [1199, 1200, 100001])


# ------------------------------------------------------------- retention

def rt(name, *args):
	return op('retention', name, *args)


DAY = 86400000


def t_retention():
	reset()
	now = 100 * DAY
	# Events 1..6, accepted one hour apart, 10 days ago.
	base = now - 10 * DAY
	states = ['done', 'cancelled', 'active', 'expired', 'done', 'done']
	for i, st in enumerate(states, 1):
		r.cmd('ZADD', P + 'events:list', base + i * 3600000, i)
		r.cmd('HSET', P + 'ev:%d' % i, 'state', st, 'n:queued', 0,
		    'n:sending', 0)
	r.cmd('HSET', P + 'ev:5', 'n:sending', 1)	# still with a channel
	r.cmd('HSET', P + 'ev:6', 'n:queued', 2)
	r.cmd('ZADD', P + 'events:list', now - 3600000, 7)	# recent
	r.cmd('HSET', P + 'ev:7', 'state', 'done')
	cut = now - 5 * DAY
	eq('candidates: finished events before the cutoff',
	    rt('candidates', now, cut, 10, '-'), [0, '1', '2', '4'])
	eq('candidates: at most MAX, and where to go on',
	    rt('candidates', now, cut, 2, '-'), [2, '1', '2'])
	eq('candidates: from a rank', rt('candidates', now, cut, 2, 2),
	    [0, '4'])
	eq('candidates: nothing before an early cutoff',
	    rt('candidates', now, base, 10, '-'), [0])
	eq('candidates: the cutoff is exclusive', rt('candidates', now,
	    base + 3600000, 10, '-'), [0])
	eq('candidates: the cutoff includes what is before it',
	    rt('candidates', now, base + 3600001, 10, '-'), [0, '1'])
	# Messages: final ones go, queued ones stay.
	for e, rid, st in ((1, 1, 'sent'), (1, 2, 'delivered'),
	    (1, 3, 'unknown'), (2, 1, 'cancelled'), (2, 2, 'queued'),
	    (3, 1, 'sent'), (4, 1, 'expired'), (4, 2, 'failed')):
		r.cmd('HSET', P + 'msg:%d:%d' % (e, rid), 'state', st)
	r.cmd('ZADD', P + 'unknown', 1, '1:3')
	r.cmd('HSET', P + 'msgx', 'state', 'sent')	# not a message key
	r.cmd('HSET', P + 'msg:zz', 'state', 'sent')
	cursor, deleted, marked = '0', 0, []
	while True:
		v = rt('purge', cursor, 1000, now, 1, 2)
		cursor, deleted = v[0], deleted + v[1]
		if cursor == '0':
			marked = v[2:]
			break
	eq('purge: final records of the events named', deleted, 4)
	eq('purge: what is left', sorted(r.cmd('KEYS', P + 'msg:*')),
	    sorted([P + 'msg:2:2', P + 'msg:3:1', P + 'msg:4:1',
	    P + 'msg:4:2', P + 'msg:zz']))
	eq('purge: an unknown outcome leaves the unknown set',
	    zscore('unknown', '1:3'), None)
	eq('purge: events marked once the scan is over', marked,
	    ['1', '3', '2', '1'])
	eq('purge: marked with when and how many', (h('ev:1', 'purged'),
	    h('ev:1', 'purged_messages'), h('ev:2', 'purged_messages')),
	    (str(now), '3', '1'))
	eq('purge: the event hash stays', h('ev:1', 'state'), 'done')
	eq('purge: a purged event is no candidate', rt('candidates', now,
	    cut, 10, '-'), [0, '4'])
	eq('retention: the low mark passes purged events',
	    r.cmd('GET', P + 'retention:low'), '2')
	eq('purge: again, nothing', rt('purge', '0', 1000, now + 1, 1),
	    ['0', 0])
	eq('purge: a purged event is not marked again',
	    h('ev:1', 'purged'), str(now))
	# An event with no message left to purge is marked all the same; a
	# still running one is not.
	r.cmd('HSET', P + 'ev:5', 'n:sending', 0)
	eq('purge: an event of no record', rt('purge', '0', 1000, now, 5, 6),
	    ['0', 0, '5', '0'])
	eq('purge: an unfinished event is not marked', h('ev:6', 'purged'),
	    None)
	# The low mark stops at the first event not purged, and only moves
	# over events older than a day.
	eq('candidates: from the low mark', rt('candidates', now, cut, 10,
	    0), [0, '4'])
	r.cmd('SET', P + 'retention:low', 0)
	rt('candidates', now, cut, 10, '-')
	eq('retention: the low mark stops at a gap',
	    r.cmd('GET', P + 'retention:low'), '2')
	# Glob characters in the prefix match only themselves.
	eq('retention: an unknown operation', 'unknown operation' in
	    (op_err('retention', 'nosuch') or ''), True)


def t_retention_pages():
	reset()
	now = 100 * DAY
	base = now - 10 * DAY
	for i in range(1, 1101):
		r.cmd('ZADD', P + 'events:list', base + i, i)
		r.cmd('HSET', P + 'ev:%d' % i, 'state', 'active')
	r.cmd('HSET', P + 'ev:1050', 'state', 'done')
	eq('candidates: one page at a time', rt('candidates', now, now, 10,
	    '-'), [1000])
	eq('candidates: the next page', rt('candidates', now, now, 10, 1000),
	    [0, '1050'])
	eq('candidates: a full page, then where to go on',
	    rt('candidates', now, now, 10, 100), [1100, '1050'])
	# Every event recent: the low mark stays.
	reset()
	for i in range(1, 4):
		r.cmd('ZADD', P + 'events:list', now - 1000 + i, i)
		r.cmd('HSET', P + 'ev:%d' % i, 'state', 'done', 'purged', 1)
	rt('candidates', now, now, 10, '-')
	eq('retention: a recent purged event keeps the low mark',
	    r.cmd('GET', P + 'retention:low'), None)
	for i in range(1, 4):
		r.cmd('ZADD', P + 'events:list', now - 2 * DAY + i, i)
	rt('candidates', now, now, 10, '-')
	eq('retention: old purged events move it', r.cmd('GET',
	    P + 'retention:low'), '3')
	# Exactly a day old is not older than a day.
	reset()
	r.cmd('ZADD', P + 'events:list', now - DAY, 1)
	r.cmd('HSET', P + 'ev:1', 'state', 'done', 'purged', 1)
	rt('candidates', now, now, 10, '-')
	eq('retention: a purged event of exactly a day keeps the low mark',
	    r.cmd('GET', P + 'retention:low'), None)
	r.cmd('ZADD', P + 'events:list', now - DAY - 1, 1)
	rt('candidates', now, now, 10, '-')
	eq('retention: ... a millisecond older moves it',
	    r.cmd('GET', P + 'retention:low'), '1')
	eq('candidates: a FROM below the low mark starts there',
	    rt('candidates', now, now, 10, 0), [0])


SUITES = {
	'outbox': [t_outbox_accept, t_outbox_enqueue, t_outbox_take,
	    t_outbox_done, t_outbox_cancel_during_send, t_outbox_drain,
	    t_outbox_tick, t_outbox_unknown, t_outbox_requeue,
	    t_outbox_report, t_outbox_approval, t_outbox_sim, t_outbox_misc],
	'registry': [t_registry, t_registry_fanout],
	'retention': [t_retention, t_retention_pages],
}

for s in ('outbox', 'registry', 'retention'):
	SHA[s] = load(s)
for t in SUITES[SUITE]:
	try:
		t()
	except RuntimeError as e:
		fail('%s: Redis error: %s' % (t.__name__, e))
print('1..%d' % N[0])
