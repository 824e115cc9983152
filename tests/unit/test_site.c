/* Unit tests for app/proc/site.c: site templates rendered from the
 * configuration and the route table. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/config.h"
#include "app/proc/router.h"
#include "app/proc/site.h"

static struct site_args args = { "127.0.0.1:8080", NULL, 0 };

/* Renders tmpl; the text (malloc'd) or NULL with the error in err. */
static char *render(const char *tmpl, const struct config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	assert_non_null(f);
	rc = site_render(tmpl, strlen(tmpl), cfg, &args, f, err, errlen);
	fclose(f);
	if (rc == 0)
		return text;
	free(text);
	return NULL;
}

static void test_placeholders(void **state)
{
	struct config cfg;
	char err[256] = "", *out;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "unix:/run/envint/envint.sock");
	cfg.retry_after = 7;
	out = render("server @UPSTREAM@; listen @LISTEN@;\nRetry-After @RETRY_AFTER@ "
		     "@e502 a@b @lower@ @@ @\n", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "server unix:/run/envint/envint.sock; listen 127.0.0.1:8080;\n"
			    "Retry-After 7 @e502 a@b @lower@ @@ @\n");
	free(out);
}

/* A pool: every --upstream a server line; @UPSTREAM@ the first. */
static void test_upstreams(void **state)
{
	static const char *const pool[] = { "10.0.0.1:9000", "unix:/run/b.sock" };
	struct config cfg;
	char err[256] = "", *out;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "127.0.0.1:9000");
	out = render("upstream x {\n@UPSTREAM_SERVERS@}\n", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "upstream x {\n    server 127.0.0.1:9000 max_fails=1 "
			    "fail_timeout=5s;\n}\n");
	free(out);
	args.upstreams = pool;
	args.n_upstreams = 2;
	cfg.listen[0] = '\0';	/* a pool's renderer needs no listen of its own */
	out = render("upstream x {\n@UPSTREAM_SERVERS@}\nfirst @UPSTREAM@\n", &cfg, err,
		     sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "upstream x {\n"
			    "    server 10.0.0.1:9000 max_fails=1 fail_timeout=5s;\n"
			    "    server unix:/run/b.sock max_fails=1 fail_timeout=5s;\n"
			    "}\nfirst 10.0.0.1:9000\n");
	free(out);
	/* an address that would end the directive is refused, not written */
	static const char *const bad[] = { "a:1; } server { listen 81", "a:1 backup", "a:1#",
					   "", "a\"b", "$host:1" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		const char *one[2] = { pool[0], bad[k] };

		args.upstreams = one;
		err[0] = '\0';
		assert_null(render("@UPSTREAM_SERVERS@", &cfg, err, sizeof(err)));
		assert_non_null(strstr(err, "not an address"));
	}
	args.upstreams = NULL;
	args.n_upstreams = 0;
}

static void test_unknown_placeholder_and_no_listen(void **state)
{
	struct config cfg;
	char err[256] = "";

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "127.0.0.1:9000");
	assert_null(render("a @NO_SUCH@ b", &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "@NO_SUCH@"));
	cfg.listen[0] = '\0';	/* inherited fd 0: no upstream to name */
	assert_null(render("server @UPSTREAM@;", &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "listen"));
}

/* The Allow map: one line per route, the route's own Allow, and a path
 * pattern that matches exactly what router_match matches. */
static void test_allow_map_follows_the_route_table(void **state)
{
	struct config cfg;
	char err[256] = "", *out, *line;
	int id = 0;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "127.0.0.1:9000");
	out = render("@ALLOW_MAP@", &cfg, err, sizeof(err));
	assert_non_null(out);
	for (line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"), id++) {
		const struct route *rt = router_route((enum route_id)id);
		char allow[64], want[256];

		assert_true(id < ROUTE__MAX);
		router_allow((enum route_id)id, allow, sizeof(allow));
		snprintf(want, sizeof(want), "    \"~^%s%s%s/?$\" \"%s\";", rt->prefix,
			 rt->item ? "/[^/]+" : "", rt->suffix ? rt->suffix : "", allow);
		assert_string_equal(line, want);
	}
	assert_int_equal(id, ROUTE__MAX);
	free(out);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_upstreams),
		cmocka_unit_test(test_unknown_placeholder_and_no_listen),
		cmocka_unit_test(test_allow_map_follows_the_route_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
