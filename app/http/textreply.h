/*
 * The one reply that is not JSON (API.md, Transport): the status page's
 * Prometheus format. It leaves as every reply does (req_flush: a head
 * with Content-Length, then the body), under its own Content-Type.
 */
#ifndef ENVINT_TEXTREPLY_H
#define ENVINT_TEXTREPLY_H

#include <stddef.h>

#include "app/http/req.h"

/* Replies `status` with `body` (len bytes) as `content_type`, with the
 * headers every reply carries (Cache-Control: no-store, X-Request-Id) and
 * Content-Length; HEAD gets the head alone. The content type comes from the
 * code, never from input, and must outlive the request. 0, or -1 when a
 * reply was already begun. */
int req_reply_text(struct req *r, int status, const char *content_type,
		   const char *body, size_t len);

#endif
