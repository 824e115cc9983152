#include "app/proc/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app/base/arena.h"
#include "app/base/ids.h"
#include "app/base/log.h"
#include "app/base/scoreboard.h"
#include "app/http/auth.h"
#include "app/http/req.h"
#include "app/proc/router.h"
#include "db/db.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t in_request;
static volatile sig_atomic_t listen_fd_sig = -1;

/* SIGTERM: finish the request in hand, then exit. When idle, closing the
 * listening descriptor makes the blocked (or next) accept fail at once, so
 * a signal that lands just before accept() cannot be lost. */
static void on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (!in_request && listen_fd_sig >= 0) {
		close(listen_fd_sig);
		listen_fd_sig = -1;
	}
}

/* SIGUSR1 (and SIGHUP when this process is the whole pool): reopen the
 * log_file here and now. log_reopen is open, dup2 and close, all safe in a
 * handler, and SA_RESTART leaves a read from the web server or the
 * database undisturbed, so the signal can land anywhere. */
static void on_reopen(int sig)
{
	(void)sig;
	(void)log_reopen();
}

static int install_signals(bool pooled)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: accept must see EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = on_reopen;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGUSR1, &sa, NULL) < 0 ||
	    (!pooled && sigaction(SIGHUP, &sa, NULL) < 0))
		return -1;
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0 || (pooled && sigaction(SIGHUP, &sa, NULL) < 0))
		return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* Reads whatever body the handler left unread (404s, 405s, 401s, a body
 * rejected half-way): the web server writes the whole body before it
 * reads the reply, and a closed connection would turn the reply into 502. */
static void drain_input(struct req *r)
{
	char buf[16384];

	while (r->read(r, buf, sizeof(buf)) > 0)
		;
}

/* The slow-request line: where the time went, database against the rest. */
static void log_slow(const struct req *r, long us, long long db_us)
{
	char m[16], p[256];

	log_warn("slow request %s: %s %s %d took %ldms: database %lldms, the rest %lldms",
		 r->id, log_clean(m, sizeof(m), r->method_name),
		 log_clean(p, sizeof(p), r->path != NULL ? r->path : "-"), r->status,
		 us / 1000, db_us / 1000, (us - db_us) / 1000);
}

int worker_run(const struct config *cfg, int listen_fd, unsigned slot, bool pooled)
{
	FCGX_Request fx;
	struct arena *arena = NULL;
	struct db *db = NULL;
	unsigned char rnd[16];
	char prefix[9];
	unsigned long long seq = 0;
	int status = 2;

#ifdef PR_SET_PDEATHSIG
	if (pooled)
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* an orphan worker stops too */
#endif
	/* Our SIGTERM handler goes in before FCGX_Init, which keeps it. */
	if (install_signals(pooled) < 0) {
		log_error("worker: signals: %s", strerror(errno));
		return 2;
	}
	listen_fd_sig = listen_fd;
	if (pooled && getppid() == 1) {	/* the master died before we got here */
		return 0;
	}
	sb_attach(slot);
	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fx, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("worker: FastCGI initialisation failed");
		return 2;
	}
	arena = arena_new(64 * 1024);
	db = db_new(cfg, DB_CHECK_SCHEMA);
	if (arena == NULL || db == NULL) {
		log_error("worker: out of memory at startup");
		goto out;
	}
	(void)db_connect(db);	/* a database that is down now answers 503 later */
	if (db_fatal(db))
		goto out;
	id_generate(rnd);	/* only the first bytes: a per-worker id prefix */
	hex_encode(rnd, 4, prefix);
	log_info("worker ready");

	while (!stop_requested) {
		struct req r;
		char m[16], p[256];

		if (FCGX_Accept_r(&fx) < 0) {
			if (stop_requested)
				break;
			if (errno == EINTR)
				continue;
			log_error("worker: accept failed: %s", strerror(errno));
			usleep(100 * 1000);	/* EMFILE and friends: do not spin */
			continue;
		}
		in_request = 1;
		sb_request_begin();
		(void)sb_db_time_take();	/* from here on, this request's */
		req_init(&r, &fx, arena, cfg, db, prefix, ++seq);
		router_dispatch(&r);
		if (r.status == 0) {	/* a handler that forgot to reply is a bug */
			req_reply_error(&r, 500, "internal error");
			(void)req_flush(&r);
		}
		if (!r.abort)
			drain_input(&r);
		long us = elapsed_us(&r.t0);
		bool slow = cfg->slow_ms && us >= (long)cfg->slow_ms * 1000;

		log_info("%s %s %d %llu %ldus %s%s",
			 log_clean(m, sizeof(m), r.method_name),
			 log_clean(p, sizeof(p), r.path != NULL ? r.path : "-"),
			 r.status, r.bytes, us, r.id,
			 r.abort ? " aborted" : "");
		if (slow)
			log_slow(&r, us, sb_db_time_take());
		if (r.abort)
			FCGX_Free(&fx, 1);	/* no END_REQUEST: see req_abort */
		else
			FCGX_Finish_r(&fx);
		arena_reset(arena);
		sb_request_end(r.status, slow);
		in_request = 0;
		if (db_fatal(db))
			goto out;
		if (stop_requested)
			break;
		if (cfg->max_requests && seq >= cfg->max_requests) {
			log_info("worker: recycling after %llu requests", seq);
			break;
		}
	}
	status = 0;
out:
	FCGX_Free(&fx, 1);
	db_free(db);
	arena_free(arena);
	auth_cache_clear();
	return status;
}
