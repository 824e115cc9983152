/*
 * envintctl history prune: applies history_keep to every install's change
 * history at once (the server prunes one install per write it makes), for
 * a lowered setting or entries left by a history_keep = 0 period.
 */
#include "app/ctl/ctl.h"

#include <string.h>

#include "db/history_db.h"

int cmd_history(struct ctl *c, int argc, char **argv)
{
	unsigned long long removed = 0;
	enum db_err rc;

	if (argc < 1 || strcmp(argv[0], "prune") != 0) {
		ctl_usage(stderr);
		return 2;
	}
	if (c->cfg.history_keep == 0) {
		fprintf(stderr, "envintctl: history prune: history_keep is 0 (keep every "
			"entry): nothing to prune\n");
		return 0;
	}
	rc = db_history_prune(c->db, c->cfg.history_keep, &removed);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: history prune: %s (after removing %llu entries)\n",
			ctl_db_err_text(rc), removed);
		return 1;
	}
	printf("pruned %llu entries (history_keep = %u)\n", removed, c->cfg.history_keep);
	return 0;
}
