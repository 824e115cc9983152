/*
 * Web server site files rendered from a template and the configuration,
 * so that what nginx answers on its own agrees with envint: the upstream
 * is envint's `listen` (or a pool of envint hosts), Retry-After is its
 * `retry_after`, and the methods nginx lists in a 405's Allow come from
 * the route table.
 *
 * Placeholders in the template (any other @UPPER_CASE@ word is an error,
 * so a template and its renderer cannot drift apart silently):
 *   @LISTEN@         the web server's own address (--http-listen)
 *   @UPSTREAM@       the first upstream: envint's `listen` ("unix:/path"
 *                    or "host:port") unless the caller names others
 *   @UPSTREAM_SERVERS@ the body of an nginx `upstream` block: one
 *                    "server ADDR max_fails=1 fail_timeout=5s;" line per
 *                    upstream (nginx ignores both for a single server)
 *   @FCGI_URL@       the first upstream as mod_proxy_fcgi's URL
 *                    ("unix:/path|fcgi://localhost/", "fcgi://host:port/")
 *   @RETRY_AFTER@    `retry_after`
 *   @ALLOW_MAP@      the body of an nginx `map $uri $envint_allow` block:
 *                    one line per route (and the status page), a regex of
 *                    its path and its Allow
 *   @APACHE_ALLOW@   Apache `Header always set Allow` lines (indented by
 *                    eight spaces), one per route (and the status page),
 *                    each for the 405 of its path on Apache's error page
 *   @STATUS_PATH_RE@ a regex of `status_path` ("^/envint-status/?$"), or
 *                    "^$", which matches no path, when the page is off
 *   @REQUEST_MAX@    the largest body the web server lets through:
 *                    `body_max` and 1 MiB more
 *   @TEMPLATE_DIR@   the template's own directory (Apache's error pages
 *                    lie beside it, in apache-errors/)
 *   @BINARY@         the envint program (mod_fcgid starts it)
 *   @CONFIG@         the configuration file it was given (--config)
 */
#ifndef ENVINT_SITE_H
#define ENVINT_SITE_H

#include <stddef.h>
#include <stdio.h>

#include "app/base/config.h"

/* What the caller knows beyond the configuration; NULL where it has none
 * (a template that needs that value then fails). */
struct site_vars {
	const char *http_listen;	/* @LISTEN@ */
	const char *const *upstreams;	/* envint hosts of a pool, or none: */
	size_t n_upstreams;		/* then `listen` is the one upstream */
	const char *template_dir;	/* @TEMPLATE_DIR@, absolute */
	const char *binary;		/* @BINARY@, absolute */
	const char *config;		/* @CONFIG@, absolute */
};

/* Writes the rendered template to `out`. 0, or -1 with a message in err
 * (an unknown placeholder, an upstream that is not a plain address, or a
 * placeholder whose value is missing: `listen` or an upstream for
 * @UPSTREAM@, @UPSTREAM_SERVERS@ and @FCGI_URL@, a site_vars entry for
 * the others). */
int site_render(const char *tmpl, size_t n, const struct config *cfg,
		const struct site_vars *v, FILE *out, char *err, size_t errlen);

/* Writes the @APACHE_ALLOW@ lines. */
void site_apache_allow(FILE *out, const struct config *cfg);

/* Writes the @ALLOW_MAP@ lines (each indented by four spaces, ending in a
 * newline). */
void site_allow_map(FILE *out, const struct config *cfg);

#endif
