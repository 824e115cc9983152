/*
 * The list endpoint's query string, parsed into an ei_list_query: filters
 * with Truto-style operators in every encoding real clients send
 * (field=v, field[op]=v, field[in]=a,b, field[in][]=a, field[in][0]=a,
 * percent-encoded brackets, '+' for space), limit and next_cursor.
 * Pure: no database, no FastCGI; unit-tested and fuzzed.
 */
#ifndef ENVINT_FILTER_H
#define ENVINT_FILTER_H

#include "app/api/query.h"
#include "app/base/arena.h"
#include "app/base/config.h"
#include "app/base/failure.h"

/* Most values one in / nin list may carry, and most parameters overall. */
#define FILTER_MAX_VALUES 100
#define FILTER_MAX_PARAMS 64

/* Where the query string comes from. */
enum filter_mode {
	FILTER_LIST,	/* FILTER_LIST: the list: filters, limit, next_cursor */
	FILTER_ITEM,	/* FILTER_ITEM: GET of one object: the list's filters as
			 * extra conditions; limit and next_cursor are unknown */
	FILTER_NONE,	/* FILTER_NONE: PATCH, DELETE: every parameter is unknown */
	FILTER_HISTORY,	/* FILTER_HISTORY: a history page: limit, next_cursor (a
			 * history cursor) and version; no filters */
	FILTER__MAX
};

/* What filter_parse returns when out of memory: the server's fault, a
 * 500, never a 400. */
#define FILTER_OOM (-2)

/* Parses `query` (raw, without '?'). Returns 0; -1 with *fail naming the
 * parameter (decoded, as the client wrote it, at most ECHO_MAX bytes of
 * it) and the problem; or FILTER_OOM. Everything lives in `a`. Unknown
 * parameters and operators, ill-typed values and malformed cursors are all
 * failures: no filter is ever ignored. */
int filter_parse(struct arena *a, const char *query, const struct config *cfg,
		 enum filter_mode mode, struct ei_list_query *out, struct failure *fail);

#endif
