#include "timeconv.h"

#include <stdbool.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days (public domain
 * algorithms), for the proleptic Gregorian calendar. */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(long long y, unsigned m)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

/* Reads exactly `w` digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, unsigned w, unsigned *out)
{
	unsigned v = 0;

	if (*i + w > n)
		return -1;
	for (unsigned k = 0; k < w; k++) {
		char c = s[*i + k];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	*i += w;
	*out = v;
	return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
	if (*i >= n || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

int time_parse_iso(const char *s, size_t n, long long *us)
{
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, oh = 0, om = 0;
	size_t i = 0;
	int sign = 0;

	if (digits(s, n, &i, 4, &y) < 0 || expect(s, n, &i, '-') < 0 ||
	    digits(s, n, &i, 2, &mo) < 0 || expect(s, n, &i, '-') < 0 ||
	    digits(s, n, &i, 2, &d) < 0)
		return -1;
	if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (digits(s, n, &i, 2, &h) < 0 || expect(s, n, &i, ':') < 0 ||
		    digits(s, n, &i, 2, &mi) < 0)
			return -1;
		if (i < n && s[i] == ':') {
			i++;
			if (digits(s, n, &i, 2, &sec) < 0)
				return -1;
			if (i < n && s[i] == '.') {
				unsigned k = 0;

				i++;
				while (i < n && s[i] >= '0' && s[i] <= '9') {
					if (++k > 6)
						return -1;
					frac = frac * 10 + (unsigned)(s[i++] - '0');
				}
				if (k == 0)
					return -1;
				for (; k < 6; k++)
					frac *= 10;
			}
		}
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) {
			/* ' ' is a '+' that form decoding turned into a space */
			sign = s[i++] == '-' ? -1 : 1;
			if (digits(s, n, &i, 2, &oh) < 0 || expect(s, n, &i, ':') < 0 ||
			    digits(s, n, &i, 2, &om) < 0 || oh > 23 || om > 59)
				return -1;
		}	/* no offset: UTC (Truto's Python SDK sends naive datetimes) */
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	if (i != n)
		return -1;
	long long secs = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec;

	secs -= sign * (long long)(oh * 3600 + om * 60);
	*us = secs * 1000000LL + frac;
	/* the offset may carry the instant out of DATETIME's range */
	return time_in_range(*us) ? 0 : -1;
}

bool time_in_range(long long us)
{
	static const long long lo = -30610224000LL * 1000000LL;	/* 1000-01-01 */
	static const long long hi = 253402300800LL * 1000000LL;	/* 10000-01-01 */

	return us >= lo && us < hi;
}

void time_to_mysql(long long us, MYSQL_TIME *t)
{
	long long secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	long long rem = us - secs * 1000000;
	long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	long long sod = secs - days * 86400;
	long long y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	memset(t, 0, sizeof(*t));
	t->year = (unsigned)y;
	t->month = m;
	t->day = d;
	t->hour = (unsigned)(sod / 3600);
	t->minute = (unsigned)(sod % 3600 / 60);
	t->second = (unsigned)(sod % 60);
	t->second_part = (unsigned long)rem;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

long long time_from_mysql(const MYSQL_TIME *t)
{
	long long days = days_from_civil(t->year, t->month, t->day);

	return ((days * 86400LL + t->hour * 3600LL + t->minute * 60LL + t->second) * 1000000LL) +
	       (long long)t->second_part;
}
