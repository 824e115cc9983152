/*
 * Static functions, in order: fcgx_write, fcgx_read, id_is_plain,
 * decode_path, reply_max, set_room, hand_over, reserve, buffer_out,
 * flush_stream, stream_out, format_head, settle_500, send_buffered,
 * gen_print, gen_free.
 */
#include "app/http/req.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/log.h"
#include "app/base/qs.h"

const char *const http_method_names[M__MAX] = {
	"GET",		/* M_GET */
	"HEAD",		/* M_HEAD */
	"POST",		/* M_POST */
	"PATCH",	/* M_PATCH */
	"DELETE",	/* M_DELETE */
	"PUT",		/* M_PUT */
	"OPTIONS",	/* M_OPTIONS */
	"OTHER",	/* M_OTHER */
};

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
	{ 304, "Not Modified" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 409, "Conflict" }, { 411, "Length Required" },
	{ 412, "Precondition Failed" }, { 413, "Payload Too Large" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Entity" },
	{ 428, "Precondition Required" },
	{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
};

const char *http_reason(int status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

static int fcgx_write(struct req *r, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (n > (size_t)0x7fffffff)
		return -1;
	return FCGX_PutStr(p, (int)n, r->fx->out) == (int)n ? 0 : -1;
}

static int fcgx_read(struct req *r, void *p, size_t n)
{
	if (r->fx == NULL || n == 0)
		return 0;
	return FCGX_GetStr(p, n > 0x7fffffff ? 0x7fffffff : (int)n, r->fx->in);
}

const char *req_param(const struct req *r, const char *name)
{
	return r->fx != NULL ? FCGX_GetParam(name, r->fx->envp) : NULL;
}

/* A request id from the web server is kept only if it is short and plain. */
static bool id_is_plain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The path, decoded: from REQUEST_URI (every server sends it), falling back
 * to DOCUMENT_URI. NULL when it does not decode (that request gets 404). */
static const char *decode_path(struct req *r)
{
	const char *uri = req_param(r, "REQUEST_URI");
	size_t n;
	char *out;
	long len;

	if (uri == NULL)
		uri = req_param(r, "DOCUMENT_URI");
	if (uri == NULL)
		return "/";
	n = strcspn(uri, "?#");
	out = arena_alloc(r->arena, n + 1);
	if (out == NULL)
		return NULL;
	len = pct_decode(out, uri, n, false);
	if (len < 0)
		return NULL;
	out[len] = '\0';
	return out;
}

void req_init(struct req *r, FCGX_Request *fx, struct arena *a,
	      const struct config *cfg, struct db *db,
	      const char *id_prefix, unsigned long long seq)
{
	const char *s;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->fx = fx;
	r->arena = a;
	r->cfg = cfg;
	r->db = db;
	r->write = fcgx_write;
	r->read = fcgx_read;
	r->content_length = -1;

	s = req_param(r, "REQUEST_ID");
	if (s != NULL && id_is_plain(s))
		snprintf(r->id, sizeof(r->id), "%s", s);
	else
		snprintf(r->id, sizeof(r->id), "%s-%08llx", id_prefix, seq);

	r->method_name = req_param(r, "REQUEST_METHOD");
	if (r->method_name == NULL)
		r->method_name = "GET";
	r->method = M_OTHER;
	for (int m = 0; m < M_OTHER; m++)
		if (strcmp(r->method_name, http_method_names[m]) == 0)
			r->method = (enum http_method)m;

	r->path = decode_path(r);
	s = req_param(r, "QUERY_STRING");
	r->query = s != NULL ? s : "";
	r->content_type = req_param(r, "CONTENT_TYPE");
	if (r->content_type != NULL && r->content_type[0] == '\0')
		r->content_type = NULL;
	s = req_param(r, "CONTENT_LENGTH");
	if (s != NULL && s[0] != '\0') {
		char *end;
		long long v = strtoll(s, &end, 10);

		/* A malformed length is treated as "too large": the web server
		 * should never pass one, and 413 rejects without reading. */
		r->content_length = (*end == '\0' && v >= 0) ? v : (long long)1 << 62;
	}
	r->authorization = req_param(r, "HTTP_AUTHORIZATION");
	if (r->authorization != NULL && r->authorization[0] == '\0')
		r->authorization = NULL;	/* some servers pass an empty one */
	r->if_match = req_param(r, "HTTP_IF_MATCH");
}

int req_header(struct req *r, const char *name, const char *value)
{
	size_t add = strlen(name) + 2 + strlen(value) + 2;
	char *buf = arena_alloc(r->arena, r->headers_len + add + 1);

	if (buf == NULL) {
		r->headers_failed = true;
		return -1;
	}
	if (r->headers_len)
		memcpy(buf, r->headers, r->headers_len);
	snprintf(buf + r->headers_len, add + 1, "%s: %s\r\n", name, value);
	r->headers = buf;
	r->headers_len += add;
	return 0;
}

/* The reply buffer: one per worker (a worker is a process), reused
 * request after request. It grows to the largest body buffered; one grown
 * past reply_buffer_max plus REQ_OBUF_SIZE (a single long row) is freed
 * by req_flush once its reply is sent. */
static struct {
	char *p;
	size_t cap;
} rbuf;

static size_t reply_max(const struct req *r)
{
	return r->cfg != NULL ? r->cfg->reply_buffer_max : 8u << 20;
}

/* Where req_write's inline path may fill obuf to: all of the buffer while
 * streaming; in a buffered body no further than out_limit; nothing while
 * counting or sealed (the slow path then decides). */
static void set_room(struct req *r)
{
	size_t room = r->obuf != NULL ? rbuf.cap : 0;

	if (r->sealed || r->out_mode == REQ_OUT_COUNT)
		room = r->olen;
	else if (r->out_mode == REQ_OUT_BUFFER && r->out_limit != 0 && r->out_limit < room)
		room = r->out_limit;
	r->oroom = room < r->olen ? r->olen : room;
}

/* Every byte leaves the process here; after that a reply can no longer
 * be withdrawn (req_retract). A capped reply (the head alone of a
 * streamed HEAD reply) drops what comes past its length. */
static int hand_over(struct req *r, const void *p, size_t n)
{
	r->handed = true;
	if (r->capped) {
		if (n > r->cap_left)
			n = r->cap_left;
		r->cap_left -= n;
	}
	return r->write(r, p, n);
}

/* The buffer holds at least `need` bytes; -1 when memory ran out. */
static int reserve(struct req *r, size_t need)
{
	size_t cap = rbuf.cap > 0 ? rbuf.cap : REQ_OBUF_SIZE;
	char *p;

	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap != rbuf.cap) {
		if ((p = realloc(rbuf.p, cap)) == NULL)
			return -1;
		rbuf.p = p;
		rbuf.cap = cap;
	}
	r->obuf = rbuf.p;
	set_room(r);
	return 0;
}

/* Bytes of a buffered body: past out_limit (or memory) the body is given
 * up and marked overflowed; req_reply_sized then streams it instead. */
static int buffer_out(struct req *r, const void *p, size_t n)
{
	if (r->overflow)
		return 0;
	if ((r->out_limit != 0 && n > r->out_limit - r->olen) || reserve(r, r->olen + n) < 0) {
		r->overflow = true;
		r->sealed = true;	/* nothing more is kept */
		set_room(r);
		return 0;
	}
	memcpy(r->obuf + r->olen, p, n);
	r->olen += n;
	return 0;
}

/* Streaming: hands over what the buffer holds. */
static int flush_stream(struct req *r)
{
	size_t n = r->olen;

	r->olen = 0;
	return n > 0 ? hand_over(r, r->obuf, n) : 0;
}

/* Bytes of a streamed reply: handed over in buffer-sized pieces. */
static int stream_out(struct req *r, const void *p, size_t n)
{
	if (r->olen + n > rbuf.cap && flush_stream(r) < 0)
		return -1;
	if (n >= rbuf.cap)
		return hand_over(r, p, n);
	memcpy(r->obuf + r->olen, p, n);
	r->olen += n;
	return 0;
}

int req_write_slow(struct req *r, const void *p, size_t n)
{
	if (r->sealed)
		return 0;	/* settled: a 500 that replaced the reply */
	r->bytes += n;
	switch (r->out_mode) {
	case REQ_OUT_COUNT:
		return 0;
	case REQ_OUT_STREAM:
		return stream_out(r, p, n);
	case REQ_OUT_BUFFER:
	default:
		return buffer_out(r, p, n);
	}
}

size_t req_body_len(const struct req *r)
{
	return r->out_mode == REQ_OUT_BUFFER ? r->olen : 0;
}

void req_body_cut(struct req *r, size_t len)
{
	if (r->out_mode == REQ_OUT_BUFFER && len <= r->olen) {
		r->bytes -= r->olen - len;
		r->olen = len;
	}
}

bool req_retract(struct req *r)
{
	if (r->handed) {
		req_abort(r);
		return false;
	}
	r->out_mode = REQ_OUT_BUFFER;
	r->out_limit = 0;
	r->olen = 0;
	r->overflow = false;
	r->sealed = false;
	r->status = 0;
	r->bytes = 0;
	r->headers = NULL;
	r->headers_len = 0;
	r->headers_failed = false;
	r->capped = false;
	r->out_type = NULL;
	set_room(r);
	return true;
}

void req_abort(struct req *r)
{
	r->abort = true;
}

/* The status line and headers, Content-Length included, into `head`
 * (the extra headers follow it separately). Its length. */
static size_t format_head(const struct req *r, char *head, size_t size, size_t body)
{
	int n = snprintf(head, size,
			 "Status: %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-store\r\nX-Request-Id: %s\r\n",
			 r->status, http_reason(r->status),
			 r->out_type != NULL ? r->out_type : "application/json", body, r->id);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* A header could not be added, or memory ran out for the body: a 500
 * with a fixed body is the reply, and nothing the handler writes after. */
static void settle_500(struct req *r)
{
	static const char body[] = "{\"statusCode\":500,\"error\":\"Internal Server Error\","
				   "\"message\":\"out of memory\"}";

	r->status = 500;
	r->out_type = NULL;
	r->headers_len = 0;
	r->out_mode = REQ_OUT_BUFFER;
	r->out_limit = 0;
	r->overflow = false;
	r->olen = 0;
	r->bytes = 0;
	r->sealed = false;
	if (reserve(r, sizeof(body)) < 0)
		r->obuf = (char *)body;	/* no buffer at all: read only, sealed below */
	else
		memcpy(r->obuf, body, sizeof(body) - 1);
	r->olen = sizeof(body) - 1;
	r->bytes = r->olen;
	r->sealed = true;
	set_room(r);
}

int req_begin(struct req *r, int status)
{
	if (r->status != 0)
		return -1;	/* a second head would corrupt the reply */
	if (r->headers_failed) {
		log_error("req %s: out of memory for a response header", r->id);
		settle_500(r);
		return -1;
	}
	r->status = status;
	r->out_mode = REQ_OUT_BUFFER;
	r->out_limit = 0;
	if (r->obuf == NULL && reserve(r, REQ_OBUF_SIZE) < 0)
		r->overflow = true;	/* req_flush answers 500 */
	set_room(r);
	return 0;
}

/* Sends a buffered reply: the head with the body's length, the body. */
static int send_buffered(struct req *r)
{
	char head[256];
	size_t n;

	if (r->overflow) {	/* memory ran out on a body meant to be buffered */
		log_error("req %s: out of memory for the reply", r->id);
		settle_500(r);
	}
	n = format_head(r, head, sizeof(head), r->olen);
	if (hand_over(r, head, n) < 0 ||
	    (r->headers_len > 0 && hand_over(r, r->headers, r->headers_len) < 0) ||
	    hand_over(r, "\r\n", 2) < 0)
		return -1;
	return r->head_only || r->olen == 0 ? 0 : hand_over(r, r->obuf, r->olen);
}

int req_flush(struct req *r)
{
	int rc = 0;

	if (r->sent)
		return 0;
	if (r->out_mode == REQ_OUT_STREAM) {
		rc = flush_stream(r);
		r->sent = true;
	} else if (r->status == 0) {
		rc = r->olen > 0 ? hand_over(r, r->obuf, r->olen) : 0;	/* no reply begun */
		r->olen = 0;
	} else {
		rc = send_buffered(r);
		r->olen = 0;
		r->sent = true;
	}
	if (rbuf.cap > reply_max(r) + REQ_OBUF_SIZE) {	/* a long row grew it */
		free(rbuf.p);
		rbuf.p = NULL;
		rbuf.cap = 0;
		r->obuf = NULL;
	}
	set_room(r);
	return rc;
}

void req_reply_sized(struct req *r, int status, req_gen_fn gen, const void *ctx)
{
	char head[256];
	size_t n, len;

	if (req_begin(r, status) < 0)
		return;
	r->out_limit = reply_max(r);
	set_room(r);
	gen(r, ctx);
	r->out_limit = 0;
	set_room(r);
	if (!r->overflow)
		return;
	/* too long for the buffer: count it, then stream it after a head
	 * that says how long it is */
	r->overflow = false;
	r->sealed = false;
	r->olen = 0;
	r->bytes = 0;
	r->out_mode = REQ_OUT_COUNT;
	set_room(r);
	gen(r, ctx);
	len = (size_t)r->bytes;
	if (r->obuf == NULL && reserve(r, REQ_OBUF_SIZE) < 0) {
		settle_500(r);
		return;
	}
	r->out_mode = REQ_OUT_STREAM;
	set_room(r);
	n = format_head(r, head, sizeof(head), len);
	if (r->head_only) {
		r->capped = true;
		r->cap_left = n + r->headers_len + 2;
	}
	if (stream_out(r, head, n) < 0 ||
	    (r->headers_len > 0 && stream_out(r, r->headers, r->headers_len) < 0) ||
	    stream_out(r, "\r\n", 2) < 0)
		return;
	r->bytes = 0;
	set_room(r);
	gen(r, ctx);
}

static void gen_print(void *ctx, const char *s, size_t n)
{
	(void)req_write(ctx, s, n);
}

static void gen_free(void *g)
{
	yajl_gen_free(g);
}

yajl_gen req_json_begin(struct req *r, int status)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL || arena_cleanup_add(r->arena, gen_free, g) < 0) {
		if (g != NULL)
			yajl_gen_free(g);
		log_error("req %s: out of memory", r->id);
		if (r->status == 0) {
			static const char body[] =
				"{\"statusCode\":500,\"error\":\"Internal Server Error\","
				"\"message\":\"out of memory\"}";
			if (req_begin(r, 500) == 0)
				(void)req_write(r, body, sizeof(body) - 1);
		}
		return NULL;
	}
	yajl_gen_config(g, yajl_gen_print_callback, gen_print, r);
	/* yajl escapes '/' only with this flag; keep its default (off) and
	 * validate UTF-8 of everything generated from input. */
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	/* on failure (client gone, a lost header) the body is generated
	 * into the void: hand_over drops it or the write fails */
	(void)req_begin(r, status);
	return g;
}

void json_str(yajl_gen g, const char *s)
{
	size_t n = strlen(s);

	if (yajl_gen_string(g, (const unsigned char *)s, n) != yajl_gen_invalid_string)
		return;
	/* Invalid UTF-8 (an echoed parameter name, say): emit it with every
	 * byte outside ASCII replaced, rather than break the document. */
	char buf[256];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	yajl_gen_string(g, (const unsigned char *)buf, n);
}

void req_reply_failures(struct req *r, int status, const char *message,
			const struct failure *f, size_t n)
{
	yajl_gen g;

	if (status == 503) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%u", r->cfg != NULL ? r->cfg->retry_after : 1);
		(void)req_header(r, "Retry-After", secs);
	}
	g = req_json_begin(r, status);
	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	json_key(g, "statusCode");
	yajl_gen_integer(g, status);
	json_key(g, "error");
	json_str(g, http_reason(status));
	json_key(g, "message");
	json_str(g, message);
	if (n > 0) {
		json_key(g, "details");
		yajl_gen_map_open(g);
		json_key(g, "failures");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < n; i++) {
			yajl_gen_map_open(g);
			json_key(g, "path");
			json_str(g, f[i].path);
			json_key(g, "message");
			json_str(g, f[i].message);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}

void req_reply_error(struct req *r, int status, const char *message)
{
	req_reply_failures(r, status, message, NULL, 0);
}

void req_reply_unavailable(struct req *r)
{
	req_reply_error(r, 503, "database unavailable, retry later");
}

void req_reply_db(struct req *r, enum db_err rc, const char *not_found)
{
	switch (rc) {
	case DB_NOTFOUND:
		req_reply_error(r, 404, not_found);
		break;
	case DB_CONFLICT:
		req_reply_error(r, 412, "If-Match does not match the current ETag; "
				"fetch the object again and retry");
		break;
	case DB_UNAVAILABLE:
	case DB_RETRY:	/* work rolled back and not run again: as unavailable */
		req_reply_unavailable(r);
		break;
	default:
		req_reply_error(r, 500, "internal error");
		break;
	}
}

void req_reply_invalid(struct req *r, const char *prefix, const char *infix,
		       const struct failure *f)
{
	size_t n = strlen(prefix) + strlen(f->path) + strlen(infix) + strlen(f->message) + 1;
	char *m = arena_alloc(r->arena, n);

	if (m != NULL)
		snprintf(m, n, "%s%s%s%s", prefix, f->path, infix, f->message);
	req_reply_failures(r, 400, m != NULL ? m : f->message, f, 1);
}
