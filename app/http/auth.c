#include "app/http/auth.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "app/api/token.h"
#include "app/base/clock.h"
#include "app/base/log.h"
#include "db/token_db.h"

/*
 * A per-worker cache of token lookups: selector -> stored hash and scope,
 * kept auth_cache_seconds. A hit saves the database round trip (about half
 * of the database's work for a GET by id); the presented secret is still
 * hashed and compared in constant time on every request. Revoking a token,
 * or adding an environment to a team, reaches a worker within the TTL.
 * Entries change only here, at the start of a request, so the scope a
 * request copied stays valid until it ends.
 */
#define AUTH_CACHE_SLOTS 64

struct auth_entry {
	bool used;
	unsigned char selector[TOKEN_SELECTOR_LEN];
	unsigned char hash[TOKEN_HASH_LEN];
	struct scope scope;	/* envs, env_nos and token_name in `block` */
	void *block;
	long long expires_ms;
};

static struct auth_entry cache[AUTH_CACHE_SLOTS];

static struct auth_entry *cache_slot(const unsigned char selector[TOKEN_SELECTOR_LEN])
{
	unsigned h = 0;

	for (int i = 0; i < TOKEN_SELECTOR_LEN; i++)
		h = h * 31 + selector[i];
	return &cache[h % AUTH_CACHE_SLOTS];
}

/* A live entry for this selector, or NULL. */
static const struct auth_entry *cache_get(const unsigned char selector[TOKEN_SELECTOR_LEN])
{
	const struct auth_entry *e = cache_slot(selector);

	if (!e->used || memcmp(e->selector, selector, TOKEN_SELECTOR_LEN) != 0 ||
	    now_ms() >= e->expires_ms)
		return NULL;
	return e;
}

static void cache_put(const unsigned char selector[TOKEN_SELECTOR_LEN],
		      const unsigned char hash[TOKEN_HASH_LEN],
		      const struct scope *scope, unsigned ttl_s)
{
	struct auth_entry *e = cache_slot(selector);
	size_t n = scope->n_envs, name_len = strlen(scope->token_name);
	unsigned char (*envs)[16];
	uint32_t *nos;
	char *name;

	if (ttl_s == 0)
		return;
	/* one block: the ids, their numbers (16-byte slots keep the numbers
	 * aligned), then the token's name */
	envs = malloc(n * (16 + sizeof(uint32_t)) + name_len + 1);
	if (envs == NULL)
		return;	/* no cache entry; nothing else changes */
	nos = (uint32_t *)(envs + n);
	name = (char *)(nos + n);
	if (n > 0) {
		memcpy(envs, scope->envs, n * 16);
		memcpy(nos, scope->env_nos, n * sizeof(uint32_t));
	}
	memcpy(name, scope->token_name, name_len + 1);
	free(e->block);
	e->used = true;
	memcpy(e->selector, selector, TOKEN_SELECTOR_LEN);
	memcpy(e->hash, hash, TOKEN_HASH_LEN);
	e->scope = *scope;
	e->scope.envs = n > 0 ? envs : NULL;
	e->scope.env_nos = n > 0 ? nos : NULL;
	e->scope.token_name = name;
	e->block = envs;
	e->expires_ms = now_ms() + (long long)ttl_s * 1000;
}

void auth_cache_clear(void)
{
	for (int i = 0; i < AUTH_CACHE_SLOTS; i++) {
		free(cache[i].block);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
}

int auth_or_reply(struct req *r)
{
	struct token t;
	unsigned char stored[TOKEN_HASH_LEN];
	const struct auth_entry *hit;
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
	hit = cache_get(t.selector);
	if (hit != NULL) {
		memcpy(stored, hit->hash, TOKEN_HASH_LEN);
		r->scope = hit->scope;
		rc = DB_OK;
	} else {
		rc = db_token_lookup(r->db, r->arena, t.selector, stored, &r->scope);
		if (rc == DB_OK)
			cache_put(t.selector, stored, &r->scope, r->cfg->auth_cache_seconds);
	}
	if (rc == DB_OK && !token_matches(&t, stored))
		rc = DB_NOTFOUND;
	OPENSSL_cleanse(&t, sizeof(t));
	if (rc == DB_OK)
		return 0;
	if (rc == DB_NOTFOUND) {
		req_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		req_reply_error(r, 401, "invalid or revoked token");
	} else {
		req_reply_db(r, rc, NULL);
	}
	return -1;
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
