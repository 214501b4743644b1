#!/bin/bash
# tests/mutate.sh: mutation testing of the pure C cores and the Lua
# operations.  Applies one small realistic bug at a time to a copy of the
# tree, rebuilds what it touches, runs the tests that cover the file and
# reports which mutants the suite killed and which survived (with the
# diff of each survivor).  The score is a report, not a gate, unless
# --min-score is given.  See docs/testing.md.
#
#   tests/mutate.sh [--list] [--file F]... [--all] [--sample N]
#       [--seed S] [--time-box SECONDS] [--timeout SECONDS]
#       [--min-score PERCENT] [--report FILE] [--keep] [--no-sanitizers]
#
# Only bash, make, the build's own tools and python3 (no extra module).
exec python3 - "$0" "$@" <<'PYTHON'
import argparse
import hashlib
import os
import random
import signal
import re
import shutil
import subprocess
import sys
import tempfile
import time

SCRIPT = os.path.abspath(sys.argv[1])
SRC = os.path.dirname(os.path.dirname(SCRIPT))

# What is mutated by default and the tests that cover each file.  Add a
# file here (with its tests) to mutate it; a file or test that does not
# exist in the tree is skipped.  Unit tests are programs built in the
# build directory, integration tests scripts run with top_srcdir and
# top_builddir set as `make check` sets them.
TARGETS = [
	('src/phone.c', ['tests/unit/test-phone']),
	('src/csv.c', ['tests/unit/test-csv']),
	('src/tmpl.c', ['tests/unit/test-tmpl', 'tests/unit/test-broadcast']),
	('src/pdu.c', ['tests/unit/test-pdu']),
	('src/pdu-submit.c', ['tests/unit/test-pdu']),
	('src/pdu-report.c', ['tests/unit/test-pdu']),
	('src/caltime.c', ['tests/unit/test-caltime', 'tests/unit/test-pdu']),
	('src/simwin.c', ['tests/unit/test-simwin']),
	('src/script.c', ['tests/unit/test-script']),
	('src/sms.c', ['tests/unit/test-sms', 'tests/unit/test-pdu',
	    'tests/unit/test-tmpl']),
	('src/sign.c', ['tests/unit/test-sign',
	    'tests/integration/security.sh']),
	('src/audience.c', ['tests/unit/test-audience',
	    'tests/integration/audience.sh']),
	('src/quiet.c', ['tests/unit/test-quiet']),
	('src/broadcast.c', ['tests/unit/test-broadcast']),
	('src/scope.c', ['tests/unit/test-scope']),
	('src/rate.c', ['tests/unit/test-rate']),
	('src/lua/outbox.lua', ['tests/integration/lua-outbox.sh',
	    'tests/integration/rate-lua.sh']),
	('src/lua/registry.lua', ['tests/integration/lua-registry.sh']),
	('src/lua/retention.lua', ['tests/integration/lua-retention.sh']),
]
# Functions left out of a file's mutants, with the reason (reported).
SKIP = {
}
EQUIV = os.path.join(SRC, 'tests', 'mutate-equivalent.txt')


def die(msg):
	sys.stderr.write('mutate.sh: %s\n' % msg)
	sys.exit(2)


# ---- masking: comments and the contents of literals become spaces, so
# that operators are looked for in code only (columns are kept).

def mask(text, line, block):
	"""Comments and string contents as spaces (lines kept): LINE starts
	a comment to the end of the line, BLOCK is a (start, end) pair or
	None."""
	out, i, n = [], 0, len(text)
	while i < n:
		c = text[i]
		if block and text.startswith(block[0], i):
			j = text.find(block[1], i + len(block[0]))
			j = n if j < 0 else j + len(block[1])
			out.append(re.sub(r'[^\n]', ' ', text[i:j]))
			i = j
		elif text.startswith(line, i):
			j = text.find('\n', i)
			j = n if j < 0 else j
			out.append(' ' * (j - i))
			i = j
		elif c in '"\'':
			j = i + 1
			while j < n and text[j] != c and text[j] != '\n':
				j += 2 if text[j] == '\\' else 1
			j = min(j + 1, n)
			out.append(c + ' ' * (j - i - 2) + c)
			i = j
		else:
			out.append(c)
			i += 1
	return ''.join(out)


def mask_c(text):
	return mask(text, '//', ('/*', '*/'))


def mask_lua(text):
	return mask(text, '--', None)


def balanced(s):
	return s.count('(') == s.count(')')


def close_paren(s, i):
	"""Index of the ) matching the ( at s[i], or -1."""
	depth = 0
	for j in range(i, len(s)):
		if s[j] == '(':
			depth += 1
		elif s[j] == ')':
			depth -= 1
			if depth == 0:
				return j
	return -1


# ---- mutation operators.  Each yields (op, col, old, new) on one line:
# the text old at column col (of the masked line) becomes new.

C_CMP = {'<': '<=', '<=': '<', '>': '>=', '>=': '>', '==': '!=', '!=': '=='}
C_CMP_RE = re.compile(r'(?<![<>=!\-])(<=|>=|==|!=|<|>)(?![<>=])')
INT_RE = re.compile(r'(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)(?![\w.])')
C_TYPES = ('int', 'char', 'short', 'long', 'unsigned', 'signed', 'size_t',
    'ssize_t', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int8_t',
    'int16_t', 'int32_t', 'int64_t', 'struct', 'const', 'static', 'double',
    'float', 'time_t', 'enum', 'bool', 'void', 'FILE', 'va_list', 'union',
    'register', 'volatile', 'uintmax_t', 'intmax_t', 'off_t', 'pid_t')
C_STMT_RE = re.compile(
    r'^[A-Za-z_][\w.\->\[\]*+ ]*(\(.*\)|\s*([+\-*/|&^%]|<<|>>)?=\s*[^=].*'
    r'|\+\+|--)\s*;\s*$')


def c_line_mutants(m, line, prev_end):
	"""Mutations of one C code line, masked as m."""
	s = m.strip()
	if not s or s.startswith('#'):
		return
	for x in C_CMP_RE.finditer(m):
		yield ('cmp', x.start(), x.group(1), C_CMP[x.group(1)])
	iscmp = C_CMP_RE.search(m) is not None
	rx = re.match(r'\s*return\s*\(?\s*(-?\d+)\s*\)?\s*;', m)
	if rx:
		v = rx.group(1)
		new = {'0': '-1', '-1': '0', '1': '0'}.get(v)
		if new is not None:
			col = m.index(v, m.index('return') + 6)
			yield ('status', col, v, new)
	elif not s.startswith('case') and '[' not in s.split('=')[0]:
		for x in INT_RE.finditer(m):
			lit, suf = x.group(1), x.group(2)
			v = int(lit, 0)
			fmt = (lambda k: hex(k)) if lit[:2].lower() == '0x' \
			    else str
			if iscmp:
				yield ('boundary', x.start(), lit, fmt(v + 1))
				if v > 0:
					yield ('boundary', x.start(), lit,
					    fmt(v - 1))
			else:
				yield ('const', x.start(), lit,
				    fmt(v + 1) if v != 1 else '0')
	for x in re.finditer(r'\b(if|while)\s*\(', m):
		o = x.end() - 1
		c = close_paren(m, o)
		if c < 0:
			continue
		cond = line[o + 1:c]
		yield ('negate', o, '(' + cond + ')', '(!(' + cond + '))')
	if C_STMT_RE.match(s) and balanced(s) and \
	    prev_end in (';', '{', '}', ':') and \
	    s.split()[0] not in C_TYPES + ('return', 'break', 'continue',
	    'goto', 'else', 'case', 'default') and \
	    not re.match(r'^[A-Za-z_]\w*\s+\**[A-Za-z_]\w*\s*(=|;|\[)', s):
		yield ('delete', 0, None, None)


LUA_CMP = {'<': '<=', '<=': '<', '>': '>=', '>=': '>', '==': '~=', '~=': '=='}
LUA_CMP_RE = re.compile(r'(?<![<>=~])(<=|>=|==|~=|<|>)(?![<>=])')


def lua_line_mutants(m, line):
	s = m.strip()
	if not s:
		return
	for x in LUA_CMP_RE.finditer(m):
		yield ('cmp', x.start(), x.group(1), LUA_CMP[x.group(1)])
	for x in re.finditer(r'\b(and|or)\b', m):
		yield ('logic', x.start(), x.group(1),
		    'or' if x.group(1) == 'and' else 'and')
	for x in re.finditer(r'(?<=\s)([+-]) 1\b(?!\.)', m):
		yield ('arith', x.start(), x.group(0),
		    ('- 1' if x.group(1) == '+' else '+ 1'))
	for x in re.finditer(r'\bnot\s+', m):
		yield ('not', x.start(), x.group(0), '')
	x = re.match(r'(\s*(?:if|elseif|while)\s+)(.*?)(\s+(?:then|do))\s*$', m)
	if x:
		cond = line[x.start(2):x.end(2)]
		yield ('negate', x.start(2), cond, 'not (' + cond + ')')


def gen_mutants(rel):
	path = os.path.join(SRC, rel)
	with open(path, encoding='utf-8', errors='surrogateescape') as f:
		text = f.read()
	lines = text.split('\n')
	islua = rel.endswith('.lua')
	masked = (mask_lua if islua else mask_c)(text).split('\n')
	seen, out = {}, []
	skipfn = SKIP.get(rel, ((), ''))[0]
	skipping = False
	prev_end = ';'
	init_depth = 0
	i = 0
	while i < len(lines):
		m = masked[i]
		line = lines[i]
		key = line.strip()
		dup = seen.get(key, 0)
		seen[key] = dup + 1
		span = 1
		muts = []
		# A function to leave out: from its first line to the first
		# line after it that closes at column 0.
		fm = re.match(r'^local function (\w+)\(', m) if islua else \
		    re.match(r'^(\w+)\(', m)
		if fm and fm.group(1) in skipfn:
			skipping = True
		if skipping:
			if re.match(r'^(end|\})\s*$', m):
				skipping = False
			i += 1
			continue
		if islua:
			muts = list(lua_line_mutants(m, line))
			st = m.strip()
			if st.startswith('redis.call('):
				j, acc = i, st
				while not balanced(acc) and j + 1 < len(lines):
					j += 1
					acc += masked[j]
				span = j - i + 1
				muts.append(('delete', 0, None, None))
		else:
			# Initialiser tables (character sets, lookup tables)
			# are data, not logic: left alone.
			if init_depth > 0:
				init_depth += m.count('{') - m.count('}')
			elif re.search(r'=\s*\{', m) and \
			    m.count('{') > m.count('}'):
				init_depth = m.count('{') - m.count('}')
			else:
				muts = list(c_line_mutants(m, line, prev_end))
			if m.strip():
				prev_end = m.strip()[-1]
		k = {}
		for op, col, old, new in muts:
			k[op] = k.get(op, -1) + 1
			h = hashlib.sha1(('%s|%d|%s|%d|%s' % (op, k[op], key,
			    dup, new)).encode('utf-8', 'surrogateescape'))
			mid = h.hexdigest()[:8]
			if op == 'delete':
				before = lines[i:i + span]
				if islua:
					after = [''] * span
				else:
					ind = re.match(r'\s*', line).group(0)
					after = [ind + ';	/* deleted */']
			else:
				before = [line]
				after = [line[:col] + new + line[col + len(old):]]
			out.append({'file': rel, 'id': mid, 'op': op,
			    'line': i + 1, 'before': before, 'after': after,
			    'span': span})
		i += 1
	return out


def read_equivalent():
	eq = {}
	if not os.path.exists(EQUIV):
		return eq
	with open(EQUIV, encoding='utf-8') as f:
		for n, l in enumerate(f, 1):
			l = l.rstrip('\n')
			if not l.strip() or l.lstrip().startswith('#'):
				continue
			p = l.split(None, 2)
			if len(p) < 3:
				die('%s:%d: want FILE ID REASON' % (EQUIV, n))
			eq[(p[0], p[1])] = p[2]
	return eq


def apply_mutant(root, mu):
	path = os.path.join(root, mu['file'])
	with open(path, encoding='utf-8', errors='surrogateescape') as f:
		lines = f.read().split('\n')
	orig = '\n'.join(lines)
	i = mu['line'] - 1
	lines[i:i + mu['span']] = mu['after'] + [''] * \
	    (mu['span'] - len(mu['after']))
	with open(path, 'w', encoding='utf-8', errors='surrogateescape') as f:
		f.write('\n'.join(lines))
	return orig


def restore(root, rel, orig):
	with open(os.path.join(root, rel), 'w', encoding='utf-8',
	    errors='surrogateescape') as f:
		f.write(orig)


def diff_of(mu):
	d = ['--- a/%s:%d (%s %s)' % (mu['file'], mu['line'], mu['op'],
	    mu['id'])]
	d += ['-' + x for x in mu['before']]
	d += ['+' + x for x in mu['after'] if x != '' or not mu['before']]
	return '\n'.join(d)


def reap(tmpdir):
	"""Stop what a test left running in its TMPDIR (a redis-server
	daemonizes out of the test's process group), then remove it."""
	for d, _, fs in os.walk(tmpdir):
		for fn in fs:
			if fn.endswith('.pid'):
				try:
					pid = int(open(os.path.join(d, fn)).read())
					os.kill(pid, signal.SIGKILL)
				except (ValueError, OSError):
					pass
	shutil.rmtree(tmpdir, ignore_errors=True)


def run(cmd, cwd, timeout, env=None, log=None):
	"""Run cmd in its own process group, with its own TMPDIR; returns
	its exit status, 124 on timeout (the whole group is killed)."""
	tmpdir = tempfile.mkdtemp(prefix='t.', dir=TMP[0])
	env = dict(env or os.environ, TMPDIR=tmpdir)
	p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
	    stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
	    start_new_session=True)
	try:
		rc = p.wait(timeout=timeout)
	except subprocess.TimeoutExpired:
		rc = 124
	except BaseException:
		rc = None
	for sig in (signal.SIGTERM, signal.SIGKILL):
		try:
			os.killpg(p.pid, sig)
		except OSError:
			break
		if sig == signal.SIGTERM:
			try:
				p.wait(timeout=2)
			except subprocess.TimeoutExpired:
				pass
	p.wait()
	reap(tmpdir)
	if rc is None:
		raise KeyboardInterrupt
	return rc


TMP = [None]


def interrupted(*_):
	raise KeyboardInterrupt


def main():
	ap = argparse.ArgumentParser(prog='tests/mutate.sh')
	ap.add_argument('--list', action='store_true',
	    help='print the mutants, run nothing')
	ap.add_argument('--file', action='append', default=[],
	    help='mutate this file only (repeatable)')
	ap.add_argument('--tests', default=None, metavar='T1,T2',
	    help='run these tests for every file instead of the map\'s')
	ap.add_argument('--all', action='store_true',
	    help='run the whole suite (make check) for each mutant')
	ap.add_argument('--sample', type=int, default=0,
	    help='run N mutants chosen at random (by --seed)')
	ap.add_argument('--seed', type=int, default=1)
	ap.add_argument('--time-box', type=float, default=0,
	    help='start no mutant after SECONDS (0: no limit)')
	ap.add_argument('--timeout', type=float, default=0,
	    help='per-mutant limit of the tests (default: 3 x their time '
	    'unmutated + 10 s)')
	ap.add_argument('--min-score', type=float, default=None,
	    help='exit 1 when the score is below PERCENT')
	ap.add_argument('--report', default=None,
	    help='also write the report (markdown) to FILE')
	ap.add_argument('--survivors-from', default=None, metavar='REPORT',
	    help='run only the survivors listed in an earlier report '
	    '(killed ones stay killed when tests are only added)')
	ap.add_argument('--keep', action='store_true',
	    help='keep the copy of the tree')
	ap.add_argument('--no-sanitizers', action='store_true')
	a = ap.parse_args(sys.argv[2:])

	targets = dict(TARGETS)
	files = a.file or [f for f, _ in TARGETS]
	files = [os.path.relpath(os.path.abspath(f), SRC)
	    if os.path.exists(f) and not os.path.exists(os.path.join(SRC, f))
	    else f for f in files]
	files = [f for f in files if os.path.exists(os.path.join(SRC, f))]
	if not files:
		die('no file to mutate')
	with open(os.path.join(SRC, 'Makefile.am')) as f:
		mk = f.read()

	def present(t):
		if t.startswith('tests/unit/'):
			return os.path.exists(os.path.join(SRC, t + '.c')) and \
			    re.search(re.escape(t) + r'\b', mk)
		return os.path.exists(os.path.join(SRC, t))
	tests = {}
	for f in files:
		tl = a.tests.split(',') if a.tests else targets.get(f)
		if tl is None:
			b = os.path.splitext(os.path.basename(f))[0]
			tl = ['tests/unit/test-' + b]
		tests[f] = [t for t in tl if present(t)]
		if not tests[f] and not a.all and not a.list:
			sys.stderr.write('mutate.sh: %s: no test in the tree '
			    'covers it; skipped (or use --all)\n' % f)
	if not a.all:
		files = [f for f in files if tests[f] or a.list]

	eq = read_equivalent()
	mutants = []
	for f in files:
		mutants += gen_mutants(f)
	for mu in mutants:
		mu['equivalent'] = eq.get((mu['file'], mu['id']))
	known = {(mu['file'], mu['id']) for mu in mutants}
	for k in eq:
		if k not in known and k[0] in files:
			sys.stderr.write('mutate.sh: %s: %s %s matches no mutant '
			    'any more\n' % (os.path.basename(EQUIV), *k))
	if a.list:
		for mu in mutants:
			print('%s:%d %s %s%s\n%s' % (mu['file'], mu['line'],
			    mu['id'], mu['op'], ' [equivalent: %s]' %
			    mu['equivalent'] if mu['equivalent'] else '',
			    '\n'.join('  ' + x for x in diff_of(mu).split('\n')
			    [1:])))
		print('%d mutants' % len(mutants))
		return 0
	todo = [mu for mu in mutants if not mu['equivalent']]
	if a.survivors_from:
		# The survivors' diffs of a report, or the progress lines of
		# a run's output.
		with open(a.survivors_from) as f:
			text = f.read()
		want = set(re.findall(r'^--- a/(\S+):\d+ \(\w+ (\w+)\)',
		    text, re.M)) | set(re.findall(r'^\s*\d+/\d+ survived\s+'
		    r'(\S+):\d+ \S+ (\w+) ', text, re.M))
		todo = [mu for mu in todo if (mu['file'], mu['id']) in want]
	if a.sample:
		todo = random.Random(a.seed).sample(todo, min(a.sample,
		    len(todo)))
		todo.sort(key=lambda mu: (files.index(mu['file']), mu['line']))

	# A copy of the tree as it is (tracked and new files), built once.
	t0 = time.time()
	tmp = tempfile.mkdtemp(prefix='civicast-mutate.')
	TMP[0] = tmp
	# A SIGTERM ends the run as ^C does: the copy is removed.
	signal.signal(signal.SIGTERM, interrupted)
	root = os.path.join(tmp, 'src')
	build = os.path.join(tmp, 'build')
	log = open(os.path.join(tmp, 'mutate.log'), 'w')
	try:
		ls = subprocess.run(['git', 'ls-files', '-co',
		    '--exclude-standard', '-z'], cwd=SRC, check=True,
		    stdout=subprocess.PIPE).stdout.split(b'\0')
		for p in ls:
			p = p.decode('utf-8', 'surrogateescape')
			if not p or not os.path.isfile(os.path.join(SRC, p)):
				continue
			d = os.path.join(root, os.path.dirname(p))
			os.makedirs(d, exist_ok=True)
			shutil.copy2(os.path.join(SRC, p), os.path.join(root, p))
		os.makedirs(build)
		print('mutate.sh: building a copy in %s' % tmp, flush=True)
		conf = [os.path.join(root, 'configure'), '-q',
		    'CFLAGS=-O1 -g0']
		if not a.no_sanitizers:
			conf.append('--enable-sanitizers')
		for cmd, cwd in ((['autoreconf', '-fi'], root), (conf, build),
		    (['make', '-s', '-j2'], build),
		    (['make', '-s', '-j2', 'check', 'TESTS='], build)):
			if run(cmd, cwd, 1800, log=log) != 0:
				die('building the copy failed: see %s/mutate.log'
				    % tmp)
		env = dict(os.environ, top_srcdir=root, top_builddir=build)
		env.pop('KEEP_TMP', None)

		def progs(tl):
			return [t for t in tl if t.startswith('tests/unit/')]

		def build_for(t):
			"""What test t needs built: its program, the whole
			build, or nothing (the lua-*.sh tests load the
			scripts from the source tree)."""
			if a.all:
				return ['all']
			if t.startswith('tests/unit/'):
				return [t]
			if os.path.basename(t).startswith('lua-'):
				return None
			return ['all']

		def run_mutant(f):
			"""Build and run the tests one at a time, the cheap
			ones first: the first that fails kills the mutant."""
			built = set()
			tl = ['(all)'] if a.all else \
			    sorted(tests[f], key=lambda t: not t.startswith(
			    'tests/unit/'))
			for t in tl:
				tg = build_for(t)
				# One make at a time: `all` recurses, and a
				# target beside it would build the library
				# twice at once.
				if tg and tuple(tg) not in built:
					if run(['make', '-s', '-j2'] + tg, build,
					    600, log=log) != 0:
						return 'build-failed'
					built.add(tuple(tg))
				rc = run_tests([] if a.all else [t], limit[f])
				if rc == 124:
					return 'timeout'
				if rc != 0:
					return 'killed'
			return 'survived'

		def run_tests(tl, timeout):
			if a.all:
				return run(['make', '-s', '-j2', 'check'], build,
				    timeout, env=env)
			for t in tl:
				if t.startswith('tests/unit/'):
					cmd = [os.path.join(build, t)]
				else:
					cmd = ['bash', os.path.join(root, t)]
				rc = run(cmd, build, timeout, env=env)
				if rc != 0:
					return rc
			return 0

		# The tests must pass on the unmutated tree, and their time
		# sets the per-mutant limit.
		limit = {}
		for f in files:
			s = time.time()
			rc = run_tests(tests[f], 1800)
			el = time.time() - s
			if rc != 0:
				die('the tests of %s fail on the unmutated tree '
				    '(exit %d): %s' % (f, rc, ' '.join(tests[f])))
			limit[f] = a.timeout or (3 * el + 10)
		print('mutate.sh: built and checked in %.0f s; %d mutants to '
		    'run' % (time.time() - t0, len(todo)), flush=True)

		t1 = time.time()
		for n, mu in enumerate(todo, 1):
			if a.time_box and time.time() - t1 > a.time_box:
				mu['result'] = 'not-run'
				continue
			f = mu['file']
			orig = apply_mutant(root, mu)
			s = time.time()
			try:
				mu['result'] = run_mutant(f)
			finally:
				restore(root, f, orig)
			print('%4d/%d %-12s %s:%d %s %s (%.1f s)' % (n,
			    len(todo), mu['result'], f, mu['line'], mu['op'],
			    mu['id'], time.time() - s), flush=True)
		total = time.time() - t0
	finally:
		log.close()
		if a.keep:
			print('mutate.sh: kept %s' % tmp)
		else:
			shutil.rmtree(tmp, ignore_errors=True)

	# The report.
	kinds = ('killed', 'timeout', 'survived', 'build-failed', 'not-run')
	rows, tot = [], dict((k, 0) for k in kinds + ('equivalent',))
	for f in files:
		c = dict((k, 0) for k in kinds)
		for mu in todo:
			if mu['file'] == f:
				c[mu['result']] += 1
		c['equivalent'] = sum(1 for mu in mutants if mu['file'] == f
		    and mu['equivalent'])
		for k in c:
			tot[k] += c[k]
		rows.append((f, c))

	def score(c):
		d = c['killed'] + c['timeout'] + c['survived']
		return '%.1f%%' % (100.0 * (c['killed'] + c['timeout']) / d) \
		    if d else '-'
	out = ['| file | killed | timeout | survived | build-failed | '
	    'equivalent | not run | score |', '|' + '---|' * 8]
	for f, c in rows + [('**total**', tot)]:
		out.append('| %s | %d | %d | %d | %d | %d | %d | %s |' % (f,
		    c['killed'], c['timeout'], c['survived'],
		    c['build-failed'], c['equivalent'], c['not-run'], score(c)))
	out.append('')
	out.append('Score: killed (timeouts included) / (killed + survived); '
	    'build failures, equivalent mutants and mutants not run are '
	    'left out.  %d mutants run in %.0f s (%s%s).' % (
	    len(todo) - tot['not-run'], total,
	    'whole suite per mutant' if a.all else 'covering tests',
	    ', sample of %d, seed %d' % (a.sample, a.seed) if a.sample
	    else ''))
	for f in files:
		if f in SKIP:
			out.append('Left out of %s: %s (%s).' % (f,
			    ', '.join(SKIP[f][0]), SKIP[f][1]))
	surv = [mu for mu in todo if mu['result'] == 'survived']
	if surv:
		out += ['', 'Survivors:', '', '```diff']
		out += [diff_of(mu) for mu in surv]
		out.append('```')
	text = '\n'.join(out)
	print()
	print(text)
	if a.report:
		with open(a.report, 'w') as f:
			f.write(text + '\n')
	d = tot['killed'] + tot['timeout'] + tot['survived']
	print('mutants: %d killed, %d survived, %d equivalent, %d not run' % (
	    tot['killed'] + tot['timeout'], tot['survived'],
	    tot['equivalent'], tot['not-run']))
	if a.min_score is not None and d and \
	    100.0 * (tot['killed'] + tot['timeout']) / d < a.min_score:
		print('mutate.sh: score below %g%%' % a.min_score)
		return 1
	return 0


sys.exit(main())
PYTHON
