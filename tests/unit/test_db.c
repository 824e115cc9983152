/*
 * Unit tests for db/db.c's error branches, against a scripted client: the
 * MySQL client calls db.c makes are wrapped at link time (-Wl,--wrap, see
 * Makefile.am), so no server is needed to make a statement fail with any
 * errno, lose the connection, or refuse to connect. The happy paths are
 * the integration suite's.
 */
#include "tests/unit/unit.h"

#include <string.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "app/base/config.h"
#include "db/db.h"

/* What the fake client does and saw. */
static struct {
	unsigned connect_errno;		/* mysql_real_connect fails with it; 0: succeeds */
	unsigned exec_errno[4];		/* the next executes fail with these; 0: succeed */
	size_t n_exec, i_exec;
	unsigned prepare_errno;		/* the next prepare fails with it, once */
	unsigned query_errno;		/* mysql_real_query fails with it */
	unsigned last_errno;
	int connects, executes, prepares, queries, closes, stmt_closes, pings;
} fk;

static MYSQL conn_obj;
static MYSQL_STMT stmt_objs[64];
static size_t n_stmts;

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	n_stmts = 0;
}

/* ---- the wrapped client ---- */

MYSQL *__wrap_mysql_init(MYSQL *m);
MYSQL *__wrap_mysql_init(MYSQL *m)
{
	(void)m;
	return &conn_obj;
}

int __wrap_mysql_options(MYSQL *m, enum mysql_option o, const void *v);
int __wrap_mysql_options(MYSQL *m, enum mysql_option o, const void *v)
{
	(void)m, (void)o, (void)v;
	return 0;
}

MYSQL *__wrap_mysql_real_connect(MYSQL *m, const char *h, const char *u, const char *p,
				 const char *d, unsigned port, const char *s, unsigned long f);
MYSQL *__wrap_mysql_real_connect(MYSQL *m, const char *h, const char *u, const char *p,
				 const char *d, unsigned port, const char *s, unsigned long f)
{
	(void)h, (void)u, (void)p, (void)d, (void)port, (void)s, (void)f;
	fk.connects++;
	fk.last_errno = fk.connect_errno;
	return fk.connect_errno != 0 ? NULL : m;
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
	(void)m;
	fk.pings++;
	return 0;
}

int __wrap_mysql_real_query(MYSQL *m, const char *q, unsigned long n);
int __wrap_mysql_real_query(MYSQL *m, const char *q, unsigned long n)
{
	(void)m, (void)q, (void)n;
	fk.queries++;
	fk.last_errno = fk.query_errno;
	return fk.query_errno != 0;
}

MYSQL_STMT *__wrap_mysql_stmt_init(MYSQL *m);
MYSQL_STMT *__wrap_mysql_stmt_init(MYSQL *m)
{
	(void)m;
	assert_true(n_stmts < sizeof(stmt_objs) / sizeof(stmt_objs[0]));
	return &stmt_objs[n_stmts++];
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
	(void)st;
	fk.executes++;
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

static struct db *fresh_db(void)
{
	struct db *db;

	fake_reset();
	config_defaults(&cfg);
	db = db_new(&cfg, 0);
	assert_non_null(db);
	return db;
}

/* The next executes fail with these errnos (0: succeed). */
static void script(unsigned a, unsigned b)
{
	fk.exec_errno[0] = a;
	fk.exec_errno[1] = b;
	fk.n_exec = 2;
	fk.i_exec = 0;
}

/* STMT_TEAM_COUNT is idempotent, STMT_EI_INSTALL is not (stmt.c). */
static enum db_err run(struct db *db, enum db_stmt id)
{
	return db_exec(db, id, NULL, NULL, NULL);
}

/* ---- tests ---- */

/* Errnos map to the db layer's results. */
static void test_classify(void **state)
{
	static const struct {
		unsigned e;
		enum db_err want;
	} cases[] = {
		{ ER_DUP_ENTRY, DB_CONFLICT },
		{ ER_NO_REFERENCED_ROW_2, DB_CONFLICT },
		{ ER_LOCK_DEADLOCK, DB_UNAVAILABLE },
		{ ER_LOCK_WAIT_TIMEOUT, DB_UNAVAILABLE },
		{ ER_PARSE_ERROR, DB_ERR },
		{ ER_NO_SUCH_TABLE, DB_ERR },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct db *db = fresh_db();

		script(cases[i].e, 0);
		assert_int_equal(run(db, STMT_EI_INSTALL), cases[i].want);
		assert_int_equal(fk.executes, 1);		/* never retried */
		assert_int_equal(fk.closes, 0);			/* the connection stays */
		db_free(db);
	}
}

/* An idempotent statement on a connection that died while idle is retried
 * once on a new connection, and the new one is used from then on. */
static void test_lost_connection_retried_once(void **state)
{
	struct db *db = fresh_db();

	(void)state;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);	/* connected */
	script(CR_SERVER_GONE_ERROR, 0);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	assert_int_equal(fk.connects, 2);
	assert_int_equal(fk.executes, 3);
	assert_int_equal(fk.prepares, 2);	/* re-prepared on the new connection */
	/* lost again on the retry: unavailable, no third attempt */
	script(CR_SERVER_LOST, CR_SERVER_LOST);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(fk.executes, 5);
	db_free(db);
}

/* A write that is not idempotent, or anything inside a transaction, is
 * never retried: its outcome is unknown, the client decides. */
static void test_no_retry_for_writes_and_transactions(void **state)
{
	struct db *db = fresh_db();

	(void)state;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);
	script(CR_SERVER_LOST, 0);
	assert_int_equal(run(db, STMT_EI_INSTALL), DB_UNAVAILABLE);
	assert_int_equal(fk.executes, 2);
	assert_int_equal(fk.connects, 1);

	assert_int_equal(db_begin(db), DB_OK);	/* reconnects */
	assert_int_equal(fk.connects, 2);
	script(CR_SERVER_GONE_ERROR, 0);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(fk.executes, 3);
	assert_int_equal(db_commit(db), DB_UNAVAILABLE);	/* nothing to commit on */
	db_free(db);
}

/* A failed connect answers at once for a short while instead of every
 * request waiting for its own connect timeout. */
static void test_connect_backoff(void **state)
{
	struct db *db = fresh_db();

	(void)state;
	fk.connect_errno = CR_CONNECTION_ERROR;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_UNAVAILABLE);
	assert_int_equal(db_ping(db), DB_UNAVAILABLE);
	assert_int_equal(fk.connects, 1);
	assert_int_equal(fk.executes, 0);
	db_free(db);
}

/* A prepare that fails is not cached: the next call prepares again. */
static void test_failed_prepare_not_cached(void **state)
{
	struct db *db = fresh_db();

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

/* A transaction's statements fail as the server says; a lost COMMIT is
 * unavailable (its outcome unknown), a failed BEGIN leaves no transaction. */
static void test_transaction_errors(void **state)
{
	struct db *db = fresh_db();

	(void)state;
	fk.query_errno = ER_LOCK_DEADLOCK;
	assert_int_equal(db_begin(db), DB_UNAVAILABLE);
	fk.query_errno = 0;
	assert_int_equal(db_begin(db), DB_OK);
	fk.query_errno = CR_SERVER_LOST;
	assert_int_equal(db_commit(db), DB_UNAVAILABLE);
	assert_true(fk.closes >= 1);		/* the lost connection is dropped */
	fk.query_errno = 0;
	assert_int_equal(run(db, STMT_TEAM_COUNT), DB_OK);	/* and comes back */
	db_free(db);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_lost_connection_retried_once),
		cmocka_unit_test(test_no_retry_for_writes_and_transactions),
		cmocka_unit_test(test_connect_backoff),
		cmocka_unit_test(test_failed_prepare_not_cached),
		cmocka_unit_test(test_transaction_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
