/*
 * Static functions, in order: failp, parse_value, filter_slot, add_value,
 * field_find, parse_filter, parse_limit, parse_version,
 * parse_cursor.
 */
#include "app/api/filter.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/api/cursor.h"
#include "app/api/timeconv.h"
#include "app/base/ids.h"
#include "app/base/qs.h"
#include "app/base/utf8.h"

#define OPB(op) (1u << (op))
#define OPS_SET (OPB(OP_EQ) | OPB(OP_NE) | OPB(OP_IN) | OPB(OP_NIN))
#define OPS_BOOL (OPB(OP_EQ) | OPB(OP_NE))
#define OPS_ORDERED (OPS_SET | OPB(OP_GT) | OPB(OP_GTE) | OPB(OP_LT) | OPB(OP_LTE))

static const struct field_def {
	const char *name;
	const char *alias;	/* the bracket spelling, or NULL */
	enum value_kind kind;
	unsigned ops;
} fields[EF__MAX] = {
	{ "id", NULL, VK_ID, OPS_SET },					/* EF_ID */
	{ "integration_id", NULL, VK_ID, OPS_SET },			/* EF_INTEGRATION_ID */
	{ "environment_id", NULL, VK_ID, OPS_SET },			/* EF_ENVIRONMENT_ID */
	{ "show_in_catalog", NULL, VK_BOOL, OPS_BOOL },			/* EF_SHOW_IN_CATALOG */
	{ "is_enabled", NULL, VK_BOOL, OPS_BOOL },			/* EF_IS_ENABLED */
	{ "integration.name", "integration[name]", VK_STRING, OPS_SET },	/* EF_INTEGRATION_NAME */
	{ "integration.category", "integration[category]", VK_STRING, OPS_SET }, /* EF_INTEGRATION_CATEGORY */
	{ "created_at", NULL, VK_TIME, OPS_ORDERED },			/* EF_CREATED_AT */
	{ "updated_at", NULL, VK_TIME, OPS_ORDERED },			/* EF_UPDATED_AT */
};

static const char *const op_names[OP__MAX] = {
	"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin",	/* OP_EQ .. OP_NIN */
};

static const char *const kind_errors[VK__MAX] = {
	"must be a UUID",					/* VK_ID */
	"must be true or false",				/* VK_BOOL */
	"must be valid UTF-8",					/* VK_STRING */
	"must be an ISO-8601 timestamp such as 2021-08-10T10:00:00.000Z",	/* VK_TIME */
};

struct parser {
	struct arena *a;
	const struct config *cfg;
	struct ei_list_query *q;
	struct failure *fail;
	const char *param;	/* decoded name of the pair being parsed */
	size_t cap[FILTER_MAX_PARAMS];	/* value capacity per filter */
	bool seen_limit, seen_cursor, seen_version;
	enum filter_mode mode;
};

/* Fails naming the parameter being parsed, echoed within ECHO_MAX. */
static int failp(struct parser *p, const char *msg)
{
	size_t n = strlen(p->param);
	char *echo = arena_alloc(p->a, ECHO_ROOM + 1);

	if (echo != NULL)
		echo[echo_copy(echo, p->param, n)] = '\0';
	p->fail->path = echo != NULL ? echo : "query";
	p->fail->message = msg;
	return -1;
}

static int parse_value(struct parser *p, enum value_kind kind, const char *s, size_t n,
		       union filter_value *v)
{
	switch (kind) {
	case VK_ID:
		if (id_parse(s, n, v->id) == 0)
			return 0;
		break;
	case VK_BOOL:
		if (n == 4 && memcmp(s, "true", 4) == 0) {
			v->b = true;
			return 0;
		}
		if (n == 5 && memcmp(s, "false", 5) == 0) {
			v->b = false;
			return 0;
		}
		break;
	case VK_STRING:
		if (utf8_valid(s, n)) {
			v->s.p = s;
			v->s.n = n;
			return 0;
		}
		break;
	case VK_TIME:
		if (time_parse_iso(s, n, &v->us) == 0)
			return 0;
		break;
	case VK__MAX:
		break;
	}
	return failp(p, kind_errors[kind]);
}

/* The filter for (field, op): an existing in/nin list to extend, or a new
 * condition (repeated scalar conditions are ANDed). */
static struct ei_filter *filter_slot(struct parser *p, enum ei_field f, enum filter_op op)
{
	struct ei_list_query *q = p->q;

	if (op == OP_IN || op == OP_NIN)
		for (size_t i = 0; i < q->n_filters; i++)
			if (q->filters[i].field == f && q->filters[i].op == op)
				return &q->filters[i];
	if (q->n_filters == FILTER_MAX_PARAMS)
		return NULL;
	struct ei_filter *nf = &q->filters[q->n_filters];

	memset(nf, 0, sizeof(*nf));
	nf->field = f;
	nf->op = op;
	nf->kind = fields[f].kind;
	p->cap[q->n_filters++] = 0;
	return nf;
}

static int add_value(struct parser *p, struct ei_filter *f, const char *s, size_t n)
{
	size_t idx = (size_t)(f - p->q->filters);

	if (f->n == FILTER_MAX_VALUES)
		return failp(p, "too many values (at most 100)");
	if (f->n == p->cap[idx]) {
		size_t ncap = p->cap[idx] ? p->cap[idx] * 2 : 4;
		union filter_value *nv = arena_alloc(p->a, ncap * sizeof(*nv));

		if (nv == NULL)
			return FILTER_OOM;
		if (f->n)
			memcpy(nv, f->v, f->n * sizeof(*nv));
		f->v = nv;
		p->cap[idx] = ncap;
	}
	if (parse_value(p, f->kind, s, n, &f->v[f->n]) < 0)
		return -1;
	f->n++;
	return 0;
}

/* Matches "name" or "alias" at the start of key, followed by '[' or end. */
static const struct field_def *field_find(const char *key, size_t *used)
{
	for (size_t i = 0; i < EF__MAX; i++) {
		const char *names[2] = { fields[i].name, fields[i].alias };

		for (int k = 0; k < 2; k++) {
			size_t l = names[k] ? strlen(names[k]) : 0;

			if (l && strncmp(key, names[k], l) == 0 &&
			    (key[l] == '\0' || key[l] == '[')) {
				*used = l;
				return &fields[i];
			}
		}
	}
	return NULL;
}

static int parse_filter(struct parser *p, const char *key, const char *val, size_t vlen)
{
	size_t used;
	const struct field_def *fd = field_find(key, &used);
	enum filter_op op = OP_EQ;
	const char *rest;
	bool array = false;
	struct ei_filter *f;

	if (fd == NULL)
		return failp(p, "unknown parameter");
	rest = key + used;
	if (*rest == '[') {
		const char *close = strchr(rest, ']');
		size_t olen;

		if (close == NULL)
			return failp(p, "unknown parameter");
		olen = (size_t)(close - rest - 1);
		for (op = 0; op < OP__MAX; op++)
			if (strlen(op_names[op]) == olen && memcmp(rest + 1, op_names[op], olen) == 0)
				break;
		if (op == OP__MAX)
			return failp(p, "unknown operator (use eq, ne, gt, gte, lt, lte, in or nin)");
		rest = close + 1;
		if (*rest == '[') {	/* [] or [N]: one element of an array */
			size_t d = strspn(rest + 1, "0123456789");

			if (rest[1 + d] != ']' || rest[2 + d] != '\0' || d > 6)
				return failp(p, "unknown parameter");
			array = true;
			rest += d + 2;
		}
		if (*rest != '\0')
			return failp(p, "unknown parameter");
	}
	if (!(fd->ops & OPB(op)))
		return failp(p, "operator not supported for this field");
	if (array && op != OP_IN && op != OP_NIN)
		return failp(p, "only in and nin take a list");
	f = filter_slot(p, (enum ei_field)(fd - fields), op);
	if (f == NULL)
		return failp(p, "too many filters");
	if ((op == OP_IN || op == OP_NIN) && !array) {
		/* comma list: a,b,c */
		size_t start = 0;

		for (size_t i = 0; i <= vlen; i++)
			if (i == vlen || val[i] == ',') {
				int rc = add_value(p, f, val + start, i - start);

				if (rc < 0)
					return rc;	/* -1, or FILTER_OOM */
				start = i + 1;
			}
		return 0;
	}
	return add_value(p, f, val, vlen);
}

static int parse_limit(struct parser *p, const char *val, size_t n)
{
	unsigned long v = 0;

	if (p->seen_limit)
		return failp(p, "given more than once");
	p->seen_limit = true;
	if (n == 0 || strspn(val, "0123456789") != n)
		return failp(p, "must be a whole number from 1");
	while (n > 1 && *val == '0') {	/* leading zeros */
		val++;
		n--;
	}
	/* Any larger number is clamped, however many digits it has. */
	v = n > 9 ? ULONG_MAX : strtoul(val, NULL, 10);
	if (v == 0)
		return failp(p, "must be a whole number from 1");
	p->q->limit = v > p->cfg->page_max ? p->cfg->page_max : (unsigned)v;
	return 0;
}

/* FILTER_HISTORY's version: a whole number from 1 (dec_whole: leading
 * zeros allowed, as limit takes them). */
static int parse_version(struct parser *p, const char *val, size_t n)
{
	if (p->seen_version)
		return failp(p, "given more than once");
	p->seen_version = true;
	if (dec_whole(val, n, &p->q->version) < 0)
		return failp(p, "must be a whole number from 1");
	p->q->has_version = true;
	return 0;
}

static int parse_cursor(struct parser *p, const char *val, size_t n)
{
	struct cursor c;

	if (p->seen_cursor)
		return failp(p, "given more than once");
	p->seen_cursor = true;
	if (n == 0)
		return 0;	/* empty: the first page */
	if (cursor_decode(val, n, &c) < 0 || !(p->mode == FILTER_HISTORY ? c.created_us > 1 :
						time_in_range(c.created_us)))
		return failp(p, "is not a cursor returned by this API");
	p->q->has_after = true;
	p->q->after_version = (unsigned long long)c.created_us;
	p->q->after_created_us = c.created_us;
	memcpy(p->q->after_id, c.id, 16);
	return 0;
}

int filter_parse(struct arena *a, const char *query, const struct config *cfg,
		 enum filter_mode mode, struct ei_list_query *out, struct failure *fail)
{
	struct parser p = { .a = a, .cfg = cfg, .q = out, .fail = fail, .mode = mode };
	const char *cur = query;
	struct qs_pair pair;
	size_t count = 0;
	bool paged = mode == FILTER_LIST || mode == FILTER_HISTORY;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->limit = cfg->page_default;
	out->filters = arena_alloc(a, FILTER_MAX_PARAMS * sizeof(*out->filters));
	if (out->filters == NULL)
		return FILTER_OOM;
	while (rc == 0 && qs_next(&cur, &pair)) {
		char *key = arena_alloc(a, pair.klen + 1);
		char *val = arena_alloc(a, pair.vlen + 1);
		long kl, vl;

		if (key == NULL || val == NULL)
			return FILTER_OOM;
		kl = pct_decode(key, pair.key, pair.klen, true);
		if (kl < 0 || !utf8_valid(key, (size_t)kl)) {
			fail->path = "query";
			fail->message = "a parameter name is not validly encoded";
			return -1;
		}
		key[kl] = '\0';
		p.param = key;
		if (++count > FILTER_MAX_PARAMS)
			return failp(&p, "too many parameters (at most 64)");
		vl = pair.val != NULL ? pct_decode(val, pair.val, pair.vlen, true) : 0;
		if (vl < 0)
			return failp(&p, "value is not validly percent-encoded");
		val[vl] = '\0';
		if (mode == FILTER_NONE)
			rc = failp(&p, "unknown parameter (this method takes none)");
		else if (paged && strcmp(key, "limit") == 0)
			rc = parse_limit(&p, val, (size_t)vl);
		else if (paged && strcmp(key, "next_cursor") == 0)
			rc = parse_cursor(&p, val, (size_t)vl);
		else if (mode == FILTER_HISTORY && strcmp(key, "version") == 0)
			rc = parse_version(&p, val, (size_t)vl);
		else if (mode == FILTER_HISTORY)
			rc = failp(&p, "unknown parameter");
		else
			rc = parse_filter(&p, key, val, (size_t)vl);
	}
	return rc;
}
