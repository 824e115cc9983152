/*
 * envintctl: administration from the shell, through the same db layer as
 * the server. Every command prints what it created on stdout (ids, a
 * token) and diagnostics on stderr; exit 0 on success, 1 on a failed
 * operation, 2 on bad usage or configuration.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "db/admin_db.h"
#include "db/db.h"
#include "db/token_db.h"
#include "app/base/arena.h"
#include "app/base/config.h"
#include "app/base/ids.h"
#include "app/api/override.h"
#include "app/json/json_canon.h"
#include "app/json/json_scan.h"
#include "app/base/log.h"
#include "app/api/token.h"

static struct config cfg;
static struct db *db;
static struct arena *arena;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: envintctl [--config FILE] [--KEY VALUE ...] COMMAND\n"
		"commands:\n"
		"  migrate [--dir DIR]                 apply schema.sql and migrations/ from DIR\n"
		"  team create --name NAME [--domain D] [--logo URL] [--tos-link URL] [--verified]\n"
		"  environment create --team ID --name NAME\n"
		"  integration import FILE.json --team ID\n"
		"  integration redact                  recompute every integration's redacted copy\n"
		"  install --environment ID --integration ID\n"
		"  token create (--environment ID | --team ID) [--name NAME]\n"
		"  token revoke (TOKEN-ID | TOKEN)\n"
		"  demo [--dir DIR]                    load demo data into an empty database\n"
		"DIR defaults to %s.\n", PKGDATADIR);
}

static const char *db_err_text(enum db_err e)
{
	static const char *const t[DB__MAX] = {
		"ok",			/* DB_OK */
		"not found",		/* DB_NOTFOUND */
		"conflicts with an existing row",	/* DB_CONFLICT */
		"database unavailable",	/* DB_UNAVAILABLE */
		"database error (see the log above)",	/* DB_ERR */
	};
	return t[e];
}

/* Finds "--name value" in argv; NULL when absent. */
static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int need_id(const char *what, const char *s, unsigned char out[16])
{
	if (s == NULL || id_parse(s, strlen(s), out) < 0) {
		fprintf(stderr, "envintctl: %s must be a UUID\n", what);
		return -1;
	}
	return 0;
}

static void print_id(const unsigned char id[16])
{
	char s[ID_STR_LEN + 1];

	id_format(id, s);
	printf("%s\n", s);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	if (buf == NULL)
		fprintf(stderr, "envintctl: %s: %s\n", path, strerror(errno ? errno : EIO));
	if (f != NULL)
		fclose(f);
	return buf;
}

/* ---- migrate ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_file(const char *path, const char *what)
{
	size_t len;
	char *sql = read_file(path, &len);
	enum db_err rc;

	if (sql == NULL)
		return -1;
	rc = db_run_script(db, sql, len, what);
	free(sql);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: %s failed: %s\n", path, db_err_text(rc));
		return -1;
	}
	fprintf(stderr, "envintctl: applied %s\n", path);
	return 0;
}

static int cmd_migrate(int argc, char **argv)
{
	const char *dir = opt(argc, argv, "--dir");
	unsigned long long exists = 0, version = 0;
	char path[4096], *names[1000];
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (dir == NULL)
		dir = PKGDATADIR;
	if (db_select_u64(db, STMT_SCHEMA_EXISTS, &exists) != DB_OK)
		return 1;
	if (!exists) {
		snprintf(path, sizeof(path), "%s/schema.sql", dir);
		if (apply_file(path, "schema") < 0)
			return 1;
	}
	if (db_select_u64(db, STMT_SCHEMA_VERSION, &version) != DB_OK)
		return 1;
	snprintf(path, sizeof(path), "%s/migrations", dir);
	d = opendir(path);
	while (d != NULL && (e = readdir(d)) != NULL && n < 1000) {
		size_t l = strlen(e->d_name);

		if (l > 9 && e->d_name[4] == '_' && strcmp(e->d_name + l - 4, ".sql") == 0 &&
		    strspn(e->d_name, "0123456789") == 4)
			names[n++] = strdup(e->d_name);
	}
	if (d != NULL)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < n; i++) {
		unsigned long long v = strtoull(names[i], NULL, 10);

		if (rc == 0 && v > version) {
			snprintf(path, sizeof(path), "%s/migrations/%s", dir, names[i]);
			if (apply_file(path, names[i]) < 0)
				rc = 1;
			else
				version = v;
		}
		free(names[i]);
	}
	if (rc == 0)
		printf("schema version %llu\n", version);
	return rc;
}

/* ---- team, environment ---- */

static int cmd_team(int argc, char **argv)
{
	struct team_row t = {
		.name = opt(argc, argv, "--name"),
		.domain = opt(argc, argv, "--domain"),
		.logo = opt(argc, argv, "--logo"),
		.tos_link = opt(argc, argv, "--tos-link"),
		.is_verified = flag(argc, argv, "--verified"),
		.is_white_label = flag(argc, argv, "--white-label"),
		.allow_impersonation = flag(argc, argv, "--allow-impersonation"),
	};
	unsigned char id[16];
	enum db_err rc;

	if (argc < 1 || strcmp(argv[0], "create") != 0 || t.name == NULL) {
		usage(stderr);
		return 2;
	}
	id_generate(id);
	rc = db_team_insert(db, id, &t);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: team create: %s\n", db_err_text(rc));
		return 1;
	}
	print_id(id);
	return 0;
}

static int cmd_environment(int argc, char **argv)
{
	const char *name = opt(argc, argv, "--name");
	unsigned char id[16], team[16];
	enum db_err rc;

	if (argc < 1 || strcmp(argv[0], "create") != 0 || name == NULL) {
		usage(stderr);
		return 2;
	}
	if (need_id("--team", opt(argc, argv, "--team"), team) < 0)
		return 2;
	id_generate(id);
	rc = db_env_insert(db, id, team, name);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: environment create: %s\n", db_err_text(rc));
		return 1;
	}
	print_id(id);
	return 0;
}

/* ---- integration import ---- */

/* Writes a yajl tree back to JSON text (the import envelope is parsed as a
 * tree; its config is then streamed through the canonicaliser). */
static int tree_gen(yajl_gen g, yajl_val v, unsigned depth)
{
	if (depth > 200)
		return -1;
	switch (v->type) {
	case yajl_t_string: return yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string)) ? -1 : 0;
	case yajl_t_number: return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) ? -1 : 0;
	case yajl_t_true: return yajl_gen_bool(g, 1) ? -1 : 0;
	case yajl_t_false: return yajl_gen_bool(g, 0) ? -1 : 0;
	case yajl_t_null: return yajl_gen_null(g) ? -1 : 0;
	case yajl_t_object:
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			if (tree_gen(g, v->u.object.values[i], depth + 1) < 0)
				return -1;
		}
		return yajl_gen_map_close(g) ? -1 : 0;
	case yajl_t_array:
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			if (tree_gen(g, v->u.array.values[i], depth + 1) < 0)
				return -1;
		return yajl_gen_array_close(g) ? -1 : 0;
	default:
		return -1;
	}
}

static const char *tree_str(yajl_val root, const char *key)
{
	const char *path[] = { key, NULL };	/* yajl wants it non-const */
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);

	return v != NULL ? v->u.string : NULL;
}

/* The whole file is held to RFC 8259 where yajl_tree is lenient: it skips
 * form feeds and vertical tabs between tokens and takes half a surrogate
 * pair for '?' (the config's canonicaliser never sees the raw bytes). */
static bool scan_ok(const char *file, const char *text, size_t len)
{
	struct json_scan s = JSON_SCAN_INIT;
	size_t at = 0;
	enum json_scan_feed seen = json_scan_feed(&s, text, len, &at);

	if (seen == JSON_SCAN_FED && json_scan_finish(&s) == JSON_SCAN_OK)
		return true;
	fprintf(stderr, "envintctl: %s: %s\n", file,
		seen == JSON_SCAN_SPACE ? "not valid JSON (a form feed or vertical tab "
		"outside a string; JSON whitespace is space, tab, LF and CR)" :
		"not valid JSON (half of a UTF-16 surrogate pair, or an unterminated string)");
	return false;
}

/* Imports one definition file for `team`; prints the integration id. */
static int import_file(const char *file, const unsigned char team[16],
		       unsigned char id_out[16])
{
	const char *cfg_path[] = { "config", NULL };
	const char *beta_path[] = { "is_beta", NULL };
	size_t len, clen;
	char *text = read_file(file, &len), errbuf[256];
	yajl_val root = NULL, config, beta;
	yajl_gen g = NULL;
	const unsigned char *cbuf;
	struct integration_row row = { 0 };
	struct jc *j;
	const char *fpath, *fmsg;
	enum db_err rc;
	int status = 1;

	if (text == NULL)
		return 1;
	if (!scan_ok(file, text, len))
		goto out;
	root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (root == NULL || !YAJL_IS_OBJECT(root)) {
		fprintf(stderr, "envintctl: %s: not a JSON object\n", file);
		goto out;
	}
	row.name = tree_str(root, "name");
	row.category = tree_str(root, "category");
	row.sharing = tree_str(root, "sharing");
	if (row.sharing == NULL)
		row.sharing = "deny";
	beta = yajl_tree_get(root, beta_path, yajl_t_any);
	row.is_beta = beta != NULL && YAJL_IS_TRUE(beta);
	config = yajl_tree_get(root, cfg_path, yajl_t_object);
	if (row.name == NULL || row.category == NULL || config == NULL ||
	    (strcmp(row.sharing, "allow") && strcmp(row.sharing, "ask") &&
	     strcmp(row.sharing, "deny"))) {
		fprintf(stderr, "envintctl: %s: needs string 'name' and 'category', "
			"object 'config', and 'sharing' of allow|ask|deny\n", file);
		goto out;
	}
	g = yajl_gen_alloc(NULL);
	if (g == NULL || tree_gen(g, config, 0) < 0 ||
	    yajl_gen_get_buf(g, &cbuf, &clen) != yajl_gen_status_ok) {
		fprintf(stderr, "envintctl: %s: config cannot be re-encoded\n", file);
		goto out;
	}
	j = override_canon_new(arena, "config", cfg.json_depth_max, true, clen);
	if (j == NULL)
		goto out;
	if (jc_feed(j, cbuf, clen) < 0 || jc_finish(j) < 0) {
		fpath = jc_failure(j)->path;
		fmsg = jc_failure(j)->msg;
		fprintf(stderr, "envintctl: %s: %s %s\n", file, fpath, fmsg);
		goto out;
	}
	row.config = jc_output(j, &row.config_len);
	row.config_public = jc_redacted(j, &row.config_public_len);
	if (row.config == NULL || row.config_public == NULL) {
		fprintf(stderr, "envintctl: %s: out of memory\n", file);
		goto out;
	}
	rc = db_integration_upsert(db, team, &row, id_out);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: %s: %s\n", file, db_err_text(rc));
		goto out;
	}
	status = 0;
out:
	if (g != NULL)
		yajl_gen_free(g);
	yajl_tree_free(root);
	free(text);
	arena_reset(arena);
	return status;
}

/* Recomputes every integration's redacted copy from its stored config
 * (copies made by an envint with an older redaction rule), rewriting the
 * ones that differ. Prints "N of M redacted copies rewritten". */
static int redact_all(void)
{
	unsigned char after[16] = { 0 }, id[16];
	unsigned long long total = 0, rewritten = 0;
	struct text stored, pub, fresh;
	const char *fpath, *fmsg;
	enum db_err rc;
	int status = 0;

	while ((rc = db_integration_next(db, arena, after, id, &stored, &pub)) == DB_OK) {
		struct jc *j = override_canon_new(arena, "config", cfg.json_depth_max, true, stored.n);
		char hex[ID_STR_LEN + 1];

		total++;
		memcpy(after, id, sizeof(after));
		id_format(id, hex);
		if (j == NULL) {
			fprintf(stderr, "envintctl: integration %s: out of memory\n", hex);
			status = 1;
		} else if (jc_feed(j, stored.p, stored.n) < 0 || jc_finish(j) < 0) {
			fpath = jc_failure(j)->path;
			fmsg = jc_failure(j)->msg;
			fprintf(stderr, "envintctl: integration %s: stored config: %s %s\n",
				hex, fpath, fmsg);
			status = 1;
		} else if ((fresh.p = jc_redacted(j, &fresh.n)) == NULL) {
			fprintf(stderr, "envintctl: integration %s: out of memory\n", hex);
			status = 1;
		} else if (fresh.n != pub.n || memcmp(fresh.p, pub.p, pub.n) != 0) {
			/* DB_NOTFOUND: re-imported meanwhile, with a fresh copy */
			rc = db_integration_set_public(db, id, &stored, &fresh);
			if (rc == DB_OK) {
				rewritten++;
			} else if (rc != DB_NOTFOUND) {
				fprintf(stderr, "envintctl: integration %s: %s\n", hex,
					db_err_text(rc));
				status = 1;
			}
		}
		arena_reset(arena);
	}
	if (rc != DB_NOTFOUND) {
		fprintf(stderr, "envintctl: integration redact: %s\n", db_err_text(rc));
		return 1;
	}
	printf("%llu of %llu redacted copies rewritten\n", rewritten, total);
	return status;
}

static int cmd_integration(int argc, char **argv)
{
	unsigned char team[16], id[16];

	if (argc == 1 && strcmp(argv[0], "redact") == 0)
		return redact_all();
	if (argc < 2 || strcmp(argv[0], "import") != 0) {
		usage(stderr);
		return 2;
	}
	if (need_id("--team", opt(argc, argv, "--team"), team) < 0)
		return 2;
	if (import_file(argv[1], team, id) != 0)
		return 1;
	print_id(id);
	return 0;
}

static int cmd_install(int argc, char **argv)
{
	unsigned char env[16], integ[16], id[16];
	enum db_err rc;

	if (need_id("--environment", opt(argc, argv, "--environment"), env) < 0 ||
	    need_id("--integration", opt(argc, argv, "--integration"), integ) < 0)
		return 2;
	id_generate(id);
	rc = db_ei_install(db, id, env, integ, true, true, NULL, 0);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: install: %s\n", db_err_text(rc));
		return 1;
	}
	print_id(id);
	return 0;
}

/* ---- tokens ---- */

/* Creates a token; writes its text into out. */
static int make_token(const unsigned char team[16], const unsigned char *env,
		      const char *name, char out[TOKEN_STR_LEN + 1])
{
	struct token t;
	unsigned char id[16], hash[TOKEN_HASH_LEN];
	enum db_err rc;

	if (token_generate(&t) < 0) {
		fprintf(stderr, "envintctl: no randomness: %s\n", strerror(errno));
		return -1;
	}
	token_hash(&t, hash);
	id_generate(id);
	rc = db_token_insert(db, id, t.selector, hash, team, env, name);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: token create: %s\n", db_err_text(rc));
		return -1;
	}
	token_format(&t, out);
	char sid[ID_STR_LEN + 1];

	id_format(id, sid);
	fprintf(stderr, "envintctl: token id %s (shown once; store the token now)\n", sid);
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	char text[TOKEN_STR_LEN + 1];

	if (argc >= 1 && strcmp(argv[0], "create") == 0) {
		const char *env_s = opt(argc, argv, "--environment");
		const char *team_s = opt(argc, argv, "--team");
		const char *name = opt(argc, argv, "--name");
		unsigned char team[16], env[16];

		if ((env_s == NULL) == (team_s == NULL)) {
			fprintf(stderr, "envintctl: token create needs --environment or --team\n");
			return 2;
		}
		if (env_s != NULL) {
			enum db_err rc;

			if (need_id("--environment", env_s, env) < 0)
				return 2;
			rc = db_env_team(db, env, team);
			if (rc != DB_OK) {
				fprintf(stderr, "envintctl: environment: %s\n", db_err_text(rc));
				return 1;
			}
		} else if (need_id("--team", team_s, team) < 0) {
			return 2;
		}
		if (make_token(team, env_s != NULL ? env : NULL, name ? name : "", text) < 0)
			return 1;
		printf("%s\n", text);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "revoke") == 0) {
		unsigned char id[16];
		struct token t;
		enum db_err rc;

		if (id_parse(argv[1], strlen(argv[1]), id) == 0)
			rc = db_token_revoke(db, id, NULL);
		else if (token_parse(argv[1], strlen(argv[1]), &t) == 0)
			rc = db_token_revoke(db, NULL, t.selector);
		else {
			fprintf(stderr, "envintctl: token revoke takes a token id or a token\n");
			return 2;
		}
		if (rc != DB_OK) {
			fprintf(stderr, "envintctl: token revoke: %s\n", db_err_text(rc));
			return 1;
		}
		printf("revoked\n");
		return 0;
	}
	usage(stderr);
	return 2;
}

/* ---- demo ---- */

struct demo_team {
	const char *name, *domain;
	const char *envs[2];
	const char *owns[5];	/* integration files this team imports */
};

static const struct demo_team demo_teams[] = {
	{ "Acme Corp", "acme.example", { "production", "staging" },
	  { "zendesk", "hubspot", "salesforce", "jira", "quickbooks" } },
	{ "Globex", "globex.example", { "production", NULL },
	  { "freshdesk", "pipedrive", "bamboohr", NULL, NULL } },
	{ "Initech", "initech.example", { "production", "staging" },
	  { NULL, NULL, NULL, NULL, NULL } },
};
#define NDEMO (sizeof(demo_teams) / sizeof(demo_teams[0]))

/* Installs: team index, environment index, integration name. */
static const struct {
	unsigned team, env;
	const char *integration;
	const char *override;
} demo_installs[] = {
	{ 0, 0, "zendesk", NULL }, { 0, 0, "hubspot", NULL },
	{ 0, 0, "salesforce", NULL }, { 0, 0, "jira", NULL },
	{ 0, 1, "zendesk", "{\"base_url\":\"https://acme-sandbox.zendesk.com/api/v2\",\"label\":\"Zendesk (sandbox)\"}" },
	{ 0, 1, "hubspot", "{\"headers\":{\"X-Debug\":\"1\"},\"tags\":[\"staging\"]}" },
	{ 1, 0, "freshdesk", NULL }, { 1, 0, "zendesk", NULL },
	{ 1, 0, "pipedrive", NULL },
	{ 2, 0, "hubspot", NULL }, { 2, 0, "jira", NULL },
	{ 2, 1, "hubspot", "{\"environment_variables\":{\"REGION\":\"eu\"}}" },
};

static int cmd_demo(int argc, char **argv)
{
	const char *dir = opt(argc, argv, "--dir");
	unsigned char team_ids[NDEMO][16], env_ids[NDEMO][2][16];
	struct {
		const char *name;
		unsigned char id[16];
	} integ[16];
	size_t n_integ = 0;
	unsigned long long teams = 0;
	char path[4096], tok[TOKEN_STR_LEN + 1];

	if (dir == NULL)
		dir = PKGDATADIR "/demo/integrations";
	if (db_select_u64(db, STMT_TEAM_COUNT, &teams) != DB_OK)
		return 1;
	if (teams > 0) {
		fprintf(stderr, "envintctl: demo loads only into an empty database\n");
		return 1;
	}
	for (size_t t = 0; t < NDEMO; t++) {
		struct team_row row = { .name = demo_teams[t].name,
					.domain = demo_teams[t].domain,
					.is_verified = t == 0 };

		id_generate(team_ids[t]);
		if (db_team_insert(db, team_ids[t], &row) != DB_OK)
			return 1;
		for (size_t e = 0; e < 2 && demo_teams[t].envs[e]; e++) {
			id_generate(env_ids[t][e]);
			if (db_env_insert(db, env_ids[t][e], team_ids[t], demo_teams[t].envs[e]) != DB_OK)
				return 1;
		}
		for (size_t k = 0; k < 5 && demo_teams[t].owns[k]; k++) {
			snprintf(path, sizeof(path), "%s/%s.json", dir, demo_teams[t].owns[k]);
			if (import_file(path, team_ids[t], integ[n_integ].id) != 0)
				return 1;
			integ[n_integ++].name = demo_teams[t].owns[k];
		}
	}
	for (size_t i = 0; i < sizeof(demo_installs) / sizeof(demo_installs[0]); i++) {
		const unsigned char *iid = NULL;
		const char *ov = demo_installs[i].override;
		unsigned char id[16];

		for (size_t k = 0; k < n_integ; k++)
			if (strcmp(integ[k].name, demo_installs[i].integration) == 0)
				iid = integ[k].id;
		id_generate(id);
		if (iid == NULL ||
		    db_ei_install(db, id, env_ids[demo_installs[i].team][demo_installs[i].env],
				  iid, true, true, ov, ov ? strlen(ov) : 0) != DB_OK)
			return 1;
	}
	/* Tokens: printed as "label token" lines for scripts to pick up. */
	if (make_token(team_ids[0], NULL, "demo acme team", tok) < 0)
		return 1;
	printf("acme-team %s\n", tok);
	if (make_token(team_ids[0], env_ids[0][0], "demo acme production", tok) < 0)
		return 1;
	printf("acme-production %s\n", tok);
	if (make_token(team_ids[1], NULL, "demo globex team", tok) < 0)
		return 1;
	printf("globex-team %s\n", tok);
	return 0;
}

/* ---- main ---- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "migrate", cmd_migrate },
	{ "team", cmd_team },
	{ "environment", cmd_environment },
	{ "integration", cmd_integration },
	{ "install", cmd_install },
	{ "token", cmd_token },
	{ "demo", cmd_demo },
};

int main(int argc, char **argv)
{
	const char *config_path = NULL;
	char err[512];
	int i, status = 2;

	config_defaults(&cfg);
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		char key[64];
		size_t k;

		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		if (strcmp(argv[i], "--config") == 0) {
			config_path = argv[i + 1];
			if (config_load(&cfg, config_path, err, sizeof(err)) < 0) {
				fprintf(stderr, "envintctl: configuration: %s\n", err);
				return 2;
			}
			continue;
		}
		for (k = 0; argv[i][k + 2] && k + 1 < sizeof(key); k++)
			key[k] = argv[i][k + 2] == '-' ? '_' : argv[i][k + 2];
		key[k] = '\0';
		if (config_set(&cfg, key, argv[i + 1], err, sizeof(err)) < 0) {
			fprintf(stderr, "envintctl: %s\n", err);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	log_setup(LL_WARN, 0, "envintctl");
	if (mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	db = db_new(&cfg, DB_MULTI_STATEMENTS);
	arena = arena_new(1 << 20);
	if (db == NULL || arena == NULL)
		return 1;
	if (db_connect(db) != DB_OK) {
		fprintf(stderr, "envintctl: cannot connect to the database\n");
		status = 1;
		goto out;
	}
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(argv[i], commands[c].name) == 0) {
			status = commands[c].fn(argc - i - 1, argv + i + 1);
			goto out;
		}
	usage(stderr);
out:
	db_free(db);
	arena_free(arena);
	mysql_library_end();
	return status;
}
