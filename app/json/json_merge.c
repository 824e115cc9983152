/*
 * Static functions, in order: node_add, p_null, p_bool, p_text, p_number,
 * p_string, p_key, p_open, p_map_open, p_array_open, key_cmp, p_close,
 * lookup, sunk, s_null, s_bool, s_number, s_string, s_key, s_open,
 * s_close, emit_node, pend_take, m_null, m_bool, m_number, m_string, m_key,
 * m_open, m_map_open, m_array_open, m_close, m_map_close, m_array_close,
 * free_handle.
 */
#include "app/json/json_merge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum jm_type { JM_NULL, JM_BOOL, JM_NUMBER, JM_STRING, JM_OBJECT, JM_ARRAY };

/* Objects with more members than this get a sorted index for lookups, so
 * a patch of many keys into a target of many keys is not quadratic. */
#define INDEX_MIN 8

struct jm_node {
	enum jm_type type;
	bool b;
	const char *s;			/* a number's text, a string's bytes */
	size_t n;
	const char *key;		/* as a member of an object */
	size_t klen;
	size_t ord;			/* position among its siblings */
	struct jm_node *first, *last, *next;	/* children in order */
	size_t count;
	struct jm_node **index;		/* > INDEX_MIN members: sorted by key */
	struct jm_node *parent;		/* while parsing */
};

/* ---- parsing the patch ---- */

struct pctx {
	struct arena *a;
	struct jm_node *root, *cur;	/* cur: the container open now */
	const char *key;		/* the key of the member that comes next */
	size_t klen;
	unsigned depth;
};

/* A new node of `type` at the current position; NULL when out of memory
 * (which cancels the parse). */
static struct jm_node *node_add(struct pctx *p, enum jm_type type)
{
	struct jm_node *n = arena_calloc(p->a, sizeof(*n));
	struct jm_node *c = p->cur;

	if (n == NULL)
		return NULL;
	n->type = type;
	if (c == NULL) {
		p->root = n;
		return n;
	}
	if (c->type == JM_OBJECT) {
		n->key = p->key;
		n->klen = p->klen;
	}
	n->ord = c->count++;
	if (c->last != NULL)
		c->last->next = n;
	else
		c->first = n;
	c->last = n;
	return n;
}

static int p_null(void *ctx)
{
	return node_add(ctx, JM_NULL) != NULL;
}

static int p_bool(void *ctx, int v)
{
	struct jm_node *n = node_add(ctx, JM_BOOL);

	if (n != NULL)
		n->b = v != 0;
	return n != NULL;
}

/* A number or string: its text copied into the arena (numbers keep their
 * source spelling). */
static int p_text(struct pctx *p, enum jm_type type, const char *s, size_t len)
{
	struct jm_node *n = node_add(p, type);
	char *copy = n != NULL ? arena_alloc(p->a, len + 1) : NULL;

	if (copy == NULL)
		return 0;
	memcpy(copy, s, len);
	n->s = copy;
	n->n = len;
	return 1;
}

static int p_number(void *ctx, const char *s, size_t len)
{
	return p_text(ctx, JM_NUMBER, s, len);
}

static int p_string(void *ctx, const unsigned char *s, size_t len)
{
	return p_text(ctx, JM_STRING, (const char *)s, len);
}

static int p_key(void *ctx, const unsigned char *s, size_t len)
{
	struct pctx *p = ctx;
	char *copy = arena_alloc(p->a, len + 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, s, len);
	p->key = copy;
	p->klen = len;
	return 1;
}

static int p_open(struct pctx *p, enum jm_type type)
{
	struct jm_node *n;

	if (p->depth >= JM_MAX_DEPTH || (n = node_add(p, type)) == NULL)
		return 0;
	n->parent = p->cur;
	p->cur = n;
	p->depth++;
	return 1;
}

static int p_map_open(void *ctx) { return p_open(ctx, JM_OBJECT); }
static int p_array_open(void *ctx) { return p_open(ctx, JM_ARRAY); }

static int key_cmp(const void *x, const void *y)
{
	const struct jm_node *a = *(struct jm_node *const *)x, *b = *(struct jm_node *const *)y;
	int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);

	if (c != 0)
		return c;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* A container closes; a large object gets its index. */
static int p_close(void *ctx)
{
	struct pctx *p = ctx;
	struct jm_node *c = p->cur;

	if (c->type == JM_OBJECT && c->count > INDEX_MIN) {
		struct jm_node *m = c->first;

		c->index = arena_alloc(p->a, c->count * sizeof(*c->index));
		if (c->index == NULL)
			return 0;
		for (size_t i = 0; m != NULL; m = m->next)
			c->index[i++] = m;
		qsort(c->index, c->count, sizeof(*c->index), key_cmp);
	}
	p->cur = c->parent;
	p->depth--;
	return 1;
}

static const yajl_callbacks parse_callbacks = {
	p_null, p_bool, NULL, NULL, p_number, p_string,
	p_map_open, p_key, p_close, p_array_open, p_close,
};

static void free_handle(void *h);

struct jm_node *jm_parse(struct arena *a, const char *text, size_t len)
{
	struct pctx p = { .a = a };
	yajl_handle h = arena_own(a, yajl_alloc(&parse_callbacks, NULL, &p), free_handle);

	if (h == NULL)
		return NULL;
	if (yajl_parse(h, (const unsigned char *)text, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok)
		return NULL;
	return p.root;	/* NULL for an empty text */
}

/* ---- merging ---- */

/* The member `key` of object o, or NULL. */
static const struct jm_node *lookup(const struct jm_node *o, const char *key, size_t n)
{
	if (o->index == NULL) {
		for (const struct jm_node *m = o->first; m != NULL; m = m->next)
			if (m->klen == n && memcmp(m->key, key, n) == 0)
				return m;
		return NULL;
	}
	struct jm_node probe = { .key = key, .klen = n }, *pp = &probe, **hit;

	hit = bsearch(&pp, o->index, o->count, sizeof(*o->index), key_cmp);
	return hit != NULL ? *hit : NULL;
}

/* What becomes of the target's next value. */
enum pend {
	P_COPY,		/* P_COPY: the patch does not name it: kept */
	P_SKIP,		/* P_SKIP: the patch removes it (null) */
	P_PATCH,	/* P_PATCH: merged with, or replaced by, pnode */
};

/* An object of the target being merged with an object of the patch. */
struct mframe {
	const struct jm_node *patch;
	bool *seen;	/* per patch member: met in the target */
};

struct mctx {
	const yajl_callbacks *sink;
	void *sctx;
	struct arena *a;
	struct mframe frames[JM_MAX_DEPTH + 1];
	unsigned nframes;
	enum pend pend;
	const struct jm_node *pnode;
	unsigned long pass;	/* containers open in a subtree copied or skipped */
	bool pass_copy;
	enum jm_result res;
};

/* ---- the sink: a 0 from it stops everything (our callback returns it,
 * which cancels the parse) ---- */

static int sunk(struct mctx *m, int ok)
{
	if (!ok)
		m->res = JM_SINK;
	return ok != 0;
}

static int s_null(struct mctx *m) { return sunk(m, m->sink->yajl_null(m->sctx)); }
static int s_bool(struct mctx *m, int v) { return sunk(m, m->sink->yajl_boolean(m->sctx, v)); }

static int s_number(struct mctx *m, const char *s, size_t n)
{
	return sunk(m, m->sink->yajl_number(m->sctx, s, n));
}

static int s_string(struct mctx *m, const void *s, size_t n)
{
	return sunk(m, m->sink->yajl_string(m->sctx, s, n));
}

static int s_key(struct mctx *m, const void *k, size_t n)
{
	return sunk(m, m->sink->yajl_map_key(m->sctx, k, n));
}

static int s_open(struct mctx *m, bool is_map)
{
	return sunk(m, is_map ? m->sink->yajl_start_map(m->sctx) :
			m->sink->yajl_start_array(m->sctx));
}

static int s_close(struct mctx *m, bool is_map)
{
	return sunk(m, is_map ? m->sink->yajl_end_map(m->sctx) :
			m->sink->yajl_end_array(m->sctx));
}

/* Emits a patch value as merging it into nothing gives: objects lose
 * their null members (RFC 7396: MergePatch({}, value)), except inside an
 * array, which the patch replaces verbatim. */
static int emit_node(struct mctx *m, const struct jm_node *n, bool in_array)
{
	const struct jm_node *c;

	switch (n->type) {
	case JM_NULL:
		return s_null(m);
	case JM_BOOL:
		return s_bool(m, n->b);
	case JM_NUMBER:
		return s_number(m, n->s, n->n);
	case JM_STRING:
		return s_string(m, n->s, n->n);
	case JM_OBJECT:
		if (!s_open(m, true))
			return 0;
		for (c = n->first; c != NULL; c = c->next) {
			if (c->type == JM_NULL && !in_array)
				continue;
			if (!s_key(m, c->key, c->klen) ||
			    !emit_node(m, c, in_array))
				return 0;
		}
		return s_close(m, true);
	case JM_ARRAY:
		if (!s_open(m, false))
			return 0;
		for (c = n->first; c != NULL; c = c->next)
			if (!emit_node(m, c, true))
				return 0;
		return s_close(m, false);
	}
	return 0;
}

/* The fate of the value that comes now; the next one is copied unless a
 * key says otherwise. */
static enum pend pend_take(struct mctx *m)
{
	enum pend p = m->pend;

	m->pend = P_COPY;
	return p;
}

/* A scalar of the target. */
#define M_SCALAR(m, copy) do { \
		if ((m)->pass > 0) \
			return (m)->pass_copy ? (copy) : 1; \
		switch (pend_take(m)) { \
		case P_COPY: return (copy); \
		case P_SKIP: return 1; \
		case P_PATCH: return emit_node(m, (m)->pnode, false); \
		} \
		return 0; \
	} while (0)

static int m_null(void *ctx) { M_SCALAR((struct mctx *)ctx, s_null(ctx)); }
static int m_bool(void *ctx, int v) { M_SCALAR((struct mctx *)ctx, s_bool(ctx, v)); }

static int m_number(void *ctx, const char *s, size_t n)
{
	M_SCALAR((struct mctx *)ctx, s_number(ctx, s, n));
}

static int m_string(void *ctx, const unsigned char *s, size_t n)
{
	M_SCALAR((struct mctx *)ctx, s_string(ctx, s, n));
}

static int m_key(void *ctx, const unsigned char *k, size_t n)
{
	struct mctx *m = ctx;
	struct mframe *f;
	const struct jm_node *c;

	if (m->pass > 0)
		return m->pass_copy ? s_key(m, k, n) : 1;
	f = &m->frames[m->nframes - 1];
	c = lookup(f->patch, (const char *)k, n);
	if (c == NULL) {
		m->pend = P_COPY;
		return s_key(m, k, n);
	}
	f->seen[c->ord] = true;
	if (c->type == JM_NULL) {
		m->pend = P_SKIP;
		return 1;
	}
	m->pend = P_PATCH;
	m->pnode = c;
	return s_key(m, k, n);
}

/* A container of the target opens: merged when both sides are objects,
 * otherwise copied, skipped, or replaced by the patch's value. */
static int m_open(struct mctx *m, bool is_map)
{
	enum pend p;

	if (m->pass > 0) {
		m->pass++;
		if (!m->pass_copy)
			return 1;
		return s_open(m, is_map);
	}
	p = pend_take(m);
	if (p == P_PATCH && is_map && m->pnode->type == JM_OBJECT) {
		struct mframe *f = &m->frames[m->nframes];

		/* the patch's depth bounds the frames (JM_MAX_DEPTH) */
		f->patch = m->pnode;
		f->seen = arena_calloc(m->a, f->patch->count + 1);
		if (f->seen == NULL) {
			m->res = JM_OOM;
			return 0;
		}
		m->nframes++;
		return s_open(m, true);
	}
	m->pass = 1;
	m->pass_copy = p == P_COPY;
	if (p == P_PATCH)
		return emit_node(m, m->pnode, false);
	if (p == P_SKIP)
		return 1;
	return s_open(m, is_map);
}

static int m_map_open(void *ctx) { return m_open(ctx, true); }
static int m_array_open(void *ctx) { return m_open(ctx, false); }

/* A container of the target closes. A merged object first gains the
 * patch's members the target did not have (but nulls: nothing to remove). */
static int m_close(struct mctx *m, bool is_map)
{
	struct mframe *f;

	if (m->pass > 0) {
		m->pass--;
		if (!m->pass_copy)
			return 1;
		return s_close(m, is_map);
	}
	f = &m->frames[--m->nframes];
	for (const struct jm_node *c = f->patch->first; c != NULL; c = c->next) {
		if (f->seen[c->ord] || c->type == JM_NULL)
			continue;
		if (!s_key(m, c->key, c->klen) ||
		    !emit_node(m, c, false))
			return 0;
	}
	return s_close(m, true);
}

static int m_map_close(void *ctx) { return m_close(ctx, true); }
static int m_array_close(void *ctx) { return m_close(ctx, false); }

static const yajl_callbacks merge_callbacks = {
	m_null, m_bool, NULL, NULL, m_number, m_string,
	m_map_open, m_key, m_map_close, m_array_open, m_array_close,
};

static void free_handle(void *h)
{
	yajl_free(h);
}

enum jm_result json_merge(struct arena *a, const char *target, size_t tlen,
			  const struct jm_node *patch, const yajl_callbacks *sink,
			  void *sink_ctx)
{
	struct mctx *m = arena_calloc(a, sizeof(*m));
	yajl_handle h;

	if (m == NULL)
		return JM_OOM;
	m->sink = sink;
	m->sctx = sink_ctx;
	m->a = a;
	m->pend = P_PATCH;	/* the whole target meets the whole patch */
	m->pnode = patch;
	m->res = JM_OK;
	h = arena_own(a, yajl_alloc(&merge_callbacks, NULL, m), free_handle);
	if (h == NULL)
		return JM_OOM;
	if (target == NULL || tlen == 0) {
		target = "{}";
		tlen = 2;
	}
	if (yajl_parse(h, (const unsigned char *)target, tlen) == yajl_status_ok &&
	    yajl_complete_parse(h) == yajl_status_ok)
		return JM_OK;
	return m->res != JM_OK ? m->res : JM_INVALID;
}
