/*
 * Direct JSON output into a reply body, for documents whose shape is fixed
 * by the code (the environment integration object, the list envelope):
 * keys and punctuation are literals copied in one piece, values are
 * formatted in place. A page of 100 objects through yajl_gen cost about
 * 1.9 M instructions (a callback and a UTF-8 check per token); this costs
 * a fraction. yajl_gen (req_json_begin) stays for small documents built
 * from input, like the error envelope.
 *
 * Every function writes through req_write and, like it, ignores a client
 * that has gone away (the reply is cut short; nothing else can be done).
 */
#ifndef ENVINT_JSONW_H
#define ENVINT_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#include "app/http/req.h"

/* A literal: JW_LIT(r, ",\"name\":") */
#define JW_LIT(r, lit) ((void)req_write((r), (lit), sizeof(lit) - 1))

/* A JSON string with its quotes, escaped exactly as yajl_gen escapes
 * ('"', '\\', and control characters: \b \f \n \r \t or \u00XX). If
 * s[0..n) is not well-formed UTF-8, every byte above 0x7f is written as
 * '?' rather than break the document (database text is utf8mb4, so this
 * is a safety net, not a path in use). */
void jw_str(struct req *r, const char *s, size_t n);

/* A UUID as a quoted lowercase hyphenated string. */
void jw_id(struct req *r, const unsigned char id[16]);

/* true / false / an unsigned integer. */
void jw_bool(struct req *r, bool v);
void jw_uint(struct req *r, unsigned long long v);

#endif
