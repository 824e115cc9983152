#include "app/base/clock.h"

#include <stdbool.h>
#include <time.h>

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

unsigned civil_days_in_month(long long year, unsigned month)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : dim[month - 1];
}

long long civil_to_us(const struct civil *c)
{
	long long days = days_from_civil(c->year, c->month, c->day);

	return (days * 86400LL + c->hour * 3600LL + c->minute * 60LL + c->second) * 1000000LL +
	       (long long)c->micro;
}

void civil_from_us(long long us, struct civil *c)
{
	long long secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
	long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	long long sod = secs - days * 86400;

	civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (unsigned)(sod / 3600);
	c->minute = (unsigned)(sod % 3600 / 60);
	c->second = (unsigned)(sod % 60);
	c->micro = (unsigned long)(us - secs * 1000000);
}
