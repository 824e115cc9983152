/* envintctl migrate: schema.sql on an empty database, then every
 * migrations/NNNN_*.sql newer than the schema's version, in order. */
#include "app/ctl/ctl.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "db/admin_db.h"

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
	char path[4096], *names[1000];
	size_t n = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (dir == NULL)
		dir = PKGDATADIR;
	if (db_select_u64(c->db, STMT_SCHEMA_EXISTS, &exists) != DB_OK)
		return 1;
	if (!exists) {
		snprintf(path, sizeof(path), "%s/schema.sql", dir);
		if (apply_file(c, path, "schema") < 0)
			return 1;
	}
	if (db_select_u64(c->db, STMT_SCHEMA_VERSION, &version) != DB_OK)
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
			if (apply_file(c, path, names[i]) < 0)
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
