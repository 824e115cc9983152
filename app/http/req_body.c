#include "app/http/req_body.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/base/log.h"

#define CHUNK 16384

/* The media types a body may come as, in any case, with or without
 * parameters (a charset, say). */
enum media {
	MT_JSON,	/* MT_JSON: application/json */
	MT_MERGE_PATCH,	/* MT_MERGE_PATCH: application/merge-patch+json (RFC 7396) */
	MT_OTHER,	/* MT_OTHER: anything else, or none */
};

static enum media media_of(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return MT_OTHER;
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
		return MT_JSON;
	if (n == 28 && strncasecmp(ct, "application/merge-patch+json", 28) == 0)
		return MT_MERGE_PATCH;
	return MT_OTHER;
}

int req_body_or_reply(struct req *r, enum body_mode mode, struct body *out)
{
	long long left = r->content_length < 0 ? 0 : r->content_length;
	char buf[CHUNK], msg[128];
	struct body_parser *p;
	const char *path, *why;
	bool oom;

	enum media mt = media_of(r->content_type);

	/* Replies come before the input is read to the end; the worker drains
	 * what is left after the handler. */
	if (mt == MT_MERGE_PATCH && mode == BODY_PATCH)
		mode = BODY_MERGE;
	else if (mt != MT_JSON) {
		req_reply_error(r, 415, mode == BODY_PATCH ?
				"Content-Type must be application/json or application/merge-patch+json" :
				"Content-Type must be application/json");
		return -1;
	}
	if ((unsigned long long)left > r->cfg->body_max) {
		snprintf(msg, sizeof(msg), "request body exceeds the limit of %zu bytes",
			 r->cfg->body_max);
		req_reply_error(r, 413, msg);
		return -1;
	}
	p = body_parser_new(r->arena, mode, r->cfg->json_depth_max, (size_t)left);
	if (p == NULL) {
		req_reply_error(r, 500, "internal error");
		return -1;
	}
	while (left > 0) {
		int n = r->read(r, buf, left < CHUNK ? (size_t)left : CHUNK);

		if (n <= 0)
			break;	/* short body: the parser reports it truncated */
		left -= n;
		if (body_feed(p, buf, (size_t)n) < 0)
			break;	/* rejected as soon as seen; parse no further */
	}
	if (body_finish(p, out) == 0)
		return 0;
	body_failure(p, &path, &why, &oom);
	if (oom) {
		log_error("req %s: out of memory parsing the body", r->id);
		req_reply_error(r, 500, "internal error");
		return -1;
	}
	struct failure f = { path, why };

	req_reply_invalid(r, "invalid body: ", " ", &f);
	return -1;
}
