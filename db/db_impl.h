/*
 * What db.c and node.c share: the connection handle's insides. Nothing
 * outside db/ includes this.
 */
#ifndef ENVINT_DB_IMPL_H
#define ENVINT_DB_IMPL_H

#include <stdbool.h>

#include <mysql.h>

#include "app/base/hostlist.h"
#include "db/db.h"

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
	/* the servers, in the order of preference; one entry with an empty
	 * host stands for db_socket */
	struct hostport nodes[HOSTLIST_MAX];
	size_t n_nodes;
	size_t cur;			/* the node connected to, or tried first */
	size_t last_node;		/* the node of the last connection */
	bool connected_once;
	long long usable_since_ms[HOSTLIST_MAX];	/* an earlier node seen usable
							 * since (0: not seen) */
	long long probe_at_ms;		/* the next look at earlier nodes */
	MYSQL *conn;			/* NULL while disconnected */
	MYSQL_STMT *stmts[STMT__MAX];
	struct dyn_stmt dyn[DYN_CACHE];
	unsigned long long clock;
	MYSQL_STMT *last;		/* the statement db_affected reports on */
	bool all_prepared;		/* prepare_all ran on this connection */
	bool in_tx;
	bool schema_ok;			/* checked once per process */
	bool fatal;
	long long retry_at_ms;		/* no connect attempt before this */
	struct db_counters counters;
};

/* Closes the connection and every statement prepared on it (db.c). */
void db_disconnect(struct db *db);

/* ---- node.c ---- */

/* Connects to the first usable node, starting at db->cur and going round
 * the list once, leaving out node `skip` (NODE_NONE: none); sets db->conn
 * and db->cur. DB_OK or DB_UNAVAILABLE. */
#define NODE_NONE ((size_t)-1)
enum db_err node_connect(struct db *db, size_t skip);

/* The connected node is lost or refuses work (errors 1047, 1290): drops
 * the connection and makes the next node the first to try. */
void node_lost(struct db *db);

/* True when the connected node is usable (ready, Synced, writable); on
 * false the connection has been dropped as by node_lost. */
bool node_still_usable(struct db *db);

/* Outside a transaction, on a node other than the first: now and then
 * looks at the earlier nodes, and moves back to one once it has been
 * usable for db_failback_seconds. */
void node_failback(struct db *db);

#endif
