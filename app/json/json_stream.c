#include "app/json/json_stream.h"

int json_fail(struct json_failure *f, const char *path, const char *msg)
{
	if (!f->failed) {
		f->failed = true;
		f->path = path;
		f->msg = msg;
	}
	return 0;
}

int json_fail_oom(struct json_failure *f, const char *path)
{
	if (!f->failed)
		f->oom = true;
	return json_fail(f, path, JSON_MSG_OOM);
}

static void free_parser(void *h)
{
	yajl_free(h);
}

int json_stream_init(struct json_stream *s, struct arena *a, const yajl_callbacks *cb,
		     void *ctx, struct json_failure *fail, const char *syntax_path)
{
	*s = (struct json_stream){ .scan = JSON_SCAN_INIT, .fail = fail,
				   .syntax_path = syntax_path };
	s->yh = arena_own(a, yajl_alloc(cb, NULL, ctx), free_parser);
	return s->yh != NULL ? 0 : -1;
}

/* yajl's verdict on what it was fed; its own error text stays out. */
static int parsed(struct json_stream *s, yajl_status st)
{
	if (st == yajl_status_ok)
		return 0;
	json_fail(s->fail, s->syntax_path, JSON_MSG_SYNTAX);
	return -1;
}

int json_stream_feed(struct json_stream *s, const void *buf, size_t n)
{
	enum json_scan_feed seen;
	size_t at = 0;

	if (s->fail->failed)
		return -1;
	s->bytes += n;
	seen = json_scan_feed(&s->scan, buf, n, &at);
	if (seen == JSON_SCAN_FED)
		return parsed(s, yajl_parse(s->yh, buf, n));
	/* the bytes before it first: an earlier error wins, whatever the
	 * chunking */
	if (parsed(s, yajl_parse(s->yh, buf, at)) < 0)
		return -1;
	json_fail(s->fail, s->syntax_path,
		  seen == JSON_SCAN_LONE ? JSON_MSG_SURROGATE : JSON_MSG_SYNTAX);
	return -1;
}

int json_stream_finish(struct json_stream *s)
{
	if (s->fail->failed)
		return -1;
	switch (json_scan_finish(&s->scan)) {
	case JSON_SCAN_OK:
		break;
	case JSON_SCAN_SURROGATE:
		json_fail(s->fail, s->syntax_path, JSON_MSG_SURROGATE);
		return -1;
	case JSON_SCAN_IN_STRING:	/* yajl would accept it: "more to come" */
		json_fail(s->fail, s->syntax_path, JSON_MSG_SYNTAX);
		return -1;
	}
	return parsed(s, yajl_complete_parse(s->yh));
}
