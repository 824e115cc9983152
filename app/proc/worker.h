/*
 * A worker process: accepts FastCGI requests on the inherited listening
 * socket one at a time until told to stop.
 */
#ifndef ENVINT_WORKER_H
#define ENVINT_WORKER_H

#include "app/base/config.h"

#include <stdbool.h>

/* Runs the accept loop; returns the process exit status: 0 on a graceful
 * stop or after max_requests, 2 on a fatal setup error (never respawned).
 * `slot` is the worker's scoreboard slot. `pooled`: a worker forked by
 * the master (it stops when the master dies, and SIGHUP is the master's);
 * false when this process is the whole pool (workers = 0), where SIGHUP
 * reopens the log_file as SIGUSR1 does. SIGUSR1 reopens it in both. */
int worker_run(const struct config *cfg, int listen_fd, unsigned slot, bool pooled);

#endif
