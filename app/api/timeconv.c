#include "app/api/timeconv.h"

#include <stdbool.h>

#include "app/base/clock.h"

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
	if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > civil_days_in_month(y, mo))
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
	struct civil c = { y, mo, d, h, mi, sec, frac };

	*us = civil_to_us(&c) - sign * (long long)(oh * 3600 + om * 60) * 1000000LL;
	/* the offset may carry the instant out of DATETIME's range */
	return time_in_range(*us) ? 0 : -1;
}

bool time_in_range(long long us)
{
	static const long long lo = -30610224000LL * 1000000LL;	/* 1000-01-01 */
	static const long long hi = 253402300800LL * 1000000LL;	/* 10000-01-01 */

	return us >= lo && us < hi;
}
