/*
 * The pool's scoreboard: what the status page shows (workers busy and
 * idle, requests by status class, slow requests, database reconnects), in
 * memory the master maps before it forks, so every worker and the master
 * see one copy. Like Apache's and PHP-FPM's scoreboards, without a lock:
 * each slot has one writer (its worker; the master only when the worker
 * is gone), every field is one aligned word stored and loaded atomically
 * (relaxed), and a reader sums the slots. A slot's counters belong to the
 * slot, not the process, so a respawned worker adds to them and totals
 * never go back.
 *
 * Under mod_fcgid every envint process is a pool of its own (workers = 0),
 * with a scoreboard of one slot: its page shows that process only.
 *
 * Also here, because the worker needs them whether or not the page is on:
 * the time this process spent in the database client since the last
 * sb_db_time_take (for the slow-request log), fed by app/proc/dbwatch.c.
 */
#ifndef ENVINT_SCOREBOARD_H
#define ENVINT_SCOREBOARD_H

#include <stdbool.h>

#define SB_SLOTS 256	/* as many as the master's worker slots */

/* Maps the scoreboard (shared, anonymous) and starts the uptime clock.
 * 0, or -1 when mmap fails (the page then stays off). Call once, before
 * any fork. */
int sb_open(void);

/* True once sb_open succeeded. */
bool sb_on(void);

/* Master: a worker now runs in slot i (pid), or slot i is empty again (its
 * worker exited or was killed; a request it held is no longer busy). */
void sb_slot_started(unsigned i, long pid);
void sb_slot_gone(unsigned i);

/* Worker: which slot this process writes (after fork, before serving). */
void sb_attach(unsigned i);

/* Worker, around each request: begin marks the slot busy, counts the
 * request as accepted and raises the busiest-seen mark; end clears busy
 * and counts the status class (1xx-5xx) and whether it was slow. No-ops
 * without a scoreboard. */
void sb_request_begin(void);
void sb_request_end(int status, bool slow);

/* Database events of this process's slot. A connect after the process's
 * first successful one is a reconnect; a failover is db/ moving its work
 * to another node of db_hosts (db/node.c, once per switch away from the
 * node it held; a switch back is not counted). */
void sb_db_connected(void);
void sb_db_failover(void);

/* Microseconds this process spent inside the database client, added by
 * the wrappers of app/proc/dbwatch.c, and taken (returned, then reset to
 * 0) by the worker around each request. Process-local. */
void sb_db_time_add(long long us);
long long sb_db_time_take(void);

/* What the status page shows, summed over the slots. */
struct sb_totals {
	unsigned workers;		/* slots with a live worker */
	unsigned busy;			/* of those, in a request */
	unsigned max_busy;		/* the most busy at once since start */
	unsigned long long accepted;	/* requests accepted since start */
	unsigned long long by_class[5];	/* 1xx .. 5xx replies */
	unsigned long long slow;	/* requests over slow_ms */
	unsigned long long db_reconnects;
	unsigned long long db_failovers;
	long long uptime_ms;
};

/* Reads the scoreboard; all zero without one. */
void sb_read(struct sb_totals *t);

#endif
