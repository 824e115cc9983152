#include "app/json/json_canon.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "app/json/json_scan.h"
#include "app/base/utf8.h"

#define MSG_SYNTAX JC_MSG_SYNTAX
#define MSG_SURROGATE JC_MSG_SURROGATE

/* Types of the override's (and a config's) top-level keys, from API.md. */
enum ktype {
	KT_STRING,	/* KT_STRING */
	KT_OBJECT,	/* KT_OBJECT: any object; nested keys are the integration's */
	KT_STRMAP,	/* KT_STRMAP: object whose values are strings */
	KT_STRARRAY,	/* KT_STRARRAY: array of strings */
	KT_ENUM,	/* KT_ENUM: one of `values` */
	KT__MAX
};

static const char *const kt_names[KT__MAX] = {
	"a string",			/* KT_STRING */
	"an object",			/* KT_OBJECT */
	"an object of strings",		/* KT_STRMAP */
	"an array of strings",		/* KT_STRARRAY */
	"one of the listed values",	/* KT_ENUM */
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
	DISC_NONE,	/* DISC_NONE: any other object; lenient */
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

/* Keys of the objects currently open live on one stack (bytes in kbuf,
 * entries in ents) that is cut back when an object closes: duplicate
 * detection costs memory for the open path only, not for the whole body. */
struct keyent {		/* 12 bytes: bodies are far below 4 GiB */
	uint32_t off;		/* into kbuf */
	uint32_t len;
	uint32_t hash;
};

#define LINEAR_KEYS 16		/* objects with more keys get a hash index */

struct frame {
	bool is_map;
	bool has_key;		/* cur is valid */
	size_t first;		/* this object's first entry in ents */
	size_t cur;		/* entry of the current key */
	size_t index;		/* the current element (arrays) */
	uint32_t *tab;		/* hash index of entries (+1; 0 = empty), or NULL;
				 * malloc'd, freed when the object closes */
	size_t tabcap;
	/* discriminator places: what can only be judged when the object
	 * closes, since "format" may come after "config" */
	enum disc disc;
	bool has_format;
	const char *cfg_path;	/* a "config" that is not an object */
	const char *pend_path;	/* DISC_CRED: the map form's first failure;
				 * DISC_ENTRY: the entry's own */
	const char *pend_msg;
};

/* The canonical text as it is generated: malloc'd, sized up front from
 * the caller's hint (the request's Content-Length bounds it), so a large
 * override is not copied through a doubling buffer. */
struct outbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

enum event {
	EV_SCALAR,	/* EV_SCALAR: null, boolean or number */
	EV_STRING,	/* EV_STRING */
	EV_MAP,		/* EV_MAP: an object begins */
	EV_ARRAY,	/* EV_ARRAY: an array begins */
};

struct jc {
	struct arena *a;
	const char *prefix;
	unsigned max_depth;
	yajl_handle parser;
	yajl_gen full, red;
	struct outbuf out_full, out_red;
	struct frame *stack;
	unsigned depth;			/* open containers */
	char *kbuf;			/* key stack: bytes (malloc'd) */
	size_t kused, kcap;
	struct keyent *ents;		/* key stack: entries (malloc'd) */
	size_t nents, ecap;
	const struct keydef *top;	/* definition of the current top-level key */
	unsigned red_skip;		/* >0: redacted copy skips until depth < this */
	struct json_scan scan;
	bool failed;
	bool oom;
	const char *fail_path, *fail_msg;
};

static uint32_t fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The current key of an open object, or NULL. */
static const char *frame_key(const struct jc *j, const struct frame *f, size_t *len)
{
	if (!f->is_map || !f->has_key)
		return NULL;
	*len = j->ents[f->cur].len;
	return j->kbuf + j->ents[f->cur].off;
}

static bool frame_key_is(const struct jc *j, unsigned depth, const char *lit)
{
	size_t len = 0;
	const char *k = frame_key(j, &j->stack[depth], &len);

	return k != NULL && len == strlen(lit) && memcmp(k, lit, len) == 0;
}

/* Builds "prefix.a.b[3]" for the current position (plus `extra` key). */
static const char *cur_path(struct jc *j, const char *extra, size_t elen)
{
	/* each key is echoed within ECHO_ROOM bytes (an unknown 4 MiB key
	 * must not come back whole) */
	size_t len = strlen(j->prefix) + ECHO_ROOM + 2, klen = 0;
	const char *key;
	char *p, *w;

	for (unsigned i = 0; i < j->depth; i++)
		len += (frame_key(j, &j->stack[i], &klen) ? ECHO_ROOM : 0) + 24;
	p = arena_alloc(j->a, len);
	if (p == NULL)
		return j->prefix;
	w = p + sprintf(p, "%s", j->prefix);
	for (unsigned i = 0; i < j->depth; i++) {
		const struct frame *f = &j->stack[i];

		if ((key = frame_key(j, f, &klen)) != NULL) {
			*w++ = '.';
			w += echo_copy(w, key, klen);
		} else if (!f->is_map) {
			w += sprintf(w, "[%zu]", f->index);
		}
	}
	if (extra != NULL) {
		*w++ = '.';
		w += echo_copy(w, extra, elen);
	}
	*w = '\0';
	return p;
}

static int fail(struct jc *j, const char *path, const char *msg)
{
	if (!j->failed) {
		j->failed = true;
		j->fail_path = path != NULL ? path : cur_path(j, NULL, 0);
		j->fail_msg = msg;
	}
	return 0;	/* cancels the parse */
}

static int fail_oom(struct jc *j)
{
	j->oom = true;
	return fail(j, j->prefix, "out of memory");
}

/* Makes room for `need` elements of `elem` bytes in *p (capacity *cap,
 * in elements), doubling from `first`. 0, or -1 when out of memory (the
 * old buffer is kept). */
static int reserve(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t ncap = *cap ? *cap : first;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*p, ncap * elem);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static bool ent_equal(const struct jc *j, size_t e, const char *key, size_t n, uint32_t h)
{
	return j->ents[e].hash == h && j->ents[e].len == n &&
	       (n == 0 || memcmp(j->kbuf + j->ents[e].off, key, n) == 0);
}

/* (Re)builds a frame's hash index over its entries. 0 or -1 (no memory). */
static int index_build(struct jc *j, struct frame *f, size_t cap)
{
	uint32_t *tab = calloc(cap, sizeof(*tab));

	if (tab == NULL)
		return -1;
	free(f->tab);
	for (size_t e = f->first; e < j->nents; e++) {
		size_t k = j->ents[e].hash & (cap - 1);

		while (tab[k] != 0)
			k = (k + 1) & (cap - 1);
		tab[k] = (uint32_t)(e - f->first + 1);
	}
	f->tab = tab;
	f->tabcap = cap;
	return 0;
}

/* Pushes `key` as the frame's current key. 1 if new, 0 if a duplicate,
 * -1 when out of memory. */
static int key_add(struct jc *j, struct frame *f, const char *key, size_t n)
{
	uint32_t h = fnv1a(key, n);
	size_t count = j->nents - f->first;

	if (count < LINEAR_KEYS) {
		for (size_t e = f->first; e < j->nents; e++)
			if (ent_equal(j, e, key, n, h))
				return 0;
	} else {
		if ((f->tab == NULL || count * 2 >= f->tabcap) &&
		    index_build(j, f, f->tabcap ? f->tabcap * 2 : 4 * LINEAR_KEYS) < 0)
			return -1;
		for (size_t k = h & (f->tabcap - 1); f->tab[k] != 0; k = (k + 1) & (f->tabcap - 1))
			if (ent_equal(j, f->first + f->tab[k] - 1, key, n, h))
				return 0;
	}
	if (reserve((void **)&j->kbuf, &j->kcap, j->kused + n, 1, 256) < 0 ||
	    reserve((void **)&j->ents, &j->ecap, j->nents + 1, sizeof(*j->ents), 64) < 0)
		return -1;
	if (n > 0)	/* an empty key may meet a still-empty buffer */
		memcpy(j->kbuf + j->kused, key, n);
	j->ents[j->nents] = (struct keyent){ (uint32_t)j->kused, (uint32_t)n, h };
	j->kused += n;
	f->cur = j->nents++;
	f->has_key = true;
	if (f->tab != NULL) {	/* keep the index current */
		size_t k = h & (f->tabcap - 1);

		while (f->tab[k] != 0)
			k = (k + 1) & (f->tabcap - 1);
		f->tab[k] = (uint32_t)(f->cur - f->first + 1);
	}
	return 1;
}

static bool in_set(const char *const *set, const unsigned char *s, size_t n)
{
	for (; *set != NULL; set++)
		if (strlen(*set) == n && memcmp(*set, s, n) == 0)
			return true;
	return false;
}

/* ---- discriminator places ---- */

static bool key_is(const char *k, size_t n, const char *lit)
{
	return k != NULL && n == strlen(lit) && memcmp(k, lit, n) == 0;
}

/* The kind of place an object about to open (at stack[j->depth]) is. */
static enum disc disc_of(const struct jc *j)
{
	unsigned i = j->depth;

	if (i == 2 && j->stack[1].disc == DISC_CRED)
		return DISC_ENTRY;
	for (size_t p = 0; p < NPLACES; p++) {
		const struct place *pl = &places[p];

		if ((pl->child == NULL ? i == 1 : i == 2 && frame_key_is(j, 1, pl->child)) &&
		    frame_key_is(j, 0, pl->top))
			return pl->disc;
	}
	return DISC_NONE;
}

/* Notes a failure that counts only later (see struct frame); the first
 * one is kept. Its path is the current position. */
static int disc_pend(struct jc *j, struct frame *f, const char *msg)
{
	if (f->pend_path == NULL) {
		f->pend_path = cur_path(j, NULL, 0);
		f->pend_msg = msg;
	}
	return 1;
}

/* A value in a discriminator place f: its "format" must be a string (at
 * once, but for an entry, which may be lenient single-form content); a
 * "config" that is not an object is remembered; in credentials a value
 * that is not an object fails the map form. */
static int disc_value(struct jc *j, struct frame *f, enum event ev)
{
	size_t n = 0;
	const char *key = frame_key(j, f, &n);

	if (key_is(key, n, "format")) {
		f->has_format = true;
		if (ev == EV_STRING)
			return 1;
		if (f->disc == DISC_ENTRY)
			return disc_pend(j, f, "must be a string");
		return fail(j, NULL, "must be a string");
	}
	if (key_is(key, n, "config") && ev != EV_MAP && f->cfg_path == NULL)
		f->cfg_path = cur_path(j, NULL, 0);
	if (f->disc == DISC_CRED && ev != EV_MAP)
		return disc_pend(j, f, "must be an object (a credentials entry)");
	return 1;
}

/* A discriminator place f closes: what was pending is judged. An entry
 * hands its failure to credentials, which knows its form only now. */
static int disc_close(struct jc *j, struct frame *f)
{
	const char *path = NULL, *msg = "must be an object";

	switch (f->disc) {
	case DISC_NONE:
		break;
	case DISC_PLACE:
		if (f->has_format)
			path = f->cfg_path;
		break;
	case DISC_ENTRY: {
		struct frame *cred = f - 1;

		if (f->pend_path != NULL) {
			path = f->pend_path;
			msg = f->pend_msg;
		} else if (f->has_format) {
			path = f->cfg_path;
		}
		if (path != NULL && cred->pend_path == NULL) {
			cred->pend_path = path;
			cred->pend_msg = msg;
		}
		return 1;
	}
	case DISC_CRED:
		if (f->has_format) {
			path = f->cfg_path;
		} else {
			path = f->pend_path;
			msg = f->pend_msg;
		}
		break;
	}
	return path != NULL ? fail(j, path, msg) : 1;
}

/* Checks a value (or container start) against the top-level table. */
static int check_value(struct jc *j, enum event ev, const unsigned char *s, size_t n)
{
	const struct keydef *k = j->top;

	if (j->depth == 0) {
		if (ev != EV_MAP)
			return fail(j, j->prefix, "must be a JSON object");
		return 1;
	}
	if (k == NULL)
		return 1;
	if (j->depth == 1) {	/* the value of a top-level key */
		bool ok;

		switch (k->type) {
		case KT_STRING: ok = ev == EV_STRING; break;
		case KT_ENUM: ok = ev == EV_STRING && in_set(k->values, s, n); break;
		case KT_STRARRAY: ok = ev == EV_ARRAY; break;
		default: ok = ev == EV_MAP; break;
		}
		if (!ok) {
			char *m = arena_alloc(j->a, 128);

			if (m == NULL)
				return fail_oom(j);
			if (k->type == KT_ENUM) {
				snprintf(m, 128, "must be one of:");
				for (const char *const *v = k->values; *v; v++)
					snprintf(m + strlen(m), 128 - strlen(m), " %s", *v);
			} else {
				snprintf(m, 128, "must be %s", kt_names[k->type]);
			}
			return fail(j, NULL, m);
		}
		return 1;
	}
	if (j->depth == 2) {	/* inside a top-level container */
		if ((k->type == KT_STRMAP || k->type == KT_STRARRAY) && ev != EV_STRING)
			return fail(j, NULL, "must be a string");
		if (k->formats != NULL && frame_key_is(j, 1, "format") &&
		    (ev != EV_STRING || !in_set(k->formats, s, n))) {
			char *m = arena_alloc(j->a, 160);

			if (m == NULL)
				return fail_oom(j);
			snprintf(m, 160, "must be one of:");
			for (const char *const *v = k->formats; *v; v++)
				snprintf(m + strlen(m), 160 - strlen(m), " %s", *v);
			return fail(j, NULL, m);
		}
	}
	if (j->stack[j->depth - 1].disc != DISC_NONE)
		return disc_value(j, &j->stack[j->depth - 1], ev);
	return 1;
}

/* True when the value about to be emitted is a credentials ... client.secret:
 * the key "secret" in an object that is the value of a key "client", or an
 * element (at any array depth) of one, e.g. "client": [{"secret": ...}]. */
static bool is_secret(const struct jc *j)
{
	unsigned d;

	if (j->depth < 3 || !frame_key_is(j, 0, "credentials") ||
	    !frame_key_is(j, j->depth - 1, "secret"))
		return false;
	for (d = j->depth - 2; d > 0 && !j->stack[d].is_map; d--)
		;
	return d > 0 && frame_key_is(j, d, "client");
}

/* Common work before any value: type checks, then decides what the
 * redacted copy does. Returns 0 to cancel; sets *to_red. */
static int before_value(struct jc *j, enum event ev, const unsigned char *s,
			size_t n, bool *to_red)
{
	if (!check_value(j, ev, s, n))
		return 0;
	*to_red = j->red != NULL && j->red_skip == 0;
	if (*to_red && is_secret(j)) {
		yajl_gen_string(j->red, (const unsigned char *)JC_REDACTED,
				sizeof(JC_REDACTED) - 1);
		*to_red = false;
		if (ev == EV_MAP || ev == EV_ARRAY)
			j->red_skip = j->depth + 1;
	}
	return 1;
}

static void after_value(struct jc *j)
{
	if (j->depth > 0 && !j->stack[j->depth - 1].is_map)
		j->stack[j->depth - 1].index++;
}

/* Runs a yajl_gen call on the full copy and, when to_red, on the redacted
 * one; a generator error (it should never happen on input yajl parsed)
 * fails the parse rather than storing a broken document. */
#define EMIT(j, to_red, call) do { \
	yajl_gen g_ = (j)->full; \
	if ((call) != yajl_gen_status_ok) \
		return fail((j), NULL, "cannot be re-encoded"); \
	if (to_red) { \
		g_ = (j)->red; \
		if ((call) != yajl_gen_status_ok) \
			return fail((j), NULL, "cannot be re-encoded"); \
	} \
} while (0)

static int cb_null(void *ctx)
{
	struct jc *j = ctx;
	bool r;

	if (!before_value(j, EV_SCALAR, NULL, 0, &r))
		return 0;
	EMIT(j, r, yajl_gen_null(g_));
	after_value(j);
	return 1;
}

static int cb_bool(void *ctx, int v)
{
	struct jc *j = ctx;
	bool r;

	if (!before_value(j, EV_SCALAR, NULL, 0, &r))
		return 0;
	EMIT(j, r, yajl_gen_bool(g_, v));
	after_value(j);
	return 1;
}

/* A number a double cannot hold (1e400) would reach JavaScript clients as
 * Infinity: refuse it. The text itself is stored verbatim. */
static bool number_in_range(struct jc *j, const char *s, size_t n)
{
	char buf[64], *copy = buf;
	double v;

	if (n >= sizeof(buf)) {
		copy = arena_alloc(j->a, n + 1);
		if (copy == NULL)
			return false;
	}
	memcpy(copy, s, n);
	copy[n] = '\0';
	v = strtod(copy, NULL);
	return isfinite(v);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct jc *j = ctx;
	bool r;

	if (!number_in_range(j, s, n))
		return fail(j, NULL, "number out of range");
	if (!before_value(j, EV_SCALAR, NULL, 0, &r))
		return 0;
	EMIT(j, r, yajl_gen_number(g_, s, n));
	after_value(j);
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jc *j = ctx;
	bool r;

	if (!utf8_valid((const char *)s, n))
		return fail(j, j->prefix, MSG_SYNTAX);
	if (!before_value(j, EV_STRING, s, n, &r))
		return 0;
	EMIT(j, r, yajl_gen_string(g_, s, n));
	after_value(j);
	return 1;
}

static int open_container(struct jc *j, bool is_map)
{
	struct frame *f;
	bool r;

	if (!before_value(j, is_map ? EV_MAP : EV_ARRAY, NULL, 0, &r))
		return 0;
	if (j->depth >= j->max_depth)
		return fail(j, NULL, "nested too deeply");
	if (is_map)
		EMIT(j, r, yajl_gen_map_open(g_));
	else
		EMIT(j, r, yajl_gen_array_open(g_));
	f = &j->stack[j->depth];
	memset(f, 0, sizeof(*f));
	f->is_map = is_map;
	f->first = j->nents;
	f->disc = is_map && j->top != NULL ? disc_of(j) : DISC_NONE;
	j->depth++;
	return 1;
}

static int close_container(struct jc *j, bool is_map)
{
	bool r = j->red != NULL && j->red_skip == 0;

	if (is_map && !disc_close(j, &j->stack[j->depth - 1]))
		return 0;

	if (is_map)
		EMIT(j, r, yajl_gen_map_close(g_));
	else
		EMIT(j, r, yajl_gen_array_close(g_));
	j->depth--;
	if (is_map) {	/* its keys leave the key stack */
		struct frame *f = &j->stack[j->depth];

		if (f->first < j->nents)
			j->kused = j->ents[f->first].off;
		j->nents = f->first;
		free(f->tab);
		f->tab = NULL;
	}
	if (j->red_skip != 0 && j->depth < j->red_skip)
		j->red_skip = 0;
	if (j->depth == 1)
		j->top = NULL;
	after_value(j);
	return 1;
}

static int cb_map_open(void *ctx) { return open_container(ctx, true); }
static int cb_map_close(void *ctx) { return close_container(ctx, true); }
static int cb_array_open(void *ctx) { return open_container(ctx, false); }
static int cb_array_close(void *ctx) { return close_container(ctx, false); }

static int cb_key(void *ctx, const unsigned char *ukey, size_t n)
{
	struct jc *j = ctx;
	struct frame *f = &j->stack[j->depth - 1];
	const char *key = (const char *)ukey;
	int added;

	if (!utf8_valid(key, n))
		return fail(j, j->prefix, MSG_SYNTAX);
	f->has_key = false;	/* failure paths name the parent, then this key */
	added = key_add(j, f, key, n);
	if (added < 0)
		return fail_oom(j);
	if (added == 0)
		return fail(j, cur_path(j, key, n), "duplicate key");
	if (j->depth == 1) {
		j->top = NULL;
		for (size_t i = 0; i < NTOPKEYS; i++)
			if (strlen(topkeys[i].name) == n && memcmp(topkeys[i].name, key, n) == 0)
				j->top = &topkeys[i];
		if (j->top == NULL) {
			f->has_key = false;
			return fail(j, cur_path(j, key, n), "unknown key");
		}
	}
	EMIT(j, j->red != NULL && j->red_skip == 0, yajl_gen_string(g_, ukey, n));
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_map_open, cb_key, cb_map_close, cb_array_open, cb_array_close,
};

static void free_parser(void *p) { yajl_free(p); }

static void free_keys(void *p)
{
	struct jc *j = p;

	free(j->kbuf);
	free(j->ents);
	for (unsigned i = 0; i < j->depth; i++)	/* objects left open by a failure */
		free(j->stack[i].tab);
	free(j->out_full.p);
	free(j->out_red.p);
}

static void out_print(void *ctx, const char *s, size_t n)
{
	struct outbuf *o = ctx;

	if (o->oom)
		return;
	if (reserve((void **)&o->p, &o->cap, o->len + n, 1, 256) < 0) {
		o->oom = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static bool out_init(struct outbuf *o, size_t hint)
{
	memset(o, 0, sizeof(*o));
	if (hint == 0)
		return true;
	o->p = malloc(hint);
	o->cap = o->p != NULL ? hint : 0;
	return o->p != NULL;
}
static void free_gen(void *g) { yajl_gen_free(g); }

struct jc *jc_new(struct arena *a, const char *path_prefix, unsigned max_depth,
		  bool want_redacted, size_t size_hint)
{
	struct jc *j = arena_calloc(a, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->a = a;
	j->prefix = path_prefix;
	/* yajl_gen cannot nest deeper than YAJL_MAX_DEPTH (128) */
	j->max_depth = max_depth < JC_MAX_DEPTH ? max_depth : JC_MAX_DEPTH;
	j->stack = arena_alloc(a, (j->max_depth + 1) * sizeof(*j->stack));
	if (j->stack == NULL || arena_cleanup_add(a, free_keys, j) < 0)
		return NULL;
	if (!out_init(&j->out_full, size_hint) ||
	    (want_redacted && !out_init(&j->out_red, size_hint)))
		return NULL;	/* freed by the cleanup above */
	j->parser = yajl_alloc(&callbacks, NULL, j);
	if (j->parser == NULL || arena_cleanup_add(a, free_parser, j->parser) < 0)
		goto oom;
	j->full = yajl_gen_alloc(NULL);
	if (j->full == NULL || arena_cleanup_add(a, free_gen, j->full) < 0)
		goto oom_gen;
	yajl_gen_config(j->full, yajl_gen_print_callback, out_print, &j->out_full);
	if (want_redacted) {
		j->red = yajl_gen_alloc(NULL);
		if (j->red == NULL || arena_cleanup_add(a, free_gen, j->red) < 0) {
			if (j->red != NULL)
				yajl_gen_free(j->red);
			return NULL;
		}
		yajl_gen_config(j->red, yajl_gen_print_callback, out_print, &j->out_red);
	}
	return j;
oom_gen:
	if (j->full != NULL)
		yajl_gen_free(j->full);
	return NULL;
oom:
	if (j->parser != NULL)
		yajl_free(j->parser);
	return NULL;
}

/* Maps a yajl error to a failure when no callback set one. */
static int parse_status(struct jc *j, yajl_status st)
{
	if (st == yajl_status_ok)
		return 0;
	if (!j->failed) {
		/* yajl's own text names the byte; keep it out of responses. */
		j->failed = true;
		j->fail_path = j->prefix;
		j->fail_msg = MSG_SYNTAX;
	}
	return -1;
}

int jc_feed(struct jc *j, const void *buf, size_t n)
{
	enum json_scan_feed seen;
	size_t at;

	if (j->failed)
		return -1;
	seen = json_scan_feed(&j->scan, buf, n, &at);
	if (seen != JSON_SCAN_FED) {
		/* the bytes before it first: an earlier error wins */
		if (parse_status(j, yajl_parse(j->parser, buf, at)) < 0)
			return -1;
		fail(j, j->prefix, seen == JSON_SCAN_LONE ? MSG_SURROGATE : MSG_SYNTAX);
		return -1;
	}
	return parse_status(j, yajl_parse(j->parser, buf, n));
}

int jc_finish(struct jc *j)
{
	if (j->failed)
		return -1;
	switch (json_scan_finish(&j->scan)) {
	case JSON_SCAN_OK:
		break;
	case JSON_SCAN_SURROGATE:
		fail(j, j->prefix, MSG_SURROGATE);
		return -1;
	case JSON_SCAN_IN_STRING:
		fail(j, j->prefix, MSG_SYNTAX);
		return -1;
	}
	return parse_status(j, yajl_complete_parse(j->parser));
}

const yajl_callbacks *jc_callbacks(void)
{
	return &callbacks;
}

bool jc_failed(const struct jc *j)
{
	return j->failed;
}

bool jc_oom(const struct jc *j)
{
	return j->oom;
}

unsigned jc_depth(const struct jc *j)
{
	return j->depth;
}

void jc_failure(const struct jc *j, const char **path, const char **message)
{
	*path = j->fail_path != NULL ? j->fail_path : j->prefix;
	*message = j->fail_msg != NULL ? j->fail_msg : "is invalid";
}

static const char *gen_out(const struct outbuf *o, yajl_gen g, size_t *len)
{
	if (g == NULL || o->oom || o->len == 0)
		return NULL;
	*len = o->len;
	return o->p;
}

const char *jc_output(struct jc *j, size_t *len)
{
	return gen_out(&j->out_full, j->full, len);
}

const char *jc_redacted(struct jc *j, size_t *len)
{
	return gen_out(&j->out_red, j->red, len);
}
