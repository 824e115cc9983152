/*
 * Static functions, in order: fcgx_write, fcgx_read, id_is_plain,
 * decode_path, hand_over, out, write_head, begin_lost_header, gen_print,
 * gen_free.
 */
#include "app/http/req.h"

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

/* Every byte leaves the process here; after that a reply can no longer
 * be withdrawn (req_retract). A capped reply (the head alone of a HEAD
 * reply; a 500 that replaced a reply) drops what comes past its length. */
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

/* Appends to the reply buffer; big pieces go straight through. */
static int out(struct req *r, const void *p, size_t n)
{
	if (r->obuf == NULL) {
		r->obuf = arena_alloc(r->arena, REQ_OBUF_SIZE);
		if (r->obuf == NULL)	/* no buffer: unbuffered, still correct */
			return hand_over(r, p, n);
	}
	if (r->olen + n > REQ_OBUF_SIZE && req_flush(r) < 0)
		return -1;
	if (n >= REQ_OBUF_SIZE)
		return hand_over(r, p, n);
	memcpy(r->obuf + r->olen, p, n);
	r->olen += n;
	return 0;
}

int req_flush(struct req *r)
{
	size_t n = r->olen;

	r->olen = 0;
	return n > 0 ? hand_over(r, r->obuf, n) : 0;
}

bool req_retract(struct req *r)
{
	if (r->handed) {
		req_abort(r);
		return false;
	}
	r->olen = 0;
	r->status = 0;
	r->bytes = 0;
	r->headers = NULL;
	r->headers_len = 0;
	r->headers_failed = false;
	r->capped = false;
	return true;
}

void req_abort(struct req *r)
{
	r->abort = true;
}

/* Writes the status line and headers. With `cap`, the reply is capped at
 * them and `body` bytes more (hand_over drops the rest). 0 or -1. */
static int write_head(struct req *r, int status, bool cap, size_t body)
{
	char head[256];
	int n;

	r->status = status;
	n = snprintf(head, sizeof(head),
		     "Status: %d %s\r\nContent-Type: application/json\r\n"
		     "Cache-Control: no-store\r\nX-Request-Id: %s\r\n",
		     status, http_reason(status), r->id);
	if (cap) {
		r->capped = true;
		r->cap_left = (size_t)n + r->headers_len + 2 + body;
	}
	if (out(r, head, (size_t)n) < 0 ||
	    (r->headers_len && out(r, r->headers, r->headers_len) < 0))
		return -1;
	return out(r, "\r\n", 2);
}

/* A header could not be added: a 500 goes out in place of the reply
 * meant, and nothing the handler writes after it. */
static int begin_lost_header(struct req *r)
{
	static const char body[] = "{\"statusCode\":500,\"error\":\"Internal Server Error\","
				   "\"message\":\"out of memory\"}";
	size_t blen = r->head_only ? 0 : sizeof(body) - 1;

	log_error("req %s: out of memory for a response header", r->id);
	r->headers_len = 0;
	if (write_head(r, 500, true, blen) == 0)
		(void)out(r, body, blen);
	return -1;
}

int req_begin(struct req *r, int status)
{
	if (r->status != 0)
		return -1;	/* a second head would corrupt the reply */
	if (r->headers_failed)
		return begin_lost_header(r);
	return write_head(r, status, r->head_only, 0);	/* HEAD: the head alone */
}

int req_write_slow(struct req *r, const void *p, size_t n)
{
	r->bytes += n;
	return out(r, p, n);
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
