/*
 * An ordered list of database servers as `db_host` gives it:
 * "db1.example:3306, db2.example, [::1]:3307" (a port is optional and
 * defaults to db_port; an IPv6 address in brackets). Pure: parsed by the
 * configuration check and by the database layer alike.
 */
#ifndef ENVINT_HOSTLIST_H
#define ENVINT_HOSTLIST_H

#include <stddef.h>

#define HOSTLIST_MAX 8		/* servers in one list */
#define HOST_MAX 255		/* bytes of one host name */

struct hostport {
	char host[HOST_MAX + 1];	/* without brackets */
	unsigned port;
};

/* Parses `spec` into out[0..*n). Entries are separated by commas (blanks
 * around them ignored); an empty list, an empty entry, a port that is not
 * 1-65535, a bracket without its pair, more than HOSTLIST_MAX entries or a
 * host longer than HOST_MAX are refused: -1 with a message in err (always
 * NUL-terminated). 0 on success. */
int hostlist_parse(const char *spec, unsigned default_port, struct hostport *out,
		   size_t *n, char *err, size_t errlen);

#endif
