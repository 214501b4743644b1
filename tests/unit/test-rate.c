/*
 * test-rate.c: the channel rate core (src/rate.c) on a simulated clock.
 *
 * Every rate is held against a naive model of GCRA in plain ticks (time
 * since the start times count, no remainders), decision by decision, and
 * against the long-run bound: greedy senders admitted over a window W get
 * burst + rate * W, within 1, and at no moment more than that.  The state
 * goes through its stored string form after every poll, as it does in
 * Redis.
 */
#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rate.h"

/* A realistic clock: ms timestamps near 2026-12-02. */
#define T0		1764633600000LL

struct sweep {
	unsigned long	count;
	unsigned long	period;		/* s */
};

/* The brief's sweep, then odd ones: every period, both count ends. */
static const struct sweep rates[] = {
	{ 1, 86400 }, { 1, 3600 }, { 7, 60 }, { 60, 60 }, { 3, 1 },
	{ 300, 1 }, { 333, 1 }, { 1000, 1 }, { 2000, 1 }, { 100000, 1 },
	{ 1000000, 1 },
	{ 1, 1 }, { 7, 1 }, { 999, 60 }, { 17, 60 }, { 13, 3600 },
	{ 1000000, 3600 }, { 3, 86400 }, { 999999, 86400 },
	{ 1000000, 86400 }
};
/* 0: the default, count/10 (at least 1). */
static const long bursts[] = { 0, 1, 2, 7, 100 };

/* The naive model: ticks since T0, TAT in ticks. */
struct model {
	long long	tat;
	long long	tau;
	long long	interval;
	long long	count;
};

struct sim {
	struct rate	r;
	struct rate_tat	tat;
	struct model	m;
	long long	admitted;
	long long	whole;		/* the configured whole burst */
	long long	last;		/* ms of the last look */
	unsigned long long prng;
};

static unsigned long long
sim_random(struct sim *s)
{
	/* xorshift64: the same irregular steps on every run. */
	s->prng ^= s->prng << 13;
	s->prng ^= s->prng >> 7;
	s->prng ^= s->prng << 17;
	return (s->prng);
}

/*
 * TAT' at ms t: the TAT, unless a whole ms or more behind t (then t).  In
 * plain ticks: behind t - 1 ms, or on it.
 */
static long long
model_tat(const struct model *m, long long t)
{
	if (m->tat <= (t - 1) * m->count)
		return (t * m->count);
	return (m->tat);
}

static int
model_conforms(const struct model *m, long long t)
{
	return (model_tat(m, t) - m->tau <= t * m->count);
}

static void
model_take(struct model *m, long long t)
{
	m->tat = model_tat(m, t) + m->interval;
}

static void
sim_init(struct sim *s, const struct sweep *sw, long burst)
{
	memset(s, 0, sizeof *s);
	assert_int_equal(rate_init(&s->r, sw->count, sw->period, burst), 1);
	s->whole = s->r.burst + 1;
	s->m.count = s->r.count;
	s->m.interval = s->r.period;
	s->m.tau = s->r.burst * s->r.period;
	s->prng = 0x9e3779b97f4a7c15ULL ^ (sw->count * 31 + sw->period) ^
	    (unsigned long long)burst;
}

/*
 * Poll at t ms after T0 like a greedy sender: take everything allowed.
 * Checks allow against admit, both against the model, the wait, the
 * bound, and the stored form.  Returns the wait after the last one.
 */
static long long
sim_poll(struct sim *s, long long t)
{
	struct rate_tat	 back;
	char		 buf[RATE_STATE_LEN];
	long long	 now = T0 + t, n, k = 0, wait, wait2, px;

	n = rate_allow(&s->r, &s->tat, now, &wait);
	for (;;) {
		if (!model_conforms(&s->m, t))
			break;
		assert_int_equal(rate_allow(&s->r, &s->tat, now, &wait2) > 0,
		    1);
		model_take(&s->m, t);
		px = rate_take(&s->r, &s->tat, now);
		/* The key outlives the TAT by a second. */
		assert_true(px >= 1000);
		assert_true((px - 1000) * s->r.count >=
		    (s->tat.ms - now) * s->r.count + s->tat.rem);
		k++;
	}
	assert_int_equal(rate_admit(&s->r, &s->tat, now, &wait2), 0);
	assert_int_equal(k, n);
	if (n > 0)
		assert_int_equal(wait, 0);
	/* The wait is exact to the ms: not a ms earlier, and then it goes. */
	assert_true(wait2 >= 1);
	assert_false(model_conforms(&s->m, t + wait2 - 1));
	assert_true(model_conforms(&s->m, t + wait2));
	/* The model's TAT is the core's, in ticks. */
	assert_int_equal(s->m.tat, (s->tat.ms - T0) * s->r.count +
	    s->tat.rem);
	s->admitted += k;
	/* Never more than burst + rate * t since the start, at rest. */
	assert_true(s->admitted * s->r.period <=
	    s->whole * s->r.period + t * s->r.count);
	rate_state_format(&s->r, &s->tat, buf, sizeof buf);
	rate_state_parse(&s->r, buf, &back);
	assert_int_equal(back.ms, s->tat.ms);
	assert_int_equal(back.rem, s->tat.rem);
	return (wait2);
}

/* Admitted within 1 of burst + rate * t. */
static void
sim_bound(const struct sim *s, long long t, const char *mode)
{
	long long	got = s->admitted * s->r.period;
	long long	want = s->whole * s->r.period + t * s->r.count;

	if (got < want - s->r.period || got > want + s->r.period)
		fail_msg("%lld/%llds burst %lld, %s: %lld in %lld ms, want "
		    "%lld +- 1", s->r.count, s->r.period / 1000, s->whole,
		    mode, s->admitted, t, want / s->r.period);
}

/*
 * The longest step between looks that loses nothing: the tolerance and
 * the ms a TAT may lag.  A poller looking less often gets less (GCRA
 * keeps no credit beyond the burst), never more.
 */
static long long
sim_maxstep(const struct sim *s)
{
	return (s->r.burst * s->r.period / s->r.count + 1);
}

/* A window long enough for about n messages, within [lo, hi] ms. */
static long long
sim_window(const struct sim *s, long long n, long long lo, long long hi)
{
	long long	w = n * s->r.period / s->r.count;

	if (w < lo)
		w = lo;
	if (w > hi)
		w = hi;
	return (w);
}

static void
test_params(void **state)
{
	struct rate	r;

	assert_int_equal(rate_init(&r, 2000, 1, 0), 1);
	assert_int_equal(r.period, 1000);
	assert_int_equal(r.count, 2000);
	assert_int_equal(r.burst, 199);		/* 2000/10, less the one */
	assert_int_equal(rate_init(&r, 7, 60, 3), 1);
	assert_int_equal(r.period, 60000);
	assert_int_equal(r.burst, 2);
	assert_int_equal(rate_init(&r, 1, 86400, 0), 1);
	assert_int_equal(r.period, 86400000);
	assert_int_equal(r.burst, 0);		/* at least 1 in all */
	assert_int_equal(rate_init(&r, 0, 1, 5), 0);
	assert_int_equal(r.count, 0);
}

/* Every ms, greedy, for up to 20000 ms. */
static void
test_sweep_ms(void **state)
{
	struct sim	s;
	size_t		i, j;
	long long	t, w;

	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		for (j = 0; j < sizeof bursts / sizeof bursts[0]; j++) {
			sim_init(&s, &rates[i], bursts[j]);
			w = sim_window(&s, 50000, 10, 20000);
			for (t = 0; t <= w; t++)
				sim_poll(&s, t);
			sim_bound(&s, w, "every ms");
		}
	}
}

/*
 * Irregular steps of 1 to `max` ms over a long window, the last one
 * landing on it: 20000 steps or about 300000 messages at most.
 */
static void
sim_steps(struct sim *s, long long max, long long w)
{
	long long	t, step;

	if (w / max > 20000)
		w = 20000 * max;
	if (w / s->r.period * s->r.count > 300000)
		w = 300000 * s->r.period / s->r.count;
	for (t = 0;;) {
		sim_poll(s, t);
		if (t == w)
			break;
		step = 1 + (long long)(sim_random(s) %
		    (unsigned long long)max);
		t = t + step > w ? w : t + step;
	}
	s->last = w;
}

/* Coarse irregular steps, up to the tolerance, over a long window. */
static void
test_sweep_coarse(void **state)
{
	struct sim	s;
	size_t		i, j;
	long long	max;

	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		for (j = 0; j < sizeof bursts / sizeof bursts[0]; j++) {
			sim_init(&s, &rates[i], bursts[j]);
			max = sim_maxstep(&s);
			sim_steps(&s, max, sim_window(&s, 50000, 50 * max,
			    2000000000000LL));
			sim_bound(&s, s.last, "coarse steps");
		}
	}
}

/*
 * Steps up to three times longer than the tolerance: fewer messages
 * (checked by sim_poll: never more than burst + rate * time).
 */
static void
test_sweep_sparse(void **state)
{
	struct sim	s;
	size_t		i, j;
	long long	max;

	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		for (j = 0; j < sizeof bursts / sizeof bursts[0]; j++) {
			sim_init(&s, &rates[i], bursts[j]);
			max = 3 * sim_maxstep(&s) + 2;
			sim_steps(&s, max, sim_window(&s, 20000, 50 * max,
			    2000000000000LL));
			if (s.admitted * s.r.period >=
			    s.whole * s.r.period + s.last * s.r.count)
				fail_msg("%lld/%llds: sparse looks got the "
				    "whole rate", s.r.count,
				    s.r.period / 1000);
		}
	}
}

/* As the daemon does: look again when the wait says. */
static void
test_sweep_wait(void **state)
{
	struct sim	s;
	size_t		i, j;
	long long	t, w, last;

	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		for (j = 0; j < sizeof bursts / sizeof bursts[0]; j++) {
			sim_init(&s, &rates[i], bursts[j]);
			w = sim_window(&s, 20000, 10, 400LL * 86400000);
			for (t = 0, last = 0; t <= w; t += sim_poll(&s, t))
				last = t;
			sim_bound(&s, last, "at the waits");
		}
	}
}

/* After a pause of any length, burst at once, not one more. */
static void
test_pause(void **state)
{
	struct sim	s;
	size_t		i, j;
	long long	t = 0, wait, n;

	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		for (j = 0; j < sizeof bursts / sizeof bursts[0]; j++) {
			sim_init(&s, &rates[i], bursts[j]);
			assert_int_equal(rate_allow(&s.r, &s.tat, T0, &wait),
			    s.whole);
			sim_poll(&s, 0);
			assert_int_equal(s.admitted, s.whole);
			/* A long pause: ten tolerances and a day. */
			t = 10 * s.whole * s.r.period / s.r.count + 86400000;
			n = rate_allow(&s.r, &s.tat, T0 + t, &wait);
			assert_int_equal(n, s.whole);
			sim_poll(&s, t);
			assert_int_equal(s.admitted, 2 * s.whole);
		}
	}
}

/* The stored form: bare ms, or ms+rem/count; others round up or reset. */
static void
test_state(void **state)
{
	struct rate	r;
	struct rate_tat	tat;
	char		buf[RATE_STATE_LEN];

	assert_int_equal(rate_init(&r, 3, 1, 0), 1);
	tat.ms = T0;
	tat.rem = 0;
	rate_state_format(&r, &tat, buf, sizeof buf);
	assert_string_equal(buf, "1764633600000");
	tat.rem = 2;
	rate_state_format(&r, &tat, buf, sizeof buf);
	assert_string_equal(buf, "1764633600000+2/3");
	rate_state_parse(&r, "1764633600000+2/3", &tat);
	assert_int_equal(tat.ms, T0);
	assert_int_equal(tat.rem, 2);
	rate_state_parse(&r, "1764633600000", &tat);
	assert_int_equal(tat.ms, T0);
	assert_int_equal(tat.rem, 0);
	/* Another count (the rate changed): the next whole ms. */
	rate_state_parse(&r, "1764633600000+1/7", &tat);
	assert_int_equal(tat.ms, T0 + 1);
	assert_int_equal(tat.rem, 0);
	rate_state_parse(&r, "1764633600000+3/3", &tat);
	assert_int_equal(tat.ms, T0 + 1);
	assert_int_equal(tat.rem, 0);
	/* Not understood: no state, the channel is at rest. */
	rate_state_parse(&r, NULL, &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "12.5", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "12+1", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "12+1/", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "-12", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "99999999999999999999", &tat);
	assert_int_equal(tat.ms, 0);
}

/*
 * With no tolerance (burst 1), one look per ms: 300/s is 3.333 ms apart,
 * not 4 (250/s); 2000/s is two in each ms.  burst + rate * time.
 */
static void
test_fractional(void **state)
{
	struct rate	r;
	struct rate_tat	tat = { 0, 0 };
	long long	wait, t, n = 0;

	assert_int_equal(rate_init(&r, 300, 1, 1), 1);
	for (t = 0; t <= 3000; t++) {
		while (rate_admit(&r, &tat, T0 + t, &wait))
			n++;
	}
	assert_int_equal(n, 1 + 300 * 3);
	assert_int_equal(rate_init(&r, 2000, 1, 1), 1);
	tat.ms = tat.rem = 0;
	n = 0;
	for (t = 0; t <= 1000; t++) {
		while (rate_admit(&r, &tat, T0 + t, &wait))
			n++;
	}
	assert_int_equal(n, 1 + 2000);
}

/*
 * The edges the sweeps do not reach: no limit at all, the exact expiry
 * (PX) of a state, and stored states at the parser's limits.
 */
static void
test_edges(void **state)
{
	struct rate	r;
	struct rate_tat	tat;
	long long	wait;

	/* No limit: nothing is kept, everything may go. */
	memset(&r, 0xa5, sizeof r);
	assert_int_equal(rate_init(&r, 0, 1, 5), 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.burst, 0);
	memset(&r, 0xa5, sizeof r);
	assert_int_equal(rate_init(&r, 5, 0, 3), 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.burst, 0);
	tat.ms = 42;
	tat.rem = 1;
	wait = 7;
	/* 2^40: what outbox.lua's allow answers for a channel without rate. */
	assert_int_equal(rate_allow(&r, &tat, T0, &wait), 1LL << 40);
	assert_int_equal(wait, 0);
	assert_int_equal(rate_take(&r, &tat, T0), 0);
	assert_int_equal(tat.ms, 42);
	assert_int_equal(tat.rem, 1);
	assert_int_equal(rate_admit(&r, &tat, T0, &wait), 1);

	/* The key lives a second past the TAT, a started ms counted whole. */
	assert_int_equal(rate_init(&r, 2, 1, 1), 1);
	tat.ms = tat.rem = 0;
	assert_int_equal(rate_take(&r, &tat, T0), 500 + 1000);
	assert_int_equal(tat.ms, T0 + 500);
	assert_int_equal(tat.rem, 0);
	assert_int_equal(rate_take(&r, &tat, T0), 1000 + 1000);
	assert_int_equal(rate_init(&r, 3, 1, 1), 1);
	tat.ms = tat.rem = 0;
	assert_int_equal(rate_take(&r, &tat, T0), 333 + 1 + 1000);
	assert_int_equal(tat.ms, T0 + 333);
	assert_int_equal(tat.rem, 1);

	/* Zeros are numbers; the largest accepted and the first refused. */
	rate_state_parse(&r, "0+1/3", &tat);
	assert_int_equal(tat.ms, 0);
	assert_int_equal(tat.rem, 1);
	rate_state_parse(&r, "5+0/3", &tat);
	assert_int_equal(tat.ms, 5);
	assert_int_equal(tat.rem, 0);
	rate_state_parse(&r, "5+1/0", &tat);
	assert_int_equal(tat.ms, 6);
	assert_int_equal(tat.rem, 0);
	/* Another count's zero remainder is already on a whole ms. */
	rate_state_parse(&r, "5+0/7", &tat);
	assert_int_equal(tat.ms, 5);
	assert_int_equal(tat.rem, 0);
	rate_state_parse(&r, "5+2/3", &tat);
	assert_int_equal(tat.ms, 5);
	assert_int_equal(tat.rem, 2);
	rate_state_parse(&r, "9223372036854775799", &tat);
	assert_int_equal(tat.ms, 9223372036854775799LL);
	rate_state_parse(&r, "9223372036854775800", &tat);
	assert_int_equal(tat.ms, 0);
	rate_state_parse(&r, "5+922337203685477580/3", &tat);
	assert_int_equal(tat.ms, 6);
	assert_int_equal(tat.rem, 0);
	rate_state_parse(&r, "5+9223372036854775800/3", &tat);
	assert_int_equal(tat.ms, 0);
	assert_int_equal(tat.rem, 0);
	rate_state_parse(&r, "5+1/3x", &tat);
	assert_int_equal(tat.ms, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_fractional),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_sweep_ms),
		cmocka_unit_test(test_sweep_coarse),
		cmocka_unit_test(test_sweep_sparse),
		cmocka_unit_test(test_sweep_wait),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
