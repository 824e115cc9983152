/*
 * Static functions, in order: fail, field_value, override_failed,
 * finish_override, routed, cb_null, cb_bool, cb_number, cb_string,
 * cb_start_map, cb_end_map, cb_start_array, cb_end_array, fail_key,
 * cb_map_key.
 */
#include "app/api/body.h"

#include <stddef.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "app/api/override.h"
#include "app/base/ids.h"
#include "app/base/qs.h"
#include "app/base/utf8.h"
#include "app/json/json_canon.h"
#include "app/json/json_stream.h"

enum btype {
	BT_BOOL,	/* BT_BOOL */
	BT_UUID,	/* BT_UUID: a UUID string */
	BT_OVERRIDE,	/* BT_OVERRIDE: an object, or null */
	BT_VERSION,	/* BT_VERSION: a whole number from 1 */
	BT_READONLY,	/* BT_READONLY: part of the object, never writable */
	BT__MAX
};

#define MODES_ALL ((1u << BODY_PATCH) | (1u << BODY_POST) | (1u << BODY_MERGE))

#define NOFF ((size_t)-1)
#define B(field) offsetof(struct body, field)

/* Every field a body may name. A field whose `modes` lacks the current
 * mode is read-only there (integration_id can be given to POST only).
 * `has` and `val` locate its flag and value in struct body. */
static const struct bfield {
	const char *name;
	enum btype type;
	unsigned modes;
	size_t has, val;
} bfields[] = {
	{ "show_in_catalog", BT_BOOL, MODES_ALL, B(has_show_in_catalog), B(show_in_catalog) },
	{ "is_enabled", BT_BOOL, MODES_ALL, B(has_is_enabled), B(is_enabled) },
	{ "override", BT_OVERRIDE, MODES_ALL, B(has_override), NOFF },
	{ "integration_id", BT_UUID, 1u << BODY_POST, B(has_integration_id), B(integration_id) },
	{ "environment_id", BT_UUID, 1u << BODY_POST, B(has_environment_id), B(environment_id) },
	{ "version", BT_VERSION, 1u << BODY_RESTORE, B(has_version), B(version) },
	{ "id", BT_READONLY, 0, NOFF, NOFF },
	{ "created_at", BT_READONLY, 0, NOFF, NOFF },
	{ "updated_at", BT_READONLY, 0, NOFF, NOFF },
	{ "integration", BT_READONLY, 0, NOFF, NOFF },
};
#define NBFIELDS (sizeof(bfields) / sizeof(bfields[0]))

static const char *const type_errors[BT__MAX] = {
	"must be a boolean",		/* BT_BOOL */
	"must be a UUID string",	/* BT_UUID */
	"must be an object or null",	/* BT_OVERRIDE */
	"must be a whole number from 1",	/* BT_VERSION */
	"is read-only",			/* BT_READONLY */
};

struct body_parser {
	struct arena *a;
	enum body_mode mode;
	unsigned max_depth;
	size_t size_hint;
	struct json_stream stream;
	struct json_failure fail;
	struct body out;
	unsigned depth;			/* 0: before the body object, 1: in it */
	const struct bfield *cur;	/* field whose value comes next */
	unsigned seen;			/* bit per bfields index */
	struct jc *jc;			/* set while inside "override" */
	bool in_override;
};

static int fail(struct body_parser *p, const char *path, const char *msg)
{
	return json_fail(&p->fail, path, msg);
}

/* A value at body level (depth 1) for the current field. */
static int field_value(struct body_parser *p, enum btype got)
{
	const struct bfield *f = p->cur;

	if (p->depth == 0)
		return fail(p, "body", "must be a JSON object");
	if (f->type != got)
		return fail(p, f->name, type_errors[f->type]);
	return 1;
}

/* The override's canonicaliser failed: its failure is the body's.
 * Malformed JSON is the body's fault wherever it was noticed: one path. */
static int override_failed(struct body_parser *p)
{
	const struct json_failure *f = jc_failure(p->jc);

	if (f->oom)
		return json_fail_oom(&p->fail, "body");
	return fail(p, strcmp(f->msg, JSON_MSG_SYNTAX) == 0 ? "body" : f->path, f->msg);
}

static int finish_override(struct body_parser *p)
{
	size_t len = 0;
	const char *text = jc_output(p->jc, &len);

	p->in_override = false;
	if (text == NULL)	/* generating it ran out of memory */
		return json_fail_oom(&p->fail, "body");
	/* {} clears, like null: nothing worth storing (a merge patch of {}
	 * is a patch that changes nothing) */
	if (p->mode == BODY_MERGE || !(len == 2 && memcmp(text, "{}", 2) == 0)) {
		p->out.override = text;
		p->out.override_len = len;
	}
	return 1;
}

/* After an event went to the override's canonicaliser (ok: its callback's
 * result): routing ends when the override object has closed. */
static int routed(struct body_parser *p, int ok)
{
	if (!ok)
		return override_failed(p);
	if (jc_depth(p->jc) == 0)
		return finish_override(p);
	return 1;
}

static int cb_null(void *ctx)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_null(p->jc));
	if (p->depth == 1 && p->cur->type == BT_OVERRIDE) {
		p->out.override = NULL;	/* cleared */
		return 1;
	}
	return field_value(p, BT__MAX);
}

static int cb_bool(void *ctx, int v)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_boolean(p->jc, v));
	if (!field_value(p, BT_BOOL))
		return 0;
	*(bool *)((char *)&p->out + p->cur->val) = v;
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_number(p->jc, s, n));
	if (!field_value(p, BT_VERSION))
		return 0;
	/* JSON allows no leading zero: the text is digits, or it is a 400 */
	if (dec_whole(s, n, (unsigned long long *)((char *)&p->out + p->cur->val)) < 0)
		return fail(p, p->cur->name, type_errors[BT_VERSION]);
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_string(p->jc, s, n));
	if (!utf8_valid((const char *)s, n))
		return fail(p, "body", JSON_MSG_SYNTAX);
	if (!field_value(p, BT_UUID))
		return 0;
	if (id_parse((const char *)s, n, (unsigned char *)&p->out + p->cur->val) < 0)
		return fail(p, p->cur->name, "must be a UUID string");
	return 1;
}

static int cb_start_map(void *ctx)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_start_map(p->jc));
	if (p->depth == 0) {
		p->depth = 1;
		return 1;
	}
	if (p->cur->type != BT_OVERRIDE)
		return field_value(p, BT__MAX);
	/* the override object: from here its events go to the canonicaliser,
	 * which counts its own depth under what is left of the limit; a
	 * merge patch is JSON only (the merged result meets the rules) */
	if (p->mode == BODY_MERGE)
		p->jc = jc_new(p->a, "override", p->max_depth - 1, NULL, NULL, false,
			       p->size_hint);
	else
		p->jc = override_canon_new(p->a, "override", p->max_depth - 1, false,
					   p->size_hint);
	if (p->jc == NULL)
		return json_fail_oom(&p->fail, "body");
	p->in_override = true;
	return routed(p, jc_callbacks()->yajl_start_map(p->jc));
}

static int cb_end_map(void *ctx)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_end_map(p->jc));
	p->depth = 0;	/* the body object closed; yajl refuses anything after */
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_start_array(p->jc));
	return field_value(p, BT__MAX);
}

static int cb_end_array(void *ctx)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_end_array(p->jc));
	return 1;	/* unreachable: arrays never open at body level */
}

/* Fails with a body-level key as the path, echoed within ECHO_MAX. */
static int fail_key(struct body_parser *p, const unsigned char *key, size_t n,
		    const char *msg)
{
	char *name = arena_alloc(p->a, ECHO_ROOM + 1);

	if (name == NULL)
		return json_fail_oom(&p->fail, "body");
	name[echo_copy(name, (const char *)key, n)] = '\0';
	return fail(p, name, msg);
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t n)
{
	struct body_parser *p = ctx;

	if (p->in_override)
		return routed(p, jc_callbacks()->yajl_map_key(p->jc, key, n));
	if (!utf8_valid((const char *)key, n))
		return fail(p, "body", JSON_MSG_SYNTAX);
	for (size_t i = 0; i < NBFIELDS; i++) {
		if (strlen(bfields[i].name) != n || memcmp(bfields[i].name, key, n) != 0)
			continue;
		if (p->seen & (1u << i))
			return fail_key(p, key, n, "duplicate key");
		p->seen |= 1u << i;
		if (!(bfields[i].modes & (1u << p->mode)))	/* a restore's
			 * body is not an object's: its other names are unknown */
			return fail_key(p, key, n, p->mode == BODY_RESTORE ? "unknown field" :
						   "is read-only");
		p->cur = &bfields[i];
		return 1;
	}
	return fail_key(p, key, n, "unknown field");
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

struct body_parser *body_parser_new(struct arena *a, enum body_mode mode,
				    unsigned max_depth, size_t size_hint)
{
	struct body_parser *p = arena_calloc(a, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->a = a;
	p->mode = mode;
	p->max_depth = max_depth < 2 ? 2 : max_depth;
	p->size_hint = size_hint;
	if (json_stream_init(&p->stream, a, &callbacks, p, &p->fail, "body") < 0)
		return NULL;
	return p;
}

int body_feed(struct body_parser *p, const void *buf, size_t n)
{
	return json_stream_feed(&p->stream, buf, n);
}

int body_finish(struct body_parser *p, struct body *out)
{
	if (!p->fail.failed && p->stream.bytes == 0)
		fail(p, "body", "is empty; send a JSON object");
	if (json_stream_finish(&p->stream) < 0)
		return -1;
	*out = p->out;
	out->merge = p->mode == BODY_MERGE;
	for (size_t i = 0; i < NBFIELDS; i++)
		if (bfields[i].has != NOFF)
			*(bool *)((char *)out + bfields[i].has) = (p->seen >> i) & 1u;
	return 0;
}

void body_failure(const struct body_parser *p, const char **path,
		  const char **message, bool *oom)
{
	*path = p->fail.path != NULL ? p->fail.path : "body";
	*message = p->fail.msg != NULL ? p->fail.msg : "is invalid";
	*oom = p->fail.oom;
}
