/*
 * feed_date.c - the two date formats news feeds use, parsed by hand so that
 * only real calendar instants between FEED_MIN_YEAR and FEED_MAX_YEAR (UTC)
 * come out: the server's timestamptz_in would also take infinity, now,
 * epoch, BC years and the session's time zone.
 */
#include <string.h>

#include "feed_bounds.h"
#include "feed_date.h"

#define USECS_PER_SEC INT64_C(1000000)

typedef struct DateScan
{
	const char *p;
	const char *end;
} DateScan;

static bool
AtEnd(DateScan *d)
{
	return d->p >= d->end;
}

static bool
Peek(DateScan *d, char c)
{
	return d->p < d->end && *d->p == c;
}

static bool
Take(DateScan *d, char c)
{
	if (!Peek(d, c))
		return false;
	d->p++;
	return true;
}

static void
SkipSpaces(DateScan *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\r' || *d->p == '\n'))
		d->p++;
}

/* Exactly min..max digits; the value in *v. */
static bool
Digits(DateScan *d, int min, int max, int *v)
{
	int			n = 0;

	*v = 0;
	while (n < max && d->p < d->end && *d->p >= '0' && *d->p <= '9')
	{
		*v = *v * 10 + (*d->p - '0');
		d->p++;
		n++;
	}
	return n >= min && !(d->p < d->end && *d->p >= '0' && *d->p <= '9');
}

static bool
IsLeap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
DaysInMonth(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && IsLeap(y)) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, y >= 1). */
static int64_t
DaysFromCivil(int y, int m, int d)
{
	int64_t		yy = y - (m <= 2);
	int64_t		era = yy / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The instant of a local date and time at offset minutes east of UTC, if in range. */
static bool
MakeInstant(int y, int mo, int d, int h, int mi, int s, int64_t frac_us, int offset_min,
			int64_t *us)
{
	int64_t		secs;

	if (y < FEED_MIN_YEAR || y > FEED_MAX_YEAR || mo < 1 || mo > 12 ||
		d < 1 || d > DaysInMonth(y, mo) || h > 23 || mi > 59 || s > 60)
		return false;
	secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - (int64_t) offset_min * 60;
	if (secs < 0 || secs >= FEED_MAX_UNIX_SECS)
		return false;
	*us = secs * USECS_PER_SEC + frac_us;
	return true;
}

/* Optional fraction of a second after '.', kept to the microsecond. */
static bool
Fraction(DateScan *d, int64_t *frac_us)
{
	int			n = 0;
	int64_t		scale = 100000;

	*frac_us = 0;
	if (!Take(d, '.'))
		return true;
	while (d->p < d->end && *d->p >= '0' && *d->p <= '9')
	{
		if (n < 6)
			*frac_us += (*d->p - '0') * scale;
		scale /= 10;
		d->p++;
		if (++n > 9)
			return false;
	}
	return n > 0;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM); no offset means UTC. */
bool
FeedParseRfc3339(const char *s, size_t len, int64_t *us)
{
	DateScan	d = {s, s + len};
	int			y,
				mo,
				da,
				h,
				mi,
				se,
				oh = 0,
				om = 0,
				sign = 0;
	int64_t		frac;

	SkipSpaces(&d);
	if (!Digits(&d, 4, 4, &y) || !Take(&d, '-') || !Digits(&d, 2, 2, &mo) ||
		!Take(&d, '-') || !Digits(&d, 2, 2, &da))
		return false;
	if (!Take(&d, 'T') && !Take(&d, 't') && !Take(&d, ' '))
		return false;
	if (!Digits(&d, 2, 2, &h) || !Take(&d, ':') || !Digits(&d, 2, 2, &mi) ||
		!Take(&d, ':') || !Digits(&d, 2, 2, &se) || !Fraction(&d, &frac))
		return false;
	if (Take(&d, 'Z') || Take(&d, 'z'))
		sign = 0;
	else if (Peek(&d, '+') || Peek(&d, '-'))
	{
		sign = (*d.p == '-') ? -1 : 1;
		d.p++;
		if (!Digits(&d, 2, 2, &oh) || !Take(&d, ':') || !Digits(&d, 2, 2, &om) ||
			oh > 23 || om > 59)
			return false;
	}
	SkipSpaces(&d);
	if (!AtEnd(&d))
		return false;
	return MakeInstant(y, mo, da, h, mi, se, frac, sign * (oh * 60 + om), us);
}

static int
WordIndex(const char *p, size_t n, const char *const *words, int count)
{
	int			i;
	size_t		k;

	for (i = 0; i < count; i++)
	{
		const char *w = words[i];

		if (strlen(w) != n)
			continue;
		for (k = 0; k < n; k++)
			if ((p[k] | 0x20) != (w[k] | 0x20))
				break;
		if (k == n)
			return i;
	}
	return -1;
}

/* A run of ASCII letters. */
static size_t
Letters(DateScan *d)
{
	const char *s = d->p;

	while (d->p < d->end && ((*d->p | 0x20) >= 'a' && (*d->p | 0x20) <= 'z'))
		d->p++;
	return (size_t) (d->p - s);
}

/*
 * RFC 822 / 2822: [Day,] D Mon YYYY HH:MM[:SS] zone, where zone is
 * +HHMM, -HHMM, GMT, UT, UTC, Z or a North American zone; two-digit years
 * are 19xx from 50, else 20xx (RFC 2822 4.3); a missing zone means UTC.
 */
bool
FeedParseRfc822(const char *s, size_t len, int64_t *us)
{
	static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"};
	static const char *const zones[] = {"gmt", "ut", "utc", "z", "est", "edt", "cst", "cdt",
	"mst", "mdt", "pst", "pdt"};
	static const int zone_min[] = {0, 0, 0, 0, -300, -240, -360, -300, -420, -360, -480, -420};
	DateScan	d = {s, s + len};
	const char *w;
	size_t		n;
	int			day,
				mon,
				y,
				h,
				mi,
				se = 0,
				off = 0;

	SkipSpaces(&d);
	w = d.p;
	if ((n = Letters(&d)) > 0)
	{
		if (WordIndex(w, n, days, 7) < 0 || !Take(&d, ','))
			return false;
		SkipSpaces(&d);
	}
	if (!Digits(&d, 1, 2, &day))
		return false;
	SkipSpaces(&d);
	w = d.p;
	n = Letters(&d);
	if ((mon = WordIndex(w, n, months, 12)) < 0)
		return false;
	SkipSpaces(&d);
	w = d.p;
	if (!Digits(&d, 2, 4, &y) || d.p - w == 3)
		return false;
	if (d.p - w == 2)
		y += (y < 50) ? 2000 : 1900;
	SkipSpaces(&d);
	if (!Digits(&d, 2, 2, &h) || !Take(&d, ':') || !Digits(&d, 2, 2, &mi))
		return false;
	if (Take(&d, ':') && !Digits(&d, 2, 2, &se))
		return false;
	SkipSpaces(&d);
	if (Peek(&d, '+') || Peek(&d, '-'))
	{
		int			sign = (*d.p == '-') ? -1 : 1;
		int			hhmm;

		d.p++;
		if (!Digits(&d, 4, 4, &hhmm) || hhmm / 100 > 23 || hhmm % 100 > 59)
			return false;
		off = sign * ((hhmm / 100) * 60 + hhmm % 100);
	}
	else if (!AtEnd(&d))
	{
		int			z;

		w = d.p;
		n = Letters(&d);
		if ((z = WordIndex(w, n, zones, 12)) < 0)
			return false;
		off = zone_min[z];
	}
	SkipSpaces(&d);
	if (!AtEnd(&d))
		return false;
	return MakeInstant(y, mon + 1, day, h, mi, se, 0, off, us);
}
