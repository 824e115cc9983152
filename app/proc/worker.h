/*
 * A worker process: accepts FastCGI requests on the inherited listening
 * socket one at a time until told to stop.
 */
#ifndef ENVINT_WORKER_H
#define ENVINT_WORKER_H

#include "app/base/config.h"

/* Runs the accept loop; returns the process exit status: 0 on a graceful
 * stop or after max_requests, 2 on a fatal setup error (never respawned). */
int worker_run(const struct config *cfg, int listen_fd);

#endif
