#include "app/base/scoreboard.h"

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "app/base/clock.h"

/* One worker's slot, on a cache line of its own so that workers writing
 * their counters do not slow each other down. */
struct sb_slot {
	long pid;			/* master: 0 when no worker runs here */
	unsigned long busy;		/* worker (master clears it at reap) */
	unsigned long long accepted;	/* worker, and the rest below too */
	unsigned long long by_class[5];
	unsigned long long slow;
	unsigned long long db_reconnects;
	unsigned long long db_failovers;
} __attribute__((aligned(128)));

struct sb {
	long long start_ms;		/* now_ms() at sb_open */
	unsigned long hi;		/* master: slots in use are [0, hi) */
	unsigned long max_busy;		/* workers: raised by compare-and-swap */
	struct sb_slot slot[SB_SLOTS];
};

static struct sb *sb;			/* shared; NULL when off */
static struct sb_slot *mine;		/* this worker's slot */
static bool connected_once;		/* this process's first connect was */
static long long db_time_us;		/* process-local */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
/* Only the slot's writer adds, so a load and a store are enough. */
#define BUMP(p) STORE((p), LOAD(p) + 1)

int sb_open(void)
{
	void *p;

	if (sb != NULL)
		return 0;
	p = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	sb = p;	/* mmap's pages come zeroed */
	sb->start_ms = now_ms();
	return 0;
}

bool sb_on(void)
{
	return sb != NULL;
}

void sb_slot_started(unsigned i, long pid)
{
	if (sb == NULL || i >= SB_SLOTS)
		return;
	/* busy is left alone: already 0 (zeroed pages, or the reap), and the
	 * child may have begun its first request before the master gets here */
	STORE(&sb->slot[i].pid, pid);
	if (i + 1 > LOAD(&sb->hi))
		STORE(&sb->hi, (unsigned long)i + 1);
}

void sb_slot_gone(unsigned i)
{
	if (sb == NULL || i >= SB_SLOTS)
		return;
	STORE(&sb->slot[i].pid, 0L);
	STORE(&sb->slot[i].busy, 0UL);
}

void sb_attach(unsigned i)
{
	mine = sb != NULL && i < SB_SLOTS ? &sb->slot[i] : NULL;
	connected_once = false;
}

void sb_request_begin(void)
{
	unsigned long busy = 0, hi, seen;

	if (mine == NULL)
		return;
	STORE(&mine->busy, 1UL);
	BUMP(&mine->accepted);
	hi = LOAD(&sb->hi);
	for (unsigned long i = 0; i < hi && i < SB_SLOTS; i++)
		busy += LOAD(&sb->slot[i].busy);
	seen = LOAD(&sb->max_busy);
	while (busy > seen &&
	       !__atomic_compare_exchange_n(&sb->max_busy, &seen, busy, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;	/* seen now holds the other writer's value: compare again */
}

void sb_request_end(int status, bool slow)
{
	if (mine == NULL)
		return;
	if (status >= 100 && status <= 599)
		BUMP(&mine->by_class[status / 100 - 1]);
	if (slow)
		BUMP(&mine->slow);
	STORE(&mine->busy, 0UL);
}

void sb_db_connected(void)
{
	if (connected_once && mine != NULL)
		BUMP(&mine->db_reconnects);
	connected_once = true;
}

void sb_db_failover(void)
{
	if (mine != NULL)
		BUMP(&mine->db_failovers);
}

void sb_db_time_add(long long us)
{
	db_time_us += us;
}

long long sb_db_time_take(void)
{
	long long us = db_time_us;

	db_time_us = 0;
	return us;
}

void sb_read(struct sb_totals *t)
{
	unsigned long hi;

	memset(t, 0, sizeof(*t));
	if (sb == NULL)
		return;
	hi = LOAD(&sb->hi);
	for (unsigned long i = 0; i < hi && i < SB_SLOTS; i++) {
		const struct sb_slot *s = &sb->slot[i];

		if (LOAD(&s->pid) != 0) {
			t->workers++;
			t->busy += (unsigned)LOAD(&s->busy);
		}
		t->accepted += LOAD(&s->accepted);
		for (int c = 0; c < 5; c++)
			t->by_class[c] += LOAD(&s->by_class[c]);
		t->slow += LOAD(&s->slow);
		t->db_reconnects += LOAD(&s->db_reconnects);
		t->db_failovers += LOAD(&s->db_failovers);
	}
	t->max_busy = (unsigned)LOAD(&sb->max_busy);
	t->uptime_ms = now_ms() - sb->start_ms;
}
