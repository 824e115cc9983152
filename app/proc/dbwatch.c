/*
 * The database as the envint program sees it from outside db/: the MySQL
 * client calls that wait on the server, timed, and every successful
 * connect reported, for the slow-request log (database time against the
 * rest) and the status page's reconnect count (app/base/scoreboard.h).
 *
 * Linked into the envint program only, with -Wl,--wrap=mysql_... (see
 * Makefile.am): the linker sends db/'s calls of these functions here, and
 * __real_mysql_... is the library's. db/ itself is unchanged and knows
 * nothing of it; envintctl and the unit tests link without it. Two clock
 * reads per call (vDSO, tens of nanoseconds); a 1000-row page makes about
 * a thousand fetches.
 */
#include <time.h>

#include <mysql.h>

#include "app/base/scoreboard.h"

#define WRAPPED(ret, name, params) \
	ret STDCALL __real_##name params; \
	ret STDCALL __wrap_##name params;

WRAPPED(MYSQL *, mysql_real_connect, (MYSQL *m, const char *host, const char *user,
				      const char *passwd, const char *db, unsigned int port,
				      const char *unix_socket, unsigned long flags))
WRAPPED(int, mysql_real_query, (MYSQL *m, const char *q, unsigned long len))
WRAPPED(MYSQL_RES *, mysql_store_result, (MYSQL *m))
WRAPPED(int, mysql_next_result, (MYSQL *m))
WRAPPED(int, mysql_ping, (MYSQL *m))
WRAPPED(int, mysql_stmt_prepare, (MYSQL_STMT *st, const char *q, unsigned long len))
WRAPPED(int, mysql_stmt_execute, (MYSQL_STMT *st))
WRAPPED(int, mysql_stmt_store_result, (MYSQL_STMT *st))
WRAPPED(int, mysql_stmt_fetch, (MYSQL_STMT *st))
WRAPPED(my_bool, mysql_stmt_free_result, (MYSQL_STMT *st))

static long long mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Runs `call` and adds its duration to the process's database time. */
#define TIMED(type, call) \
	do { \
		long long t0_ = mono_us(); \
		type r_ = call; \
		sb_db_time_add(mono_us() - t0_); \
		return r_; \
	} while (0)

MYSQL *STDCALL __wrap_mysql_real_connect(MYSQL *m, const char *host, const char *user,
					 const char *passwd, const char *db, unsigned int port,
					 const char *unix_socket, unsigned long flags)
{
	long long t0 = mono_us();
	MYSQL *r = __real_mysql_real_connect(m, host, user, passwd, db, port, unix_socket, flags);

	sb_db_time_add(mono_us() - t0);
	if (r != NULL)
		sb_db_connected();
	return r;
}

int STDCALL __wrap_mysql_real_query(MYSQL *m, const char *q, unsigned long len)
{
	TIMED(int, __real_mysql_real_query(m, q, len));
}

MYSQL_RES *STDCALL __wrap_mysql_store_result(MYSQL *m)
{
	TIMED(MYSQL_RES *, __real_mysql_store_result(m));
}

int STDCALL __wrap_mysql_next_result(MYSQL *m)
{
	TIMED(int, __real_mysql_next_result(m));
}

int STDCALL __wrap_mysql_ping(MYSQL *m)
{
	TIMED(int, __real_mysql_ping(m));
}

int STDCALL __wrap_mysql_stmt_prepare(MYSQL_STMT *st, const char *q, unsigned long len)
{
	TIMED(int, __real_mysql_stmt_prepare(st, q, len));
}

int STDCALL __wrap_mysql_stmt_execute(MYSQL_STMT *st)
{
	TIMED(int, __real_mysql_stmt_execute(st));
}

int STDCALL __wrap_mysql_stmt_store_result(MYSQL_STMT *st)
{
	TIMED(int, __real_mysql_stmt_store_result(st));
}

int STDCALL __wrap_mysql_stmt_fetch(MYSQL_STMT *st)
{
	TIMED(int, __real_mysql_stmt_fetch(st));
}

my_bool STDCALL __wrap_mysql_stmt_free_result(MYSQL_STMT *st)
{
	TIMED(my_bool, __real_mysql_stmt_free_result(st));
}
