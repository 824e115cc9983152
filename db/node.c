/*
 * Which database server a worker talks to: the first of db_host's list
 * that accepts a connection and is usable, the next one when it is lost or
 * refuses work, and back to an earlier one once that has been usable for a
 * while (so a rolling restart does not leave every worker on the last
 * node). All workers of one envint prefer the same order: writes of one
 * host then meet on one node and do not conflict with each other at
 * Galera's certification; a second envint host spreads load by listing the
 * nodes in another order (README: Running a pool and a cluster).
 */
#include "db/db_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/clock.h"
#include "app/base/log.h"
#include "app/base/scoreboard.h"

/* The session every connection runs with: UTC, strict, no surprises. */
static const char session_sql[] =
	"SET time_zone = '+00:00',"
	" sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO'";

/* Is the server usable? One round trip. Without Galera (wsrep_on OFF, as
 * a plain MariaDB reports it, or absent, as MySQL does) it is ready; a
 * Galera node must be ready and Synced. A node outside the primary
 * component refuses the query itself (1047). */
static const char usable_sql[] =
	"SELECT @@global.read_only,"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES"
	"  WHERE VARIABLE_NAME = 'WSREP_ON'),"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
	"  WHERE VARIABLE_NAME = 'WSREP_READY'),"
	" (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
	"  WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT')";

/* Statements wait until the node has applied what the cluster committed
 * before them: reads and BEGIN (1), UPDATE and DELETE (2), INSERT (4).
 * With reads alone, a DELETE of a row just installed through another node
 * matched nothing there (a 404), and a PATCH met the version before the
 * acknowledged one (a 412); tests/cluster saw both. */
static const char causal_sql[] = "SET SESSION wsrep_sync_wait = 7";

/* A look at earlier nodes happens at most this often (db_failback_seconds
 * divided by this), so a worker on a later node pays one connect now and
 * then, not per request. */
#define PROBES_PER_FAILBACK 4

/* Connect timeout of a failback probe: an earlier node that drops packets
 * must not stall the request that happens to probe it. */
#define PROBE_TIMEOUT_S 1

/* "host:port" or the socket, for logs. */
static const char *node_name(const struct db *db, size_t i, char *buf, size_t len)
{
	const struct hostport *n = &db->nodes[i];

	if (n->host[0] == '\0')
		return db->cfg->db_socket;
	snprintf(buf, len, strchr(n->host, ':') ? "[%s]:%u" : "%s:%u", n->host, n->port);
	return buf;
}

/* A new connection to node i, or NULL (logged). */
static MYSQL *node_open(struct db *db, size_t i, unsigned timeout)
{
	const struct config *c = db->cfg;
	const struct hostport *n = &db->nodes[i];
	unsigned long cflags = CLIENT_FOUND_ROWS;
	char init[sizeof(session_sql) + 128], name[HOST_MAX + 16];
	my_bool yes = 1;
	MYSQL *m = mysql_init(NULL);

	if (m == NULL) {
		log_error("db: mysql_init: out of memory");
		return NULL;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &c->db_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &c->db_timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_REPORT_DATA_TRUNCATION, &yes);
	/* A lock wait must end (as a retryable error) before the client's read
	 * timeout gives up on the connection. */
	snprintf(init, sizeof(init), "%s, innodb_lock_wait_timeout = %u,"
		 " @envint_history_keep = %u", session_sql,
		 c->db_timeout > 1 ? c->db_timeout - 1 : 1, c->history_keep);
	mysql_options(m, MYSQL_INIT_COMMAND, init);
	/* No MYSQL_OPT_RECONNECT: a silent reconnect would drop transactions
	 * and prepared statements behind our back. */
	if (db->flags & DB_MULTI_STATEMENTS)
		cflags |= CLIENT_MULTI_STATEMENTS;
	if (mysql_real_connect(m, n->host[0] ? n->host : NULL, c->db_user, c->db_password,
			       c->db_name, n->port, n->host[0] ? NULL : c->db_socket,
			       cflags) == NULL) {
		log_error("db: connect to %s failed: errno %u, sqlstate %s: %s",
			  node_name(db, i, name, sizeof(name)), mysql_errno(m),
			  mysql_sqlstate(m), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

/* True when the server behind m is ready, Synced and writable; and, with
 * Galera and db_causal_reads, the session's reads are causal. */
static bool usable(struct db *db, MYSQL *m, size_t i)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool ok = false, galera = false;
	char name[HOST_MAX + 16];

	if (mysql_real_query(m, usable_sql, sizeof(usable_sql) - 1) != 0 ||
	    (res = mysql_store_result(m)) == NULL) {
		log_warn("db: %s is not usable: errno %u: %s",
			 node_name(db, i, name, sizeof(name)), mysql_errno(m), mysql_error(m));
		return false;
	}
	row = mysql_fetch_row(res);
	if (row != NULL) {
		galera = row[1] != NULL && strcmp(row[1], "ON") == 0;
		ok = (row[0] == NULL || strcmp(row[0], "0") == 0) &&
		     (!galera || (row[2] != NULL && strcmp(row[2], "ON") == 0 &&
				  row[3] != NULL && strcmp(row[3], "Synced") == 0));
		if (!ok)
			log_warn("db: %s is not usable: read_only %s, wsrep_on %s, wsrep_ready %s,"
				 " state %s", node_name(db, i, name, sizeof(name)),
				 row[0] ? row[0] : "-", row[1] ? row[1] : "-",
				 row[2] ? row[2] : "-", row[3] ? row[3] : "-");
	}
	mysql_free_result(res);
	if (ok && galera && db->cfg->db_causal_reads &&
	    mysql_real_query(m, causal_sql, sizeof(causal_sql) - 1) != 0) {
		log_warn("db: %s: %s failed: errno %u", node_name(db, i, name, sizeof(name)),
			 causal_sql, mysql_errno(m));
		ok = false;
	}
	return ok;
}

/* A usable connection to node i, or NULL. */
static MYSQL *open_usable(struct db *db, size_t i, unsigned timeout)
{
	MYSQL *m = node_open(db, i, timeout);

	if (m != NULL && !usable(db, m, i)) {
		mysql_close(m);
		m = NULL;
	}
	return m;
}

/* Takes m (a usable connection to node i) as the worker's connection;
 * `back` when it is a failback, not a failover. */
static void adopt(struct db *db, MYSQL *m, size_t i, bool back)
{
	char name[HOST_MAX + 16];

	if (db->connected_once && i != db->last_node) {
		if (back)
			db->counters.failbacks++;
		else {
			db->counters.failovers++;
			sb_db_failover();	/* the status page's count */
		}
		log_info("db: %s %s", back ? "back on" : "now on",
			 node_name(db, i, name, sizeof(name)));
	}
	db->connected_once = true;
	db->last_node = i;
	db->conn = m;
	db->cur = i;
	db->counters.connects++;
	for (size_t k = 0; k <= i; k++)
		db->usable_since_ms[k] = 0;
	db->probe_at_ms = now_ms() + (long long)db->cfg->db_failback_seconds * 1000 /
				     PROBES_PER_FAILBACK;
	log_debug("db: connected (thread %lu)", mysql_thread_id(m));
}

enum db_err node_connect(struct db *db, size_t skip)
{
	for (size_t k = 0; k < db->n_nodes; k++) {
		size_t i = (db->cur + k) % db->n_nodes;
		MYSQL *m;

		if (i == skip)
			continue;
		m = open_usable(db, i, db->cfg->db_timeout);

		if (m != NULL) {
			adopt(db, m, i, false);
			return DB_OK;
		}
	}
	return DB_UNAVAILABLE;
}

void node_lost(struct db *db)
{
	db_disconnect(db);
	if (db->n_nodes > 1)
		db->cur = (db->cur + 1) % db->n_nodes;
}

bool node_still_usable(struct db *db)
{
	if (db->conn != NULL && usable(db, db->conn, db->cur))
		return true;
	node_lost(db);
	return false;
}

void node_failback(struct db *db)
{
	long long now = now_ms();
	long long wait = (long long)db->cfg->db_failback_seconds * 1000;

	if (db->conn == NULL || db->in_tx || db->cur == 0 || wait == 0 || now < db->probe_at_ms)
		return;
	db->probe_at_ms = now + wait / PROBES_PER_FAILBACK;
	for (size_t i = 0; i < db->cur; i++) {
		MYSQL *m = open_usable(db, i, PROBE_TIMEOUT_S);

		if (m == NULL) {
			db->usable_since_ms[i] = 0;
			continue;
		}
		if (db->usable_since_ms[i] == 0)
			db->usable_since_ms[i] = now;
		if (now - db->usable_since_ms[i] >= wait) {
			db_disconnect(db);
			adopt(db, m, i, true);
			return;
		}
		mysql_close(m);
		return;	/* the first usable earlier node is the one to wait for */
	}
}
