/*
 * Static functions, in order: fnv1a, frame_key, reserve, ent_equal,
 * index_build, key_add, cur_path, out_print, out_init, gen, emit,
 * before_value, after_value, value, cb_null, cb_bool, cb_number, cb_string,
 * open_container, close_container, cb_map_open, cb_map_close,
 * cb_array_open, cb_array_close, cb_key, free_buffers, free_gen, gen_new,
 * stream_ready, gen_out.
 */
#include "app/json/json_canon.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "app/base/utf8.h"

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
};

/* The canonical text as it is generated: malloc'd, sized up front from
 * the caller's hint (the request's Content-Length bounds it), so a large
 * override is not copied through a doubling buffer. */
struct outbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct jc {
	struct arena *a;
	const char *prefix;
	unsigned max_depth;
	const struct jc_rules *rules;
	void *rules_ctx;
	struct json_stream stream;	/* standalone use (jc_feed); yh NULL until then */
	struct json_failure fail;
	yajl_gen full, red;
	struct outbuf out_full, out_red;
	struct frame *stack;
	unsigned depth;			/* open containers */
	char *kbuf;			/* key stack: bytes (malloc'd) */
	size_t kused, kcap;
	struct keyent *ents;		/* key stack: entries (malloc'd) */
	size_t nents, ecap;
	unsigned red_skip;		/* >0: redacted copy skips until depth < this */
};

/* ---- the key stack ---- */

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
	/* an empty first key leaves the buffer unallocated: still a key */
	return j->kbuf != NULL ? j->kbuf + j->ents[f->cur].off : "";
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

/* ---- paths and failures ---- */

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

int jc_reject(struct jc *j, const char *path, const char *msg)
{
	if (j->fail.failed)
		return 0;
	return json_fail(&j->fail, path != NULL ? path : cur_path(j, NULL, 0), msg);
}

int jc_reject_oom(struct jc *j)
{
	return json_fail_oom(&j->fail, j->prefix);
}

/* ---- output ---- */

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

/* One generator call, by kind. */
enum gen_op {
	G_NULL, G_BOOL, G_NUMBER, G_STRING, G_MAP_OPEN, G_MAP_CLOSE, G_ARRAY_OPEN, G_ARRAY_CLOSE,
};

static yajl_gen_status gen(yajl_gen g, enum gen_op op, const unsigned char *s, size_t n)
{
	switch (op) {
	case G_NULL: return yajl_gen_null(g);
	case G_BOOL: return yajl_gen_bool(g, n != 0);
	case G_NUMBER: return yajl_gen_number(g, (const char *)s, n);
	case G_STRING: return yajl_gen_string(g, s, n);
	case G_MAP_OPEN: return yajl_gen_map_open(g);
	case G_MAP_CLOSE: return yajl_gen_map_close(g);
	case G_ARRAY_OPEN: return yajl_gen_array_open(g);
	case G_ARRAY_CLOSE: return yajl_gen_array_close(g);
	}
	return yajl_gen_generation_complete;
}

/* Emits into the full copy and, with to_red, the redacted one. A generator
 * error (never expected on input yajl parsed) fails the parse rather than
 * storing a broken document. 1, or 0 after failing. */
static int emit(struct jc *j, bool to_red, enum gen_op op, const unsigned char *s, size_t n)
{
	if (gen(j->full, op, s, n) != yajl_gen_status_ok ||
	    (to_red && gen(j->red, op, s, n) != yajl_gen_status_ok))
		return jc_reject(j, NULL, "cannot be re-encoded");
	return 1;
}

/* ---- values ---- */

/* Checks a value against the top level and the rules, then decides what
 * the redacted copy does with it: 1 with *to_red set, or 0 after failing. */
static int before_value(struct jc *j, enum jc_event ev, const unsigned char *s,
			size_t n, bool *to_red)
{
	const struct jc_rules *r = j->rules;

	if (j->depth == 0 && ev != JC_MAP)
		return jc_reject(j, j->prefix, "must be a JSON object");
	if (r != NULL && r->value != NULL && j->depth > 0 && !r->value(j->rules_ctx, j, ev, s, n))
		return 0;
	*to_red = j->red != NULL && j->red_skip == 0;
	if (*to_red && r != NULL && r->redact != NULL && r->redact(j->rules_ctx, j)) {
		yajl_gen_string(j->red, (const unsigned char *)r->redact_with, strlen(r->redact_with));
		*to_red = false;
		if (ev == JC_MAP || ev == JC_ARRAY)
			j->red_skip = j->depth + 1;
	}
	return 1;
}

static void after_value(struct jc *j)
{
	if (j->depth > 0 && !j->stack[j->depth - 1].is_map)
		j->stack[j->depth - 1].index++;
}

/* A scalar or string value: checked, emitted, counted. */
static int value(struct jc *j, enum jc_event ev, enum gen_op op, const unsigned char *s,
		 size_t n)
{
	bool r;

	if (!before_value(j, ev, s, n, &r) || !emit(j, r, op, s, n))
		return 0;
	after_value(j);
	return 1;
}

static int cb_null(void *ctx)
{
	return value(ctx, JC_SCALAR, G_NULL, NULL, 0);
}

static int cb_bool(void *ctx, int v)
{
	return value(ctx, JC_SCALAR, G_BOOL, NULL, v != 0);
}

/* A number a double cannot hold (1e400) would reach JavaScript clients as
 * Infinity: refuse it. The text itself is stored verbatim. */
static int cb_number(void *ctx, const char *s, size_t n)
{
	struct jc *j = ctx;
	char buf[64], *copy = buf;

	if (n >= sizeof(buf) && (copy = arena_alloc(j->a, n + 1)) == NULL)
		return jc_reject_oom(j);
	memcpy(copy, s, n);
	copy[n] = '\0';
	if (!isfinite(strtod(copy, NULL)))
		return jc_reject(j, NULL, "number out of range");
	return value(j, JC_SCALAR, G_NUMBER, (const unsigned char *)s, n);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jc *j = ctx;

	if (!utf8_valid((const char *)s, n))
		return jc_reject(j, j->prefix, JSON_MSG_SYNTAX);
	return value(j, JC_STRING, G_STRING, s, n);
}

/* ---- containers ---- */

static int open_container(struct jc *j, bool is_map)
{
	struct frame *f;
	bool r;

	if (!before_value(j, is_map ? JC_MAP : JC_ARRAY, NULL, 0, &r))
		return 0;
	if (j->depth >= j->max_depth)
		return jc_reject(j, NULL, "nested too deeply");
	if (!emit(j, r, is_map ? G_MAP_OPEN : G_ARRAY_OPEN, NULL, 0))
		return 0;
	f = &j->stack[j->depth++];
	memset(f, 0, sizeof(*f));
	f->is_map = is_map;
	f->first = j->nents;
	return 1;
}

static int close_container(struct jc *j, bool is_map)
{
	bool r = j->red != NULL && j->red_skip == 0;
	const struct jc_rules *rl = j->rules;

	if (is_map && rl != NULL && rl->map_close != NULL && !rl->map_close(j->rules_ctx, j))
		return 0;
	if (!emit(j, r, is_map ? G_MAP_CLOSE : G_ARRAY_CLOSE, NULL, 0))
		return 0;
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
		return jc_reject(j, j->prefix, JSON_MSG_SYNTAX);
	f->has_key = false;	/* failure paths name the parent, then this key */
	added = key_add(j, f, key, n);
	if (added < 0)
		return jc_reject_oom(j);
	if (added == 0)
		return jc_reject(j, cur_path(j, key, n), "duplicate key");
	if (j->rules != NULL && j->rules->key != NULL && !j->rules->key(j->rules_ctx, j))
		return 0;
	return emit(j, j->red != NULL && j->red_skip == 0, G_STRING, ukey, n);
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_map_open, cb_key, cb_map_close, cb_array_open, cb_array_close,
};

/* ---- construction and feeding ---- */

static void free_buffers(void *p)
{
	struct jc *j = p;

	free(j->kbuf);
	free(j->ents);
	for (unsigned i = 0; i < j->depth; i++)	/* objects left open by a failure */
		free(j->stack[i].tab);
	free(j->out_full.p);
	free(j->out_red.p);
}

static void free_gen(void *g)
{
	yajl_gen_free(g);
}

/* A generator printing into o, owned by the arena; NULL when out of memory. */
static yajl_gen gen_new(struct arena *a, struct outbuf *o)
{
	yajl_gen g = arena_own(a, yajl_gen_alloc(NULL), free_gen);

	if (g != NULL)
		yajl_gen_config(g, yajl_gen_print_callback, out_print, o);
	return g;
}

struct jc *jc_new(struct arena *a, const char *path_prefix, unsigned max_depth,
		  const struct jc_rules *rules, void *rules_ctx, bool want_redacted,
		  size_t size_hint)
{
	struct jc *j = arena_calloc(a, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->a = a;
	j->prefix = path_prefix;
	j->rules = rules;
	j->rules_ctx = rules_ctx;
	/* yajl_gen cannot nest deeper than YAJL_MAX_DEPTH (128) */
	j->max_depth = max_depth < JC_MAX_DEPTH ? max_depth : JC_MAX_DEPTH;
	j->stack = arena_alloc(a, (j->max_depth + 1) * sizeof(*j->stack));
	/* every resource is the arena's as soon as it exists */
	if (j->stack == NULL || arena_cleanup_add(a, free_buffers, j) < 0 ||
	    !out_init(&j->out_full, size_hint) ||
	    (want_redacted && !out_init(&j->out_red, size_hint)) ||
	    (j->full = gen_new(a, &j->out_full)) == NULL ||
	    (want_redacted && (j->red = gen_new(a, &j->out_red)) == NULL))
		return NULL;
	return j;
}

/* The parser of standalone use, made on first use (a sink never needs
 * one). 0, or -1 after failing for lack of memory. */
static int stream_ready(struct jc *j)
{
	if (j->stream.yh != NULL)
		return 0;
	if (json_stream_init(&j->stream, j->a, &callbacks, j, &j->fail, j->prefix) == 0)
		return 0;
	jc_reject_oom(j);
	return -1;
}

int jc_feed(struct jc *j, const void *buf, size_t n)
{
	if (stream_ready(j) < 0)
		return -1;
	return json_stream_feed(&j->stream, buf, n);
}

int jc_finish(struct jc *j)
{
	if (stream_ready(j) < 0)
		return -1;
	return json_stream_finish(&j->stream);
}

const yajl_callbacks *jc_callbacks(void)
{
	return &callbacks;
}

const struct json_failure *jc_failure(const struct jc *j)
{
	return &j->fail;
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

/* ---- for rules ---- */

unsigned jc_depth(const struct jc *j)
{
	return j->depth;
}

const char *jc_key_at(const struct jc *j, unsigned level, size_t *len)
{
	return level < j->depth ? frame_key(j, &j->stack[level], len) : NULL;
}

bool jc_key_is(const struct jc *j, unsigned level, const char *lit)
{
	size_t len = 0;
	const char *k = jc_key_at(j, level, &len);

	return k != NULL && len == strlen(lit) && memcmp(k, lit, len) == 0;
}

bool jc_is_map_at(const struct jc *j, unsigned level)
{
	return level < j->depth && j->stack[level].is_map;
}

const char *jc_path(struct jc *j)
{
	return cur_path(j, NULL, 0);
}

struct arena *jc_arena(const struct jc *j)
{
	return j->a;
}
