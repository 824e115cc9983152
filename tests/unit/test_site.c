/* Unit tests for app/proc/site.c: site templates rendered from the
 * configuration and the route table. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/config.h"
#include "app/proc/router.h"
#include "app/proc/site.h"

static struct site_vars args = { "127.0.0.1:8080", NULL, 0, "/usr/share/envint",
				  "/usr/bin/envint", "/etc/envint/envint.conf" };

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

/* A route's path pattern as site.c writes it: its prefix, "/[^/]+" for an
 * item route, its suffix, one trailing slash; regex metacharacters of the
 * prefix and suffix escaped ("/openapi\\.json"). */
static void route_pattern(const struct route *rt, char *out, size_t len)
{
	const char *parts[3] = { rt->prefix, rt->item ? "/[^/]+" : "", rt->suffix };
	size_t n = 0;

	for (int i = 0; i < 3; i++)
		for (const char *c = parts[i]; c != NULL && *c != '\0'; c++) {
			if (i != 1 && strchr("\\^$.|?*+()[]{}", *c) != NULL && n + 1 < len)
				out[n++] = '\\';
			if (n + 1 < len)
				out[n++] = *c;
		}
	out[n] = '\0';
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
		char allow[64], want[256], re[128];

		assert_true(id < ROUTE__MAX);
		router_allow((enum route_id)id, allow, sizeof(allow));
		route_pattern(rt, re, sizeof(re));
		snprintf(want, sizeof(want), "    \"~^%s/?$\" \"%s\";", re, allow);
		assert_string_equal(line, want);
	}
	assert_int_equal(id, ROUTE__MAX);
	free(out);
}

/* The status page: its line in the Allow map, and its regex (or one that
 * matches no path while it is off). */
static void test_status_path(void **state)
{
	struct config cfg;
	char err[256] = "", *out;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "127.0.0.1:9000");
	out = render("<@STATUS_PATH_RE@>", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "<^$>");
	free(out);
	strcpy(cfg.status_path, "/envint.status");
	out = render("<@STATUS_PATH_RE@>", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "<^/envint\\.status/?$>");
	free(out);
	out = render("@ALLOW_MAP@", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_non_null(strstr(out, "\n    \"~^/envint\\.status/?$\" \"GET, HEAD\";\n"));
	free(out);
}

/* The Apache placeholders: mod_proxy_fcgi's URL for both kinds of listen,
 * the request limit above body_max, and the caller's paths. */
static void test_apache_placeholders(void **state)
{
	struct config cfg;
	char err[256] = "", *out;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.listen, "unix:/run/envint/envint.sock");
	cfg.body_max = 8u << 20;
	out = render("@FCGI_URL@ @REQUEST_MAX@\n@TEMPLATE_DIR@ @BINARY@ @CONFIG@", &cfg,
		     err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "unix:/run/envint/envint.sock|fcgi://localhost/ 9437184\n"
			    "/usr/share/envint /usr/bin/envint /etc/envint/envint.conf");
	free(out);
	strcpy(cfg.listen, "127.0.0.1:9000");
	out = render("@FCGI_URL@", &cfg, err, sizeof(err));
	assert_non_null(out);
	assert_string_equal(out, "fcgi://127.0.0.1:9000/");
	free(out);
	cfg.listen[0] = '\0';	/* mod_fcgid's site needs no listen */
	out = render("@BINARY@ --config @CONFIG@", &cfg, err, sizeof(err));
	assert_non_null(out);
	free(out);
	assert_null(render("@FCGI_URL@", &cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "listen"));
}

/* Apache's Allow lines: one per route and the status page, each the
 * route's Allow for a 405 on its path (an item route's suffix included). */
static void test_apache_allow(void **state)
{
	struct config cfg;
	char err[256] = "", *out, *line, want[512];
	int n = 0;

	(void)state;
	config_defaults(&cfg);
	strcpy(cfg.status_path, "/s");
	out = render("@APACHE_ALLOW@", &cfg, err, sizeof(err));
	assert_non_null(out);
	for (line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"), n++) {
		char allow[64], re[128];

		if (n < ROUTE__MAX) {
			const struct route *rt = router_route((enum route_id)n);

			char pat[112];

			router_allow((enum route_id)n, allow, sizeof(allow));
			route_pattern(rt, pat, sizeof(pat));
			snprintf(re, sizeof(re), "^%s/?$", pat);
		} else {
			strcpy(allow, "GET, HEAD");
			strcpy(re, "^/s/?$");
		}
		snprintf(want, sizeof(want), "        Header always set Allow \"%s\" "
			 "\"expr=%%{reqenv:REDIRECT_STATUS} == '405' && "
			 "%%{reqenv:REDIRECT_ENVINT_PATH} =~ m#%s#\"", allow, re);
		assert_string_equal(line, want);
	}
	assert_int_equal(n, ROUTE__MAX + 1);
	free(out);
}

/* A value the caller does not have fails the template that needs it. */
static void test_missing_var(void **state)
{
	struct config cfg;
	char err[256] = "", *text = NULL;
	size_t len = 0;
	FILE *f;
	struct site_vars v = { .http_listen = "80" };

	(void)state;
	config_defaults(&cfg);
	f = open_memstream(&text, &len);
	assert_int_equal(site_render("x @CONFIG@", 10, &cfg, &v, f, err, sizeof(err)), -1);
	fclose(f);
	free(text);
	assert_non_null(strstr(err, "--config"));
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_upstreams),
		cmocka_unit_test(test_unknown_placeholder_and_no_listen),
		cmocka_unit_test(test_allow_map_follows_the_route_table),
		cmocka_unit_test(test_status_path),
		cmocka_unit_test(test_apache_placeholders),
		cmocka_unit_test(test_missing_var),
		cmocka_unit_test(test_apache_allow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
