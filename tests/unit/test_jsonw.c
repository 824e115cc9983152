/*
 * app/http/jsonw.c: strings come out byte for byte as yajl_gen writes them
 * (the responses' golden files were made with yajl), malformed UTF-8
 * never breaks the document, and numbers, booleans and ids are exact.
 * Also the reply buffer they write into: every reply carries the
 * Content-Length of its body (buffered, or counted and then streamed), and
 * a reply can be withdrawn only while none of it has left (req_retract).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "tests/unit/unit.h"

#include "app/base/arena.h"
#include "app/base/config.h"
#include "app/base/utf8.h"
#include "app/http/jsonw.h"

static char out[1 << 20];
static size_t outlen;

static int buf_write(struct req *r, const void *p, size_t n)
{
	(void)r;
	assert_true(outlen + n < sizeof(out));
	memcpy(out + outlen, p, n);
	outlen += n;
	return 0;
}

static struct arena *arena;

/* A req whose reply ends up in `out` (after done()). */
static void fresh(struct req *r)
{
	if (arena == NULL)
		arena = arena_new(0);
	assert_non_null(arena);
	arena_reset(arena);
	memset(r, 0, sizeof(*r));
	r->arena = arena;
	r->write = buf_write;
	outlen = 0;
}

static void done(struct req *r)
{
	assert_int_equal(req_flush(r), 0);
}

static void yajl_form(const char *s, size_t n, const unsigned char **buf, size_t *len,
		      yajl_gen *g)
{
	*g = yajl_gen_alloc(NULL);
	assert_int_equal(yajl_gen_string(*g, (const unsigned char *)s, n), yajl_gen_status_ok);
	yajl_gen_get_buf(*g, buf, len);
}

static void same_as_yajl(const char *s, size_t n)
{
	struct req r;
	const unsigned char *buf;
	size_t len;
	yajl_gen g;

	fresh(&r);
	jw_str(&r, s, n);
	done(&r);
	yajl_form(s, n, &buf, &len, &g);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	yajl_gen_free(g);
}

static void test_str_escapes_like_yajl(void **state)
{
	static const char *cases[] = {
		"", "plain", "a\"b", "back\\slash", "/slash/", "tab\there",
		"\b\f\n\r\t", "\x01\x02\x1f\x7f", "caf\xc3\xa9", "\xe2\x80\xa8 line sep",
		"\xf0\x9f\x98\x80 emoji", "ends with quote\"", "\"", "\\",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		same_as_yajl(cases[i], strlen(cases[i]));
	same_as_yajl("nul\0inside", 10);
}

/* Every byte value alone and in company: ASCII and control bytes. */
static void test_str_every_ascii_byte(void **state)
{
	char s[3];

	(void)state;
	for (int c = 0; c < 0x80; c++) {
		s[0] = 'x';
		s[1] = (char)c;
		s[2] = 'y';
		same_as_yajl(s, 3);
		same_as_yajl(s + 1, 1);
	}
}

/* Random well-formed strings (ASCII, controls, 2-4 byte sequences). */
static void test_str_random_like_yajl(void **state)
{
	static const char *pieces[] = {
		"a", "Z", " ", "\"", "\\", "\n", "\x01", "\x1f", "/", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "{", "}", "0",
	};
	char s[256];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = 0;
		int k;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 16) % 40);
		for (int i = 0; i < k; i++) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(s + n, p, strlen(p));
			n += strlen(p);
		}
		assert_true(utf8_valid(s, n));
		same_as_yajl(s, n);
	}
}

/* Malformed UTF-8: quoted, every high byte a '?', escapes still done. */
static void test_str_malformed_utf8(void **state)
{
	struct req r;
	static const struct { const char *in; size_t n; const char *want; } cases[] = {
		{ "a\xff" "b", 3, "\"a?b\"" },
		{ "\xc3", 1, "\"?\"" },			/* truncated */
		{ "\xc0\xaf", 2, "\"??\"" },		/* overlong */
		{ "\xed\xa0\x80", 3, "\"???\"" },	/* surrogate */
		{ "ok \xc3\xa9 \xff \"q\"", 11, "\"ok ?? ? \\\"q\\\"\"" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fresh(&r);
		jw_str(&r, cases[i].in, cases[i].n);
		done(&r);
		assert_int_equal(outlen, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, outlen);
	}
}

static void test_scalars(void **state)
{
	static const unsigned char id[16] = {
		0xc1, 0x45, 0x6b, 0x83, 0xa6, 0xd9, 0x4d, 0xc6,
		0x8e, 0x56, 0x56, 0x7c, 0xf4, 0x43, 0xf6, 0x5b,
	};
	static const char want[] =
		"\"c1456b83-a6d9-4dc6-8e56-567cf443f65b\" true false 0 7 1000 "
		"18446744073709551615";
	struct req r;

	(void)state;
	fresh(&r);
	jw_id(&r, id);
	JW_LIT(&r, " ");
	jw_bool(&r, true);
	JW_LIT(&r, " ");
	jw_bool(&r, false);
	JW_LIT(&r, " ");
	jw_uint(&r, 0);
	JW_LIT(&r, " ");
	jw_uint(&r, 7);
	JW_LIT(&r, " ");
	jw_uint(&r, 1000);
	JW_LIT(&r, " ");
	jw_uint(&r, UINT64_MAX);
	done(&r);
	assert_int_equal(outlen, sizeof(want) - 1);
	assert_memory_equal(out, want, outlen);
}

/* Nothing handed over yet: the 200 and its body vanish, a 503 replaces
 * them. */
static void test_retract_before_anything_left(void **state)
{
	struct req r;

	(void)state;
	fresh(&r);
	snprintf(r.id, sizeof(r.id), "%s", "t1");
	assert_int_equal(req_begin(&r, 200), 0);
	JW_LIT(&r, "{\"result\":[{\"id\":\"first row\"}");
	assert_int_equal(outlen, 0);
	assert_true(req_retract(&r));
	assert_false(r.abort);
	req_reply_error(&r, 503, "database unavailable, retry later");
	done(&r);
	out[outlen] = '\0';
	assert_non_null(strstr(out, "Status: 503"));
	assert_null(strstr(out, "200"));
	assert_null(strstr(out, "first row"));
	assert_non_null(strstr(out, "\"statusCode\":503"));
}

/* The body after the head in out, and the head's Content-Length. */
static const char *body_of(size_t *content_length)
{
	const char *end, *cl;

	out[outlen] = '\0';
	end = strstr(out, "\r\n\r\n");
	assert_non_null(end);
	cl = strstr(out, "Content-Length: ");
	assert_true(cl != NULL && cl < end);
	*content_length = strtoul(cl + 16, NULL, 10);
	return end + 4;
}

/* A buffered reply: the head says how long the body is, and a body cut
 * back (a list page ending early) is sent as cut. */
static void test_content_length_and_cut(void **state)
{
	struct req r;
	size_t cl, mark;
	const char *body;

	(void)state;
	fresh(&r);
	assert_int_equal(req_begin(&r, 200), 0);
	JW_LIT(&r, "{\"result\":[1");
	mark = req_body_len(&r);
	JW_LIT(&r, ",2]");
	assert_int_equal(outlen, 0);	/* nothing leaves before the end */
	req_body_cut(&r, mark);
	JW_LIT(&r, "]}");
	done(&r);
	body = body_of(&cl);
	assert_string_equal(body, "{\"result\":[1]}");
	assert_int_equal(cl, strlen(body));
	assert_int_equal(r.bytes, strlen(body));
}

static struct config small_cfg;
static int gen_calls;

/* n bytes (passed by address), written in pieces of 1000. */
static void gen_n(struct req *r, const void *ctx)
{
	size_t n = *(const size_t *)ctx;
	char piece[1000];

	gen_calls++;
	for (size_t i = 0; i < n; i += sizeof(piece)) {
		size_t k = n - i < sizeof(piece) ? n - i : sizeof(piece);

		for (size_t j = 0; j < k; j++)
			piece[j] = (char)('a' + (i + j) % 26);
		assert_int_equal(req_write(r, piece, k), 0);
	}
}

/* An object that fits in reply_buffer_max is generated once; a longer one
 * is counted, then streamed after a head with its exact length. */
static void test_sized_reply(void **state)
{
	static const size_t sizes[] = { 0, 1, 65536, 65537, 300000 };

	(void)state;
	config_defaults(&small_cfg);
	small_cfg.reply_buffer_max = 65536;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct req r;
		size_t cl;
		const char *body;

		fresh(&r);
		r.cfg = &small_cfg;
		gen_calls = 0;
		req_reply_sized(&r, 200, gen_n, &sizes[i]);
		done(&r);
		body = body_of(&cl);
		assert_int_equal(cl, sizes[i]);
		assert_int_equal(out + outlen - body, sizes[i]);
		for (size_t j = 0; j < sizes[i]; j++)
			assert_int_equal(body[j], (char)('a' + j % 26));
		assert_int_equal(gen_calls, sizes[i] <= 65536 ? 1 : 3);
		assert_int_equal(r.bytes, sizes[i]);
	}
}

/* Once bytes of a streamed reply have left, it cannot be withdrawn: it is
 * aborted (the client sees a short read, never a complete reply). */
static void test_retract_after_bytes_left_aborts(void **state)
{
	static const size_t n = 300000;
	struct req r;

	(void)state;
	config_defaults(&small_cfg);
	small_cfg.reply_buffer_max = 65536;
	fresh(&r);
	r.cfg = &small_cfg;
	req_reply_sized(&r, 200, gen_n, &n);
	assert_true(outlen > 0 && outlen < n);
	assert_false(req_retract(&r));
	assert_true(r.abort);
	assert_int_equal(r.status, 200);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_escapes_like_yajl),
		cmocka_unit_test(test_str_every_ascii_byte),
		cmocka_unit_test(test_str_random_like_yajl),
		cmocka_unit_test(test_str_malformed_utf8),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_retract_before_anything_left),
		cmocka_unit_test(test_retract_after_bytes_left_aborts),
		cmocka_unit_test(test_content_length_and_cut),
		cmocka_unit_test(test_sized_reply),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	arena_free(arena);
	return rc;
}
