/*
 * Timestamps in requests: ISO-8601 parsing into microseconds since the
 * Unix epoch (UTC), and the range a DATETIME column holds. Pure (db/db.h
 * converts to and from MYSQL_TIME).
 */
#ifndef ENVINT_TIMECONV_H
#define ENVINT_TIMECONV_H

#include <stdbool.h>
#include <stddef.h>

/* Parses "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS[.f{1,6}]]" optionally
 * followed by "Z" or "+HH:MM"/"-HH:MM" (the offset is applied; without one
 * the time is UTC; 'T' may be a space, and so may the '+' of an offset,
 * which form decoding turns into one). Fields
 * are range-checked (Feb 30 is rejected) and the instant, in UTC, must lie
 * in years 1000-9999.
 * Returns 0 with *us set, or -1. */
int time_parse_iso(const char *s, size_t n, long long *us);

/* True for instants DATETIME can hold: 1000-01-01 to 9999-12-31 UTC. */
bool time_in_range(long long us);

#endif
