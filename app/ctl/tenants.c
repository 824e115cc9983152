/* envintctl team create, environment create, install. */
#include "app/ctl/ctl.h"

#include <string.h>

#include "app/base/ids.h"
#include "db/admin_db.h"

int cmd_team(struct ctl *c, int argc, char **argv)
{
	struct team_row t = {
		.name = ctl_opt(argc, argv, "--name"),
		.domain = ctl_opt(argc, argv, "--domain"),
		.logo = ctl_opt(argc, argv, "--logo"),
		.tos_link = ctl_opt(argc, argv, "--tos-link"),
		.is_verified = ctl_flag(argc, argv, "--verified"),
		.is_white_label = ctl_flag(argc, argv, "--white-label"),
		.allow_impersonation = ctl_flag(argc, argv, "--allow-impersonation"),
	};
	unsigned char id[16];
	enum db_err rc;

	if (argc < 1 || strcmp(argv[0], "create") != 0 || t.name == NULL) {
		ctl_usage(stderr);
		return 2;
	}
	id_generate(id);
	rc = db_team_insert(c->db, id, &t);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: team create: %s\n", ctl_db_err_text(rc));
		return 1;
	}
	ctl_print_id(id);
	return 0;
}

int cmd_environment(struct ctl *c, int argc, char **argv)
{
	const char *name = ctl_opt(argc, argv, "--name");
	unsigned char id[16], team[16];
	enum db_err rc;

	if (argc < 1 || strcmp(argv[0], "create") != 0 || name == NULL) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_need_id("--team", ctl_opt(argc, argv, "--team"), team) < 0)
		return 2;
	id_generate(id);
	rc = db_env_insert(c->db, id, team, name);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: environment create: %s\n", ctl_db_err_text(rc));
		return 1;
	}
	ctl_print_id(id);
	return 0;
}

int cmd_install(struct ctl *c, int argc, char **argv)
{
	unsigned char env[16], integ[16], id[16];
	enum db_err rc;

	if (ctl_need_id("--environment", ctl_opt(argc, argv, "--environment"), env) < 0 ||
	    ctl_need_id("--integration", ctl_opt(argc, argv, "--integration"), integ) < 0)
		return 2;
	id_generate(id);
	rc = db_ei_install(c->db, id, env, integ, true, true, NULL, 0, &ctl_actor);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: install: %s\n", ctl_db_err_text(rc));
		return 1;
	}
	ctl_print_id(id);
	return 0;
}
