/*
 * Static functions, in order: errno_is_lost, classify, disconnect,
 * check_schema, stmt_fail, prepare_text, get_stmt, exec_once, exec_retry,
 * run_simple.
 */
#include "db/db.h"

#include <errno.h>
#include <stdio.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <time.h>

#include "app/base/clock.h"
#include "app/base/log.h"

/* A lost connection is retried once only when the failure came fast (the
 * server restarted under an idle connection). A slow failure means a hung
 * or unreachable server: retrying would double the caller's wait. */
#define DB_FAST_FAILURE_MS 1000

/* After a failed connect, requests fail fast for this long instead of each
 * waiting for their own connect timeout against an unreachable server. */
#define DB_CONNECT_BACKOFF_MS 250

/* Statements assembled from constant fragments (the list query: one text
 * per combination of filters), prepared once per connection. */
#define DYN_CACHE 32

struct dyn_stmt {
	char *sql;		/* malloc'd copy; NULL = empty slot */
	MYSQL_STMT *st;
	unsigned long long used;	/* LRU clock */
};

struct db {
	const struct config *cfg;
	unsigned flags;
	MYSQL *conn;		/* NULL while disconnected */
	MYSQL_STMT *stmts[STMT__MAX];
	struct dyn_stmt dyn[DYN_CACHE];
	unsigned long long clock;
	MYSQL_STMT *last;	/* the statement db_affected reports on */
	bool in_tx;
	bool schema_ok;		/* checked once per process */
	bool fatal;
	long long retry_at_ms;	/* no connect attempt before this */
};

/* The session every connection runs with: UTC, strict, no surprises. */
static const char session_sql[] =
	"SET time_zone = '+00:00',"
	" sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'";


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

static enum db_err classify(unsigned e)
{
	if (errno_is_lost(e))
		return DB_UNAVAILABLE;
	switch (e) {
	case ER_DUP_ENTRY:
	case ER_DUP_ENTRY_WITH_KEY_NAME:
	case ER_NO_REFERENCED_ROW_2:
	case ER_ROW_IS_REFERENCED_2:
		return DB_CONFLICT;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
		return DB_UNAVAILABLE;	/* transient: the client may retry */
	default:
		return DB_ERR;
	}
}

static void disconnect(struct db *db)
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
	return db;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	disconnect(db);
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
		disconnect(db);
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
		disconnect(db);
		db->fatal = true;
		return DB_ERR;
	}
	db->schema_ok = true;
	return DB_OK;
}

enum db_err db_connect(struct db *db)
{
	const struct config *c = db->cfg;
	unsigned timeout = c->db_timeout;
	my_bool yes = 1;
	unsigned long cflags = CLIENT_FOUND_ROWS;
	MYSQL *m;

	if (db->conn != NULL)
		return DB_OK;
	if (now_ms() < db->retry_at_ms)
		return DB_UNAVAILABLE;
	m = mysql_init(NULL);
	if (m == NULL) {
		log_error("db: mysql_init: out of memory");
		return DB_ERR;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_REPORT_DATA_TRUNCATION, &yes);
	/* A lock wait must end (as a retryable error) before the client's read
	 * timeout gives up on the connection. */
	char init[sizeof(session_sql) + 64];

	snprintf(init, sizeof(init), "%s, innodb_lock_wait_timeout = %u", session_sql,
		 timeout > 1 ? timeout - 1 : 1);
	mysql_options(m, MYSQL_INIT_COMMAND, init);
	/* No MYSQL_OPT_RECONNECT: a silent reconnect would drop transactions
	 * and prepared statements behind our back. */
	if (db->flags & DB_MULTI_STATEMENTS)
		cflags |= CLIENT_MULTI_STATEMENTS;
	if (mysql_real_connect(m, c->db_socket[0] ? NULL : c->db_host, c->db_user,
			       c->db_password, c->db_name, c->db_port,
			       c->db_socket[0] ? c->db_socket : NULL, cflags) == NULL) {
		log_error("db: connect to %s failed: errno %u, sqlstate %s: %s",
			  c->db_socket[0] ? c->db_socket : c->db_host,
			  mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
		mysql_close(m);
		db->retry_at_ms = now_ms() + DB_CONNECT_BACKOFF_MS;
		return DB_UNAVAILABLE;
	}
	db->conn = m;
	db->retry_at_ms = 0;
	log_debug("db: connected (thread %lu)", mysql_thread_id(m));
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
	bool was_connected = db->conn != NULL;
	long long t0 = now_ms();
	enum db_err rc = db_connect(db);

	if (rc != DB_OK)
		return rc;
	if (mysql_ping(db->conn) == 0)
		return DB_OK;
	log_warn("db: ping failed: errno %u: %s", mysql_errno(db->conn),
		 mysql_error(db->conn));
	disconnect(db);
	if (!was_connected || now_ms() - t0 >= DB_FAST_FAILURE_MS)
		return DB_UNAVAILABLE;
	db->retry_at_ms = 0;
	rc = db_connect(db);
	if (rc != DB_OK)
		return rc;
	if (mysql_ping(db->conn) == 0)
		return DB_OK;
	disconnect(db);
	return DB_UNAVAILABLE;
}

/* Logs a statement error once and maps it; drops the connection if lost. */
static enum db_err stmt_fail(struct db *db, const char *name, MYSQL_STMT *st,
			     const char *step)
{
	unsigned e = st != NULL ? mysql_stmt_errno(st) : mysql_errno(db->conn);
	const char *state = st != NULL ? mysql_stmt_sqlstate(st) : mysql_sqlstate(db->conn);
	const char *msg = st != NULL ? mysql_stmt_error(st) : mysql_error(db->conn);
	enum db_err rc = classify(e);

	if (rc == DB_CONFLICT)
		log_debug("db: %s %s: errno %u, sqlstate %s: %s",
			  name, step, e, state, msg);
	else
		log_error("db: %s %s: errno %u, sqlstate %s: %s",
			  name, step, e, state, msg);
	if (errno_is_lost(e))
		disconnect(db);
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

static enum db_err exec_retry(struct db *db, const struct target *t, MYSQL_BIND *params,
			      MYSQL_BIND *results, MYSQL_STMT **out)
{
	bool was_connected = db->conn != NULL;
	bool in_tx = db->in_tx;
	long long t0 = now_ms();
	enum db_err rc = exec_once(db, t, params, results, out);

	/* A connection that died while idle shows up here first. Retrying is
	 * safe only when the statement is idempotent and no transaction held
	 * earlier work that the lost connection rolled back. */
	if (rc == DB_UNAVAILABLE && was_connected && db->conn == NULL &&
	    t->idempotent && !in_tx && now_ms() - t0 < DB_FAST_FAILURE_MS) {
		log_info("db: connection lost; reconnecting for %s", t->name);
		db->retry_at_ms = 0;
		rc = exec_once(db, t, params, results, out);
	}
	return rc;
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

static enum db_err run_simple(struct db *db, const char *sql, const char *what)
{
	if (mysql_real_query(db->conn, sql, strlen(sql)) != 0) {
		unsigned e = mysql_errno(db->conn);

		log_error("db: %s: errno %u, sqlstate %s: %s", what, e,
			  mysql_sqlstate(db->conn), mysql_error(db->conn));
		if (errno_is_lost(e))
			disconnect(db);
		return classify(e);
	}
	return DB_OK;
}

enum db_err db_begin(struct db *db)
{
	enum db_err rc = db_connect(db);

	if (rc != DB_OK)
		return rc;
	if (mysql_ping(db->conn) != 0) {	/* no half-open transaction */
		disconnect(db);
		rc = db_connect(db);
		if (rc != DB_OK)
			return rc;
	}
	rc = run_simple(db, "START TRANSACTION", "begin");
	if (rc == DB_OK)
		db->in_tx = true;
	return rc;
}

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
		disconnect(db);
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
