/*
 * rate.c: GCRA (the generic cell rate algorithm) in exact integers.
 *
 * A channel may send count messages per period ms: one every
 * T = period/count ms, and burst more at once after a pause, so that the
 * tolerance is tau = burst * T.  The only state is the theoretical arrival
 * time (TAT) of the next message.  At time now, with TAT' = max(TAT, now)
 * (but see below), a message conforms when TAT' - tau <= now, and taking
 * it makes TAT TAT' + T.
 *
 * Why integers, and why this shape: T is rarely a whole number of ms
 * (2000/s is 0.5 ms, 300/s 3.333... ms, 7/min 8571.428... ms).  Rounded,
 * the long-run rate is wrong (300/s at 3 ms is 333/s; 2000/s at 0 or 1 ms
 * is unlimited or 1000/s); as a fraction it reached Redis as a non-integer
 * PX, which Redis refuses, and the channel sent nothing.  So time is kept
 * as whole ms plus "ticks" of 1/count ms: T is exactly period ticks and
 * tau burst * period ticks, and a TAT is (ms, rem) with 0 <= rem < count.
 *
 * The same algorithm runs in Redis (src/lua/outbox.lua gcra_*), where
 * numbers are doubles, exact only below 2^53.  A timestamp (~1.8e12 ms)
 * times count (up to 1e6) would not be, so a timestamp is never scaled:
 * only the distance from now to TAT, and only when it is within the
 * tolerance, is turned into ticks: at most tau + count ticks, and
 * tau <= 100000 * 86400000 = 8.64e12 (burst is at most 100000, the
 * configuration's maximum and count/10).  Everything else is a sum of ms
 * and a sum of remainders.  This file is the reference of that contract:
 * the Lua code computes exactly what these functions do, and
 * tests/unit/test-rate.c and tests/integration/rate-lua.sh hold both to
 * the same long-run bound.
 *
 * Why TAT' is not quite max(TAT, now): the clock is in whole ms, and a
 * stamp `now` stands for the whole ms [now, now + 1).  A TAT inside the
 * ms just gone, (now - 1, now), could have been met by a look a fraction
 * of a ms earlier; clamping it to now would lose that fraction at every
 * message, and a rate whose interval is not whole ms, with no tolerance
 * to absorb it (burst 1), would run slow: 300/s at one look per ms would
 * send 250/s (every 4 ms), 7/min a little under 7.  So a TAT is moved up
 * to now only when it is a whole ms or more behind; one in the ms just
 * gone is kept.  Counted in ms stamps, no second holds more than before
 * (rate + burst - 1), and a sender looking every ms, or when the wait
 * says, gets exactly burst + rate * time.
 */
#include "compat.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "rate.h"

/* From a configured rate and burst; 1 when there is a limit, else 0. */
int
rate_init(struct rate *r, unsigned long count, unsigned long period,
    long burst)
{
	long long	b;

	r->period = (long long)period * 1000;
	r->count = (long long)count;
	r->burst = 0;
	if (count == 0 || period == 0) {
		r->count = 0;
		return (0);
	}
	b = burst > 0 ? burst : (long long)(count / 10);
	if (b < 1)
		b = 1;
	/*
	 * The limiter lets burst + 1 through at rest (its tolerance is
	 * burst intervals); `burst` in the configuration is the whole
	 * burst, so that a second never holds more than the rate + burst - 1.
	 */
	r->burst = b - 1;
	return (1);
}

/*
 * How far TAT' is ahead of now, as (ms, rem): TAT, unless it is a whole
 * ms or more behind (then now, (0, 0)).  ms is -1 for a TAT in the ms
 * just gone.
 */
static void
rate_ahead(const struct rate_tat *tat, long long now, long long *ms,
    long long *rem)
{
	if (tat->ms + (tat->rem > 0 ? 1 : 0) < now) {
		*ms = 0;
		*rem = 0;
	} else {
		*ms = tat->ms - now;
		*rem = tat->rem;
	}
}

/* How many may go at now; when none, 0 and *wait in ms. */
long long
rate_allow(const struct rate *r, const struct rate_tat *tat, long long now,
    long long *wait)
{
	long long	ms, rem, tau, tms, trem;

	*wait = 0;
	if (r->count == 0)
		return (1LL << 40);
	rate_ahead(tat, now, &ms, &rem);
	tau = r->burst * r->period;		/* ticks */
	tms = tau / r->count;
	trem = tau % r->count;
	if (ms > tms || (ms == tms && rem > trem)) {
		/* TAT' - tau - now, rounded up to the next whole ms. */
		*wait = ms - tms + (rem > trem ? 1 : 0);
		return (0);
	}
	/*
	 * Within the tolerance, TAT' - now is -1 ms to tau in ticks: small
	 * enough to be exact in a double (see above).
	 */
	return ((tau - (ms * r->count + rem)) / r->period + 1);
}

/* Take one at now: TAT = TAT' + T.  Returns the key's PX, in ms. */
long long
rate_take(const struct rate *r, struct rate_tat *tat, long long now)
{
	long long	ms, rem;

	if (r->count == 0)
		return (0);
	rate_ahead(tat, now, &ms, &rem);
	tat->ms = now + ms;
	tat->rem = rem + r->period % r->count;
	tat->ms += r->period / r->count;
	if (tat->rem >= r->count) {
		tat->rem -= r->count;
		tat->ms++;
	}
	/* Kept until a second after the TAT: idle, it is worth nothing. */
	return (tat->ms - now + (tat->rem > 0 ? 1 : 0) + 1000);
}

/* Check and take one at now: 1 when it may go, else 0 and *wait. */
int
rate_admit(const struct rate *r, struct rate_tat *tat, long long now,
    long long *wait)
{
	if (rate_allow(r, tat, now, wait) == 0)
		return (0);
	rate_take(r, tat, now);
	return (1);
}

/* The stored form: "<ms>" when on a whole ms, else "<ms>+<rem>/<count>". */
void
rate_state_format(const struct rate *r, const struct rate_tat *tat,
    char *buf, size_t len)
{
	/*
	 * A whole ms is written as a bare number: a rate whose interval is
	 * whole ms always is, so that state reads the same as before.  The
	 * count is written beside the remainder because the remainder means
	 * nothing for another count (a changed rate).
	 */
	if (tat->rem == 0)
		snprintf(buf, len, "%lld", tat->ms);
	else
		snprintf(buf, len, "%lld+%lld/%lld", tat->ms, tat->rem,
		    r->count);
}

/* Digits from *s to a non-digit, as a non-negative number; -1 if none. */
static long long
rate_digits(const char **s)
{
	const char	*p = *s;
	long long	 v = 0;

	if (*p < '0' || *p > '9')
		return (-1);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (*p - '0');
	}
	*s = p;
	return (v);
}

/* A stored state back; one not understood is none. */
void
rate_state_parse(const struct rate *r, const char *s, struct rate_tat *tat)
{
	long long	ms, rem, count;

	tat->ms = 0;
	tat->rem = 0;
	if (s == NULL || (ms = rate_digits(&s)) < 0)
		return;
	if (*s == '\0') {
		tat->ms = ms;
		return;
	}
	if (*s++ != '+' || (rem = rate_digits(&s)) < 0 || *s++ != '/' ||
	    (count = rate_digits(&s)) < 0 || *s != '\0')
		return;
	tat->ms = ms;
	tat->rem = rem;
	/* Another count's remainder: round up, never earlier than it said. */
	if (count != r->count || rem >= r->count) {
		if (rem > 0)
			tat->ms++;
		tat->rem = 0;
	}
}
