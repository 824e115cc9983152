/* envintctl token create, token revoke. */
#include "app/ctl/ctl.h"

#include <errno.h>
#include <string.h>

#include "app/base/ids.h"
#include "db/admin_db.h"
#include "db/token_db.h"

int ctl_make_token(struct ctl *c, const unsigned char team[16], const unsigned char *env,
		   const char *name, char out[TOKEN_STR_LEN + 1])
{
	struct token t;
	unsigned char id[16], hash[TOKEN_HASH_LEN];
	char sid[ID_STR_LEN + 1];
	enum db_err rc;

	if (token_generate(&t) < 0) {
		fprintf(stderr, "envintctl: no randomness: %s\n", strerror(errno));
		return -1;
	}
	token_hash(&t, hash);
	id_generate(id);
	rc = db_token_insert(c->db, id, t.selector, hash, team, env, name);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: token create: %s\n", ctl_db_err_text(rc));
		return -1;
	}
	token_format(&t, out);
	id_format(id, sid);
	fprintf(stderr, "envintctl: token id %s (shown once; store the token now)\n", sid);
	return 0;
}

static int token_create(struct ctl *c, int argc, char **argv)
{
	const char *env_s = ctl_opt(argc, argv, "--environment");
	const char *team_s = ctl_opt(argc, argv, "--team");
	const char *name = ctl_opt(argc, argv, "--name");
	unsigned char team[16], env[16];
	char text[TOKEN_STR_LEN + 1];

	if ((env_s == NULL) == (team_s == NULL)) {
		fprintf(stderr, "envintctl: token create needs --environment or --team\n");
		return 2;
	}
	if (env_s != NULL) {
		enum db_err rc;

		if (ctl_need_id("--environment", env_s, env) < 0)
			return 2;
		rc = db_env_team(c->db, env, team);
		if (rc != DB_OK) {
			fprintf(stderr, "envintctl: environment: %s\n", ctl_db_err_text(rc));
			return 1;
		}
	} else if (ctl_need_id("--team", team_s, team) < 0) {
		return 2;
	}
	if (ctl_make_token(c, team, env_s != NULL ? env : NULL, name ? name : "", text) < 0)
		return 1;
	printf("%s\n", text);
	return 0;
}

static int token_revoke(struct ctl *c, const char *arg)
{
	unsigned char id[16];
	struct token t;
	enum db_err rc;

	if (id_parse(arg, strlen(arg), id) == 0) {
		rc = db_token_revoke(c->db, id, NULL);
	} else if (token_parse(arg, strlen(arg), &t) == 0) {
		rc = db_token_revoke(c->db, NULL, t.selector);
	} else {
		fprintf(stderr, "envintctl: token revoke takes a token id or a token\n");
		return 2;
	}
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: token revoke: %s\n", ctl_db_err_text(rc));
		return 1;
	}
	printf("revoked\n");
	return 0;
}

int cmd_token(struct ctl *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return token_create(c, argc, argv);
	if (argc >= 2 && strcmp(argv[0], "revoke") == 0)
		return token_revoke(c, argv[1]);
	ctl_usage(stderr);
	return 2;
}
