/*
 * Entity tags of environment integrations: the row's version counter,
 * as a strong tag ("7"). If-Match uses strong comparison (RFC 9110), so a
 * weak tag W/"7" never matches.
 */
#ifndef ENVINT_ETAG_H
#define ENVINT_ETAG_H

#include <stdbool.h>

#define ETAG_MAX 24

/* Writes "\"<version>\"" and a NUL into out[ETAG_MAX]. */
void etag_format(unsigned long long version, char out[ETAG_MAX]);

/* The effective config's tag, which changes with either side:
 * "\"<row version>.<integration version>\"" and a NUL into
 * out[ETAG_PAIR_MAX]. */
#define ETAG_PAIR_MAX 44
void etag_format_pair(unsigned long long version, unsigned long long integration_version,
		      char out[ETAG_PAIR_MAX]);

/* True when an If-Match header value admits `version`: "*" alone, or a
 * comma-separated list holding its strong tag. An element that is no
 * strong tag (W/"7", garbage) admits nothing itself and is skipped; an
 * unterminated tag ends the list. */
bool etag_if_match(const char *header, unsigned long long version);

#endif
