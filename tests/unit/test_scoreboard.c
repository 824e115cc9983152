/* Unit tests for app/base/scoreboard.c: the shared slots, across a fork
 * as the master and its workers share them. */
#include "tests/unit/unit.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/base/scoreboard.h"

/* Everything before sb_open is a no-op, and reads zero. */
static void test_off(void **state)
{
	struct sb_totals t;

	(void)state;
	sb_attach(0);
	sb_request_begin();
	sb_request_end(200, true);
	sb_db_connected();
	sb_db_connected();
	sb_slot_started(0, 1);
	sb_read(&t);
	assert_false(sb_on());
	assert_int_equal(t.workers, 0);
	assert_int_equal(t.accepted, 0);
	assert_int_equal(t.uptime_ms, 0);
}

/* A worker's counts, in its own slot and in the totals; a second connect
 * is a reconnect; the slot's counts outlive its worker. */
static void test_one_process(void **state)
{
	struct sb_totals t;

	(void)state;
	assert_int_equal(sb_open(), 0);
	assert_true(sb_on());
	sb_slot_started(0, 100);
	sb_slot_started(1, 101);
	sb_attach(0);
	sb_db_connected();	/* the first: no reconnect */
	sb_request_begin();
	sb_read(&t);
	assert_int_equal(t.workers, 2);
	assert_int_equal(t.busy, 1);
	assert_int_equal(t.max_busy, 1);
	assert_int_equal(t.accepted, 1);
	sb_request_end(201, false);
	sb_request_begin();
	sb_request_end(404, true);
	sb_request_begin();
	sb_request_end(0, false);	/* no reply: no class */
	sb_db_connected();
	sb_db_failover();
	sb_read(&t);
	assert_int_equal(t.busy, 0);
	assert_int_equal(t.accepted, 3);
	assert_int_equal(t.by_class[1], 1);
	assert_int_equal(t.by_class[3], 1);
	assert_int_equal(t.by_class[0] + t.by_class[2] + t.by_class[4], 0);
	assert_int_equal(t.slow, 1);
	assert_int_equal(t.db_reconnects, 1);
	assert_int_equal(t.db_failovers, 1);
	/* killed in a request: the master clears the slot, the counts stay */
	sb_request_begin();
	sb_slot_gone(0);
	sb_read(&t);
	assert_int_equal(t.workers, 1);
	assert_int_equal(t.busy, 0);
	assert_int_equal(t.accepted, 4);
	sb_slot_started(0, 102);	/* its successor */
	sb_attach(0);
	sb_db_connected();	/* a new process's first connect */
	sb_read(&t);
	assert_int_equal(t.workers, 2);
	assert_int_equal(t.db_reconnects, 1);
	assert_true(t.uptime_ms >= 0);
}

/* Forked children write their own slots; the parent sees their sums and
 * the most busy at once. */
static void test_across_fork(void **state)
{
	struct sb_totals before, t;
	int go[2], st;
	pid_t pid[2];

	(void)state;
	assert_int_equal(sb_open(), 0);
	sb_read(&before);
	assert_int_equal(pipe(go), 0);
	for (int k = 0; k < 2; k++) {
		sb_slot_started(2 + (unsigned)k, 200 + k);
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0) {
			char c;

			sb_attach(2 + (unsigned)k);
			sb_request_begin();	/* both busy, then both done */
			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(1);
			for (int i = 0; i < 999; i++) {
				sb_request_end(200, false);
				sb_request_begin();
			}
			sb_request_end(503, false);
			_exit(0);
		}
	}
	close(go[0]);
	sb_read(&t);	/* both have begun? wait until they have */
	for (int i = 0; i < 1000 && t.busy < 2; i++) {
		usleep(1000);
		sb_read(&t);
	}
	assert_int_equal(t.busy, 2);
	close(go[1]);	/* go */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		sb_slot_gone(2 + (unsigned)k);
	}
	sb_read(&t);
	assert_int_equal(t.accepted - before.accepted, 2000);
	assert_int_equal(t.by_class[1] - before.by_class[1], 1998);
	assert_int_equal(t.by_class[4] - before.by_class[4], 2);
	assert_true(t.max_busy >= 2);
	assert_int_equal(t.busy, 0);
}

/* The process-local database clock: taken and reset. */
static void test_db_time(void **state)
{
	(void)state;
	(void)sb_db_time_take();
	sb_db_time_add(5);
	sb_db_time_add(7);
	assert_int_equal(sb_db_time_take(), 12);
	assert_int_equal(sb_db_time_take(), 0);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_one_process),
		cmocka_unit_test(test_across_fork),
		cmocka_unit_test(test_db_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
