/*
 * Unit tests for app/proc/router.c: path matching, Allow lists, and the replies
 * router_dispatch writes itself (404, 405). Routes that need a token or the
 * database are never dispatched here.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/proc/router.h"
#include "handlers/handlers.h"

/* ---- router_match ---- */

static void test_match_healthz(void **state)
{
	struct arena *a = arena_new(4096);
	const char *param = "poison";

	(void)state;
	assert_int_equal(router_match(a, "/healthz", &param), ROUTE_HEALTHZ);
	assert_null(param);
	param = "poison";
	assert_int_equal(router_match(a, "/healthz/", &param), ROUTE_HEALTHZ);
	assert_null(param);
	arena_free(a);
}

static void test_match_item(void **state)
{
	struct arena *a = arena_new(4096);
	const char *param = NULL;

	(void)state;
	assert_int_equal(router_match(a, "/environment-integration/abc", &param),
			 ROUTE_EI_ITEM);
	assert_non_null(param);
	assert_string_equal(param, "abc");

	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/"
				      "0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a", &param),
			 ROUTE_EI_ITEM);
	assert_string_equal(param, "0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a");

	/* one trailing slash is tolerated after the id too */
	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/x/", &param),
			 ROUTE_EI_ITEM);
	assert_string_equal(param, "x");

	/* the param is a copy, not a pointer into the path */
	char path[] = "/environment-integration/abc";

	param = NULL;
	assert_int_equal(router_match(a, path, &param), ROUTE_EI_ITEM);
	path[25] = 'Z';
	assert_string_equal(param, "abc");
	arena_free(a);
}

static void test_match_openapi(void **state)
{
	struct arena *a = arena_new(4096);
	const char *param = "poison";

	(void)state;
	assert_int_equal(router_match(a, "/openapi.json", &param), ROUTE_OPENAPI);
	assert_null(param);
	param = "poison";
	assert_int_equal(router_match(a, "/openapi.json/", &param), ROUTE_OPENAPI);
	assert_null(param);
	assert_int_equal(router_match(a, "/openapi.jsonx", &param), ROUTE__MAX);
	assert_int_equal(router_match(a, "/openapi", &param), ROUTE__MAX);
	assert_int_equal(router_match(a, "/openapi.json/x", &param), ROUTE__MAX);
	assert_false(router_route(ROUTE_OPENAPI)->needs_auth);	/* API.md: no token */
	arena_free(a);
}

/* An item route with a suffix: "{id}/effective-config". */
static void test_match_item_suffix(void **state)
{
	struct arena *a = arena_new(4096);
	const char *param = NULL;

	(void)state;
	assert_int_equal(router_match(a, "/environment-integration/abc/effective-config", &param),
			 ROUTE_EI_EFFECTIVE);
	assert_string_equal(param, "abc");
	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/x/effective-config/", &param),
			 ROUTE_EI_EFFECTIVE);
	assert_string_equal(param, "x");
	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/h/history", &param),
			 ROUTE_EI_HISTORY);
	assert_string_equal(param, "h");
	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/r/restore", &param),
			 ROUTE_EI_RESTORE);
	assert_string_equal(param, "r");
	/* one suffix does not stand for another, nor stack */
	assert_int_equal(router_match(a, "/environment-integration/r/restore/history", &param),
			 ROUTE__MAX);
	/* the suffix alone is an id of the item route (a 404 there) */
	param = NULL;
	assert_int_equal(router_match(a, "/environment-integration/effective-config", &param),
			 ROUTE_EI_ITEM);
	assert_string_equal(param, "effective-config");
	arena_free(a);
}

/* The collection: the same prefix without an id segment. */
static void test_match_collection(void **state)
{
	struct arena *a = arena_new(4096);
	const char *param = "poison";

	(void)state;
	assert_int_equal(router_match(a, "/environment-integration", &param),
			 ROUTE_EI_COLLECTION);
	assert_null(param);
	param = "poison";
	assert_int_equal(router_match(a, "/environment-integration/", &param),
			 ROUTE_EI_COLLECTION);
	assert_null(param);
	arena_free(a);
}

static void test_match_none(void **state)
{
	static const char *const paths[] = {
		"/environment-integration//",
		"/environment-integration/a/b",
		"/environment-integration/a/b/",
		"/environment-integration//effective-config",
		"/environment-integration/a/b/effective-config",
		"/environment-integration/a/effective-configx",
		"/environment-integration/a/effective-config//",
		"/environment-integration/a/Effective-Config",
		"/environment-integration/a/xeffective-config",
		"/environment-integration//a",
		"/environment-integrationX/a",
		"/environment-integrations/a",
		"/nope",
		"/",
		"",
		"healthz",
		"/healthz//",
		"/healthzz",
		"/healthz/x",
		"/HEALTHZ",
		"//healthz",
	};
	struct arena *a = arena_new(4096);

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		const char *param = "poison";
		char got[128], want[128];

		/* the path is part of the compared text, to name it on failure */
		snprintf(want, sizeof(want), "%s -> %d (null)", paths[i], ROUTE__MAX);
		int id = (int)router_match(a, paths[i], &param);

		snprintf(got, sizeof(got), "%s -> %d %s", paths[i], id,
			 param == NULL ? "(null)" : param);
		assert_string_equal(got, want);
	}
	arena_free(a);
}

static void test_allow(void **state)
{
	char buf[64];

	(void)state;
	memset(buf, 'Z', sizeof(buf));
	router_allow(ROUTE_HEALTHZ, buf, sizeof(buf));
	assert_string_equal(buf, "GET, HEAD");	/* HEAD wherever there is a GET */
	/* exactly big enough */
	memset(buf, 'Z', sizeof(buf));
	router_allow(ROUTE_HEALTHZ, buf, 10);
	assert_string_equal(buf, "GET, HEAD");
	/* one byte short: never half a method name */
	memset(buf, 'Z', sizeof(buf));
	router_allow(ROUTE_HEALTHZ, buf, 9);
	assert_string_equal(buf, "GET");
}

/* Every route's Allow list is "GET, HEAD" or "GET, HEAD, X, ...": known
 * method names, in the table's order, separated by ", ". */
static void test_allow_format(void **state)
{
	(void)state;
	for (int id = 0; id < ROUTE__MAX; id++) {
		char buf[64], rebuilt[64] = "";
		int last = -1;

		router_allow((enum route_id)id, buf, sizeof(buf));
		if (router_route((enum route_id)id)->methods[M_GET] != NULL)
			assert_memory_equal(buf, "GET, HEAD", 9);	/* HEAD follows GET */
		else
			assert_null(strstr(buf, "HEAD"));
		for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
			int m;

			if (rebuilt[0] != '\0') {
				assert_int_equal(tok[0], ' ');
				tok++;
			}
			for (m = 0; m < M_OTHER; m++)
				if (strcmp(tok, http_method_names[m]) == 0)
					break;
			assert_true(m < M_OTHER);
			assert_true(m > last);
			last = m;
			snprintf(rebuilt + strlen(rebuilt), sizeof(rebuilt) - strlen(rebuilt),
				 "%s%s", rebuilt[0] ? ", " : "", tok);
		}
		router_allow((enum route_id)id, buf, sizeof(buf));
		assert_string_equal(rebuilt, buf);
	}
}

/* ---- router_dispatch ---- */

static char out[8192];
static size_t outlen;
static int write_calls;
static bool write_fails;

static int buf_write(struct req *r, const void *p, size_t n)
{
	(void)r;
	write_calls++;
	if (write_fails)
		return -1;
	assert_true(outlen + n < sizeof(out));
	memcpy(out + outlen, p, n);
	outlen += n;
	out[outlen] = '\0';
	return 0;
}

static struct config cfg;

/* Dispatches one request built by hand; the reply is in `out`. */
/* A request as req_init leaves one (no query, no body), writing to `out`,
 * which starts empty. */
static void new_req(struct req *r, struct arena *a, enum http_method m, const char *name,
		    const char *path)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->cfg = &cfg;
	r->write = buf_write;
	r->method = m;
	r->method_name = name;
	r->path = path;
	r->query = "";
	r->content_length = -1;
	snprintf(r->id, sizeof(r->id), "%s", "test-req-1");
	outlen = 0;
	out[0] = '\0';
	write_calls = 0;
}

static void dispatch(struct arena *a, enum http_method m, const char *name,
		     const char *path, struct req *r)
{
	new_req(r, a, m, name, path);
	router_dispatch(r);
}

static const char head_404[] =
	"Status: 404 Not Found\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 64\r\n"
	"Cache-Control: no-store\r\n"
	"X-Request-Id: test-req-1\r\n"
	"\r\n";
static const char body_404[] =
	"{\"statusCode\":404,\"error\":\"Not Found\",\"message\":\"no such route\"}";

static const char head_405[] =
	"Status: 405 Method Not Allowed\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 92\r\n"
	"Cache-Control: no-store\r\n"
	"X-Request-Id: test-req-1\r\n"
	"Allow: GET, HEAD\r\n"
	"\r\n";
static const char body_405[] =
	"{\"statusCode\":405,\"error\":\"Method Not Allowed\","
	"\"message\":\"method not allowed on this route\"}";

static int setup(void **state)
{
	config_defaults(&cfg);
	*state = arena_new(4096);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	arena_free(*state);
	return 0;
}

static void test_dispatch_404(void **state)
{
	static const char *const paths[] = {
		"/nope", "/", "/environment-integration/a/b", "/environment-integrationX",
		"/healthz/x", "/environment-integration//",
	};
	struct arena *a = *state;
	struct req r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		dispatch(a, M_GET, "GET", paths[i], &r);
		assert_non_null(strstr(out, "Status: 404 Not Found"));
		assert_non_null(strstr(out, "Content-Type: application/json"));
		assert_non_null(strstr(out, "X-Request-Id:"));
		assert_non_null(strstr(out, "{\"statusCode\":404,\"error\":\"Not Found\","));
		/* exactly */
		assert_int_equal(outlen, strlen(head_404) + strlen(body_404));
		assert_memory_equal(out, head_404, strlen(head_404));
		assert_string_equal(out + strlen(head_404), body_404);
		assert_int_equal(r.status, 404);
		assert_int_equal(r.bytes, strlen(body_404));
		assert_null(r.param);
		arena_reset(a);
	}
}

/* Unknown paths are 404 whatever the method. */
static void test_dispatch_404_any_method(void **state)
{
	struct arena *a = *state;
	struct req r;

	dispatch(a, M_DELETE, "DELETE", "/nope", &r);
	assert_string_equal(out + strlen(head_404), body_404);
	assert_memory_equal(out, head_404, strlen(head_404));
	arena_reset(a);
	dispatch(a, M_OTHER, "BREW", "/environment-integration/a/b", &r);
	assert_memory_equal(out, head_404, strlen(head_404));
	assert_string_equal(out + strlen(head_404), body_404);
	arena_reset(a);
}

static void test_dispatch_null_path(void **state)
{
	struct arena *a = *state;
	struct req r;

	dispatch(a, M_GET, "GET", NULL, &r);
	assert_int_equal(r.status, 404);
	assert_memory_equal(out, head_404, strlen(head_404));
	assert_string_equal(out + strlen(head_404), body_404);
	arena_reset(a);
}

static void test_dispatch_405(void **state)
{
	static const struct {
		enum http_method m;
		const char *name;
		const char *path;
	} cases[] = {
		{ M_POST, "POST", "/healthz" },
		{ M_POST, "POST", "/healthz/" },
		{ M_DELETE, "DELETE", "/healthz" },
		{ M_PUT, "PUT", "/healthz" },
		{ M_PATCH, "PATCH", "/healthz" },
		{ M_OPTIONS, "OPTIONS", "/healthz" },
		{ M_OTHER, "BREW", "/healthz" },
	};
	struct arena *a = *state;
	struct req r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dispatch(a, cases[i].m, cases[i].name, cases[i].path, &r);
		assert_non_null(strstr(out, "Status: 405"));
		assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
		assert_int_equal(outlen, strlen(head_405) + strlen(body_405));
		assert_memory_equal(out, head_405, strlen(head_405));
		assert_string_equal(out + strlen(head_405), body_405);
		assert_int_equal(r.status, 405);
		arena_reset(a);
	}
}

/* The environment-integration routes check the method before the token
 * (no auth, no database); methods API.md never gives them are 405 with the
 * route's own Allow list. */
static void test_dispatch_405_ei_routes(void **state)
{
	static const struct {
		enum http_method m;
		const char *name;
		const char *path;
		enum route_id id;
	} cases[] = {
		{ M_PUT, "PUT", "/environment-integration", ROUTE_EI_COLLECTION },
		{ M_DELETE, "DELETE", "/environment-integration", ROUTE_EI_COLLECTION },
		{ M_PATCH, "PATCH", "/environment-integration/", ROUTE_EI_COLLECTION },
		{ M_OTHER, "BREW", "/environment-integration", ROUTE_EI_COLLECTION },
		{ M_PUT, "PUT", "/environment-integration/abc", ROUTE_EI_ITEM },
		{ M_POST, "POST", "/environment-integration/abc", ROUTE_EI_ITEM },
		{ M_OTHER, "BREW", "/environment-integration/abc/", ROUTE_EI_ITEM },
	};
	struct arena *a = *state;
	struct req r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char allow[64], head[512];

		router_allow(cases[i].id, allow, sizeof(allow));
		snprintf(head, sizeof(head),
			 "Status: 405 Method Not Allowed\r\n"
			 "Content-Type: application/json\r\n"
			 "Content-Length: 92\r\n"
			 "Cache-Control: no-store\r\n"
			 "X-Request-Id: test-req-1\r\n"
			 "Allow: %s\r\n"
			 "\r\n", allow);
		dispatch(a, cases[i].m, cases[i].name, cases[i].path, &r);
		assert_int_equal(r.status, 405);
		assert_memory_equal(out, head, strlen(head));
		assert_string_equal(out + strlen(head), body_405);
		if (cases[i].id == ROUTE_EI_ITEM)
			assert_string_equal(r.param, "abc");
		else
			assert_null(r.param);
		arena_reset(a);
	}
}

/* Writes the 3 * REQ_OBUF_SIZE bytes at big. */
static void write_big(struct req *r, const void *big)
{
	assert_int_equal(req_write(r, big, 3 * REQ_OBUF_SIZE), 0);
}

/* A reply to HEAD is the head alone, with the Content-Length of the body
 * the handler writes: the router's own 404, a long reply through the
 * buffer, and one too long for it (counted, then streamed). */
static void test_head_only(void **state)
{
	static char big[3 * REQ_OBUF_SIZE];
	struct arena *a = *state;
	struct req r;

	dispatch(a, M_HEAD, "HEAD", "/nope", &r);
	assert_int_equal(r.status, 404);
	assert_string_equal(out, head_404);
	arena_reset(a);

	memset(big, 'x', sizeof(big));
	new_req(&r, a, M_HEAD, "HEAD", "/x");
	r.head_only = true;
	assert_int_equal(req_header(&r, "ETag", "\"7\""), 0);
	assert_int_equal(req_begin(&r, 200), 0);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(req_write(&r, "abc", 3), 0);
	assert_int_equal(req_write(&r, big, sizeof(big)), 0);
	assert_int_equal(req_write(&r, "abc", 3), 0);
	assert_int_equal(req_flush(&r), 0);
	assert_string_equal(out, "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: 196911\r\n"
			    "Cache-Control: no-store\r\n"
			    "X-Request-Id: test-req-1\r\n"
			    "ETag: \"7\"\r\n"
			    "\r\n");
	arena_reset(a);

	/* past reply_buffer_max: streamed, the head alone still */
	new_req(&r, a, M_HEAD, "HEAD", "/x");
	r.head_only = true;
	cfg.reply_buffer_max = 65536;
	req_reply_sized(&r, 200, write_big, big);
	config_defaults(&cfg);
	assert_int_equal(req_flush(&r), 0);
	assert_string_equal(out, "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: 196608\r\n"
			    "Cache-Control: no-store\r\n"
			    "X-Request-Id: test-req-1\r\n"
			    "\r\n");
	assert_true(r.handed);
	arena_reset(a);
}

/* A header that could not be added (req_header out of memory: latched in
 * headers_failed, set by hand here) turns the reply into a 500 whole:
 * never a 200 without its ETag, and nothing the handler writes after. */
static void test_lost_header_is_500(void **state)
{
	static const char head500[] =
		"Status: 500 Internal Server Error\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: 76\r\n"
		"Cache-Control: no-store\r\n"
		"X-Request-Id: test-req-1\r\n"
		"\r\n";
	static const char body500[] =
		"{\"statusCode\":500,\"error\":\"Internal Server Error\","
		"\"message\":\"out of memory\"}";
	struct arena *a = *state;
	struct req r;

	for (int head = 0; head < 2; head++) {
		char want[512];

		new_req(&r, a, head ? M_HEAD : M_GET, head ? "HEAD" : "GET", "/x");
		r.head_only = head;
		assert_int_equal(req_header(&r, "ETag", "\"7\""), 0);
		r.headers_failed = true;
		assert_int_equal(req_begin(&r, 200), -1);
		assert_int_equal(r.status, 500);
		(void)req_write(&r, "{\"id\":1}", 8);	/* what the handler goes on with */
		assert_int_equal(req_flush(&r), 0);
		snprintf(want, sizeof(want), "%s%s", head500, head ? "" : body500);
		assert_string_equal(out, want);	/* HEAD: the head alone */
		arena_reset(a);
	}
}

/* A client that went away: writes fail, the dispatch still returns. */
static void test_dispatch_write_fails(void **state)
{
	struct arena *a = *state;
	struct req r;

	write_fails = true;
	dispatch(a, M_POST, "POST", "/healthz", &r);
	write_fails = false;
	assert_int_equal(outlen, 0);
	assert_true(write_calls >= 1);
	assert_int_equal(r.status, 405);
	arena_reset(a);
}

/* The status page at status_path: no token, GET and HEAD, JSON or the
 * Prometheus text with its own head; one trailing slash; 405 and 400 as
 * on every route; off, a 404. */
/* A request for the status page, as req_init would make it. */
static void status_req(struct req *q, struct arena *a, enum http_method m, const char *query)
{
	new_req(q, a, m, http_method_names[m], "/envint-status");
	q->head_only = m == M_HEAD;
	q->query = query;
}

static void test_status_path(void **state)
{
	struct arena *a = *state;
	struct req r;

	strcpy(cfg.status_path, "/envint-status");
	dispatch(a, M_GET, "GET", "/envint-status", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(out, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(out, "\r\n\r\n{\"workers\":{\"total\":"));
	arena_reset(a);
	dispatch(a, M_GET, "GET", "/envint-status/", &r);
	assert_int_equal(r.status, 200);
	arena_reset(a);

	memset(&r, 0, sizeof(r));
	dispatch(a, M_OTHER, "x", "/x", &r);	/* reset the buffer */
	arena_reset(a);
	{
		struct req q;
		const char *body;
		char len[48];

		status_req(&q, a, M_GET, "format=prometheus");
		outlen = 0;
		router_dispatch(&q);
		assert_int_equal(q.status, 200);
		assert_non_null(strstr(out, "Status: 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
					    "charset=utf-8\r\nContent-Length: "));
		assert_non_null(strstr(out, "\r\nCache-Control: no-store\r\n"
					    "X-Request-Id: test-req-1\r\n"));
		body = strstr(out, "\r\n\r\n") + 4;
		snprintf(len, sizeof(len), "Content-Length: %zu\r\n", strlen(body));
		assert_non_null(strstr(out, len));
		assert_non_null(strstr(body, "# TYPE envint_requests_total counter\n"));
		assert_non_null(strstr(body, "envint_requests_total{class=\"5xx\"} 0\n"));
		assert_int_equal(q.bytes, strlen(body));
		arena_reset(a);
		status_req(&q, a, M_HEAD, "format=prometheus");
		outlen = 0;
		router_dispatch(&q);
		assert_int_equal(q.status, 200);
		assert_non_null(strstr(out, len));	/* GET's length, no body */
		assert_string_equal(strstr(out, "\r\n\r\n"), "\r\n\r\n");
		arena_reset(a);

		status_req(&q, a, M_GET, "format=xml");
		outlen = 0;
		router_dispatch(&q);
		assert_int_equal(q.status, 400);
		assert_non_null(strstr(out, "\"path\":\"format\""));
		arena_reset(a);
	}
	dispatch(a, M_POST, "POST", "/envint-status", &r);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
	arena_reset(a);
	dispatch(a, M_GET, "GET", "/envint-statusX", &r);
	assert_int_equal(r.status, 404);
	arena_reset(a);
	cfg.status_path[0] = '\0';
	dispatch(a, M_GET, "GET", "/envint-status", &r);
	assert_int_equal(r.status, 404);
	arena_reset(a);
}

/* GET /openapi.json without a token: 404 (the envelope) until a
 * document is loaded, then the document with its ETag; HEAD the same head
 * without the body; other methods 405. No database is touched. */
static void test_openapi_route(void **state)
{
	static const char doc[] = "{\"openapi\":\"3.1.0\"}";
	char path[] = "/tmp/test_router_openapi_XXXXXX";
	struct arena *a = *state;
	struct req r;
	const char *body;
	int fd;

	assert_int_equal(openapi_load("/nonexistent/openapi.json"), -1);
	dispatch(a, M_GET, "GET", "/openapi.json", &r);
	assert_int_equal(r.status, 404);
	assert_non_null(strstr(out, "{\"statusCode\":404,\"error\":\"Not Found\","));
	assert_null(strstr(out, "ETag"));
	arena_reset(a);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, sizeof(doc) - 1), (ssize_t)(sizeof(doc) - 1));
	close(fd);
	assert_int_equal(openapi_load(path), 0);
	unlink(path);
	dispatch(a, M_GET, "GET", "/openapi.json", &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(out, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(out, "Content-Length: 19\r\n"));
	assert_non_null(strstr(out, "\r\nETag: \""));
	body = strstr(out, "\r\n\r\n") + 4;
	assert_string_equal(body, doc);
	arena_reset(a);

	new_req(&r, a, M_HEAD, "HEAD", "/openapi.json");
	router_dispatch(&r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(out, "Content-Length: 19\r\n"));
	assert_string_equal(strstr(out, "\r\n\r\n"), "\r\n\r\n");
	arena_reset(a);

	dispatch(a, M_POST, "POST", "/openapi.json", &r);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(out, "\r\nAllow: GET, HEAD\r\n"));
	arena_reset(a);
	(void)openapi_load("/nonexistent/openapi.json");	/* back to none */
}

/* A status_path may not shadow a route of the table. */
static void test_path_free(void **state)
{
	static const char *const taken[] = {
		"/healthz", "/healthz/", "/environment-integration", "/environment-integration/x",
		"/openapi.json",
	};
	static const char *const free_[] = {
		"/envint-status", "/healthzz", "/environment-integration/x/y", "/environment",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		assert_false(router_path_free(taken[i]));
	for (size_t i = 0; i < sizeof(free_) / sizeof(free_[0]); i++)
		assert_true(router_path_free(free_[i]));
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_healthz),
		cmocka_unit_test(test_match_openapi),
		cmocka_unit_test(test_match_item),
		cmocka_unit_test(test_match_item_suffix),
		cmocka_unit_test(test_match_collection),
		cmocka_unit_test(test_match_none),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_allow_format),
		cmocka_unit_test_setup_teardown(test_dispatch_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_404_any_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_null_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_405, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_405_ei_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch_write_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openapi_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_header_is_500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_path, setup, teardown),
		cmocka_unit_test(test_path_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
