/*
 * The master process: forks the workers, reaps and respawns them, and turns
 * signals into graceful stops (SIGTERM, SIGINT) and rolling reloads
 * (SIGHUP). It never accepts a connection itself.
 */
#ifndef ENVINT_MASTER_H
#define ENVINT_MASTER_H

#include "app/base/config.h"

/* Re-reads the configuration into *out (file, then command-line flags).
 * Returns 0, or -1 with a message in err. */
typedef int (*master_reload_fn)(struct config *out, char *err, size_t errlen);

/* Runs until stopped. `unlink_spec` is the "unix:" listen spec whose socket
 * file is removed at stop (NULL for TCP or an inherited socket). Returns
 * the process exit status: 0 after a graceful stop, 2 when every worker
 * failed fatally. */
int master_run(struct config *cfg, int listen_fd, const char *unlink_spec,
	       master_reload_fn reload);

#endif
