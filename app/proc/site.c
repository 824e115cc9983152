#include "app/proc/site.h"

#include <stdbool.h>
#include <string.h>

#include "app/proc/router.h"

enum placeholder {
	PH_LISTEN,	/* PH_LISTEN */
	PH_UPSTREAM,	/* PH_UPSTREAM */
	PH_UPSTREAM_SERVERS,	/* PH_UPSTREAM_SERVERS */
	PH_RETRY_AFTER,	/* PH_RETRY_AFTER */
	PH_ALLOW_MAP,	/* PH_ALLOW_MAP */
	PH__MAX
};

static const char *const ph_names[PH__MAX] = {
	"LISTEN",	/* PH_LISTEN */
	"UPSTREAM",	/* PH_UPSTREAM */
	"UPSTREAM_SERVERS",	/* PH_UPSTREAM_SERVERS */
	"RETRY_AFTER",	/* PH_RETRY_AFTER */
	"ALLOW_MAP",	/* PH_ALLOW_MAP */
};

/* Writes s with every regex metacharacter escaped. */
static void regex_quote(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}", *s) != NULL)
			fputc('\\', out);
		fputc(*s, out);
	}
}

/* The path patterns follow router_match: the route's path, an {id}
 * segment without '/' for item routes and their suffix, one optional
 * trailing slash. */
void site_allow_map(FILE *out)
{
	for (int id = 0; id < ROUTE__MAX; id++) {
		const struct route *rt = router_route((enum route_id)id);
		char allow[64];

		router_allow((enum route_id)id, allow, sizeof(allow));
		fputs("    \"~^", out);
		regex_quote(out, rt->prefix);
		if (rt->item)
			fputs("/[^/]+", out);
		if (rt->suffix != NULL)
			regex_quote(out, rt->suffix);
		fputs("/?$\" \"", out);
		fputs(allow, out);
		fputs("\";\n", out);
	}
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
		const struct site_args *args, FILE *out, char *err, size_t errlen)
{
	const char *one[1] = { cfg->listen };
	const char *const *ups = args->n_upstreams > 0 ? args->upstreams : one;
	size_t nups = args->n_upstreams > 0 ? args->n_upstreams : 1, i = 0;

	if (ups[0][0] == '\0') {
		snprintf(err, errlen, "the site needs envint's 'listen' address "
			 "(unix:/path or host:port), or --upstream, as its upstream");
		return -1;
	}
	for (size_t k = 0; k < nups; k++)
		if (!address_is_plain(ups[k])) {
			snprintf(err, errlen, "upstream '%.64s': not an address "
				 "(unix:/path or host:port)", ups[k]);
			return -1;
		}
	while (i < n) {
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
			fputs(args->http_listen, out);
			break;
		case PH_UPSTREAM:
			fputs(ups[0], out);
			break;
		case PH_UPSTREAM_SERVERS:
			for (size_t k = 0; k < nups; k++)
				fprintf(out, "    server %s max_fails=1 fail_timeout=5s;\n", ups[k]);
			break;
		case PH_RETRY_AFTER:
			fprintf(out, "%u", cfg->retry_after);
			break;
		case PH_ALLOW_MAP:
			site_allow_map(out);
			break;
		case PH__MAX:
			snprintf(err, errlen, "unknown placeholder @%.*s@ in the template",
				 (int)(len - 1 > 64 ? 64 : len - 1), tmpl + i);
			return -1;
		}
		i += len;
	}
	return 0;
}
