/*
 * Unit tests for db/db.c and db/node.c: error branches, failover between
 * the servers of db_host, failback, and transactions run again after the
 * server rolled them back. The MySQL client calls they make (and now_ms)
 * are wrapped at link time (-Wl,--wrap, see Makefile.am), so a scripted
 * client stands in for any number of servers: each can refuse connections,
 * be not ready, read-only or not Synced, and fail any statement with any
 * errno. The happy paths against a real server are the integration
 * suite's.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "app/base/config.h"
#include "app/base/scoreboard.h"
#include "db/db.h"

#define NODES 3

/* One scripted server. */
struct node {
	bool refuse;			/* connections fail (2002) */
	const char *read_only;		/* "0" or "1" */
	const char *ready;		/* wsrep_ready; NULL: no Galera (wsrep_on OFF,
					 * wsrep_ready OFF, as plain MariaDB says) */
	const char *state;		/* wsrep_local_state_comment */
	int connects, executes, queries;
};

/* What the fake client does and saw. */
static struct {
	struct node node[NODES];
	unsigned exec_errno[8];		/* the next executes fail with these; 0: succeed */
	size_t n_exec, i_exec;
	unsigned prepare_errno;		/* the next prepare fails with it, once */
	unsigned query_errno[8];	/* the next plain queries (BEGIN, COMMIT...) */
	size_t n_query, i_query;
	unsigned last_errno;
	int closes, stmt_closes, prepares;
	long long now;			/* the fake clock of now_ms */
} fk;

/* One MYSQL per connection made, so a statement knows its server. */
static MYSQL conns[64];
static int conn_node[64];
static size_t n_conns;
static MYSQL_STMT stmt_objs[256];
static size_t n_stmts;
static MYSQL_RES result;
static char *row_cells[4];
static bool row_given;

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	for (int i = 0; i < NODES; i++)
		fk.node[i].read_only = "0";
	fk.now = 1000000;
	n_conns = n_stmts = 0;
}

static int node_of(MYSQL *m)
{
	return conn_node[m - conns];
}

/* ---- the wrapped client ---- */

long long __wrap_now_ms(void);
long long __wrap_now_ms(void)
{
	return fk.now;
}

MYSQL *__wrap_mysql_init(MYSQL *m);
MYSQL *__wrap_mysql_init(MYSQL *m)
{
	(void)m;
	assert_true(n_conns < sizeof(conns) / sizeof(conns[0]));
	conn_node[n_conns] = -1;
	return &conns[n_conns++];
}

int __wrap_mysql_options(MYSQL *m, enum mysql_option o, const void *v);
int __wrap_mysql_options(MYSQL *m, enum mysql_option o, const void *v)
{
	(void)m, (void)o, (void)v;
	return 0;
}

/* Servers are told apart by port: db_host "n1:1,n2:2,n3:3". */
MYSQL *__wrap_mysql_real_connect(MYSQL *m, const char *h, const char *u, const char *p,
				 const char *d, unsigned port, const char *s, unsigned long f);
MYSQL *__wrap_mysql_real_connect(MYSQL *m, const char *h, const char *u, const char *p,
				 const char *d, unsigned port, const char *s, unsigned long f)
{
	struct node *n;

	(void)h, (void)u, (void)p, (void)d, (void)s, (void)f;
	assert_true(port >= 1 && port <= NODES);
	n = &fk.node[port - 1];
	n->connects++;
	fk.last_errno = n->refuse ? CR_CONNECTION_ERROR : 0;
	if (n->refuse)
		return NULL;
	conn_node[m - conns] = (int)port - 1;
	return m;
}

void __wrap_mysql_close(MYSQL *m);
void __wrap_mysql_close(MYSQL *m)
{
	(void)m;
	fk.closes++;
}

unsigned int __wrap_mysql_errno(MYSQL *m);
unsigned int __wrap_mysql_errno(MYSQL *m)
{
	(void)m;
	return fk.last_errno;
}

const char *__wrap_mysql_error(MYSQL *m);
const char *__wrap_mysql_error(MYSQL *m)
{
	(void)m;
	return "scripted failure";
}

const char *__wrap_mysql_sqlstate(MYSQL *m);
const char *__wrap_mysql_sqlstate(MYSQL *m)
{
	(void)m;
	return "HY000";
}

unsigned long __wrap_mysql_thread_id(MYSQL *m);
unsigned long __wrap_mysql_thread_id(MYSQL *m)
{
	(void)m;
	return 1;
}

int __wrap_mysql_ping(MYSQL *m);
int __wrap_mysql_ping(MYSQL *m)
{
	return fk.node[node_of(m)].refuse;
}

/* The readiness query answers the node's state; other queries (BEGIN,
 * COMMIT, ROLLBACK, SET) follow the script. */
int __wrap_mysql_real_query(MYSQL *m, const char *q, unsigned long n);
int __wrap_mysql_real_query(MYSQL *m, const char *q, unsigned long n)
{
	struct node *nd = &fk.node[node_of(m)];

	(void)n;
	nd->queries++;
	if (strstr(q, "WSREP_READY") != NULL) {
		if (nd->refuse) {
			fk.last_errno = CR_SERVER_LOST;
			return 1;
		}
		row_cells[0] = (char *)nd->read_only;
		row_cells[1] = nd->ready != NULL ? "ON" : "OFF";	/* wsrep_on */
		row_cells[2] = (char *)(nd->ready != NULL ? nd->ready : "OFF");
		row_cells[3] = (char *)nd->state;
		row_given = false;
		fk.last_errno = 0;
		return 0;
	}
	fk.last_errno = fk.i_query < fk.n_query ? fk.query_errno[fk.i_query++] : 0;
	return fk.last_errno != 0;
}

MYSQL_RES *__wrap_mysql_store_result(MYSQL *m);
MYSQL_RES *__wrap_mysql_store_result(MYSQL *m)
{
	(void)m;
	return &result;
}

MYSQL_ROW __wrap_mysql_fetch_row(MYSQL_RES *r);
MYSQL_ROW __wrap_mysql_fetch_row(MYSQL_RES *r)
{
	(void)r;
	if (row_given)
		return NULL;
	row_given = true;
	return row_cells;
}

void __wrap_mysql_free_result(MYSQL_RES *r);
void __wrap_mysql_free_result(MYSQL_RES *r)
{
	(void)r;
}

/* A statement remembers its connection's server in its first bytes. */
MYSQL_STMT *__wrap_mysql_stmt_init(MYSQL *m);
MYSQL_STMT *__wrap_mysql_stmt_init(MYSQL *m)
{
	MYSQL_STMT *st;

	assert_true(n_stmts < sizeof(stmt_objs) / sizeof(stmt_objs[0]));
	st = &stmt_objs[n_stmts++];
	st->mysql = m;
	return st;
}

int __wrap_mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long n);
int __wrap_mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long n)
{
	(void)st, (void)q, (void)n;
	fk.prepares++;
	fk.last_errno = fk.prepare_errno;
	fk.prepare_errno = 0;
	return fk.last_errno != 0;
}

my_bool __wrap_mysql_stmt_bind_param(MYSQL_STMT *st, MYSQL_BIND *b);
my_bool __wrap_mysql_stmt_bind_param(MYSQL_STMT *st, MYSQL_BIND *b)
{
	(void)st, (void)b;
	return 0;
}

int __wrap_mysql_stmt_execute(MYSQL_STMT *st);
int __wrap_mysql_stmt_execute(MYSQL_STMT *st)
{
	fk.node[node_of(st->mysql)].executes++;
	fk.last_errno = fk.i_exec < fk.n_exec ? fk.exec_errno[fk.i_exec++] : 0;
	return fk.last_errno != 0;
}

unsigned int __wrap_mysql_stmt_field_count(MYSQL_STMT *st);
unsigned int __wrap_mysql_stmt_field_count(MYSQL_STMT *st)
{
	(void)st;
	return 0;	/* no result set: every statement here is a write */
}

unsigned int __wrap_mysql_stmt_errno(MYSQL_STMT *st);
unsigned int __wrap_mysql_stmt_errno(MYSQL_STMT *st)
{
	(void)st;
	return fk.last_errno;
}

const char *__wrap_mysql_stmt_error(MYSQL_STMT *st);
const char *__wrap_mysql_stmt_error(MYSQL_STMT *st)
{
	(void)st;
	return "scripted failure";
}

const char *__wrap_mysql_stmt_sqlstate(MYSQL_STMT *st);
const char *__wrap_mysql_stmt_sqlstate(MYSQL_STMT *st)
{
	(void)st;
	return "HY000";
}

my_bool __wrap_mysql_stmt_close(MYSQL_STMT *st);
my_bool __wrap_mysql_stmt_close(MYSQL_STMT *st)
{
	(void)st;
	fk.stmt_closes++;
	return 0;
}

/* ---- helpers ---- */

static struct config cfg;

/* A handle over `nodes` scripted servers ("n1:1,n2:2,n3:3"). */
static struct db *fresh_db(int nodes)
{
	static const char *const lists[] = { "n1:1", "n1:1, n2:2", "n1:1, n2:2, n3:3" };
	struct db *db;

	fake_reset();
	config_defaults(&cfg);
	strcpy(cfg.db_host, lists[nodes - 1]);
	db = db_new(&cfg, 0);
	assert_non_null(db);
	return db;
}

/* The next executes fail with these errnos (0: succeed), then succeed. */
static void script(unsigned a, unsigned b, unsigned c)
{
	fk.exec_errno[0] = a;
	fk.exec_errno[1] = b;
	fk.exec_errno[2] = c;
	fk.n_exec = 3;
	fk.i_exec = 0;
}

/* STMT_TEAM_COUNT is idempotent, STMT_EI_INSTALL is not (stmt.c). */
static enum db_err run(struct db *db, enum db_stmt id)
{
	return db_exec(db, id, NULL, NULL, NULL);
}

/* ---- errors of one server ---- */

/* Errnos map to the db layer's results; a deadlock (or Galera's
 * certification failure, the same 1213) rolled the statement back, so it
 * runs again and then succeeds. */
static void test_classify(void **state)
{
	static const struct {
		unsigned e;
		enum db_err want;
		int executes;
	} cases[] = {
		{ ER_DUP_ENTRY, DB_CONFLICT, 1 },
		{ ER_NO_REFERENCED_ROW_2, DB_CONFLICT, 1 },
		{ ER_LOCK_WAIT_TIMEOUT, DB_UNAVAILABLE, 1 },
		{ ER_PARSE_ERROR, DB_ERR, 1 },
		{ ER_BAD_FIELD_ERROR, DB_ERR, 1 },
		{ ER_LOCK_DEADLOCK, DB_OK, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct db *db = fresh_db(1);

		script(cases[i].e, 0, 0);
		assert_int_equal(run(db, STMT_EI_INSTALL), cases[i].want);
		assert_int_equal(fk.node[0].executes, cases[i].executes);
		assert_int_equal(fk.closes, 0);			/* the connection stays */
		db_free(db);
	}
}

/* A statement rolled back again and again gives up: 503, not a loop. */
static void test_statement_retries_are_bounded(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	for (size_t i = 0; i < 8; i++)
		fk.exec_errno[i] = ER_LOCK_DEADLOCK;
	fk.n_exec = 8;
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_UNAVAILABLE);
	assert_int_equal(fk.node[0].executes, DB_TX_ATTEMPTS);
	assert_int_equal(db_counters(db)->retries, DB_TX_ATTEMPTS - 1);
	db_free(db);
}

/* An idempotent statement on a connection that died while idle is retried
 * once on a new connection, and the new one is used from then on. */
static void test_lost_connection_retried_once(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);	/* connected */
	script(CR_SERVER_GONE_ERROR, 0, 0);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[0].connects, 2);
	assert_int_equal(fk.node[0].executes, 3);
	assert_int_equal(fk.prepares, 2);	/* re-prepared on the new connection */
	/* lost again on the retry: unavailable, no third attempt */
	script(CR_SERVER_LOST, CR_SERVER_LOST, 0);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(fk.node[0].executes, 5);
	db_free(db);
}

/* A write that is not idempotent, lost mid-statement, is never retried:
 * its outcome is unknown, the client decides. */
static void test_lost_write_not_retried(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	script(CR_SERVER_LOST, 0, 0);
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_UNAVAILABLE);
	assert_int_equal(fk.node[0].executes, 2);
	assert_int_equal(fk.node[0].connects, 1);
	db_free(db);
}

/* A failed connect answers at once for a short while instead of every
 * request waiting for its own connect timeout. */
static void test_connect_backoff(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	fk.node[0].refuse = true;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(db_ping(db), DB_UNAVAILABLE);
	assert_int_equal(fk.node[0].connects, 1);
	fk.now += 1000;		/* the back-off is over */
	fk.node[0].refuse = false;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	db_free(db);
}

/* A prepare that fails is not cached: the next call prepares again. */
static void test_failed_prepare_not_cached(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	fk.prepare_errno = ER_NO_SUCH_TABLE;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_ERR);
	assert_int_equal(fk.stmt_closes, 1);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.prepares, 2);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.prepares, 2);	/* cached now */
	db_free(db);
}

/* "Table doesn't exist" from a statement that ran (MariaDB, after a
 * table's triggers were replaced under a prepared statement): a new
 * connection and the statement again; a table that stays missing ends,
 * bounded, in 503. (At prepare it is a plain error: above.) */
static void test_stale_statement_runs_again_on_a_new_connection(void **state)
{
	struct db *db = fresh_db(1);

	(void)state;
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_OK);	/* connected, prepared */
	script(ER_NO_SUCH_TABLE, 0, 0);
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_OK);
	assert_int_equal(fk.node[0].connects, 2);
	assert_int_equal(fk.prepares, 2);	/* prepared again on the new connection */
	assert_int_equal(fk.node[0].executes, 3);
	for (size_t i = 0; i < 8; i++)
		fk.exec_errno[i] = ER_NO_SUCH_TABLE;
	fk.n_exec = 8;
	fk.i_exec = 0;
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_UNAVAILABLE);
	assert_int_equal(fk.node[0].executes, 3 + DB_TX_ATTEMPTS);
	db_free(db);
}

/* ---- transactions ---- */

struct tx_ctx {
	int runs;
	enum db_stmt stmt;
};

static enum db_err tx_body(struct db *db, void *ctx)
{
	struct tx_ctx *t = ctx;

	t->runs++;
	return db_exec(db, t->stmt, NULL, NULL, NULL);
}

/* Every statement is prepared before a connection's first transaction,
 * none inside it; a connection lost while preparing them is reconnected
 * and the transaction runs once, on the new connection. */
static void test_tx_statements_prepared_before_begin(void **state)
{
	struct tx_ctx t = { 0, STMT_EI_UPDATE };
	struct db *db = fresh_db(1);

	(void)state;
	fk.prepare_errno = CR_SERVER_LOST;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_OK);
	assert_int_equal(t.runs, 1);
	assert_int_equal(fk.node[0].connects, 2);
	assert_int_equal(fk.prepares, 1 + STMT__MAX);	/* the lost one, then all */
	t.runs = 0;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_OK);
	assert_int_equal(fk.prepares, 1 + STMT__MAX);	/* none again */
	db_free(db);
}

/* A transaction rolled back by the server (a deadlock, or Galera's
 * certification conflict at a statement or at COMMIT) runs again whole. */
static void test_tx_runs_again_after_rollback(void **state)
{
	struct tx_ctx t = { 0, STMT_EI_UPDATE };
	struct db *db = fresh_db(1);

	(void)state;
	script(ER_LOCK_DEADLOCK, 0, 0);
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_OK);
	assert_int_equal(t.runs, 2);
	/* at COMMIT: BEGIN ok, COMMIT 1213, BEGIN ok, COMMIT ok */
	t.runs = 0;
	fk.query_errno[1] = ER_LOCK_DEADLOCK;
	fk.n_query = 4;
	fk.i_query = 0;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_OK);
	assert_int_equal(t.runs, 2);
	assert_int_equal(db_counters(db)->retries, 2);
	db_free(db);
}

/* ... a bounded number of times, then 503. */
static void test_tx_retries_are_bounded(void **state)
{
	struct tx_ctx t = { 0, STMT_EI_UPDATE };
	struct db *db = fresh_db(1);

	(void)state;
	for (size_t i = 0; i < 8; i++)
		fk.exec_errno[i] = ER_LOCK_DEADLOCK;
	fk.n_exec = 8;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_UNAVAILABLE);
	assert_int_equal(t.runs, DB_TX_ATTEMPTS);
	db_free(db);
}

/* A connection lost during COMMIT leaves the outcome unknown: 503 and no
 * second run (it might apply the write twice). */
static void test_tx_lost_commit_not_run_again(void **state)
{
	struct tx_ctx t = { 0, STMT_EI_UPDATE };
	struct db *db = fresh_db(2);
	int closes;

	(void)state;
	fk.query_errno[1] = CR_SERVER_LOST;	/* BEGIN ok, COMMIT lost */
	fk.n_query = 2;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_UNAVAILABLE);
	assert_int_equal(t.runs, 1);
	/* the same for a COMMIT the node could not replicate (1180, Galera
	 * leaving the primary component); the node is given up as well */
	t.runs = 0;
	closes = fk.closes;
	fk.query_errno[1] = ER_ERROR_DURING_COMMIT;
	fk.n_query = 2;
	fk.i_query = 0;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_UNAVAILABLE);
	assert_int_equal(t.runs, 1);
	assert_int_equal(fk.closes, closes + 1);
	db_free(db);
}

/* A connection lost before COMMIT rolled everything back: the whole runs
 * again, on the next server. */
static void test_tx_lost_before_commit_runs_again_elsewhere(void **state)
{
	struct tx_ctx t = { 0, STMT_EI_UPDATE };
	struct db *db = fresh_db(2);

	(void)state;
	script(CR_SERVER_LOST, 0, 0);
	fk.node[0].refuse = false;
	assert_int_equal(db_tx_run(db, tx_body, &t), DB_OK);
	assert_int_equal(t.runs, 2);
	assert_int_equal(fk.node[1].executes, 1);
	db_free(db);
}

/* ---- several servers ---- */

/* The first server that accepts and is usable is used: one that refuses
 * connections, one that is read-only, one not Synced are passed over. */
static void test_first_usable_node(void **state)
{
	struct db *db = fresh_db(3);

	(void)state;
	fk.node[0].refuse = true;
	fk.node[1].read_only = "1";
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[2].executes, 1);
	db_free(db);

	db = fresh_db(3);
	fk.node[0].ready = "ON";
	fk.node[0].state = "Donor/Desynced";
	fk.node[1].ready = "OFF";
	fk.node[1].state = "Synced";
	fk.node[2].ready = "ON";
	fk.node[2].state = "Synced";
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[2].executes, 1);
	assert_int_equal(fk.node[0].executes + fk.node[1].executes, 0);
	db_free(db);

	db = fresh_db(3);	/* none usable: 503 */
	for (int i = 0; i < NODES; i++)
		fk.node[i].refuse = true;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	db_free(db);
}

/* A node that refuses work (1047: out of the primary component; 1290:
 * read-only) did none of it: the statement runs on the next node, also a
 * write. A lost connection moves on too. */
static void test_failover_on_refusal_and_loss(void **state)
{
	static const unsigned errs[] = { ER_UNKNOWN_COM_ERROR, ER_OPTION_PREVENTS_STATEMENT };
	struct db *db;
	struct sb_totals before, after;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		db = fresh_db(3);
		assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
		script(errs[i], 0, 0);
		sb_read(&before);
		assert_int_equal(run(db, STMT_EI_INSTALL), DB_OK);
		sb_read(&after);
		assert_int_equal(fk.node[0].executes, 2);
		assert_int_equal(fk.node[1].executes, 1);
		assert_int_equal(db_counters(db)->failovers, 1);
		/* the status page counts it too */
		assert_int_equal(after.db_failovers, before.db_failovers + 1);
		db_free(db);
	}
	db = fresh_db(3);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	script(CR_SERVER_LOST, 0, 0);
	fk.node[0].refuse = true;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);	/* idempotent: once more */
	assert_int_equal(fk.node[1].executes, 1);
	db_free(db);
}

/* /healthz: the held node stopped being usable (left the primary
 * component): the worker moves on, and answers 503 only when no node is
 * usable. */
static void test_ping_moves_on(void **state)
{
	struct db *db = fresh_db(2);

	(void)state;
	fk.node[0].ready = fk.node[1].ready = "ON";
	fk.node[0].state = fk.node[1].state = "Synced";
	assert_int_equal(db_ping(db), DB_OK);
	fk.node[0].ready = "OFF";
	assert_int_equal(db_ping(db), DB_OK);
	assert_int_equal(db_counters(db)->failovers, 1);
	fk.node[1].state = "Joined";
	assert_int_equal(db_ping(db), DB_UNAVAILABLE);
	db_free(db);
}

/* Back to the first node once it has been usable for
 * db_failback_seconds, and not before; never inside a transaction. */
static void test_failback(void **state)
{
	struct db *db = fresh_db(2);

	(void)state;
	cfg.db_failback_seconds = 8;
	fk.node[0].refuse = true;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);	/* on node 2 */
	fk.node[0].refuse = false;
	fk.now += 2000;		/* a probe: node 1 usable since now */
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[1].executes, 2);
	fk.now += 4000;		/* usable for 4 s: not yet */
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[1].executes, 3);
	fk.now += 5000;		/* 9 s: back */
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.node[0].executes, 1);
	assert_int_equal(db_counters(db)->failbacks, 1);
	db_free(db);

	/* db_failback_seconds = 0: never */
	db = fresh_db(2);
	cfg.db_failback_seconds = 0;
	fk.node[0].refuse = true;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	fk.node[0].refuse = false;
	for (int i = 0; i < 5; i++) {
		fk.now += 60000;
		assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	}
	assert_int_equal(fk.node[0].executes, 0);
	db_free(db);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	/* a scoreboard of this process's slot 0, as a worker has */
	if (sb_open() != 0)
		return 1;
	sb_slot_started(0, 1);
	sb_attach(0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_statement_retries_are_bounded),
		cmocka_unit_test(test_lost_connection_retried_once),
		cmocka_unit_test(test_lost_write_not_retried),
		cmocka_unit_test(test_connect_backoff),
		cmocka_unit_test(test_failed_prepare_not_cached),
		cmocka_unit_test(test_stale_statement_runs_again_on_a_new_connection),
		cmocka_unit_test(test_tx_statements_prepared_before_begin),
		cmocka_unit_test(test_tx_runs_again_after_rollback),
		cmocka_unit_test(test_tx_retries_are_bounded),
		cmocka_unit_test(test_tx_lost_commit_not_run_again),
		cmocka_unit_test(test_tx_lost_before_commit_runs_again_elsewhere),
		cmocka_unit_test(test_first_usable_node),
		cmocka_unit_test(test_failover_on_refusal_and_loss),
		cmocka_unit_test(test_ping_moves_on),
		cmocka_unit_test(test_failback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
