#include "auth.h"

#include <string.h>

#include <openssl/crypto.h>

#include "../db/token_db.h"
#include "log.h"
#include "token.h"

int auth_or_reply(struct req *r)
{
	struct token t;
	unsigned char stored[TOKEN_HASH_LEN];
	enum db_err rc;

	if (r->authorization == NULL) {
		req_header(r, "WWW-Authenticate", "Bearer");
		req_reply_error(r, 401, "missing bearer token");
		return -1;
	}
	if (token_from_header(r->authorization, &t) < 0) {
		req_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		req_reply_error(r, 401, "malformed bearer token");
		return -1;
	}
	rc = db_token_lookup(r->db, r->arena, t.selector, stored, &r->scope);
	if (rc == DB_OK && !token_matches(&t, stored))
		rc = DB_NOTFOUND;
	OPENSSL_cleanse(&t, sizeof(t));
	switch (rc) {
	case DB_OK:
		return 0;
	case DB_NOTFOUND:
		req_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		req_reply_error(r, 401, "invalid or revoked token");
		return -1;
	case DB_UNAVAILABLE:
		req_reply_error(r, 503, "database unavailable, retry later");
		return -1;
	default:
		req_reply_error(r, 500, "internal error");
		return -1;
	}
}

bool scope_sees_env(const struct scope *s, const unsigned char env[16])
{
	size_t lo = 0, hi = s->n_envs;

	while (lo < hi) {	/* envs is sorted by the query's ORDER BY */
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s->envs[mid], env, 16);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
