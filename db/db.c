/*
 * Static functions, in order: errno_is_lost, errno_is_refusal,
 * errno_is_failed_commit, errno_drops_node, classify, check_schema,
 * stmt_fail, prepare_text, get_stmt, exec_once, backoff, exec_retry,
 * run_simple, prepare_all.
 */
#include "db/db.h"

#include "db/db_impl.h"

#include <errno.h>
#include <stdio.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "app/base/clock.h"
#include "app/base/log.h"

/* A lost connection is retried once only when the failure came fast (the
 * server restarted under an idle connection). A slow failure means a hung
 * or unreachable server: retrying would double the caller's wait. */
#define DB_FAST_FAILURE_MS 1000

/* After a failed connect, requests fail fast for this long instead of each
 * waiting for their own connect timeout against an unreachable server. */
#define DB_CONNECT_BACKOFF_MS 250

/* Errors that mean the connection is gone (or never came): reconnect. */
static bool errno_is_lost(unsigned e)
{
	switch (e) {
	case CR_CONNECTION_ERROR:	/* 2002 */
	case CR_CONN_HOST_ERROR:	/* 2003 */
	case CR_SERVER_GONE_ERROR:	/* 2006 */
	case CR_SERVER_LOST:		/* 2013 */
	case CR_SERVER_LOST_EXTENDED:	/* 2055 */
	case CR_COMMANDS_OUT_OF_SYNC:	/* 2014: the connection is unusable */
	case ER_SERVER_SHUTDOWN:	/* 1053 */
	case ER_CONNECTION_KILLED:	/* 1927 */
	case 4031:			/* ER_CLIENT_INTERACTION_TIMEOUT */
	case ER_CON_COUNT_ERROR:	/* 1040: too many connections */
		return true;
	default:
		return false;
	}
}

/* Errors of a node that refuses work without doing any of it: a Galera
 * node outside the primary component (1047, "WSREP has not yet prepared
 * node for application use") and a read-only server (1290). */
static bool errno_is_refusal(unsigned e)
{
	return e == ER_UNKNOWN_COM_ERROR || e == ER_OPTION_PREVENTS_STATEMENT;
}

/* A COMMIT the node could not replicate (1180; on Galera "Not connected to
 * Primary Component" as the node left it): the node is unusable, and the
 * outcome is not known to be a rollback, so the work is never run again. */
static bool errno_is_failed_commit(unsigned e)
{
	return e == ER_ERROR_DURING_COMMIT;
}

/* The node behind the connection cannot be used (lost, or refusing). */
static bool errno_drops_node(unsigned e)
{
	return errno_is_lost(e) || errno_is_refusal(e) || errno_is_failed_commit(e);
}

static enum db_err classify(unsigned e)
{
	if (errno_is_refusal(e))
		return DB_RETRY;	/* nothing was done: run it elsewhere */
	if (errno_is_lost(e) || errno_is_failed_commit(e))
		return DB_UNAVAILABLE;
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_NO_REFERENCED_ROW_2:
	case ER_ROW_IS_REFERENCED_2:
		return DB_CONFLICT;
	case ER_LOCK_DEADLOCK:		/* 1213: also Galera's certification failure */
		return DB_RETRY;	/* rolled back whole: run it again */
	case ER_LOCK_WAIT_TIMEOUT:
		return DB_UNAVAILABLE;	/* transient: the client may retry */
	default:
		return DB_ERR;
	}
}

void db_disconnect(struct db *db)
{
	for (int i = 0; i < STMT__MAX; i++)
		if (db->stmts[i] != NULL) {
			mysql_stmt_close(db->stmts[i]);
			db->stmts[i] = NULL;
		}
	for (int i = 0; i < DYN_CACHE; i++)
		if (db->dyn[i].sql != NULL) {
			mysql_stmt_close(db->dyn[i].st);
			free(db->dyn[i].sql);
			db->dyn[i].sql = NULL;
		}
	db->last = NULL;
	db->all_prepared = false;
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
	}
	db->in_tx = false;
}

struct db *db_new(const struct config *cfg, unsigned flags)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->cfg = cfg;
	db->flags = flags;
	if (cfg->db_socket[0] != '\0') {	/* one local server */
		db->n_nodes = 1;
	} else {
		char err[256];

		if (hostlist_parse(cfg->db_host, cfg->db_port, db->nodes, &db->n_nodes,
				   err, sizeof(err)) < 0) {
			log_error("db: db_host: %s", err);	/* config_check refuses it first */
			free(db);
			return NULL;
		}
	}
	return db;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db);
}

/* Reads the schema version on a fresh connection; an old schema is fatal. */
static enum db_err check_schema(struct db *db)
{
	const char *sql = stmt_defs[STMT_SCHEMA_VERSION].sql;
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long version = 0;

	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0 ||
	    (res = mysql_store_result(db->conn)) == NULL) {
		unsigned e = mysql_errno(db->conn);

		log_error("db: reading schema_version: errno %u: %s (run envintctl migrate)",
			  e, mysql_error(db->conn));
		db_disconnect(db);
		if (errno_is_lost(e))
			return DB_UNAVAILABLE;
		db->fatal = true;
		return DB_ERR;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && row[0] != NULL)
		version = strtoul(row[0], NULL, 10);
	mysql_free_result(res);
	if (version < DB_SCHEMA_VERSION) {
		log_error("db: schema version %lu is older than %d; run envintctl migrate",
			  version, DB_SCHEMA_VERSION);
		db_disconnect(db);
		db->fatal = true;
		return DB_ERR;
	}
	db->schema_ok = true;
	return DB_OK;
}

enum db_err db_connect(struct db *db)
{
	if (db->conn != NULL)
		return DB_OK;
	if (now_ms() < db->retry_at_ms)
		return DB_UNAVAILABLE;
	if (node_connect(db, NODE_NONE) != DB_OK) {
		db->retry_at_ms = now_ms() + DB_CONNECT_BACKOFF_MS;
		return DB_UNAVAILABLE;
	}
	db->retry_at_ms = 0;
	if ((db->flags & DB_CHECK_SCHEMA) && !db->schema_ok)
		return check_schema(db);
	return DB_OK;
}

bool db_fatal(const struct db *db)
{
	return db->fatal;
}

enum db_err db_ping(struct db *db)
{
	long long t0 = now_ms();
	size_t held = db->cur;
	enum db_err rc = db_connect(db);

	if (rc != DB_OK)
		return rc;
	if (node_still_usable(db))
		return DB_OK;
	/* the next node now, not after the back-off; the same one again only
	 * when it failed fast (a restart): a hung one would double the wait */
	if (node_connect(db, now_ms() - t0 < DB_FAST_FAILURE_MS ? NODE_NONE : held) == DB_OK)
		return DB_OK;
	db->retry_at_ms = now_ms() + DB_CONNECT_BACKOFF_MS;
	return DB_UNAVAILABLE;
}

const struct db_counters *db_counters(const struct db *db)
{
	return &db->counters;
}

/* Logs a statement error once and maps it; drops the connection if lost. */
static enum db_err stmt_fail(struct db *db, const char *name, MYSQL_STMT *st,
			     const char *step)
{
	unsigned e = st != NULL ? mysql_stmt_errno(st) : mysql_errno(db->conn);
	const char *state = st != NULL ? mysql_stmt_sqlstate(st) : mysql_sqlstate(db->conn);
	const char *msg = st != NULL ? mysql_stmt_error(st) : mysql_error(db->conn);
	enum db_err rc = classify(e);

	/* inside a transaction a lost connection rolled all of it back (the
	 * statement is never COMMIT here): the whole of it may run again */
	if (errno_is_lost(e) && db->in_tx)
		rc = DB_RETRY;

	if (rc == DB_CONFLICT)
		log_debug("db: %s %s: errno %u, sqlstate %s: %s",
			  name, step, e, state, msg);
	else
		log_error("db: %s %s: errno %u, sqlstate %s: %s",
			  name, step, e, state, msg);
	if (errno_drops_node(e))
		node_lost(db);
	/* "Table doesn't exist" from a statement that ran: MariaDB 10.11
	 * answers this, naming a table a trigger uses (or a trigger's table
	 * alias), on every execution of a statement prepared before triggers
	 * of its table were replaced or a table they use was altered, until
	 * the connection goes; a new connection runs the same statement. It
	 * did nothing: run it (or its transaction) again on a new connection.
	 * A table really missing fails the same way each time, and the
	 * retries end in DB_UNAVAILABLE. */
	if (e == ER_NO_SUCH_TABLE && st != NULL && strcmp(step, "execute") == 0) {
		log_warn("db: %s: reconnecting (statements prepared before a schema change)",
			 name);
		db_disconnect(db);
		db->retry_at_ms = 0;
		rc = DB_RETRY;
	}
	return rc;
}

/* Prepares `sql` on the current connection. */
static enum db_err prepare_text(struct db *db, const char *name, const char *sql,
				MYSQL_STMT **out)
{
	MYSQL_STMT *st = mysql_stmt_init(db->conn);

	if (st == NULL)
		return stmt_fail(db, name, NULL, "init");
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		enum db_err rc = stmt_fail(db, name, st, "prepare");

		mysql_stmt_close(st);
		return rc;
	}
	*out = st;
	return DB_OK;
}

/* What to run: a table statement (id) or assembled text (sql). */
struct target {
	enum db_stmt id;	/* STMT__MAX for assembled text */
	const char *sql;
	const char *name;
	bool idempotent;
	bool stream;		/* rows are fetched from the socket, not stored */
};

static enum db_err get_stmt(struct db *db, const struct target *t, MYSQL_STMT **out)
{
	struct dyn_stmt *slot = NULL;
	enum db_err rc;

	if (t->id != STMT__MAX) {
		if (db->stmts[t->id] == NULL) {
			rc = prepare_text(db, t->name, t->sql, &db->stmts[t->id]);
			if (rc != DB_OK)
				return rc;
		}
		*out = db->stmts[t->id];
		return DB_OK;
	}
	for (int i = 0; i < DYN_CACHE; i++) {
		if (db->dyn[i].sql != NULL && strcmp(db->dyn[i].sql, t->sql) == 0) {
			db->dyn[i].used = ++db->clock;
			*out = db->dyn[i].st;
			return DB_OK;
		}
		if (slot == NULL || db->dyn[i].sql == NULL ||
		    (slot->sql != NULL && db->dyn[i].used < slot->used))
			slot = &db->dyn[i];
	}
	if (slot->sql != NULL) {	/* evict the least recently used */
		mysql_stmt_close(slot->st);
		free(slot->sql);
		slot->sql = NULL;
	}
	char *copy = strdup(t->sql);

	if (copy == NULL)
		return DB_ERR;
	rc = prepare_text(db, t->name, t->sql, &slot->st);
	if (rc != DB_OK) {
		free(copy);
		return rc;
	}
	slot->sql = copy;
	slot->used = ++db->clock;
	*out = slot->st;
	return DB_OK;
}

/* One attempt: prepare if needed, bind, execute, store. */
static enum db_err exec_once(struct db *db, const struct target *t, MYSQL_BIND *params,
			     MYSQL_BIND *results, MYSQL_STMT **out)
{
	MYSQL_STMT *st = NULL;
	enum db_err rc = db_connect(db);

	if (rc != DB_OK)
		return rc;
	rc = get_stmt(db, t, &st);
	if (rc != DB_OK)
		return rc;
	db->last = st;
	if (params != NULL && mysql_stmt_bind_param(st, params) != 0)
		return stmt_fail(db, t->name, st, "bind_param");
	if (mysql_stmt_execute(st) != 0)
		return stmt_fail(db, t->name, st, "execute");
	if (mysql_stmt_field_count(st) == 0)
		return DB_OK;
	if (results != NULL && mysql_stmt_bind_result(st, results) != 0)
		return stmt_fail(db, t->name, st, "bind_result");
	if (!t->stream && mysql_stmt_store_result(st) != 0)
		return stmt_fail(db, t->name, st, "store_result");
	if (out != NULL)
		*out = st;
	else
		mysql_stmt_free_result(st);
	return DB_OK;
}

/* Sleeps before attempt `attempt` (1, 2, ...) of work the server rolled
 * back: 10, 20, 40, 80 ms and a random part as large, so two clients that
 * conflicted do not meet again in step. */
static void backoff(unsigned attempt)
{
	static unsigned long long seed;
	long long ms = 5LL << (attempt < 5 ? attempt : 5);
	struct timespec ts;

	if (seed == 0)
		seed = (unsigned long long)getpid() << 32 ^ (unsigned long long)now_ms();
	seed ^= seed << 13;	/* xorshift64: no state shared with anyone */
	seed ^= seed >> 7;
	seed ^= seed << 17;
	ms += (long long)(seed % (unsigned long long)ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000;
	nanosleep(&ts, NULL);
}

static enum db_err exec_retry(struct db *db, const struct target *t, MYSQL_BIND *params,
			      MYSQL_BIND *results, MYSQL_STMT **out)
{
	bool was_connected = db->conn != NULL;
	bool in_tx = db->in_tx;
	long long t0 = now_ms();
	enum db_err rc;

	if (!in_tx)
		node_failback(db);
	rc = exec_once(db, t, params, results, out);
	/* A connection that died while idle shows up here first. Retrying is
	 * safe only when the statement is idempotent and no transaction held
	 * earlier work that the lost connection rolled back. */
	if (rc == DB_UNAVAILABLE && was_connected && db->conn == NULL &&
	    t->idempotent && !in_tx && now_ms() - t0 < DB_FAST_FAILURE_MS) {
		log_info("db: connection lost; reconnecting for %s", t->name);
		db->retry_at_ms = 0;
		db->counters.retries++;
		rc = exec_once(db, t, params, results, out);
	}
	/* Outside a transaction a statement the server rolled back, or a node
	 * refused, is one unit of its own: run it again (in a transaction,
	 * the caller's db_tx_run runs the whole again) */
	for (unsigned attempt = 1; rc == DB_RETRY && !in_tx && attempt < DB_TX_ATTEMPTS;
	     attempt++) {
		db->counters.retries++;
		db->retry_at_ms = 0;
		backoff(attempt);
		rc = exec_once(db, t, params, results, out);
	}
	return rc == DB_RETRY && !in_tx ? DB_UNAVAILABLE : rc;
}

enum db_err db_exec(struct db *db, enum db_stmt id, MYSQL_BIND *params,
		    MYSQL_BIND *results, MYSQL_STMT **out)
{
	struct target t = { id, stmt_defs[id].sql, stmt_defs[id].name,
			    stmt_defs[id].idempotent, false };

	return exec_retry(db, &t, params, results, out);
}

enum db_err db_exec_text(struct db *db, const char *name, const char *sql,
			 bool idempotent, bool stream, MYSQL_BIND *params,
			 MYSQL_BIND *results, MYSQL_STMT **out)
{
	struct target t = { STMT__MAX, sql, name, idempotent, stream };

	return exec_retry(db, &t, params, results, out);
}

enum db_err db_select_one(struct db *db, enum db_stmt id, MYSQL_BIND *params,
			  MYSQL_BIND *results)
{
	MYSQL_STMT *st = NULL;
	enum db_err rc = db_exec(db, id, params, results, &st);
	int f;

	if (rc != DB_OK)
		return rc;
	f = db_fetch(st);
	db_done(st);
	return f == 1 ? DB_OK : f == 0 ? DB_NOTFOUND : DB_ERR;
}

int db_fetch(MYSQL_STMT *st)
{
	switch (mysql_stmt_fetch(st)) {
	case 0:
	case MYSQL_DATA_TRUNCATED:
		return 1;
	case MYSQL_NO_DATA:
		return 0;
	default:
		log_error("db: fetch: errno %u: %s", mysql_stmt_errno(st),
			  mysql_stmt_error(st));
		return -1;
	}
}

int db_fetch_text(MYSQL_STMT *st, unsigned c, char *buf, unsigned long len)
{
	MYSQL_BIND b;

	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_BLOB;
	b.buffer = buf;
	b.buffer_length = len;
	if (len > 0 && mysql_stmt_fetch_column(st, &b, c, 0) != 0)
		return -1;
	buf[len] = '\0';
	return 0;
}

void db_done(MYSQL_STMT *st)
{
	if (st != NULL)
		mysql_stmt_free_result(st);
}

unsigned long long db_affected(struct db *db)
{
	return db->last != NULL ? mysql_stmt_affected_rows(db->last) : 0;
}

/* A statement without parameters or rows (transaction control). */
static enum db_err run_simple(struct db *db, const char *sql, const char *what)
{
	unsigned e;
	enum db_err rc;

	if (mysql_real_query(db->conn, sql, strlen(sql)) == 0)
		return DB_OK;
	e = mysql_errno(db->conn);
	rc = classify(e);
	log_error("db: %s: errno %u, sqlstate %s: %s", what, e,
		  mysql_sqlstate(db->conn), mysql_error(db->conn));
	if (errno_drops_node(e))
		node_lost(db);
	return rc;
}

/* Prepares, once per connection, every table statement not prepared yet,
 * so that no COM_STMT_PREPARE runs inside a transaction. On Galera a
 * prepare opens its tables and can be brute-force aborted by a replicated
 * write like a statement can, without the causal wait a statement gets
 * (mysql-wsrep issue 377); and while workers still prepared their write
 * statements inside transactions, the cluster harness's merge race saw
 * two concurrent merges of one row both commit the same version (one
 * merge lost) in 2 of 5 first races after a start, when the workers were
 * preparing their statements inside those transactions, and in none of 65
 * later races. A statement that fails here is prepared on demand, as
 * before; the failure is logged once. */
static void prepare_all(struct db *db)
{
	if (db->all_prepared)
		return;
	for (int i = 0; i < STMT__MAX && db->conn != NULL; i++)
		if (db->stmts[i] == NULL)
			(void)prepare_text(db, stmt_defs[i].name, stmt_defs[i].sql, &db->stmts[i]);
	db->all_prepared = db->conn != NULL;
}

enum db_err db_begin(struct db *db)
{
	enum db_err rc;

	node_failback(db);
	rc = db_connect(db);
	if (rc != DB_OK)
		return rc;
	if (mysql_ping(db->conn) != 0) {	/* no half-open transaction */
		node_lost(db);
		db->retry_at_ms = 0;
		rc = db_connect(db);
		if (rc != DB_OK)
			return rc;
	}
	prepare_all(db);
	if (db->conn == NULL) {		/* lost while preparing */
		db->retry_at_ms = 0;
		return DB_RETRY;
	}
	rc = run_simple(db, "START TRANSACTION", "begin");
	if (rc == DB_OK)
		db->in_tx = true;
	else if (rc == DB_UNAVAILABLE && db->conn == NULL)
		rc = DB_RETRY;	/* lost before anything was done */
	return rc;
}

/* DB_RETRY when the server rolled the transaction back (a certification
 * conflict is reported at COMMIT); DB_UNAVAILABLE when the connection was
 * lost during it: the outcome is unknown and must not be run again. */
enum db_err db_commit(struct db *db)
{
	enum db_err rc;

	if (db->conn == NULL)
		return DB_UNAVAILABLE;
	rc = run_simple(db, "COMMIT", "commit");
	db->in_tx = false;
	return rc;
}

void db_rollback(struct db *db)
{
	if (db->conn != NULL && db->in_tx)
		(void)run_simple(db, "ROLLBACK", "rollback");
	db->in_tx = false;
}

enum db_err db_tx_run(struct db *db, db_tx_fn fn, void *ctx)
{
	enum db_err rc = DB_UNAVAILABLE;

	for (unsigned attempt = 0; attempt < DB_TX_ATTEMPTS; attempt++) {
		if (attempt > 0) {
			db->counters.retries++;
			db->retry_at_ms = 0;
			backoff(attempt);
		}
		rc = db_begin(db);
		if (rc == DB_OK)
			rc = fn(db, ctx);
		if (rc == DB_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
		if (rc != DB_RETRY)
			return rc;
	}
	log_warn("db: a transaction was rolled back %d times; giving up", DB_TX_ATTEMPTS);
	return DB_UNAVAILABLE;
}

enum db_err db_run_script(struct db *db, const char *sql, size_t len,
			  const char *what)
{
	enum db_err rc = db_connect(db);
	int status;

	if (rc != DB_OK)
		return rc;
	if (mysql_real_query(db->conn, sql, len) != 0)
		goto fail;
	do {
		MYSQL_RES *res = mysql_store_result(db->conn);

		if (res != NULL)
			mysql_free_result(res);
		else if (mysql_field_count(db->conn) != 0)
			goto fail;
		status = mysql_next_result(db->conn);
		if (status > 0)
			goto fail;
	} while (status == 0);
	return DB_OK;
fail:
	log_error("db: %s: errno %u, sqlstate %s: %s", what, mysql_errno(db->conn),
		  mysql_sqlstate(db->conn), mysql_error(db->conn));
	rc = classify(mysql_errno(db->conn));
	if (errno_is_lost(mysql_errno(db->conn)))
		db_disconnect(db);
	return rc;
}

void db_time_from_us(long long us, MYSQL_TIME *t)
{
	struct civil c;

	civil_from_us(us, &c);
	memset(t, 0, sizeof(*t));
	t->year = (unsigned)c.year;
	t->month = c.month;
	t->day = c.day;
	t->hour = c.hour;
	t->minute = c.minute;
	t->second = c.second;
	t->second_part = c.micro;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

long long db_time_us(const MYSQL_TIME *t)
{
	struct civil c = { t->year, t->month, t->day, t->hour, t->minute, t->second,
			   t->second_part };

	return civil_to_us(&c);
}
