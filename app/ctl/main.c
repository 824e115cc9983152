/*
 * envintctl's entry: the configuration (the same flags as envint: file
 * first, then flags, then the same checks), one database connection, and
 * the command table.
 */
#include "app/ctl/ctl.h"

#include <string.h>

#include <mysql.h>

#include "app/base/log.h"

void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: envintctl [--config FILE] [--KEY VALUE | --KEY=VALUE ...] COMMAND\n"
		"       envintctl --version | --help\n"
		"commands:\n"
		"  migrate [--dir DIR]                 apply schema.sql and migrations/ from DIR\n"
		"  team create --name NAME [--domain D] [--logo URL] [--tos-link URL] [--verified]\n"
		"              [--white-label] [--allow-impersonation]\n"
		"  environment create --team ID --name NAME\n"
		"  integration import FILE.json --team ID\n"
		"  integration redact                  recompute every integration's redacted copy\n"
		"  install --environment ID --integration ID\n"
		"  token create (--environment ID | --team ID) [--name NAME]\n"
		"  token revoke (TOKEN-ID | TOKEN)\n"
		"  demo [--dir DIR]                    load DIR/teams.json, installs.json and\n"
		"                                      integrations/ into an empty database\n"
		"  history prune                       keep the newest history_keep entries of\n"
		"                                      every install's change history\n"
		"DIR defaults to %s (demo: %s/demo).\n", PKGDATADIR, PKGDATADIR);
}

static const struct {
	const char *name;
	ctl_cmd_fn fn;
} commands[] = {
	{ "migrate", cmd_migrate },
	{ "team", cmd_team },
	{ "environment", cmd_environment },
	{ "integration", cmd_integration },
	{ "install", cmd_install },
	{ "token", cmd_token },
	{ "demo", cmd_demo },
	{ "history", cmd_history },
};

int main(int argc, char **argv)
{
	static struct config_args args;
	static struct ctl c;
	char err[512];
	int i = 1, status = 2;

	while (i < argc && strncmp(argv[i], "--", 2) == 0) {
		int took = config_args_take(&args, argc, argv, &i, err, sizeof(err));

		if (took < 0) {
			fprintf(stderr, "envintctl: %s\n", err);
			return 2;
		}
		if (took > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0) {
			ctl_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("envintctl %s\n", PACKAGE_VERSION);
			return 0;
		}
		fprintf(stderr, "envintctl: unknown flag '%s'\n", argv[i]);
		return 2;
	}
	if (i >= argc) {
		ctl_usage(stderr);
		return 2;
	}
	if (config_build(&c.cfg, &args, err, sizeof(err)) < 0) {
		fprintf(stderr, "envintctl: configuration: %s\n", err);
		return 2;
	}
	log_setup(LL_WARN, 0, "envintctl");
	if (mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	c.db = db_new(&c.cfg, DB_MULTI_STATEMENTS);
	c.arena = arena_new(1 << 20);
	if (c.db == NULL || c.arena == NULL)
		return 1;
	if (db_connect(c.db) != DB_OK) {
		fprintf(stderr, "envintctl: cannot connect to the database\n");
		status = 1;
		goto out;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0) {
			status = commands[k].fn(&c, argc - i - 1, argv + i + 1);
			goto out;
		}
	ctl_usage(stderr);
out:
	db_free(c.db);
	arena_free(c.arena);
	mysql_library_end();
	return status;
}
