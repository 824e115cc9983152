#include "app/proc/site.h"

#include <string.h>

#include "app/proc/router.h"

enum placeholder {
	PH_LISTEN,	/* PH_LISTEN */
	PH_UPSTREAM,	/* PH_UPSTREAM */
	PH_RETRY_AFTER,	/* PH_RETRY_AFTER */
	PH_ALLOW_MAP,	/* PH_ALLOW_MAP */
	PH__MAX
};

static const char *const ph_names[PH__MAX] = {
	"LISTEN",	/* PH_LISTEN */
	"UPSTREAM",	/* PH_UPSTREAM */
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
 * segment without '/' for item routes, one optional trailing slash. */
void site_allow_map(FILE *out)
{
	for (int id = 0; id < ROUTE__MAX; id++) {
		const struct route *rt = router_route((enum route_id)id);
		char allow[64];

		router_allow((enum route_id)id, allow, sizeof(allow));
		fputs("    \"~^", out);
		regex_quote(out, rt->prefix);
		fputs(rt->item ? "/[^/]+/?$\" \"" : "/?$\" \"", out);
		fputs(allow, out);
		fputs("\";\n", out);
	}
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
		const char *http_listen, FILE *out, char *err, size_t errlen)
{
	size_t i = 0;

	if (cfg->listen[0] == '\0') {
		snprintf(err, errlen, "the site needs envint's 'listen' address "
			 "(unix:/path or host:port) as its upstream");
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
			fputs(http_listen, out);
			break;
		case PH_UPSTREAM:
			fputs(cfg->listen, out);
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
