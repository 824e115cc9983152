/*
 * Database connection: one per worker, opened after fork. Statements are
 * prepared lazily from the table in db/stmt.c and re-prepared after an
 * explicit reconnect. No FCGX_* and no yajl_gen here.
 *
 * Errors cross this boundary as enum db_err only; the driver's text is
 * logged here, once, with the statement's name, and never returned.
 */
#ifndef ENVINT_DB_H
#define ENVINT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <mysql.h>

#include "app/base/config.h"
#include "db/stmt.h"

enum db_err {
	DB_OK,		/* DB_OK */
	DB_NOTFOUND,	/* DB_NOTFOUND: no such row (or not visible) */
	DB_CONFLICT,	/* DB_CONFLICT: a unique key or version check failed */
	DB_UNAVAILABLE,	/* DB_UNAVAILABLE: no usable server, or the outcome of
			 * a write is unknown; answer 503 */
	DB_ERR,		/* DB_ERR: anything else; a bug or a schema mismatch */
	DB_RETRY,	/* DB_RETRY: the server rolled the work back (deadlock,
			 * Galera certification) or the node refused it before
			 * doing it (1047, 1290): nothing of it stays, run it
			 * again (db_tx_run does) */
	DB__MAX
};

/* What a worker's connection went through, for the status page. */
struct db_counters {
	unsigned long long connects;	/* connections made */
	unsigned long long failovers;	/* to another node after a failure */
	unsigned long long failbacks;	/* back to a preferred node */
	unsigned long long retries;	/* transactions and statements run again */
};

struct db;

/* Flags for db_new. */
#define DB_MULTI_STATEMENTS 1u	/* envintctl migrate runs whole .sql files */
#define DB_CHECK_SCHEMA 2u	/* refuse a schema older than DB_SCHEMA_VERSION */

/* The schema version this build needs (db/schema.sql + migrations). */
#define DB_SCHEMA_VERSION 6

/* Creates a handle; does not connect. `cfg` must outlive the handle.
 * NULL when out of memory. */
struct db *db_new(const struct config *cfg, unsigned flags);
void db_free(struct db *db);

/* Connects if not connected (honouring a short back-off after a failure so
 * an unreachable server is not hammered). DB_OK or DB_UNAVAILABLE. */
enum db_err db_connect(struct db *db);

/* True once a connection found a schema older than this build needs: the
 * worker must exit with status 2 (running would only produce 500s). */
bool db_fatal(const struct db *db);

/* Checks that the worker holds a usable server (ready, Synced, writable),
 * moving to the next one in db_host when it does not. DB_OK, or
 * DB_UNAVAILABLE when no server of the list is usable. */
enum db_err db_ping(struct db *db);

/* The worker's counters (valid as long as the handle). */
const struct db_counters *db_counters(const struct db *db);

/* Runs fn(db, ctx) inside a transaction and commits it. When the server
 * rolled it back (DB_RETRY: a deadlock or Galera certification conflict,
 * or a node that refused work or was lost before COMMIT), the whole of it
 * runs again, every read included, at most DB_TX_ATTEMPTS times with a
 * jittered back-off, and then DB_UNAVAILABLE. A connection lost during
 * COMMIT leaves the outcome unknown: DB_UNAVAILABLE, never a second run.
 * fn returns DB_OK to commit, anything else to roll back and return it. */
#define DB_TX_ATTEMPTS 5
typedef enum db_err (*db_tx_fn)(struct db *db, void *ctx);
enum db_err db_tx_run(struct db *db, db_tx_fn fn, void *ctx);

/* Runs statement `id` with `params` bound (as many as the statement has
 * markers) and, when it returns rows, `results` bound and the whole result
 * stored client-side. On DB_OK with rows, *out is the statement: fetch with
 * db_fetch and release with db_done. A statement marked idempotent in the
 * table is retried once on a new connection when the old one was lost and
 * no transaction is open. */
enum db_err db_exec(struct db *db, enum db_stmt id, MYSQL_BIND *params,
		    MYSQL_BIND *results, MYSQL_STMT **out);

/* Like db_exec, for SQL text assembled from constant fragments (never from
 * input: values are always bound). Prepared once per distinct text and
 * kept in a small per-connection cache. `name` is for logs. With
 * `stream`, rows are not stored client-side: each db_fetch reads the next
 * one from the server (memory bounded by one row), and the caller must
 * db_done the statement before running any other on this connection. */
enum db_err db_exec_text(struct db *db, const char *name, const char *sql,
			 bool idempotent, bool stream, MYSQL_BIND *params,
			 MYSQL_BIND *results, MYSQL_STMT **out);

/* Runs a statement expected to return at most one row and fetches it into
 * `results`. DB_OK with the row, DB_NOTFOUND without one, or the error. */
enum db_err db_select_one(struct db *db, enum db_stmt id, MYSQL_BIND *params,
			  MYSQL_BIND *results);

/* Fetches the next row into the bound results: 1 for a row, 0 at the end,
 * -1 on error. Truncated columns (bound with buffer_length 0 on purpose)
 * count as a row; read them with mysql_stmt_fetch_column. */
int db_fetch(MYSQL_STMT *st);
void db_done(MYSQL_STMT *st);

/* Copies the current row's column `c`, `len` bytes long (its length from
 * the fetch), into buf, which holds len + 1, and NUL-terminates it. 0 or -1. */
int db_fetch_text(MYSQL_STMT *st, unsigned c, char *buf, unsigned long len);

/* Rows changed (or found, with CLIENT_FOUND_ROWS) by the last statement. */
unsigned long long db_affected(struct db *db);

/* Transactions. db_begin fails with DB_UNAVAILABLE when the server is gone;
 * db_rollback never fails (a lost connection has rolled back already). */
enum db_err db_begin(struct db *db);
enum db_err db_commit(struct db *db);
void db_rollback(struct db *db);

/* Runs SQL text that takes no parameters (migrations, session setup).
 * Results, if any, are discarded. */
enum db_err db_run_script(struct db *db, const char *sql, size_t len,
			  const char *what);

/* DATETIME values are UTC (the session's time_zone is +00:00); these
 * convert them to and from microseconds since the epoch. */
void db_time_from_us(long long us, MYSQL_TIME *t);
long long db_time_us(const MYSQL_TIME *t);

/* Binding helpers: a zeroed MYSQL_BIND of one type. */
static inline void bind_bin(MYSQL_BIND *b, const void *p, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_BLOB;
	b->buffer = (void *)p;
	b->buffer_length = *len;
	b->length = len;
}

static inline void bind_str(MYSQL_BIND *b, const char *p, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)p;
	b->buffer_length = *len;
	b->length = len;
}

static inline void bind_tiny(MYSQL_BIND *b, signed char *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_TINY;
	b->buffer = v;
}

static inline void bind_uint(MYSQL_BIND *b, unsigned *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

static inline void bind_u64(MYSQL_BIND *b, unsigned long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	b->is_unsigned = 1;
}

static inline void bind_time(MYSQL_BIND *b, MYSQL_TIME *t)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_DATETIME;
	b->buffer = t;
}

static inline void bind_null(MYSQL_BIND *b)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_NULL;
}

#endif
