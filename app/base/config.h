/*
 * Configuration: a key = value file, overridden by command-line flags.
 * Every key is a row of the table in config.c (name, type, limits, field).
 */
#ifndef ENVINT_CONFIG_H
#define ENVINT_CONFIG_H

#include <stddef.h>

#include "app/base/log.h"

struct config {
	char listen[256];	/* "host:port", "unix:/path" or "" = inherit fd 0 */
	unsigned listen_mode;	/* permissions of a unix socket */
	unsigned listen_backlog;
	unsigned workers;	/* 0: serve in this process, no fork
				 * (mod_fcgid: one request per process) */
	unsigned max_requests;	/* a worker exits after this many; 0 = never */
	unsigned grace_seconds;	/* SIGTERM: wait this long, then SIGKILL */
	char pidfile[256];

	char db_socket[256];
	char db_host[1024];	/* one server, or an ordered list (hostlist.h) */
	unsigned db_port;	/* of every server in db_host that names none */
	char db_user[128];
	char db_password[256];
	char db_name[128];
	unsigned db_timeout;	/* seconds: connect, read and write */
	unsigned db_failback_seconds;	/* back to a preferred server once it has
					 * been usable this long; 0 = never */
	unsigned db_causal_reads;	/* 0 or 1: Galera's wsrep_sync_wait for
					 * reads, so a write is read back on any node */
	unsigned retry_after;	/* seconds, sent with 503 */
	unsigned auth_cache_seconds;	/* a worker reuses a token lookup this
					 * long; revocation takes effect within
					 * it. 0 = look up every request */

	size_t body_max;	/* bytes of a request body */
	unsigned json_depth_max;
	unsigned page_default;
	unsigned page_max;
	size_t reply_buffer_max;	/* a list page's body stops growing past
					 * this (app/http/req.h); an object's
					 * longer body is streamed instead */

	enum log_level log_level;
	unsigned log_syslog;	/* 0 or 1 */

	/* issue 17: logs without a terminal, the pool status page */
	char log_file[256];	/* "" = stderr as inherited; else appended to,
				 * and reopened on SIGUSR1 and SIGHUP */
	char status_path[128];	/* "" = no status page */
	unsigned slow_ms;	/* a request slower than this is counted and
				 * logged with its database time; 0 = off */

	/* issue 15: the change history */
	unsigned history_keep;	/* entries kept per install; 0 = all */

	/* issue 18: the OpenAPI document served at /openapi.json */
	char openapi_file[1024];	/* read by the master at start and on
					 * reload; missing: /openapi.json is 404 */
};

/* Fills `c` with the documented defaults. */
void config_defaults(struct config *c);

/* Sets one key from its text form. Returns 0, or -1 with a message naming
 * the key in err (always NUL-terminated). */
int config_set(struct config *c, const char *key, const char *value,
	       char *err, size_t errlen);

/* Reads a key = value file ('#' comments, blank lines allowed) over the
 * current values. Returns 0, or -1 with "path:line: message" in err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);

/* Checks relations between keys (page_default <= page_max, ...). */
int config_check(const struct config *c, char *err, size_t errlen);

/* Flags over a configuration file, as both programs take them: --config
 * FILE, and any key as --KEY VALUE or --KEY=VALUE ('-' in KEY read as
 * '_'). Values point into argv. */
#define CONFIG_ARGS_MAX 64
struct config_args {
	const char *path;	/* --config, or NULL */
	size_t n;
	struct {
		char key[64];
		const char *value;
	} kv[CONFIG_ARGS_MAX];
};

/* Takes the flag at argv[*i] if it is --config or a configuration key,
 * moving *i past it and its value: 1. 0 when argv[*i] is not a flag (no
 * leading "--"), or is a flag but no key ("--help", a program's own):
 * the caller's. -1 with a message naming the flag in err. */
int config_args_take(struct config_args *a, int argc, char **argv, int *i,
		     char *err, size_t errlen);

/* The configuration of `a`: defaults, then the file, then the flags in
 * order, then config_check; whatever the order they were given in. Also
 * what a reload runs again. 0, or -1 with a message in err. */
int config_build(struct config *c, const struct config_args *a, char *err, size_t errlen);

#endif
