/*
 * Static functions, in order: in_set, one_of, reject_msg, disc_of, pend,
 * place_value, place_close, on_key, top_value, on_value, on_map_close,
 * on_redact.
 */
#include "app/api/override.h"

#include <stdio.h>
#include <string.h>

#include "app/json/json_stream.h"

/* Types of the top-level keys, from API.md. */
enum ktype {
	KT_STRING,	/* KT_STRING */
	KT_OBJECT,	/* KT_OBJECT: any object; nested keys are the integration's */
	KT_STRMAP,	/* KT_STRMAP: object whose values are strings */
	KT_STRARRAY,	/* KT_STRARRAY: array of strings */
	KT_ENUM,	/* KT_ENUM: one of `values` */
	KT__MAX
};

static const char *const kt_errors[KT__MAX] = {
	"must be a string",		/* KT_STRING */
	"must be an object",		/* KT_OBJECT */
	"must be an object of strings",	/* KT_STRMAP */
	"must be an array of strings",	/* KT_STRARRAY */
	NULL,				/* KT_ENUM: one_of() lists the values */
};

struct keydef {
	const char *name;
	enum ktype type;
	const char *const *values;	/* KT_ENUM, NULL-terminated */
	const char *const *formats;	/* allowed "format" inside, or NULL */
};

static const char *const qaf_values[] = { "comma", "brackets", "indices", "repeat", NULL };
static const char *const auth_formats[] = { "bearer", "header", "basic", NULL };
static const char *const page_formats[] = { "page", "cursor", "link_header", "offset",
					   "range", "dynamic", NULL };

static const struct keydef topkeys[] = {
	{ "base_url", KT_STRING, NULL, NULL },
	{ "label", KT_STRING, NULL, NULL },
	{ "logo", KT_STRING, NULL, NULL },
	{ "icon", KT_STRING, NULL, NULL },
	{ "headers", KT_STRMAP, NULL, NULL },
	{ "query", KT_STRMAP, NULL, NULL },
	{ "query_array_format", KT_ENUM, qaf_values, NULL },
	{ "actions", KT_OBJECT, NULL, NULL },
	{ "credentials", KT_OBJECT, NULL, NULL },
	{ "authorization", KT_OBJECT, NULL, auth_formats },
	{ "pagination", KT_OBJECT, NULL, page_formats },
	{ "rate_limit", KT_OBJECT, NULL, NULL },
	{ "resources", KT_OBJECT, NULL, NULL },
	{ "tool_tags", KT_OBJECT, NULL, NULL },
	{ "webhook", KT_OBJECT, NULL, NULL },
	{ "error_expression", KT_STRING, NULL, NULL },
	{ "description", KT_STRING, NULL, NULL },
	{ "tags", KT_STRARRAY, NULL, NULL },
	{ "environment_variables", KT_OBJECT, NULL, NULL },
};
#define NTOPKEYS (sizeof(topkeys) / sizeof(topkeys[0]))

/* Discriminator places (API.md): objects whose "format" names a kind and
 * whose "config", beside a format, is that kind's settings. */
enum disc {
	DISC_NONE,	/* DISC_NONE: any other container; lenient */
	DISC_PLACE,	/* DISC_PLACE: "format" a string; "config" beside it an object */
	DISC_CRED,	/* DISC_CRED: credentials: with a "format" key one place
			 * (single form), otherwise a map whose every value is an
			 * object, an entry */
	DISC_ENTRY,	/* DISC_ENTRY: an object under credentials: a place if
			 * credentials turns out to be the map form */
};

static const struct place {
	const char *top;	/* its top-level key */
	const char *child;	/* and the key below that, or NULL */
	enum disc disc;
} places[] = {
	{ "authorization", NULL, DISC_PLACE },
	{ "pagination", NULL, DISC_PLACE },
	{ "webhook", "signature_verification", DISC_PLACE },
	{ "credentials", NULL, DISC_CRED },
};
#define NPLACES (sizeof(places) / sizeof(places[0]))

/* Places sit at levels 1 and 2 (level 0 is the document itself). */
#define PLACE_LEVELS 3

/* What can only be judged when a place closes, since "format" may come
 * after "config". */
struct place_state {
	enum disc disc;
	bool has_format;
	const char *cfg_path;	/* a "config" that is not an object */
	const char *pend_path;	/* DISC_CRED: the map form's first failure;
				 * DISC_ENTRY: the entry's own */
	const char *pend_msg;
};

struct rules {
	const struct keydef *top;	/* the current top-level key */
	struct place_state st[PLACE_LEVELS];
};

static bool in_set(const char *const *set, const unsigned char *s, size_t n)
{
	for (; *set != NULL; set++)
		if (strlen(*set) == n && memcmp(*set, s, n) == 0)
			return true;
	return false;
}

/* "must be one of: a b c", in the arena; NULL when out of memory. */
static const char *one_of(struct jc *j, const char *const *set)
{
	char *m = arena_alloc(jc_arena(j), 160);

	if (m == NULL)
		return NULL;
	snprintf(m, 160, "must be one of:");
	for (; *set != NULL; set++)
		snprintf(m + strlen(m), 160 - strlen(m), " %s", *set);
	return m;
}

static int reject_msg(struct jc *j, const char *msg)
{
	return msg != NULL ? jc_reject(j, NULL, msg) : jc_reject_oom(j);
}

/* ---- discriminator places ---- */

/* The kind of place an object opening at `level` is. */
static enum disc disc_of(const struct rules *r, const struct jc *j, unsigned level)
{
	if (level == 2 && r->st[1].disc == DISC_CRED)
		return DISC_ENTRY;
	for (size_t p = 0; p < NPLACES; p++) {
		const struct place *pl = &places[p];

		if ((pl->child == NULL ? level == 1 : level == 2 && jc_key_is(j, 1, pl->child)) &&
		    jc_key_is(j, 0, pl->top))
			return pl->disc;
	}
	return DISC_NONE;
}

/* Notes a failure that counts only later; the first one is kept. Its path
 * is the current position. */
static int pend(struct jc *j, struct place_state *ps, const char *msg)
{
	if (ps->pend_path == NULL) {
		ps->pend_path = jc_path(j);
		ps->pend_msg = msg;
	}
	return 1;
}

/* A value in place ps: its "format" must be a string (at once, but for an
 * entry, which may be lenient single-form content); a "config" that is not
 * an object is remembered; in credentials a value that is not an object
 * fails the map form. */
static int place_value(struct jc *j, struct place_state *ps, unsigned level,
		       enum jc_event ev)
{
	if (jc_key_is(j, level, "format")) {
		ps->has_format = true;
		if (ev == JC_STRING)
			return 1;
		if (ps->disc == DISC_ENTRY)
			return pend(j, ps, "must be a string");
		return jc_reject(j, NULL, "must be a string");
	}
	if (jc_key_is(j, level, "config") && ev != JC_MAP && ps->cfg_path == NULL)
		ps->cfg_path = jc_path(j);
	if (ps->disc == DISC_CRED && ev != JC_MAP)
		return pend(j, ps, "must be an object (a credentials entry)");
	return 1;
}

/* Place ps (at `level`) closes: what was pending is judged. An entry hands
 * its failure to credentials, which knows its form only now. */
static int place_close(struct rules *r, struct jc *j, struct place_state *ps, unsigned level)
{
	const char *path = NULL, *msg = "must be an object";

	switch (ps->disc) {
	case DISC_NONE:
		break;
	case DISC_PLACE:
		if (ps->has_format)
			path = ps->cfg_path;
		break;
	case DISC_ENTRY: {
		struct place_state *cred = &r->st[level - 1];

		if (ps->pend_path != NULL) {
			path = ps->pend_path;
			msg = ps->pend_msg;
		} else if (ps->has_format) {
			path = ps->cfg_path;
		}
		if (path != NULL && cred->pend_path == NULL) {
			cred->pend_path = path;
			cred->pend_msg = msg;
		}
		return 1;
	}
	case DISC_CRED:
		if (ps->has_format) {
			path = ps->cfg_path;
		} else {
			path = ps->pend_path;
			msg = ps->pend_msg;
		}
		break;
	}
	return path != NULL ? jc_reject(j, path, msg) : 1;
}

/* ---- hooks ---- */

/* A top-level key must be in the table. */
static int on_key(void *ctx, struct jc *j)
{
	struct rules *r = ctx;
	size_t n = 0;
	const char *key;

	if (jc_depth(j) != 1)
		return 1;
	key = jc_key_at(j, 0, &n);
	r->top = NULL;
	for (size_t i = 0; i < NTOPKEYS; i++)
		if (strlen(topkeys[i].name) == n && memcmp(topkeys[i].name, key, n) == 0)
			r->top = &topkeys[i];
	return r->top != NULL ? 1 : jc_reject(j, NULL, "unknown key");
}

/* The type of a top-level key's value. */
static int top_value(struct jc *j, const struct keydef *k, enum jc_event ev,
		     const unsigned char *s, size_t n)
{
	bool ok;

	switch (k->type) {
	case KT_STRING: ok = ev == JC_STRING; break;
	case KT_ENUM: ok = ev == JC_STRING && in_set(k->values, s, n); break;
	case KT_STRARRAY: ok = ev == JC_ARRAY; break;
	default: ok = ev == JC_MAP; break;
	}
	if (ok)
		return 1;
	return reject_msg(j, k->type == KT_ENUM ? one_of(j, k->values) : kt_errors[k->type]);
}

static int on_value(void *ctx, struct jc *j, enum jc_event ev, const unsigned char *s,
		    size_t n)
{
	struct rules *r = ctx;
	const struct keydef *k = r->top;
	unsigned depth = jc_depth(j), level = depth - 1;	/* of the value's container */

	if (depth == 1 && !top_value(j, k, ev, s, n))
		return 0;
	if (depth == 2) {	/* inside a top-level container */
		if ((k->type == KT_STRMAP || k->type == KT_STRARRAY) && ev != JC_STRING)
			return jc_reject(j, NULL, "must be a string");
		if (k->formats != NULL && jc_key_is(j, 1, "format") &&
		    (ev != JC_STRING || !in_set(k->formats, s, n)))
			return reject_msg(j, one_of(j, k->formats));
	}
	if (level < PLACE_LEVELS && r->st[level].disc != DISC_NONE &&
	    !place_value(j, &r->st[level], level, ev))
		return 0;
	/* a container opening at a place level starts that level's state */
	if ((ev == JC_MAP || ev == JC_ARRAY) && depth < PLACE_LEVELS)
		r->st[depth] = (struct place_state){
			.disc = ev == JC_MAP ? disc_of(r, j, depth) : DISC_NONE };
	return 1;
}

static int on_map_close(void *ctx, struct jc *j)
{
	struct rules *r = ctx;
	unsigned level = jc_depth(j) - 1;

	if (level == 0 || level >= PLACE_LEVELS)
		return 1;
	return place_close(r, j, &r->st[level], level);
}

/* The value about to be emitted is a credentials ... client.secret: the
 * key "secret" in an object that is the value of a key "client", or an
 * element (at any array depth) of one, e.g. "client": [{"secret": ...}]. */
static bool on_redact(void *ctx, const struct jc *j)
{
	unsigned depth = jc_depth(j), d;

	(void)ctx;
	if (depth < 3 || !jc_key_is(j, 0, "credentials") || !jc_key_is(j, depth - 1, "secret"))
		return false;
	for (d = depth - 2; d > 0 && !jc_is_map_at(j, d); d--)
		;
	return d > 0 && jc_key_is(j, d, "client");
}

static const struct jc_rules override_rules = {
	on_key, on_value, on_map_close, on_redact, OVERRIDE_REDACTED,
};

struct jc *override_canon_new(struct arena *a, const char *path_prefix, unsigned max_depth,
			      bool want_redacted, size_t size_hint)
{
	struct rules *r = arena_calloc(a, sizeof(*r));

	if (r == NULL)
		return NULL;
	return jc_new(a, path_prefix, max_depth, &override_rules, r, want_redacted, size_hint);
}

enum override_merge_rc override_merge(struct arena *a, const char *stored, size_t stored_len,
				      const struct jm_node *patch, size_t size_hint,
				      unsigned max_depth, size_t size_max,
				      const char **out, size_t *out_len, struct failure *f)
{
	struct jc *j = override_canon_new(a, "override", max_depth, false,
					  stored_len + size_hint);
	const struct json_failure *jf;
	const char *text;
	size_t len = 0;
	char *msg;

	if (j == NULL)
		return OVM_OOM;
	switch (json_merge(a, stored, stored_len, patch, jc_callbacks(), j)) {
	case JM_OK:
		break;
	case JM_SINK:	/* the rules refused the result, or memory ran out */
		jf = jc_failure(j);
		if (jf->oom)
			return OVM_OOM;
		f->path = jf->path;
		f->message = jf->msg;
		return OVM_INVALID;
	case JM_INVALID:
		return OVM_STORED;
	case JM_OOM:
	case JM__MAX:
		return OVM_OOM;
	}
	if ((text = jc_output(j, &len)) == NULL)
		return OVM_OOM;
	if (len > size_max) {
		if ((msg = arena_alloc(a, 96)) == NULL)
			return OVM_OOM;
		snprintf(msg, 96, "exceeds the limit of %zu bytes once merged", size_max);
		f->path = "override";
		f->message = msg;
		return OVM_INVALID;
	}
	/* {} is no override, as a PATCH of {} clears one */
	*out = len == 2 && memcmp(text, "{}", 2) == 0 ? NULL : text;
	*out_len = *out != NULL ? len : 0;
	return OVM_OK;
}
