/*
 * envintctl: administration from the shell, through the same db layer as
 * the server. Every command prints what it created on stdout (ids, a
 * token) and diagnostics on stderr; exit 0 on success, 1 on a failed
 * operation, 2 on bad usage or configuration. One file per command group;
 * this header is what they share.
 */
#ifndef ENVINT_CTL_H
#define ENVINT_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "app/api/token.h"
#include "app/base/arena.h"
#include "app/base/config.h"
#include "db/db.h"
#include "db/envint_db.h"

/* What every command works with. The arena is reset after each unit of
 * work (an imported file, an integration redacted). */
struct ctl {
	struct config cfg;
	struct db *db;
	struct arena *arena;
};

/* A command: argv holds what follows its name. Returns the exit status. */
typedef int (*ctl_cmd_fn)(struct ctl *c, int argc, char **argv);

int cmd_migrate(struct ctl *c, int argc, char **argv);		/* migrate.c */
int cmd_team(struct ctl *c, int argc, char **argv);		/* tenants.c */
int cmd_environment(struct ctl *c, int argc, char **argv);	/* tenants.c */
int cmd_install(struct ctl *c, int argc, char **argv);		/* tenants.c */
int cmd_integration(struct ctl *c, int argc, char **argv);	/* integrations.c */
int cmd_token(struct ctl *c, int argc, char **argv);		/* tokens.c */
int cmd_demo(struct ctl *c, int argc, char **argv);		/* demo.c */
int cmd_history(struct ctl *c, int argc, char **argv);		/* history.c */

/* The actor of envintctl's writes in the change history: kind admin, no
 * token, no request (util.c). */
extern const struct ei_actor ctl_actor;

/* Prints the usage text (main.c). */
void ctl_usage(FILE *f);

/* ---- shared helpers (util.c) ---- */

/* The value after "--name" in argv, or NULL. */
const char *ctl_opt(int argc, char **argv, const char *name);

/* True when "--name" is in argv. */
bool ctl_flag(int argc, char **argv, const char *name);

/* Parses a UUID argument; names `what` on stderr when it is not one. */
int ctl_need_id(const char *what, const char *s, unsigned char out[16]);

void ctl_print_id(const unsigned char id[16]);

/* A whole file, NUL-terminated, malloc'd (the caller frees); NULL after
 * naming the file and the error on stderr. */
char *ctl_read_file(const char *path, size_t *len);

/* A db result for people. */
const char *ctl_db_err_text(enum db_err e);

/* ---- used across groups ---- */

/* Imports one integration definition file for `team` (integrations.c). 0,
 * or non-zero after saying why on stderr. */
int ctl_import_file(struct ctl *c, const char *file, const unsigned char team[16],
		    unsigned char id_out[16]);

/* Writes a yajl tree back as JSON text into g (a definition file is
 * parsed as a tree; its config is then streamed through the
 * canonicaliser). 0, or -1 (too deep, or a generator error). */
int ctl_tree_gen(yajl_gen g, yajl_val v);

/* Canonical text of an override given as JSON text, in c->arena
 * (integrations.c); NULL after saying why on stderr. */
const char *ctl_canon_override(struct ctl *c, const char *what, const char *text,
			       size_t n, size_t *len);

/* Creates a token; its text goes into out (tokens.c). 0 or -1. */
int ctl_make_token(struct ctl *c, const unsigned char team[16], const unsigned char *env,
		   const char *name, char out[TOKEN_STR_LEN + 1]);

#endif
