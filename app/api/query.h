/*
 * The list query of API.md, as types: what the query-string parser
 * (app/api/filter.c) fills and the database's query builder
 * (db/envint_db.c) reads. Function-free, C library only: the one header of
 * app/api/ that db/ includes. Times are microseconds since the epoch
 * (UTC); db/ turns them into MYSQL_TIME when it binds them.
 */
#ifndef ENVINT_QUERY_H
#define ENVINT_QUERY_H

#include <stdbool.h>
#include <stddef.h>

/* The list filters. Each field maps to one column in db/envint_db.c and to
 * its query-string names in app/api/filter.c. */
enum ei_field {
	EF_ID,			/* EF_ID */
	EF_INTEGRATION_ID,	/* EF_INTEGRATION_ID */
	EF_ENVIRONMENT_ID,	/* EF_ENVIRONMENT_ID */
	EF_SHOW_IN_CATALOG,	/* EF_SHOW_IN_CATALOG */
	EF_IS_ENABLED,		/* EF_IS_ENABLED */
	EF_INTEGRATION_NAME,	/* EF_INTEGRATION_NAME */
	EF_INTEGRATION_CATEGORY,	/* EF_INTEGRATION_CATEGORY */
	EF_CREATED_AT,		/* EF_CREATED_AT */
	EF_UPDATED_AT,		/* EF_UPDATED_AT */
	EF__MAX
};

enum filter_op {
	OP_EQ,	/* OP_EQ */
	OP_NE,	/* OP_NE */
	OP_GT,	/* OP_GT */
	OP_GTE,	/* OP_GTE */
	OP_LT,	/* OP_LT */
	OP_LTE,	/* OP_LTE */
	OP_IN,	/* OP_IN */
	OP_NIN,	/* OP_NIN */
	OP__MAX
};

/* What a field's values are; the parser's field table says it once and
 * each filter carries it to the query builder. */
enum value_kind {
	VK_ID,		/* VK_ID: a UUID */
	VK_BOOL,	/* VK_BOOL: true or false */
	VK_STRING,	/* VK_STRING: UTF-8 text */
	VK_TIME,	/* VK_TIME: an instant */
	VK__MAX
};

/* One value of a filter; the member set is the filter's kind. */
union filter_value {
	unsigned char id[16];		/* VK_ID */
	bool b;				/* VK_BOOL */
	long long us;			/* VK_TIME: microseconds, UTC */
	struct {			/* VK_STRING */
		const char *p;
		size_t n;
	} s;
};

struct ei_filter {
	enum ei_field field;
	enum filter_op op;
	enum value_kind kind;
	size_t n;		/* 1, or the list length of in / nin */
	union filter_value *v;
};

struct ei_list_query {
	struct ei_filter *filters;
	size_t n_filters;
	bool has_after;		/* keyset position from next_cursor */
	long long after_created_us;
	unsigned char after_id[16];
	unsigned limit;		/* rows wanted on the page */
	/* FILTER_HISTORY: next_cursor's position (after_id is the install's
	 * id, checked by the handler) and the version filter */
	unsigned long long after_version;
	bool has_version;
	unsigned long long version;
};

#endif
