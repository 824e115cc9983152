#include "handlers/handlers.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app/base/qs.h"
#include "app/base/scoreboard.h"
#include "app/base/utf8.h"
#include "app/http/textreply.h"

static const char *const class_names[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };

/* Appends to a fixed buffer; the page is a few hundred bytes. */
struct page_text {
	char buf[4096];
	size_t len;
};

static void add(struct page_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct page_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

/* One metric: HELP, TYPE and its sample lines (Prometheus text 0.0.4). */
#define METRIC(t, name, type, help) \
	add((t), "# HELP " name " " help "\n# TYPE " name " " type "\n")

static void prometheus(struct req *r, const struct sb_totals *s)
{
	struct page_text t;

	t.len = 0;
	METRIC(&t, "envint_workers", "gauge",
	       "Worker processes of this pool, by state (under mod_fcgid: this process).");
	add(&t, "envint_workers{state=\"busy\"} %u\n", s->busy);
	add(&t, "envint_workers{state=\"idle\"} %u\n", s->workers - s->busy);
	METRIC(&t, "envint_workers_max_busy", "gauge",
	       "The most workers busy at once since start.");
	add(&t, "envint_workers_max_busy %u\n", s->max_busy);
	METRIC(&t, "envint_requests_accepted_total", "counter",
	       "Requests accepted since start.");
	add(&t, "envint_requests_accepted_total %llu\n", s->accepted);
	METRIC(&t, "envint_requests_total", "counter", "Requests answered, by status class.");
	for (int c = 0; c < 5; c++)
		add(&t, "envint_requests_total{class=\"%s\"} %llu\n", class_names[c], s->by_class[c]);
	METRIC(&t, "envint_requests_slow_total", "counter", "Requests slower than slow_ms.");
	add(&t, "envint_requests_slow_total %llu\n", s->slow);
	METRIC(&t, "envint_slow_ms", "gauge", "The slow_ms setting (0: off).");
	add(&t, "envint_slow_ms %u\n", r->cfg->slow_ms);
	METRIC(&t, "envint_db_reconnects_total", "counter",
	       "Database connections a worker opened again after losing one.");
	add(&t, "envint_db_reconnects_total %llu\n", s->db_reconnects);
	METRIC(&t, "envint_db_failovers_total", "counter",
	       "Switches to another database node.");
	add(&t, "envint_db_failovers_total %llu\n", s->db_failovers);
	METRIC(&t, "envint_uptime_seconds", "gauge", "Seconds since the pool started.");
	add(&t, "envint_uptime_seconds %lld\n", s->uptime_ms / 1000);
	(void)req_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", t.buf, t.len);
}

static void json_uint(yajl_gen g, unsigned long long v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", v);

	yajl_gen_number(g, num, (size_t)n);
}

static void json(struct req *r, const struct sb_totals *s)
{
	yajl_gen g = req_json_begin(r, 200);

	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	json_key(g, "workers");
	yajl_gen_map_open(g);
	json_key(g, "total");
	json_uint(g, s->workers);
	json_key(g, "busy");
	json_uint(g, s->busy);
	json_key(g, "idle");
	json_uint(g, s->workers - s->busy);
	json_key(g, "max_busy");
	json_uint(g, s->max_busy);
	yajl_gen_map_close(g);
	json_key(g, "requests");
	yajl_gen_map_open(g);
	json_key(g, "accepted");
	json_uint(g, s->accepted);
	json_key(g, "by_class");
	yajl_gen_map_open(g);
	for (int c = 0; c < 5; c++) {
		yajl_gen_string(g, (const unsigned char *)class_names[c], 3);
		json_uint(g, s->by_class[c]);
	}
	yajl_gen_map_close(g);
	json_key(g, "slow");
	json_uint(g, s->slow);
	json_key(g, "slow_ms");
	json_uint(g, r->cfg->slow_ms);
	yajl_gen_map_close(g);
	json_key(g, "database");
	yajl_gen_map_open(g);
	json_key(g, "reconnects");
	json_uint(g, s->db_reconnects);
	json_key(g, "failovers");
	json_uint(g, s->db_failovers);
	yajl_gen_map_close(g);
	json_key(g, "uptime_seconds");
	json_uint(g, (unsigned long long)(s->uptime_ms / 1000));
	yajl_gen_map_close(g);
}

/* The query: nothing, or format=json|prometheus; anything else is a 400
 * naming the parameter, as on every route. 0 (json), 1 (prometheus), or
 * -1 after replying. */
static int format_or_reply(struct req *r)
{
	const char *cur = r->query;
	struct qs_pair p;
	int fmt = 0;

	while (qs_next(&cur, &p)) {
		struct failure f = { NULL, NULL };
		char *key = arena_alloc(r->arena, p.klen + 1);
		char *echo = arena_alloc(r->arena, ECHO_ROOM + 1);
		long klen = key != NULL ? pct_decode(key, p.key, p.klen, true) : -1;

		if (key == NULL || echo == NULL) {
			req_reply_error(r, 500, "internal error");
			return -1;
		}
		if (klen < 0) {	/* echo it as sent */
			memcpy(key, p.key, p.klen);
			klen = (long)p.klen;
		}
		echo[echo_copy(echo, key, (size_t)klen)] = '\0';
		f.path = echo;
		if (klen != 6 || memcmp(key, "format", 6) != 0) {
			f.message = "unknown parameter";
		} else if (p.val != NULL && p.vlen == 10 && memcmp(p.val, "prometheus", 10) == 0) {
			fmt = 1;
			continue;
		} else if (p.val != NULL && p.vlen == 4 && memcmp(p.val, "json", 4) == 0) {
			fmt = 0;
			continue;
		} else {
			f.message = "must be json or prometheus";
		}
		req_reply_invalid(r, "invalid query parameter '", "': ", &f);
		return -1;
	}
	return fmt;
}

/* The pool's scoreboard (app/base/scoreboard.h): JSON, or Prometheus text
 * with ?format=prometheus. No token: the web server's site keeps the path
 * to loopback. */
void status_get(struct req *r)
{
	struct sb_totals s;
	int fmt = format_or_reply(r);

	if (fmt < 0)
		return;
	sb_read(&s);
	if (fmt == 1)
		prometheus(r, &s);
	else
		json(r, &s);
}
