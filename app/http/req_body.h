/*
 * Reading a JSON request body from the FastCGI input, streamed through
 * the body parser (body.h) in fixed-size chunks.
 */
#ifndef ENVINT_REQ_BODY_H
#define ENVINT_REQ_BODY_H

#include "app/api/body.h"
#include "app/http/req.h"

/* Checks Content-Type (415: application/json; for BODY_PATCH also
 * application/merge-patch+json, which parses it as BODY_MERGE and sets
 * out->merge) and Content-Length (413 over body_max, before
 * reading a byte), then reads and parses the body chunk by chunk. Fills
 * *out and returns 0; or replies (400 with details.failures, 413, 415,
 * 500) and returns -1. Whatever input is left unread is drained by the
 * worker after the handler. */
int req_body_or_reply(struct req *r, enum body_mode mode, struct body *out);

#endif
