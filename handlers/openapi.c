/*
 * GET /openapi.json: the OpenAPI document of this API (conf/openapi.json,
 * installed in pkgdatadir; the openapi_file key), no token. The master
 * reads it before it forks (openapi_load), so every worker serves the same
 * bytes from memory and a request never touches the file system.
 */
#include "handlers/handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/ids.h"
#include "app/base/log.h"
#include "app/base/sha256.h"

/* The document and its ETag (a quoted hex prefix of its SHA-256): the
 * process's, until the next openapi_load. NULL when there is none. */
static char *doc;
static size_t doc_len;
static char doc_etag[2 + 16 + 1];

/* The whole file at `path` into a malloc'd buffer (*out, *len), at most
 * `max` bytes. 0, or -1 with errno set (EFBIG when it is longer). */
static int read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = -1, saved;

	if (f == NULL)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *p;

			if (cap >= max) {
				errno = EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(buf, cap)) == NULL)
				goto out;
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				errno = EIO;
				goto out;
			}
			break;
		}
	}
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	saved = errno;
	free(buf);
	fclose(f);
	errno = saved;
	return rc;
}

int openapi_load(const char *path)
{
	unsigned char sum[SHA256_LEN];
	char *text = NULL;
	size_t n = 0;

	if (read_file(path, OPENAPI_MAX, &text, &n) < 0) {
		log_warn("openapi_file %s: %s; GET /openapi.json answers 404", path,
			 errno == EFBIG ? "longer than 16 MiB" : strerror(errno));
		free(doc);
		doc = NULL;
		return -1;
	}
	free(doc);
	doc = text;
	doc_len = n;
	(void)sha256(doc, doc_len, sum);
	doc_etag[0] = '"';
	hex_encode(sum, 8, doc_etag + 1);
	doc_etag[17] = '"';
	doc_etag[18] = '\0';
	return 0;
}

/* The document as it was read, with its ETag; 404 (the usual envelope)
 * when there was none to read. HEAD: the same head, no body. The query
 * string is ignored, as on /healthz. */
void openapi_get(struct req *r)
{
	if (doc == NULL) {
		req_reply_error(r, 404, "no OpenAPI document on this server");
		return;
	}
	req_header(r, "ETag", doc_etag);
	if (req_begin(r, 200) < 0)
		return;
	(void)req_write(r, doc, doc_len);
}
