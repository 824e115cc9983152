/*
 * Static functions, in order: key_find, parse_ull, parse_size, parse_bool,
 * trim, status_path_ok.
 */
#include "app/base/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/hostlist.h"

/* Set by Makefile.am; builds outside automake (tests/fuzz/build.sh) get
 * the default prefix's. */
#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/envint"
#endif

enum ctype {
	CT_STR,		/* CT_STR: copied into a char array of `size` */
	CT_UINT,	/* CT_UINT: decimal, within [min, max] */
	CT_SIZE,	/* CT_SIZE: bytes with optional k/m/g suffix, within [min, max] */
	CT_MODE,	/* CT_MODE: octal permission bits */
	CT_BOOL,	/* CT_BOOL: yes/no, true/false, on/off, 1/0 */
	CT_LEVEL,	/* CT_LEVEL: a log level name */
	CT__MAX
};

struct ckey {
	const char *name;
	enum ctype type;
	size_t off;
	size_t size;
	unsigned long long min, max;
	const char *dflt;
};

#define F(field) offsetof(struct config, field), sizeof(((struct config *)0)->field)

static const struct ckey keys[] = {
	{ "listen", CT_STR, F(listen), 0, 0, "" },
	{ "listen_mode", CT_MODE, F(listen_mode), 0, 07777, "0660" },
	{ "listen_backlog", CT_UINT, F(listen_backlog), 1, 65535, "128" },
	{ "workers", CT_UINT, F(workers), 0, 256, "2" },
	{ "max_requests", CT_UINT, F(max_requests), 0, UINT_MAX, "0" },
	{ "grace_seconds", CT_UINT, F(grace_seconds), 1, 3600, "30" },
	{ "pidfile", CT_STR, F(pidfile), 0, 0, "" },
	{ "db_socket", CT_STR, F(db_socket), 0, 0, "" },
	{ "db_host", CT_STR, F(db_host), 0, 0, "127.0.0.1" },
	{ "db_port", CT_UINT, F(db_port), 1, 65535, "3306" },
	{ "db_user", CT_STR, F(db_user), 0, 0, "envint" },
	{ "db_password", CT_STR, F(db_password), 0, 0, "" },
	{ "db_name", CT_STR, F(db_name), 0, 0, "envint" },
	{ "db_timeout", CT_UINT, F(db_timeout), 1, 300, "5" },
	{ "db_failback_seconds", CT_UINT, F(db_failback_seconds), 0, 86400, "30" },
	{ "db_causal_reads", CT_BOOL, F(db_causal_reads), 0, 1, "no" },
	{ "retry_after", CT_UINT, F(retry_after), 1, 3600, "1" },
	{ "auth_cache_seconds", CT_UINT, F(auth_cache_seconds), 0, 300, "2" },
	{ "body_max", CT_SIZE, F(body_max), 64, 1ULL << 30, "8m" },
	{ "json_depth_max", CT_UINT, F(json_depth_max), 2, 127, "64" },
	{ "page_default", CT_UINT, F(page_default), 1, 100000, "100" },
	{ "page_max", CT_UINT, F(page_max), 1, 100000, "1000" },
	{ "reply_buffer_max", CT_SIZE, F(reply_buffer_max), 65536, 1ULL << 30, "8m" },
	{ "log_level", CT_LEVEL, F(log_level), 0, 0, "info" },
	{ "log_syslog", CT_BOOL, F(log_syslog), 0, 1, "no" },
	/* issue 17: logs without a terminal, the pool status page */
	{ "log_file", CT_STR, F(log_file), 0, 0, "" },
	{ "status_path", CT_STR, F(status_path), 0, 0, "" },
	{ "slow_ms", CT_UINT, F(slow_ms), 0, 3600000, "1000" },
	/* issue 15: the change history */
	{ "history_keep", CT_UINT, F(history_keep), 0, 1000000, "100" },
	/* issue 18: the OpenAPI document (conf/openapi.json, installed in
	 * pkgdatadir), served at /openapi.json without a token */
	{ "openapi_file", CT_STR, F(openapi_file), 0, 0, PKGDATADIR "/openapi.json" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct ckey *key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Parses an unsigned number in `base`; rejects signs, blanks and overflow. */
static int parse_ull(const char *s, int base, unsigned long long *out,
		     char **end)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, end, base);
	return errno == 0 ? 0 : -1;
}

static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (parse_ull(s, 10, &v, &end) < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': mul = 1ULL << 10; end++; break;
	case 'm': mul = 1ULL << 20; end++; break;
	case 'g': mul = 1ULL << 30; end++; break;
	default: return -1;
	}
	if (*end != '\0' || v > ULLONG_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_bool(const char *s, unsigned long long *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int config_set(struct config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	const struct ckey *k = key_find(key);
	unsigned char *field;
	unsigned long long v = 0;
	char *end;
	int rc = 0;

	if (k == NULL) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	field = (unsigned char *)c + k->off;
	switch (k->type) {
	case CT_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "'%s' is longer than %zu bytes",
				 key, k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CT_LEVEL: {
		enum log_level lv;

		if (log_level_parse(value, &lv) < 0) {
			snprintf(err, errlen, "'%s' must be error, warn, info or debug", key);
			return -1;
		}
		memcpy(field, &lv, sizeof(lv));
		return 0;
	}
	case CT_UINT:
		rc = parse_ull(value, 10, &v, &end);
		if (rc == 0 && *end != '\0')
			rc = -1;
		break;
	case CT_MODE:
		rc = parse_ull(value, 8, &v, &end);
		if (rc == 0 && *end != '\0')
			rc = -1;
		break;
	case CT_SIZE:
		rc = parse_size(value, &v);
		break;
	case CT_BOOL:
		rc = parse_bool(value, &v);
		break;
	case CT__MAX:
		rc = -1;
		break;
	}
	if (rc < 0 || v < k->min || v > k->max) {
		snprintf(err, errlen, "'%s' must be %s between %llu and %llu, not '%s'",
			 key, k->type == CT_BOOL ? "a boolean (yes/no)" :
			 k->type == CT_MODE ? "octal" : "a number",
			 k->min, k->max, value);
		return -1;
	}
	if (k->size == sizeof(unsigned)) {
		unsigned u = (unsigned)v;

		memcpy(field, &u, sizeof(u));
	} else {
		size_t z = (size_t)v;

		memcpy(field, &z, sizeof(z));
	}
	return 0;
}

void config_defaults(struct config *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++)
		if (config_set(c, keys[i].name, keys[i].dflt, err, sizeof(err)) < 0)
			abort();	/* a bad default is a programmer error */
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024], msg[512];
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *eq, *key, *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -1;
			break;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(key);
		value = trim(eq + 1);
		if (config_set(c, key, value, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* A status_path goes into the rendered sites (a regex, a Location) and is
 * compared with the decoded path: "/" and letters, digits, "-", "_", "."
 * only, no "//", no "/" at its end. */
static bool status_path_ok(const char *p)
{
	if (p[0] == '\0')
		return true;	/* off */
	if (p[0] != '/' || p[1] == '\0' || p[strlen(p) - 1] == '/' || strstr(p, "//") != NULL)
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("/-_.", *p) == NULL)
			return false;
	return true;
}

int config_check(const struct config *c, char *err, size_t errlen)
{
	struct hostport nodes[HOSTLIST_MAX];
	char msg[256];
	size_t n;

	if (c->db_socket[0] == '\0' &&
	    hostlist_parse(c->db_host, c->db_port, nodes, &n, msg, sizeof(msg)) < 0) {
		snprintf(err, errlen, "'db_host': %s", msg);
		return -1;
	}
	if (c->page_default > c->page_max) {
		snprintf(err, errlen, "'page_default' (%u) must not exceed 'page_max' (%u)",
			 c->page_default, c->page_max);
		return -1;
	}
	if (!status_path_ok(c->status_path)) {
		snprintf(err, errlen, "'status_path' must be empty (off) or a path like "
			 "/envint-status: '/', letters, digits, '-', '_', '.', not ending in '/'");
		return -1;
	}
	return 0;
}

int config_args_take(struct config_args *a, int argc, char **argv, int *i,
		     char *err, size_t errlen)
{
	const char *flag = argv[*i], *value;
	char key[64];
	size_t klen;

	if (strncmp(flag, "--", 2) != 0)
		return 0;
	klen = strcspn(flag + 2, "=");
	if (klen == 0 || klen >= sizeof(key)) {
		snprintf(err, errlen, "bad flag '%s'", flag);
		return -1;
	}
	for (size_t k = 0; k < klen; k++)
		key[k] = flag[2 + k] == '-' ? '_' : flag[2 + k];
	key[klen] = '\0';
	if (strcmp(key, "config") != 0 && key_find(key) == NULL)
		return 0;
	if (flag[2 + klen] == '=') {
		value = flag + 2 + klen + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		snprintf(err, errlen, "flag '%s' needs a value", flag);
		return -1;
	}
	++*i;
	if (strcmp(key, "config") == 0) {
		a->path = value;
		return 1;
	}
	if (a->n == CONFIG_ARGS_MAX) {
		snprintf(err, errlen, "too many flags");
		return -1;
	}
	memcpy(a->kv[a->n].key, key, klen + 1);
	a->kv[a->n++].value = value;
	return 1;
}

int config_build(struct config *c, const struct config_args *a, char *err, size_t errlen)
{
	char msg[512];

	config_defaults(c);
	if (a->path != NULL && config_load(c, a->path, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (config_set(c, a->kv[i].key, a->kv[i].value, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "--%s: %s", a->kv[i].key, msg);
			return -1;
		}
	return config_check(c, err, errlen);
}
