/*
 * Web server site files rendered from a template and the configuration,
 * so that what nginx answers on its own agrees with envint: the upstream
 * is envint's `listen`, Retry-After is its `retry_after`, and the methods
 * nginx lists in a 405's Allow come from the route table.
 *
 * Placeholders in the template (any other @UPPER_CASE@ word is an error,
 * so a template and its renderer cannot drift apart silently):
 *   @LISTEN@       the web server's own address (the caller's)
 *   @UPSTREAM@     envint's `listen` ("unix:/path" or "host:port")
 *   @RETRY_AFTER@  `retry_after`
 *   @ALLOW_MAP@    the body of an nginx `map $uri $envint_allow` block:
 *                  one line per route, a regex of its path and its Allow
 */
#ifndef ENVINT_SITE_H
#define ENVINT_SITE_H

#include <stddef.h>
#include <stdio.h>

#include "app/base/config.h"

/* Writes the rendered template to `out`. 0, or -1 with a message in err
 * (an unknown placeholder, or a configuration without `listen`). */
int site_render(const char *tmpl, size_t n, const struct config *cfg,
		const char *http_listen, FILE *out, char *err, size_t errlen);

/* Writes the @ALLOW_MAP@ lines (each indented by four spaces, ending in a
 * newline). */
void site_allow_map(FILE *out);

#endif
