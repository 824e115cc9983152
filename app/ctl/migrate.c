/* envintctl migrate: schema.sql on an empty database, then every
 * migrations/NNNN_*.sql newer than the schema's version, in order. */
#include "app/ctl/ctl.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "db/admin_db.h"

/* True when the SQL file creates a trigger, function or procedure: what a
 * server with binary logging (or Galera) refuses to a user without SUPER
 * unless log_bin_trust_function_creators is on (error 1419, which
 * otherwise stops the migration half way). */
static bool creates_routines(const char *path)
{
	static const char *const words[] = { "CREATE TRIGGER", "CREATE FUNCTION",
					     "CREATE PROCEDURE", "CREATE DEFINER" };
	size_t len;
	char *sql = ctl_read_file(path, &len);
	bool found = false;

	if (sql == NULL)
		return false;	/* applying it will say why */
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]) && !found; i++)
		found = strcasestr(sql, words[i]) != NULL;
	free(sql);
	return found;
}

/* Before changing anything: can this server take what is to be applied?
 * 0, or -1 after one line saying what to set. */
static int preflight(struct ctl *c, bool routines)
{
	struct server_logging s;

	if (db_server_logging(c->db, &s) != DB_OK) {
		fprintf(stderr, "envintctl: migrate: cannot read the server's settings\n");
		return -1;
	}
	if (s.wsrep_on && !s.binlog_row) {
		fprintf(stderr, "envintctl: migrate: a Galera node needs binlog_format=ROW; "
			"set it (SET GLOBAL binlog_format = 'ROW' on every node, and in the "
			"config) and migrate again; nothing was changed\n");
		return -1;
	}
	if (routines && (s.log_bin || s.wsrep_on) && !s.trust_creators && !s.super) {
		fprintf(stderr, "envintctl: migrate: this server %s and the migration creates "
			"triggers: run SET GLOBAL log_bin_trust_function_creators = 1 (on every "
			"node), or grant this user SUPER, and migrate again; nothing was "
			"changed\n", s.wsrep_on ? "is a Galera node" : "has binary logging on");
		return -1;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_file(struct ctl *c, const char *path, const char *what)
{
	size_t len;
	char *sql = ctl_read_file(path, &len);
	enum db_err rc;

	if (sql == NULL)
		return -1;
	rc = db_run_script(c->db, sql, len, what);
	free(sql);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: %s failed: %s\n", path, ctl_db_err_text(rc));
		return -1;
	}
	fprintf(stderr, "envintctl: applied %s\n", path);
	return 0;
}

int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	const char *dir = ctl_opt(argc, argv, "--dir");
	unsigned long long exists = 0, version = 0;
	char path[4096], *names[1000], *todo[1001];
	size_t n = 0, ntodo = 0;
	bool routines = false;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (dir == NULL)
		dir = PKGDATADIR;
	if (db_select_u64(c->db, STMT_SCHEMA_EXISTS, &exists) != DB_OK)
		return 1;
	if (exists && db_select_u64(c->db, STMT_SCHEMA_VERSION, &version) != DB_OK)
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
	/* what is to be applied, in order, checked before the first change */
	if (!exists) {
		snprintf(path, sizeof(path), "%s/schema.sql", dir);
		todo[ntodo++] = strdup(path);
	}
	for (size_t i = 0; i < n; i++) {
		if (strtoull(names[i], NULL, 10) > version) {
			snprintf(path, sizeof(path), "%s/migrations/%s", dir, names[i]);
			todo[ntodo++] = strdup(path);
		}
		free(names[i]);
	}
	for (size_t i = 0; i < ntodo && !routines; i++)
		routines = todo[i] != NULL && creates_routines(todo[i]);
	if (ntodo > 0 && preflight(c, routines) < 0)
		rc = 1;
	for (size_t i = 0; i < ntodo; i++) {
		const char *base = todo[i] != NULL ? strrchr(todo[i], '/') + 1 : NULL;

		if (rc == 0 && todo[i] == NULL)
			rc = 1;
		if (rc == 0 && apply_file(c, todo[i], strcmp(base, "schema.sql") == 0 ?
					  "schema" : base) < 0)
			rc = 1;
		if (rc == 0 && strcmp(base, "schema.sql") != 0)
			version = strtoull(base, NULL, 10);
		free(todo[i]);
	}
	if (rc == 0 && !exists && db_select_u64(c->db, STMT_SCHEMA_VERSION, &version) != DB_OK)
		rc = 1;
	if (rc == 0)
		printf("schema version %llu\n", version);
	return rc;
}
