#include "app/proc/site.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/proc/router.h"

enum placeholder {
	PH_LISTEN,		/* PH_LISTEN */
	PH_UPSTREAM,		/* PH_UPSTREAM */
	PH_UPSTREAM_SERVERS,	/* PH_UPSTREAM_SERVERS */
	PH_RETRY_AFTER,		/* PH_RETRY_AFTER */
	PH_ALLOW_MAP,		/* PH_ALLOW_MAP */
	PH_FCGI_URL,		/* PH_FCGI_URL */
	PH_STATUS_PATH_RE,	/* PH_STATUS_PATH_RE */
	PH_REQUEST_MAX,		/* PH_REQUEST_MAX */
	PH_TEMPLATE_DIR,	/* PH_TEMPLATE_DIR */
	PH_BINARY,		/* PH_BINARY */
	PH_CONFIG,		/* PH_CONFIG */
	PH_APACHE_ALLOW,	/* PH_APACHE_ALLOW */
	PH__MAX
};

static const char *const ph_names[PH__MAX] = {
	"LISTEN",		/* PH_LISTEN */
	"UPSTREAM",		/* PH_UPSTREAM */
	"UPSTREAM_SERVERS",	/* PH_UPSTREAM_SERVERS */
	"RETRY_AFTER",		/* PH_RETRY_AFTER */
	"ALLOW_MAP",		/* PH_ALLOW_MAP */
	"FCGI_URL",		/* PH_FCGI_URL */
	"STATUS_PATH_RE",	/* PH_STATUS_PATH_RE */
	"REQUEST_MAX",		/* PH_REQUEST_MAX */
	"TEMPLATE_DIR",		/* PH_TEMPLATE_DIR */
	"BINARY",		/* PH_BINARY */
	"CONFIG",		/* PH_CONFIG */
	"APACHE_ALLOW",		/* PH_APACHE_ALLOW */
};

/* What a body may be on its way through the web server: body_max and
 * 1 MiB more, so a body just over body_max still reaches envint (its JSON
 * 413 names the limit) and the server's own 413 takes the rest. */
#define REQUEST_MARGIN (1u << 20)

/* Writes s with every regex metacharacter escaped. */
static void regex_quote(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}", *s) != NULL)
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* The status page's path as a regex (one trailing slash tolerated, as
 * the router does), or one that matches no path when the page is off. */
static void status_path_re(FILE *out, const struct config *cfg)
{
	if (cfg->status_path[0] == '\0') {
		fputs("^$", out);
		return;
	}
	fputc('^', out);
	regex_quote(out, cfg->status_path);
	fputs("/?$", out);
}

/* A route's paths as a regex, following router_match: the route's path,
 * an {id} segment without '/' for item routes and their suffix, one
 * optional trailing slash. */
static void route_re(FILE *out, const struct route *rt)
{
	fputc('^', out);
	regex_quote(out, rt->prefix);
	if (rt->item)
		fputs("/[^/]+", out);
	if (rt->suffix != NULL)
		regex_quote(out, rt->suffix);
	fputs("/?$", out);
}

void site_allow_map(FILE *out, const struct config *cfg)
{
	for (int id = 0; id < ROUTE__MAX; id++) {
		const struct route *rt = router_route((enum route_id)id);
		char allow[64];

		router_allow((enum route_id)id, allow, sizeof(allow));
		fputs("    \"~", out);
		route_re(out, rt);
		fputs("\" \"", out);
		fputs(allow, out);
		fputs("\";\n", out);
	}
	if (cfg->status_path[0] != '\0') {
		fputs("    \"~", out);
		status_path_re(out, cfg);
		fputs("\" \"" ROUTER_STATUS_ALLOW "\";\n", out);
	}
}

/* One Apache `Header always set Allow` line for the 405 of a path (its
 * regex, written by `re`), on Apache's own error page: the page's request
 * carries the original path in REDIRECT_ENVINT_PATH (set by the site). */
static void apache_allow_line(FILE *out, const char *allow, const struct route *rt,
			      const struct config *cfg)
{
	fprintf(out, "        Header always set Allow \"%s\" \"expr=%%{reqenv:REDIRECT_STATUS}"
		" == '405' && %%{reqenv:REDIRECT_ENVINT_PATH} =~ m#", allow);
	if (rt == NULL)
		status_path_re(out, cfg);
	else
		route_re(out, rt);
	fputs("#\"\n", out);
}

void site_apache_allow(FILE *out, const struct config *cfg)
{
	for (int id = 0; id < ROUTE__MAX; id++) {
		char allow[64];

		router_allow((enum route_id)id, allow, sizeof(allow));
		apache_allow_line(out, allow, router_route((enum route_id)id), cfg);
	}
	if (cfg->status_path[0] != '\0')
		apache_allow_line(out, ROUTER_STATUS_ALLOW, NULL, cfg);
}

/* Writes a caller's value, or fails naming what the placeholder needs. */
static int put_var(FILE *out, const char *v, const char *what, char *err, size_t errlen)
{
	if (v == NULL || v[0] == '\0') {
		snprintf(err, errlen, "this template needs %s", what);
		return -1;
	}
	fputs(v, out);
	return 0;
}

/* envint's listen as the URL of mod_proxy_fcgi's ProxyPass. */
static void fcgi_url(FILE *out, const char *listen)
{
	if (strncmp(listen, "unix:", 5) == 0)
		fprintf(out, "%s|fcgi://localhost/", listen);
	else
		fprintf(out, "fcgi://%s/", listen);
}

/* An upstream address holds no blank, quote or character that ends an
 * nginx directive or block: what it says cannot become configuration. */
static bool address_is_plain(const char *a)
{
	if (*a == '\0')
		return false;
	for (; *a != '\0'; a++)
		if ((unsigned char)*a <= ' ' || (unsigned char)*a == 0x7f ||
		    strchr(";{}#'\"\\$", *a) != NULL)
			return false;
	return true;
}

/* The placeholder at s (just after an '@'), or PH__MAX; *len is its
 * length including the closing '@'. -1 in *len: not a placeholder. */
static enum placeholder placeholder_at(const char *s, size_t n, size_t *len)
{
	size_t k = 0;

	while (k < n && ((s[k] >= 'A' && s[k] <= 'Z') || s[k] == '_'))
		k++;
	*len = 0;
	if (k == 0 || k == n || s[k] != '@')
		return PH__MAX;	/* "@e502", an address: plain text */
	*len = k + 1;
	for (int p = 0; p < PH__MAX; p++)
		if (strlen(ph_names[p]) == k && memcmp(ph_names[p], s, k) == 0)
			return (enum placeholder)p;
	return PH__MAX;
}

int site_render(const char *tmpl, size_t n, const struct config *cfg,
		const struct site_vars *v, FILE *out, char *err, size_t errlen)
{
	static const char no_listen[] = "envint's 'listen' address (unix:/path or "
		"host:port), or --upstream, as its upstream";
	const char *one[1] = { cfg->listen };
	const char *const *ups = v->n_upstreams > 0 ? v->upstreams : one;
	size_t nups = v->n_upstreams > 0 ? v->n_upstreams : 1, i = 0;
	int rc = 0;

	for (size_t k = 0; k < v->n_upstreams; k++)
		if (!address_is_plain(ups[k])) {
			snprintf(err, errlen, "upstream '%.64s': not an address "
				 "(unix:/path or host:port)", ups[k]);
			return -1;
		}
	while (i < n && rc == 0) {
		const char *at = memchr(tmpl + i, '@', n - i);
		size_t len;
		enum placeholder ph;

		if (at == NULL) {
			fwrite(tmpl + i, 1, n - i, out);
			break;
		}
		fwrite(tmpl + i, 1, (size_t)(at - tmpl) - i, out);
		i = (size_t)(at - tmpl) + 1;
		ph = placeholder_at(tmpl + i, n - i, &len);
		if (len == 0) {
			fputc('@', out);
			continue;
		}
		switch (ph) {
		case PH_LISTEN:
			rc = put_var(out, v->http_listen, "--http-listen", err, errlen);
			break;
		case PH_UPSTREAM:
			rc = put_var(out, ups[0], no_listen, err, errlen);
			break;
		case PH_UPSTREAM_SERVERS:
			if (ups[0][0] == '\0')
				rc = put_var(out, NULL, no_listen, err, errlen);
			for (size_t k = 0; k < nups && rc == 0; k++)
				fprintf(out, "    server %s max_fails=1 fail_timeout=5s;\n", ups[k]);
			break;
		case PH_FCGI_URL:
			if (ups[0][0] == '\0')
				rc = put_var(out, NULL, no_listen, err, errlen);
			else
				fcgi_url(out, ups[0]);
			break;
		case PH_RETRY_AFTER:
			fprintf(out, "%u", cfg->retry_after);
			break;
		case PH_ALLOW_MAP:
			site_allow_map(out, cfg);
			break;
		case PH_APACHE_ALLOW:
			site_apache_allow(out, cfg);
			break;
		case PH_STATUS_PATH_RE:
			status_path_re(out, cfg);
			break;
		case PH_REQUEST_MAX:
			fprintf(out, "%zu", cfg->body_max + REQUEST_MARGIN);
			break;
		case PH_TEMPLATE_DIR:
			rc = put_var(out, v->template_dir, "the template's directory", err, errlen);
			break;
		case PH_BINARY:
			rc = put_var(out, v->binary, "the path of the envint program", err, errlen);
			break;
		case PH_CONFIG:
			rc = put_var(out, v->config, "--config FILE", err, errlen);
			break;
		case PH__MAX:
			snprintf(err, errlen, "unknown placeholder @%.*s@ in the template",
				 (int)(len - 1 > 64 ? 64 : len - 1), tmpl + i);
			return -1;
		}
		i += len;
	}
	return rc;
}
