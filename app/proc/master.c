/*
 * Static functions, in order: on_signal, spawn, retire, take_retiring,
 * describe_exit, reap, reconcile, all_fatal, pending_timed_work, any_alive,
 * signal_all, reload.
 */
#include "app/proc/master.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/base/clock.h"
#include "app/base/log.h"
#include "app/base/scoreboard.h"
#include "app/proc/listen.h"
#include "app/proc/worker.h"
#include "handlers/handlers.h"

#define MAX_SLOTS 256
#define MAX_RETIRING 512
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000
#define SHORT_LIFE_MS 2000	/* a worker dying younger than this backs off */
#define TICK_MS 100

enum slot_state {
	SLOT_EMPTY,	/* SLOT_EMPTY: nothing here; spawn when wanted */
	SLOT_RUNNING,	/* SLOT_RUNNING */
	SLOT_WAITING,	/* SLOT_WAITING: respawn at respawn_at_ms */
	SLOT_FATAL,	/* SLOT_FATAL: exited 2; never respawned */
};

struct slot {
	enum slot_state state;
	pid_t pid;
	unsigned gen;		/* configuration generation it runs */
	long long started_ms;
	long long respawn_at_ms;
	unsigned backoff_ms;
};

/* Master state. One master per process, so file scope is honest. */
static struct slot slots[MAX_SLOTS];
static pid_t retiring[MAX_RETIRING];	/* told to stop; not replaced */
static size_t n_retiring;
static unsigned gen;
static bool stopping;
static long long kill_at_ms;

static volatile sig_atomic_t got_chld, got_term, got_hup, got_alrm, got_usr1;

static void on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD: got_chld = 1; break;
	case SIGTERM:
	case SIGINT: got_term = 1; break;
	case SIGHUP: got_hup = 1; break;
	case SIGALRM: got_alrm = 1; break;
	case SIGUSR1: got_usr1 = 1; break;
	}
}

static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGUSR1 };
#define NHANDLED (sizeof(handled) / sizeof(handled[0]))

/* Forks a worker into slot i. On fork failure the slot waits and retries. */
static void spawn(struct config *cfg, int listen_fd, size_t i)
{
	struct slot *s = &slots[i];
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		for (size_t k = 0; k < NHANDLED; k++)
			if (handled[k] != SIGTERM && handled[k] != SIGUSR1)
				sigaction(handled[k], &dfl, NULL);	/* those two:
					 * blocked until the worker sets its own */
		_exit(worker_run(cfg, listen_fd, (unsigned)i, true));
	}
	if (pid < 0) {
		log_error("master: fork: %s", strerror(errno));
		s->state = SLOT_WAITING;
		s->backoff_ms = s->backoff_ms ? s->backoff_ms : BACKOFF_FIRST_MS;
		s->respawn_at_ms = now_ms() + s->backoff_ms;
		return;
	}
	s->state = SLOT_RUNNING;
	s->pid = pid;
	s->gen = gen;
	s->started_ms = now_ms();
	/* A reload forks the new worker into the slot of the one it replaces,
	 * which may still finish a request there: for that moment the slot
	 * has two writers, and its busy flag or one count may be off by one. */
	sb_slot_started((unsigned)i, (long)pid);
}

static void retire(pid_t pid)
{
	if (n_retiring < MAX_RETIRING)
		retiring[n_retiring++] = pid;
	kill(pid, SIGTERM);
}

static bool take_retiring(pid_t pid)
{
	for (size_t i = 0; i < n_retiring; i++)
		if (retiring[i] == pid) {
			retiring[i] = retiring[--n_retiring];
			return true;
		}
	return false;
}

static void describe_exit(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

static void reap(void)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		char how[64];
		struct slot *s = NULL;

		if (take_retiring(pid))
			continue;
		for (size_t i = 0; i < MAX_SLOTS; i++)
			if (slots[i].state == SLOT_RUNNING && slots[i].pid == pid)
				s = &slots[i];
		if (s == NULL)
			continue;
		sb_slot_gone((unsigned)(s - slots));
		describe_exit(st, how, sizeof(how));
		if (stopping) {
			s->state = SLOT_EMPTY;
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
			log_error("master: worker %ld %s (fatal); not respawning", (long)pid, how);
			s->state = SLOT_FATAL;
			continue;
		}
		long long now = now_ms();

		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			s->backoff_ms = 0;	/* recycled after max_requests */
		} else {
			log_warn("master: worker %ld %s; respawning", (long)pid, how);
			if (now - s->started_ms < SHORT_LIFE_MS)
				s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_FIRST_MS;
			else
				s->backoff_ms = 0;
			if (s->backoff_ms > BACKOFF_MAX_MS)
				s->backoff_ms = BACKOFF_MAX_MS;
		}
		s->state = SLOT_WAITING;
		s->respawn_at_ms = now + s->backoff_ms;
	}
}

/* Brings the pool to cfg->workers of the current generation: fills empty
 * and due slots, replaces one old-generation worker at a time (the new one
 * is forked before the old one is told to stop, so capacity never drops),
 * and retires slots beyond the configured count. */
static void reconcile(struct config *cfg, int listen_fd)
{
	size_t want = cfg->workers;
	long long now = now_ms();

	for (size_t i = 0; i < want; i++)
		if (slots[i].state == SLOT_EMPTY ||
		    (slots[i].state == SLOT_WAITING && now >= slots[i].respawn_at_ms))
			spawn(cfg, listen_fd, i);
	if (n_retiring == 0)
		for (size_t i = 0; i < want; i++)
			if (slots[i].state == SLOT_RUNNING && slots[i].gen != gen) {
				pid_t old = slots[i].pid;

				spawn(cfg, listen_fd, i);
				if (slots[i].state == SLOT_RUNNING)
					retire(old);
				else {	/* fork failed: keep the old one for now */
					slots[i].state = SLOT_RUNNING;
					slots[i].pid = old;
				}
				break;
			}
	for (size_t i = want; i < MAX_SLOTS; i++) {
		if (slots[i].state == SLOT_RUNNING) {
			retire(slots[i].pid);
			sb_slot_gone((unsigned)i);
		}
		slots[i].state = SLOT_EMPTY;
	}
}

static bool all_fatal(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->workers; i++)
		if (slots[i].state != SLOT_FATAL)
			return false;
	return true;
}

static bool pending_timed_work(const struct config *cfg)
{
	if (stopping || n_retiring > 0)
		return true;
	for (size_t i = 0; i < cfg->workers; i++)
		if (slots[i].state == SLOT_WAITING ||
		    (slots[i].state == SLOT_RUNNING && slots[i].gen != gen))
			return true;
	return false;
}

static bool any_alive(void)
{
	if (n_retiring > 0)
		return true;
	for (size_t i = 0; i < MAX_SLOTS; i++)
		if (slots[i].state == SLOT_RUNNING)
			return true;
	return false;
}

static void signal_all(int sig)
{
	for (size_t i = 0; i < MAX_SLOTS; i++)
		if (slots[i].state == SLOT_RUNNING)
			kill(slots[i].pid, sig);
	for (size_t i = 0; i < n_retiring; i++)
		kill(retiring[i], sig);
}

static void reload(struct config *cfg, master_reload_fn fn)
{
	struct config next;
	char err[512];

	if (fn == NULL || fn(&next, err, sizeof(err)) < 0) {
		log_error("master: reload failed, keeping the running configuration: %s",
			  fn == NULL ? "no configuration source" : err);
		return;
	}
	if (strcmp(next.listen, cfg->listen) != 0)
		log_warn("master: 'listen' changes take effect only after a restart");
	memcpy(next.listen, cfg->listen, sizeof(next.listen));
	if (next.workers == 0) {
		log_warn("master: 'workers = 0' (serve in this process) takes effect only "
			 "after a restart; keeping %u", cfg->workers);
		next.workers = cfg->workers;
	}
	*cfg = next;
	log_setup(cfg->log_level, (int)cfg->log_syslog, "envint");
	if (log_file_open(cfg->log_file, err, sizeof(err)) < 0)	/* a reopen too */
		log_error("master: %s", err);
	if (cfg->status_path[0] != '\0' && sb_open() < 0)
		log_error("master: cannot map the scoreboard; the status page shows zeros");
	(void)openapi_load(cfg->openapi_file);	/* the new workers' copy */
	gen++;
	log_info("master: configuration reloaded; replacing workers one by one");
}

int master_run(struct config *cfg, int listen_fd, const char *unlink_spec,
	       master_reload_fn reload_fn)
{
	struct sigaction sa;
	sigset_t block, wait_mask;
	int status = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t k = 0; k < NHANDLED; k++) {
		sigaction(handled[k], &sa, NULL);
		sigaddset(&block, handled[k]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	for (size_t k = 0; k < NHANDLED; k++)
		sigdelset(&wait_mask, handled[k]);

	log_info("master: starting %u workers", cfg->workers);
	reconcile(cfg, listen_fd);
	for (;;) {
		if (pending_timed_work(cfg)) {
			struct itimerval it = { { 0, 0 }, { 0, TICK_MS * 1000 } };

			setitimer(ITIMER_REAL, &it, NULL);
		}
		if (!got_chld && !got_term && !got_hup && !got_alrm && !got_usr1)
			sigsuspend(&wait_mask);
		got_alrm = 0;
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		if (got_term && !stopping) {
			got_term = 0;
			log_info("master: stopping; in-flight requests may finish within %us",
				 cfg->grace_seconds);
			stopping = true;
			kill_at_ms = now_ms() + (long long)cfg->grace_seconds * 1000;
			close(listen_fd);
			if (unlink_spec != NULL)
				listen_unlink(unlink_spec);
			signal_all(SIGTERM);
		}
		got_term = 0;
		if (got_usr1) {	/* logrotate: this process, then the workers */
			got_usr1 = 0;
			if (log_reopen() < 0)
				log_error("master: reopening the log_file: %s", strerror(errno));
			else
				log_info("master: log_file reopened");
			signal_all(SIGUSR1);
		}
		if (got_hup) {
			got_hup = 0;
			if (!stopping)
				reload(cfg, reload_fn);
		}
		if (stopping) {
			if (!any_alive())
				break;
			if (now_ms() >= kill_at_ms) {
				log_warn("master: grace period over; killing workers");
				signal_all(SIGKILL);
				kill_at_ms = now_ms() + 60 * 1000;
			}
			continue;
		}
		reconcile(cfg, listen_fd);
		if (all_fatal(cfg)) {
			log_error("master: every worker failed fatally; exiting");
			close(listen_fd);
			if (unlink_spec != NULL)
				listen_unlink(unlink_spec);
			status = 2;
			break;
		}
	}
	log_info("master: stopped");
	return status;
}
