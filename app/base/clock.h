/*
 * Time without the C library's time zone state: a monotonic clock for
 * timeouts and back-offs, and calendar arithmetic of UTC instants held as
 * microseconds since the Unix epoch (proleptic Gregorian calendar).
 */
#ifndef ENVINT_CLOCK_H
#define ENVINT_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC: for intervals, never for dates. */
long long now_ms(void);

/* A UTC instant, field by field. */
struct civil {
	long long year;
	unsigned month, day;		/* 1-12, 1-31 */
	unsigned hour, minute, second;
	unsigned long micro;		/* 0-999999 */
};

/* Days in a month of a year (February 29 in leap years). */
unsigned civil_days_in_month(long long year, unsigned month);

/* The fields to microseconds since the epoch; no range check (callers
 * check the fields first). */
long long civil_to_us(const struct civil *c);

/* Microseconds since the epoch to fields (negative instants too). */
void civil_from_us(long long us, struct civil *c);

#endif
