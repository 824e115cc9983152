/*
 * The one reply that is not JSON (API.md, Transport): the status page's
 * Prometheus format. req.c writes every other head; this one carries its
 * own Content-Type and a Content-Length, since the body is made whole
 * before it leaves.
 */
#ifndef ENVINT_TEXTREPLY_H
#define ENVINT_TEXTREPLY_H

#include <stddef.h>

#include "app/http/req.h"

/* Replies `status` with `body` (len bytes) as `content_type`, with the
 * headers every reply carries (Cache-Control: no-store, X-Request-Id) and
 * Content-Length; HEAD gets the head alone. Values come from the code,
 * never from input. 0, or -1 when a head was already written or the
 * client is gone. */
int req_reply_text(struct req *r, int status, const char *content_type,
		   const char *body, size_t len);

#endif
