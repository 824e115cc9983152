/*
 * Web server site files rendered from a template and the configuration,
 * so that what nginx answers on its own agrees with envint: the upstream
 * is envint's `listen` (or a pool of envint hosts), Retry-After is its
 * `retry_after`, and the methods nginx lists in a 405's Allow come from
 * the route table.
 *
 * Placeholders in the template (any other @UPPER_CASE@ word is an error,
 * so a template and its renderer cannot drift apart silently):
 *   @LISTEN@       the web server's own address (the caller's)
 *   @UPSTREAM@     the first upstream: envint's `listen` ("unix:/path" or
 *                  "host:port") unless the caller names others
 *   @UPSTREAM_SERVERS@  the body of an nginx `upstream` block: one
 *                  "server ADDR max_fails=1 fail_timeout=5s;" line per
 *                  upstream (nginx ignores both for a single server)
 *   @RETRY_AFTER@  `retry_after`
 *   @ALLOW_MAP@    the body of an nginx `map $uri $envint_allow` block:
 *                  one line per route, a regex of its path and its Allow
 */
#ifndef ENVINT_SITE_H
#define ENVINT_SITE_H

#include <stddef.h>
#include <stdio.h>

#include "app/base/config.h"

/* What the caller adds to the configuration. */
struct site_args {
	const char *http_listen;	/* @LISTEN@ */
	const char *const *upstreams;	/* envint hosts of a pool, or none: */
	size_t n_upstreams;		/* then `listen` is the one upstream */
};

/* Writes the rendered template to `out`. 0, or -1 with a message in err
 * (an unknown placeholder, or no upstream: no `listen` and none given). */
int site_render(const char *tmpl, size_t n, const struct config *cfg,
		const struct site_args *args, FILE *out, char *err, size_t errlen);

/* Writes the @ALLOW_MAP@ lines (each indented by four spaces, ending in a
 * newline). */
void site_allow_map(FILE *out);

#endif
