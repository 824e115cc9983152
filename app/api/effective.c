#include "app/api/effective.h"

#include <stdbool.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "app/json/json_merge.h"

const char *const effective_key_names[EK__MAX] = {
	"description",			/* EK_DESCRIPTION */
	"tags",				/* EK_TAGS */
	"environment_variables",	/* EK_ENVIRONMENT_VARIABLES */
};

/* The merge's sink: every event goes to the config's generator but the
 * values of the environment-level keys of the top-level object, which go
 * to a generator each. */
struct split {
	struct arena *a;
	yajl_gen main, key[EK__MAX];
	unsigned depth;		/* containers open */
	int route;		/* the current top-level key's, or -1 (main) */
	bool oom;
};

static void free_gen(void *g)
{
	yajl_gen_free(g);
}

static yajl_gen gen_new(struct split *s)
{
	yajl_gen g = arena_own(s->a, yajl_gen_alloc(NULL), free_gen);

	if (g == NULL)
		s->oom = true;
	return g;
}

/* Where a value goes: inside the top-level object, its key's place. */
static yajl_gen target(const struct split *s)
{
	return s->depth >= 1 && s->route >= 0 ? s->key[s->route] : s->main;
}

static int done(yajl_gen_status st)
{
	return st == yajl_gen_status_ok;
}

static int s_null(void *ctx) { return done(yajl_gen_null(target(ctx))); }
static int s_bool(void *ctx, int v) { return done(yajl_gen_bool(target(ctx), v)); }

static int s_number(void *ctx, const char *n, size_t len)
{
	return done(yajl_gen_number(target(ctx), n, len));
}

static int s_string(void *ctx, const unsigned char *v, size_t len)
{
	return done(yajl_gen_string(target(ctx), v, len));
}

static int s_key(void *ctx, const unsigned char *k, size_t len)
{
	struct split *s = ctx;

	if (s->depth != 1)
		return done(yajl_gen_string(target(s), k, len));
	s->route = -1;
	for (int i = 0; i < EK__MAX; i++) {
		if (strlen(effective_key_names[i]) != len ||
		    memcmp(effective_key_names[i], k, len) != 0)
			continue;
		/* unique keys: each generator gets one value */
		if ((s->key[i] = gen_new(s)) == NULL)
			return 0;
		s->route = i;
		return 1;
	}
	return done(yajl_gen_string(s->main, k, len));
}

static int s_open(void *ctx, bool is_map)
{
	struct split *s = ctx;
	yajl_gen g = target(s);

	s->depth++;
	return done(is_map ? yajl_gen_map_open(g) : yajl_gen_array_open(g));
}

static int s_close(void *ctx, bool is_map)
{
	struct split *s = ctx;
	yajl_gen g = --s->depth == 0 ? s->main : target(s);

	return done(is_map ? yajl_gen_map_close(g) : yajl_gen_array_close(g));
}

static int s_map_open(void *ctx) { return s_open(ctx, true); }
static int s_map_close(void *ctx) { return s_close(ctx, true); }
static int s_array_open(void *ctx) { return s_open(ctx, false); }
static int s_array_close(void *ctx) { return s_close(ctx, false); }

static const yajl_callbacks split_callbacks = {
	s_null, s_bool, NULL, NULL, s_number, s_string,
	s_map_open, s_key, s_map_close, s_array_open, s_array_close,
};

/* A generator's text; len 0 and NULL when there is none. */
static const char *gen_text(yajl_gen g, size_t *len)
{
	const unsigned char *buf = NULL;

	*len = 0;
	if (g == NULL || yajl_gen_get_buf(g, &buf, len) != yajl_gen_status_ok)
		return NULL;
	return (const char *)buf;
}

enum effective_rc effective_config(struct arena *a, const char *config, size_t clen,
				   const char *override, size_t olen, struct effective *out)
{
	struct split s = { .a = a, .route = -1 };
	struct jm_node *patch;

	memset(out, 0, sizeof(*out));
	if (override == NULL || olen == 0) {
		override = "{}";
		olen = 2;
	}
	if ((patch = jm_parse(a, override, olen)) == NULL)
		return EFF_STORED;	/* (or memory: one cannot tell; both are 500s) */
	if ((s.main = gen_new(&s)) == NULL)
		return EFF_OOM;
	switch (json_merge(a, config, clen, patch, &split_callbacks, &s)) {
	case JM_OK:
		break;
	case JM_INVALID:
		return EFF_STORED;
	case JM_SINK:
	case JM_OOM:
	case JM__MAX:
		return EFF_OOM;	/* a generator refuses only for lack of memory */
	}
	if ((out->config = gen_text(s.main, &out->config_len)) == NULL)
		return EFF_OOM;
	for (int i = 0; i < EK__MAX; i++)
		out->key[i] = gen_text(s.key[i], &out->key_len[i]);
	return EFF_OK;
}
