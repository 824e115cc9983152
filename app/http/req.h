/*
 * One HTTP request as the handlers see it, and the helpers that answer it.
 * Everything here lives in the worker's arena and dies with the request.
 *
 * Replies: a handler either calls one req_reply_* helper, or calls
 * req_begin (or req_json_begin) and generates the body itself. Every reply
 * is JSON and carries X-Request-Id and a Content-Length: a reply cut short
 * (a worker killed, a database lost mid-page) is a short read the client
 * detects, also over HTTP/1.0 and behind a web server that ends its own
 * reply cleanly when the backend fails. So the body is gathered in the
 * worker's reply buffer and leaves, after the head, when the handler
 * returns (req_flush); an object too long for the buffer is counted, then
 * streamed (req_reply_sized).
 */
#ifndef ENVINT_REQ_H
#define ENVINT_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <yajl/yajl_gen.h>

#include "app/base/arena.h"
#include "app/base/config.h"
#include "app/base/failure.h"
#include "db/db.h"
#include "db/scope.h"

struct db;

/* In the order Allow lists them. */
enum http_method {
	M_GET,		/* M_GET */
	M_HEAD,		/* M_HEAD: GET's handler, the reply's body dropped */
	M_POST,		/* M_POST */
	M_PATCH,	/* M_PATCH */
	M_DELETE,	/* M_DELETE */
	M_PUT,		/* M_PUT */
	M_OPTIONS,	/* M_OPTIONS */
	M_OTHER,	/* M_OTHER: anything else */
	M__MAX
};

extern const char *const http_method_names[M__MAX];

struct req;

/* Where reply bytes go: the FastCGI stream, or a buffer in unit tests.
 * Returns 0, or -1 when the client is gone. */
typedef int (*req_write_fn)(struct req *r, const void *p, size_t n);

/* Where body bytes come from: up to n bytes into p; returns the count,
 * 0 at the end of the body. */
typedef int (*req_read_fn)(struct req *r, void *p, size_t n);

struct req {
	FCGX_Request *fx;		/* NULL outside a FastCGI worker */
	struct arena *arena;
	const struct config *cfg;
	struct db *db;
	req_write_fn write;
	req_read_fn read;

	enum http_method method;
	const char *method_name;
	const char *path;		/* decoded, without the query */
	const char *query;		/* raw, "" when none */
	const char *content_type;	/* NULL when absent */
	long long content_length;	/* -1 when absent */
	const char *authorization;	/* NULL when absent */
	const char *if_match;		/* NULL when absent */
	const char *param;		/* the {id} path segment, or NULL */
	char id[72];			/* request id */

	struct scope scope;		/* set by auth_or_reply */

	enum req_out {
		REQ_OUT_BUFFER,		/* the body gathers in obuf (the default) */
		REQ_OUT_COUNT,		/* bytes are only counted */
		REQ_OUT_STREAM,		/* the head has gone into obuf, with the
					 * length counted; bytes flow through */
	} out_mode;
	char *obuf;			/* the worker's reply buffer */
	size_t olen;			/* bytes in it */
	size_t oroom;			/* req_write's fast path fills it to here */
	size_t out_limit;		/* REQ_OUT_BUFFER: body bytes it may hold;
					 * 0 = as many as memory allows */
	bool overflow;			/* the body passed out_limit (or memory) */
	bool sealed;			/* the reply is settled: writes are dropped */
	bool sent;			/* req_flush has sent the reply */
	const char *out_type;		/* the reply's Content-Type; NULL: JSON */
	char *headers;			/* extra "Name: value\r\n" lines */
	size_t headers_len;
	int status;			/* 0 until the head is written */
	bool head_only;			/* HEAD: only the head leaves */
	bool headers_failed;		/* a req_header ran out of memory */
	bool capped;			/* the reply's length is fixed: */
	size_t cap_left;		/* bytes of it that may still leave */
	unsigned long long bytes;	/* body bytes written */
	bool handed;			/* some reply bytes went to r->write */
	bool abort;			/* end the connection, not the request */
	struct timespec t0;
};

/* Fills r from the FastCGI parameters of fx. `id_prefix` and `seq` make a
 * request id when the web server did not send one (REQUEST_ID). */
void req_init(struct req *r, FCGX_Request *fx, struct arena *a,
	      const struct config *cfg, struct db *db,
	      const char *id_prefix, unsigned long long seq);

/* Looks up a FastCGI parameter; NULL outside FastCGI or when absent. */
const char *req_param(const struct req *r, const char *name);

/* Adds a response header for the next reply. Values must not contain CR or
 * LF (they come from the code, never from input). 0 or -1 (no memory): the
 * failure is latched, and req_begin then answers 500 instead of a reply
 * that would lack the header (a 200 without its ETag), so callers need not
 * check. */
int req_header(struct req *r, const char *name, const char *value);

/* Sets the reply's status; the head leaves with the body (req_flush).
 * Safe to call once per request. -1 when the body must not be written: a
 * second call, or a latched req_header failure (the reply is then a 500,
 * and whatever the caller writes after is dropped). HEAD: the head alone
 * leaves, with the Content-Length the body would have had. */
int req_begin(struct req *r, int status);

/* Reply bytes are gathered in the worker's reply buffer (grown as needed,
 * kept for the next request). req_flush sends the reply: the head with
 * the body's Content-Length, then the body (or, streaming, the rest of
 * it); router_dispatch calls it at the end. Before any req_begin (unit
 * tests) it hands over the bytes as they are. */
int req_write_slow(struct req *r, const void *p, size_t n);
int req_flush(struct req *r);

/* The size the reply buffer starts at, and the piece size of a stream. */
#define REQ_OBUF_SIZE 65536

/* The common case inline: the bytes fit in the buffer already there (a
 * page of the list makes thousands of these calls, most a few bytes long
 * and of a size the compiler knows). */
static inline int req_write(struct req *r, const void *p, size_t n)
{
	if (r->obuf != NULL && n <= r->oroom - r->olen) {
		memcpy(r->obuf + r->olen, p, n);
		r->olen += n;
		r->bytes += n;
		return 0;
	}
	return req_write_slow(r, p, n);
}

/* The body gathered so far, and cutting it back to an earlier length:
 * how a list page ends before a row that would pass reply_buffer_max. */
size_t req_body_len(const struct req *r);
void req_body_cut(struct req *r, size_t len);

/* Replies with `status` and the body gen writes from ctx: buffered when
 * it fits in reply_buffer_max, else counted by a first call and streamed
 * by a second after a head with that Content-Length. gen must write the
 * same bytes every time it is called. */
typedef void (*req_gen_fn)(struct req *r, const void *ctx);
void req_reply_sized(struct req *r, int status, req_gen_fn gen, const void *ctx);

/* A failure after req_begin: withdraws the reply when none of it has left
 * the process yet (the status, headers and body gathered so far are
 * dropped, and a new reply may begin): true. Otherwise marks the request
 * for abort (below) and returns false. */
bool req_retract(struct req *r);

/* The worker then closes the connection without FastCGI's END_REQUEST, so
 * the web server sees an upstream failure and cuts the client connection:
 * a truncated body never passes for a complete 200. */
void req_abort(struct req *r);

/* Begins a JSON reply (req_begin), returns a generator that writes the
 * body (freed with the arena). NULL when out of memory, in which case the
 * reply is a 500. */
yajl_gen req_json_begin(struct req *r, int status);

/* Standard reason phrase of an HTTP status ("Not Found"). */
const char *http_reason(int status);

/* The error envelope of API.md: {"statusCode","error","message"}. 503
 * adds Retry-After. */
void req_reply_error(struct req *r, int status, const char *message);

/* The 503 of an unreachable database, the same on every route: one
 * message, and Retry-After from `retry_after`. */
void req_reply_unavailable(struct req *r);

/* The reply for a db result other than DB_OK, the one mapping of them all:
 * 404 with `not_found`, 412 for a failed precondition (DB_CONFLICT), 503
 * when the database is unavailable, 500 otherwise. */
void req_reply_db(struct req *r, enum db_err rc, const char *not_found);

/* 400 for one failure, with the message prefix + path + infix + reason:
 * ("invalid body: ", " ") gives "invalid body: is_enabled must be a
 * boolean". The failure is also the one entry of details.failures. */
void req_reply_invalid(struct req *r, const char *prefix, const char *infix,
		       const struct failure *f);

/* The envelope with, when n > 0, "details": {"failures": [...]}. */
void req_reply_failures(struct req *r, int status, const char *message,
			const struct failure *f, size_t n);

/* Generator helpers: a NUL-terminated string, or a literal key. */
void json_str(yajl_gen g, const char *s);
#define json_key(g, lit) yajl_gen_string((g), (const unsigned char *)(lit), sizeof(lit) - 1)

#endif
