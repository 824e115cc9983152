/*
 * fuzz_request: the FastCGI-parameter-to-request layer (app/http/req.c
 * req_init), the router (app/proc/router.c) and the replies that need no
 * database.
 *
 * Input: lines separated by '\n', taken in this order as the values of
 *   REQUEST_METHOD, REQUEST_URI, QUERY_STRING, CONTENT_TYPE,
 *   CONTENT_LENGTH, HTTP_AUTHORIZATION, HTTP_IF_MATCH, REQUEST_ID;
 * a parameter whose line is missing, or starts with a NUL byte, is absent
 * (a NUL elsewhere ends the value, as in a C string). Whatever follows the
 * eighth '\n' is the request body, served by r->read.
 *
 * A fake FCGX_Request carries the parameters in envp (in/out/err NULL);
 * after req_init, r->write and r->read are replaced by buffer functions.
 * What runs, by outcome (nothing ever reaches the database, r->db is
 * NULL):
 *   - no path, or no route:                 router_dispatch -> 404
 *   - route without a handler for the method: router_dispatch -> 405
 *   - (beyond the brief) a token-protected route with no or a malformed
 *     Authorization header:                router_dispatch -> 401
 *   - (beyond the brief) POST on the collection / PATCH on an item with a
 *     well-formed token: req_body_or_reply on the body, which either
 *     accepts it (nothing written) or answers 400/413/415
 *   - anything else (the routes without a token: healthz GET, the OpenAPI
 *     document; authorised reads/deletes) needs the
 *     database and is skipped.
 * Checks: req_init's fields are consistent; router_match's {id} parameter
 * is set exactly for item routes and holds no '/'; every reply starts
 * with "Status: ", has a well-formed head (no bare CR/LF, no control
 * bytes: no header injection), ends the head with "\r\n\r\n", has a
 * body (none at all for HEAD) that yajl_tree_parse accepts, whose statusCode matches the status
 * line, and the expected status and headers (Allow on 405,
 * WWW-Authenticate on 401, X-Request-Id = r.id).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>
#include <yajl/yajl_tree.h>

#include "app/api/body.h"
#include "app/api/token.h"
#include "app/base/arena.h"
#include "app/base/config.h"
#include "app/http/req.h"
#include "app/http/req_body.h"
#include "app/proc/router.h"
#include "tests/fuzz/fuzz_util.h"

static const char *const names[] = {
	"REQUEST_METHOD", "REQUEST_URI", "QUERY_STRING", "CONTENT_TYPE",
	"CONTENT_LENGTH", "HTTP_AUTHORIZATION", "HTTP_IF_MATCH", "REQUEST_ID",
};
#define NPARAMS (sizeof(names) / sizeof(names[0]))

static struct arena *arena;
static struct config cfg;
static unsigned long long seq;

/* Reply bytes, and the body left to read. */
static struct {
	char *p;
	size_t n, cap;
	size_t writes;
	const uint8_t *in;
	size_t in_left;
} io;

static int buf_write(struct req *r, const void *p, size_t n)
{
	(void)r;
	io.writes++;
	if (io.n + n > io.cap) {
		io.cap = (io.n + n) * 2;
		io.p = realloc(io.p, io.cap);
		CHECK(io.p != NULL);
	}
	memcpy(io.p + io.n, p, n);
	io.n += n;
	return 0;
}

static int buf_read(struct req *r, void *p, size_t n)
{
	(void)r;
	if (n > io.in_left)
		n = io.in_left;
	if (n > 0x7fffffff)
		n = 0x7fffffff;
	memcpy(p, io.in, n);
	io.in += n;
	io.in_left -= n;
	return (int)n;
}

static bool plain_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 71)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		      (c >= 'A' && c <= 'Z') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Finds header `name` in the head; copies its value (up to vcap-1). */
static bool head_get(const char *head, size_t hlen, const char *name, char *val, size_t vcap)
{
	size_t nl = strlen(name);
	const char *p = head, *end = head + hlen;

	while (p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 &&
		    p[nl] == ':' && p[nl + 1] == ' ') {
			size_t vl = (size_t)(eol - p) - nl - 2;

			if (vl >= vcap)
				vl = vcap - 1;
			memcpy(val, p + nl + 2, vl);
			val[vl] = '\0';
			return true;
		}
		p = eol + 2;
	}
	return false;
}

/* Checks the reply bytes; returns the status code. */
static int check_reply(const struct req *r)
{
	const char *p = io.p, *sep;
	size_t n = io.n, hlen;
	char val[256];
	int status;

	CHECKF(n >= 8 && memcmp(p, "Status: ", 8) == 0, "reply does not start with 'Status: '");
	sep = memmem(p, n, "\r\n\r\n", 4);
	CHECKF(sep != NULL, "reply has no end of head");
	hlen = (size_t)(sep - p) + 2;	/* through the last header's CRLF */

	/* the head: CRLF-terminated "Name: value" lines, no control bytes */
	for (size_t i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r') {
			CHECKF(i + 1 < hlen && p[i + 1] == '\n', "bare CR in head at %zu", i);
			i++;
			continue;
		}
		CHECKF(c != '\n', "bare LF in head at %zu (header injection)", i);
		CHECKF(c >= 0x20 && c != 0x7f, "control byte 0x%02x in head at %zu", c, i);
	}
	for (const char *l = p; l < p + hlen;) {
		const char *eol = memmem(l, (size_t)(p + hlen - l), "\r\n", 2);

		CHECK(eol != NULL);
		CHECKF(memmem(l, (size_t)(eol - l), ": ", 2) != NULL, "head line without ': '");
		l = eol + 2;
	}
	CHECK(p[8] >= '1' && p[8] <= '5' && p[9] >= '0' && p[9] <= '9' &&
	      p[10] >= '0' && p[10] <= '9' && p[11] == ' ');
	status = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
	CHECK(status == r->status);

	CHECK(head_get(p, hlen, "Content-Type", val, sizeof(val)) &&
	      strcmp(val, "application/json") == 0);
	CHECK(head_get(p, hlen, "X-Request-Id", val, sizeof(val)) && strcmp(val, r->id) == 0);

	/* the body: one JSON document with the status in it; none for HEAD */
	const char *body = sep + 4;
	size_t blen = n - (size_t)(body - p);
	yajl_val root = NULL, code;

	if (r->method == M_HEAD) {
		CHECKF(blen == 0, "a reply to HEAD has a %zu-byte body", blen);
		return status;
	}
	static const char *code_path[] = { "statusCode", NULL };
	static const char *msg_path[] = { "message", NULL };

	CHECKF(json_text_valid(body, blen, &root), "reply body is not valid JSON: %.*s",
	       (int)(blen > 300 ? 300 : blen), body);
	CHECK(YAJL_IS_OBJECT(root));
	code = yajl_tree_get(root, code_path, yajl_t_number);
	CHECKF(code != NULL && YAJL_IS_INTEGER(code) && YAJL_GET_INTEGER(code) == status,
	       "statusCode does not match the status line %d", status);
	CHECK(yajl_tree_get(root, msg_path, yajl_t_string) != NULL);
	yajl_tree_free(root);
	return status;
}

/* True when `method` is in the route's Allow list. */
static bool method_allowed(enum route_id id, enum http_method m)
{
	char allow[64];
	const char *name = http_method_names[m];
	size_t nl = strlen(name);

	if (m == M_OTHER)
		return false;
	router_allow(id, allow, sizeof(allow));
	for (const char *p = allow; *p;) {
		size_t l = strcspn(p, ",");

		if (l == nl && memcmp(p, name, nl) == 0)
			return true;
		p += l;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[NPARAMS + 1];
	size_t ne = 0, off = 0;
	FCGX_Request fx;
	struct req r;

	if (arena == NULL) {
		config_defaults(&cfg);
		arena = arena_new(4096);
		CHECK(arena != NULL);
	}

	/* parameters from the first lines; the rest is the body */
	for (size_t i = 0; i < NPARAMS && off < size; i++) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;

		if (len == 0 || data[off] != '\0') {
			size_t nn = strlen(names[i]);
			char *e = malloc(nn + 1 + len + 1);

			CHECK(e != NULL);
			memcpy(e, names[i], nn);
			e[nn] = '=';
			memcpy(e + nn + 1, data + off, len);
			e[nn + 1 + len] = '\0';
			envp[ne++] = e;
		}
		off += len + (nl != NULL ? 1 : 0);
	}
	envp[ne] = NULL;
	io.n = 0;
	io.writes = 0;
	io.in = data + off;
	io.in_left = size - off;

	memset(&fx, 0, sizeof(fx));
	fx.in = fx.out = fx.err = NULL;
	fx.envp = envp;
	fx.ipcFd = -1;

	req_init(&r, &fx, arena, &cfg, NULL, "fuzz", ++seq);
	r.write = buf_write;
	r.read = buf_read;

	/* req_init's results */
	CHECK(r.method_name != NULL && r.query != NULL);
	CHECK((unsigned)r.method < M__MAX);
	CHECK(r.method == M_OTHER || strcmp(r.method_name, http_method_names[r.method]) == 0);
	CHECKF(plain_id(r.id), "request id '%s' is not plain", r.id);
	CHECK(r.content_length >= -1);
	CHECK(r.content_type == NULL || r.content_type[0] != '\0');
	CHECK(r.authorization == NULL || r.authorization[0] != '\0');
	CHECK(r.status == 0 && io.n == 0);

	enum route_id id = ROUTE__MAX;
	const char *param = NULL;

	if (r.path != NULL) {
		id = router_match(arena, r.path, &param);
		CHECK((unsigned)id <= ROUTE__MAX);
		if (id < ROUTE__MAX && router_route(id)->item) {	/* {id}, any suffix */
			CHECK(param != NULL && param[0] != '\0' && strchr(param, '/') == NULL);
		} else {
			CHECK(param == NULL);
		}
	}

	int expect = 0;	/* status router_dispatch must answer, 0: not run */

	if (r.path == NULL || id == ROUTE__MAX) {
		expect = 404;
	} else if (!method_allowed(id, r.method)) {
		expect = 405;
	} else if (router_route(id)->needs_auth) {	/* the others (healthz, the
							 * OpenAPI document) need what
							 * the harness lacks: skipped */
		struct token t;

		if (r.authorization == NULL || token_from_header(r.authorization, &t) < 0)
			expect = 401;
	}

	if (expect != 0) {
		router_dispatch(&r);
		int st = check_reply(&r);

		CHECKF(st == expect, "expected %d, got %d", expect, st);
		char val[128];
		const char *sep = memmem(io.p, io.n, "\r\n\r\n", 4);
		size_t hlen = (size_t)(sep - io.p) + 2;

		if (st == 405) {
			char allow[64];

			router_allow(id, allow, sizeof(allow));
			CHECK(head_get(io.p, hlen, "Allow", val, sizeof(val)) && val[0] != '\0');
			CHECKF(strcmp(val, allow) == 0, "Allow: '%s', route allows '%s'", val, allow);
		}
		if (st == 401)
			CHECK(head_get(io.p, hlen, "WWW-Authenticate", val, sizeof(val)));
	} else if ((id == ROUTE_EI_COLLECTION && r.method == M_POST) ||
		   (id == ROUTE_EI_ITEM && r.method == M_PATCH)) {
		struct body b;
		int rc = req_body_or_reply(&r, r.method == M_POST ? BODY_POST : BODY_PATCH, &b);

		CHECK(rc == 0 || rc == -1);
		if (rc == 0) {
			CHECK(r.status == 0 && io.n == 0 && r.olen == 0);
		} else {
			(void)req_flush(&r);
			int st = check_reply(&r);

			CHECKF(st == 400 || st == 413 || st == 415, "body reply status %d", st);
		}
	}

	for (size_t i = 0; i < ne; i++)
		free(envp[i]);
	arena_reset(arena);
	return 0;
}
