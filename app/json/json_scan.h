/*
 * A byte-level companion to yajl for what its callbacks cannot see: a
 * "\uD800" escape without its low half (yajl silently turns it into '?'),
 * a lone "\uDC00", and the form feed and vertical tab that yajl skips as
 * whitespace between tokens (RFC 8259 allows only space, tab, LF and CR).
 * Fed the same chunks as yajl_parse; keeps its state across chunk
 * boundaries. Everything else (syntax, UTF-8) is yajl's and the callbacks'
 * job.
 */
#ifndef ENVINT_JSON_SCAN_H
#define ENVINT_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct json_scan {
	unsigned char state;	/* where in a string / escape we are */
	unsigned char hex;	/* hex digits of \u read so far */
	unsigned value;		/* the \u value being read */
	bool want_low;		/* a high surrogate waits for its low half */
};

/* Zeroed state is the start state. */
#define JSON_SCAN_INIT { 0, 0, 0, false }

/* What a chunk held. */
enum json_scan_feed {
	JSON_SCAN_FED,		/* JSON_SCAN_FED: nothing wrong seen */
	JSON_SCAN_LONE,		/* JSON_SCAN_LONE: half a surrogate pair */
	JSON_SCAN_SPACE,	/* JSON_SCAN_SPACE: \f or \v outside strings */
};

/* Scans a chunk. On anything but JSON_SCAN_FED, *at is the index of the
 * byte that settled it. Callers give yajl the bytes before *at first, so
 * an earlier error is reported first, however the input was split into
 * chunks. */
enum json_scan_feed json_scan_feed(struct json_scan *s, const void *buf, size_t n,
				   size_t *at);

/* End of input: JSON_SCAN_OK, JSON_SCAN_SURROGATE (a high surrogate still
 * waits for its low half) or JSON_SCAN_IN_STRING (the input ends inside a
 * string, which yajl takes for "more to come" and accepts). */
enum json_scan_end { JSON_SCAN_OK, JSON_SCAN_SURROGATE, JSON_SCAN_IN_STRING };
enum json_scan_end json_scan_finish(const struct json_scan *s);

#endif
