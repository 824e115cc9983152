/*
 * Time conversions without the C library's time zone state: ISO-8601
 * parsing, and MYSQL_TIME <-> microseconds since the Unix epoch (UTC).
 */
#ifndef ENVINT_TIMECONV_H
#define ENVINT_TIMECONV_H

#include <stddef.h>

#include <mysql.h>

/* Parses "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS[.f{1,6}]]" followed by
 * "Z" or "+HH:MM"/"-HH:MM" (the offset is applied; 'T' may be a space).
 * Years 1000-9999; fields are range-checked (Feb 30 is rejected).
 * Returns 0 with *us set, or -1. */
int time_parse_iso(const char *s, size_t n, long long *us);

/* Microseconds since the epoch to a DATETIME value (UTC). */
void time_to_mysql(long long us, MYSQL_TIME *t);

/* A DATETIME value (taken as UTC) to microseconds since the epoch. */
long long time_from_mysql(const MYSQL_TIME *t);

#endif
