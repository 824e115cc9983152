/*
 * Unit tests for app/base/config.c: defaults, config_set per type, config_load
 * and config_check.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/base/config.h"

static char err[512];

/* config_set on a fresh default config; returns its result. */
static int set(struct config *c, const char *key, const char *value)
{
	memset(err, 'Z', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	return config_set(c, key, value, err, sizeof(err));
}

static void test_defaults(void **state)
{
	struct config c;

	(void)state;
	memset(&c, 0xA5, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.listen, "");
	assert_int_equal(c.listen_mode, 0660);
	assert_int_equal(c.listen_backlog, 128);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.max_requests, 0);
	assert_int_equal(c.grace_seconds, 30);
	assert_string_equal(c.pidfile, "");
	assert_string_equal(c.db_socket, "");
	assert_string_equal(c.db_host, "127.0.0.1");
	assert_int_equal(c.db_port, 3306);
	assert_string_equal(c.db_user, "envint");
	assert_string_equal(c.db_password, "");
	assert_string_equal(c.db_name, "envint");
	assert_int_equal(c.db_timeout, 5);
	assert_int_equal(c.retry_after, 1);
	assert_int_equal(c.body_max, 8u << 20);
	assert_int_equal(c.json_depth_max, 64);
	assert_int_equal(c.page_default, 100);
	assert_int_equal(c.page_max, 1000);
	assert_int_equal(c.log_level, LL_INFO);
	assert_int_equal(c.log_syslog, 0);
	assert_string_equal(c.log_file, "");
	assert_string_equal(c.status_path, "");
	assert_int_equal(c.slow_ms, 1000);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
}

/* workers = 0 serves in the process itself (mod_fcgid). */
static void test_workers_zero(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "workers", "0"), 0);
	assert_int_equal(c.workers, 0);
}

/* status_path: off, or a plain absolute path the sites can quote. */
static void test_status_path(void **state)
{
	static const char *const good[] = { "", "/envint-status", "/a/b_c.d", "/s" };
	static const char *const bad[] = {
		"envint-status", "/", "/status/", "/a//b", "/a b", "/a?b", "/a\"b",
		"/a$", "/(x)", "/a%20",
	};
	struct config c;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		config_defaults(&c);
		assert_int_equal(set(&c, "status_path", good[i]), 0);
		assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		assert_int_equal(set(&c, "status_path", bad[i]), 0);
		assert_int_equal(config_check(&c, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "'status_path'"));
	}
}

static void test_uint_valid(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "workers", "1"), 0);
	assert_int_equal(c.workers, 1);
	assert_int_equal(set(&c, "workers", "256"), 0);
	assert_int_equal(c.workers, 256);
	assert_int_equal(set(&c, "workers", "007"), 0);	/* decimal, leading zeros */
	assert_int_equal(c.workers, 7);
	assert_int_equal(set(&c, "max_requests", "0"), 0);
	assert_int_equal(c.max_requests, 0);
	assert_int_equal(set(&c, "max_requests", "4294967295"), 0);
	assert_int_equal(c.max_requests, 4294967295u);
	assert_int_equal(set(&c, "db_port", "65535"), 0);
	assert_int_equal(c.db_port, 65535);
	assert_int_equal(set(&c, "db_timeout", "300"), 0);
	assert_int_equal(c.db_timeout, 300);
	assert_int_equal(set(&c, "page_default", "100000"), 0);
	assert_int_equal(c.page_default, 100000);
}

static void test_uint_invalid(void **state)
{
	static const char *const bad[] = {
		"257", "-1", " 3", "3 ", "3x", "", "+3", "0x10", "1e2",
		"99999999999999999999999", "3.0",
	};
	struct config c;

	(void)state;
	config_defaults(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(set(&c, "workers", bad[i]), -1);
		snprintf(want, sizeof(want),
			 "'workers' must be a number between 0 and 256, not '%s'", bad[i]);
		assert_string_equal(err, want);
		assert_int_equal(c.workers, 2);	/* unchanged */
	}
	/* 2^32 does not wrap into an unsigned field */
	assert_int_equal(set(&c, "max_requests", "4294967296"), -1);
	assert_string_equal(err, "'max_requests' must be a number between 0 and "
			    "4294967295, not '4294967296'");
	assert_int_equal(c.max_requests, 0);
	assert_int_equal(set(&c, "db_port", "65536"), -1);
	assert_non_null(strstr(err, "'db_port'"));
	assert_int_equal(set(&c, "db_timeout", "0"), -1);
	assert_string_equal(err, "'db_timeout' must be a number between 1 and 300, not '0'");
	assert_int_equal(set(&c, "json_depth_max", "1"), -1);
	assert_string_equal(err, "'json_depth_max' must be a number between 2 and 127, not '1'");
}

static void test_size(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "body_max", "64k"), 0);
	assert_int_equal(c.body_max, 64u * 1024);
	assert_int_equal(set(&c, "body_max", "8m"), 0);
	assert_int_equal(c.body_max, 8u << 20);
	assert_int_equal(set(&c, "body_max", "1g"), 0);
	assert_int_equal(c.body_max, 1u << 30);
	assert_int_equal(set(&c, "body_max", "2K"), 0);	/* suffix in either case */
	assert_int_equal(c.body_max, 2048);
	assert_int_equal(set(&c, "body_max", "3M"), 0);
	assert_int_equal(c.body_max, 3u << 20);
	assert_int_equal(set(&c, "body_max", "64"), 0);	/* plain bytes, the minimum */
	assert_int_equal(c.body_max, 64);
	assert_int_equal(set(&c, "body_max", "1073741824"), 0);
	assert_int_equal(c.body_max, 1u << 30);
}

static void test_size_invalid(void **state)
{
	static const char *const bad[] = {
		"10x", "63", "2g", "1025m", "k", "", "-1k", " 8m", "8m ", "8mb", "8 m",
		"1073741825", "18446744073709551615k", "1.5m",
	};
	struct config c;

	(void)state;
	config_defaults(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(set(&c, "body_max", bad[i]), -1);
		snprintf(want, sizeof(want),
			 "'body_max' must be a number between 64 and 1073741824, not '%s'",
			 bad[i]);
		assert_string_equal(err, want);
		assert_int_equal(c.body_max, 8u << 20);
	}
}

static void test_mode(void **state)
{
	static const char *const bad[] = { "8", "0999", "010000", "-0660", "rw", "", "0660 " };
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "listen_mode", "0600"), 0);
	assert_int_equal(c.listen_mode, 0600);
	assert_int_equal(set(&c, "listen_mode", "0660"), 0);
	assert_int_equal(c.listen_mode, 0660);
	assert_int_equal(set(&c, "listen_mode", "666"), 0);	/* octal without the 0 */
	assert_int_equal(c.listen_mode, 0666);
	assert_int_equal(set(&c, "listen_mode", "07777"), 0);
	assert_int_equal(c.listen_mode, 07777);
	assert_int_equal(set(&c, "listen_mode", "0"), 0);
	assert_int_equal(c.listen_mode, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(set(&c, "listen_mode", bad[i]), -1);
		snprintf(want, sizeof(want),
			 "'listen_mode' must be octal between 0 and 4095, not '%s'", bad[i]);
		assert_string_equal(err, want);
		assert_int_equal(c.listen_mode, 0);
	}
}

static void test_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	static const char *const bad[] = { "maybe", "", "2", "y", "n", "yes " };
	struct config c;

	(void)state;
	config_defaults(&c);
	for (size_t i = 0; i < 4; i++) {
		c.log_syslog = 0;
		assert_int_equal(set(&c, "log_syslog", yes[i]), 0);
		assert_int_equal(c.log_syslog, 1);
		assert_int_equal(set(&c, "log_syslog", no[i]), 0);
		assert_int_equal(c.log_syslog, 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[256];

		assert_int_equal(set(&c, "log_syslog", bad[i]), -1);
		snprintf(want, sizeof(want),
			 "'log_syslog' must be a boolean (yes/no) between 0 and 1, not '%s'",
			 bad[i]);
		assert_string_equal(err, want);
		assert_int_equal(c.log_syslog, 0);
	}
}

static void test_string(void **state)
{
	struct config c;
	char longv[300];

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "listen", "127.0.0.1:9000"), 0);
	assert_string_equal(c.listen, "127.0.0.1:9000");
	assert_int_equal(set(&c, "db_host", ""), 0);
	assert_string_equal(c.db_host, "");
	assert_int_equal(set(&c, "db_password", " spaces kept = and all "), 0);
	assert_string_equal(c.db_password, " spaces kept = and all ");

	/* listen holds 255 bytes and a NUL */
	memset(longv, 'a', 255);
	longv[255] = '\0';
	assert_int_equal(set(&c, "listen", longv), 0);
	assert_string_equal(c.listen, longv);
	longv[255] = 'a';
	longv[256] = '\0';
	assert_int_equal(set(&c, "listen", longv), -1);
	assert_string_equal(err, "'listen' is longer than 255 bytes");
	longv[255] = '\0';
	assert_string_equal(c.listen, longv);	/* unchanged */

	/* db_user holds 127 */
	memset(longv, 'u', 128);
	longv[128] = '\0';
	assert_int_equal(set(&c, "db_user", longv), -1);
	assert_string_equal(err, "'db_user' is longer than 127 bytes");
	assert_string_equal(c.db_user, "envint");
}

static void test_log_level(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "log_level", "debug"), 0);
	assert_int_equal(c.log_level, LL_DEBUG);
	assert_int_equal(set(&c, "log_level", "error"), 0);
	assert_int_equal(c.log_level, LL_ERROR);
	assert_int_equal(set(&c, "log_level", "warn"), 0);
	assert_int_equal(c.log_level, LL_WARN);
	assert_int_equal(set(&c, "log_level", "info"), 0);
	assert_int_equal(c.log_level, LL_INFO);
	assert_int_equal(set(&c, "log_level", "loud"), -1);
	assert_string_equal(err, "'log_level' must be error, warn, info or debug");
	assert_int_equal(c.log_level, LL_INFO);
}

static void test_unknown_key(void **state)
{
	struct config c, before;

	(void)state;
	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(set(&c, "x", "1"), -1);
	assert_non_null(strstr(err, "unknown key 'x'"));
	assert_string_equal(err, "unknown key 'x'");
	assert_int_equal(set(&c, "Workers", "3"), -1);	/* names are case-sensitive */
	assert_string_equal(err, "unknown key 'Workers'");
	assert_int_equal(set(&c, "", "3"), -1);
	assert_string_equal(err, "unknown key ''");
	assert_memory_equal(&c, &before, sizeof(c));
}

/* err is always NUL-terminated, even when too small for the message. */
static void test_err_truncated(void **state)
{
	struct config c;
	char small[8];

	(void)state;
	config_defaults(&c);
	memset(small, 'Z', sizeof(small));
	assert_int_equal(config_set(&c, "workers", "x", small, sizeof(small)), -1);
	assert_string_equal(small, "'worker");
	memset(small, 'Z', sizeof(small));
	assert_int_equal(config_set(&c, "nope", "0", small, sizeof(small)), -1);
	assert_string_equal(small, "unknown");
}

/* ---- config_load ---- */

static char tmppath[64];

/* Writes `text` to a new temp file, path in tmppath. */
static void write_tmp(const char *text)
{
	int fd;
	size_t n = strlen(text);

	snprintf(tmppath, sizeof(tmppath), "/tmp/envint-test-config-XXXXXX");
	fd = mkstemp(tmppath);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
}

static int load(struct config *c, const char *text)
{
	int rc;

	write_tmp(text);
	memset(err, 'Z', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = config_load(c, tmppath, err, sizeof(err));
	unlink(tmppath);
	return rc;
}

static void test_load_ok(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(load(&c,
		"# envint.conf\n"
		"\n"
		"   \n"
		"\t# indented comment\n"
		"workers=4\n"
		"  page_default   =   50  \n"
		"listen = unix:/run/envint.sock\n"
		"log_level\t=\tdebug\n"
		"body_max = 64k\n"
		"db_password = a=b # not a comment\n"
		"db_host =\n"
		"log_syslog = on\r\n"
		"listen_mode = 0600"	/* last line without a newline */
		), 0);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.page_default, 50);
	assert_string_equal(c.listen, "unix:/run/envint.sock");
	assert_int_equal(c.log_level, LL_DEBUG);
	assert_int_equal(c.body_max, 65536);
	assert_string_equal(c.db_password, "a=b # not a comment");
	assert_string_equal(c.db_host, "");
	assert_int_equal(c.log_syslog, 1);
	assert_int_equal(c.listen_mode, 0600);
	/* untouched keys keep their values */
	assert_int_equal(c.page_max, 1000);
	assert_string_equal(c.db_user, "envint");
}

static void test_load_empty_file(void **state)
{
	struct config c, before;

	(void)state;
	config_defaults(&c);
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(load(&c, ""), 0);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(load(&c, "# only a comment\n\n"), 0);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_load_missing_equals(void **state)
{
	struct config c;
	char want[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(load(&c, "# comment\nworkers = 3\n\nworkers 5\nworkers = 9\n"), -1);
	snprintf(want, sizeof(want), "%s:4: expected 'key = value'", tmppath);
	assert_string_equal(err, want);
	assert_int_equal(c.workers, 3);	/* lines before the error were applied */
}

static void test_load_bad_value(void **state)
{
	struct config c;
	char want[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(load(&c, "workers = 3\n# x\npage_max = lots\n"), -1);
	snprintf(want, sizeof(want),
		 "%s:3: 'page_max' must be a number between 1 and 100000, not 'lots'", tmppath);
	assert_string_equal(err, want);

	config_defaults(&c);
	assert_int_equal(load(&c, "\n\n\n\n\nbogus = 1\n"), -1);
	snprintf(want, sizeof(want), "%s:6: unknown key 'bogus'", tmppath);
	assert_string_equal(err, want);

	config_defaults(&c);
	assert_int_equal(load(&c, "workers = 257\n"), -1);
	snprintf(want, sizeof(want),
		 "%s:1: 'workers' must be a number between 0 and 256, not '257'", tmppath);
	assert_string_equal(err, want);

	/* an empty key */
	config_defaults(&c);
	assert_int_equal(load(&c, "= 1\n"), -1);
	snprintf(want, sizeof(want), "%s:1: unknown key ''", tmppath);
	assert_string_equal(err, want);
}

static void test_load_long_line(void **state)
{
	struct config c;
	char want[256];
	char text[2100];
	size_t len;

	(void)state;
	config_defaults(&c);

	snprintf(text, sizeof(text), "workers = 3\ndb_password = ");
	len = strlen(text);
	memset(text + len, 'p', 2000);
	text[len + 2000] = '\n';
	text[len + 2001] = '\0';
	assert_int_equal(load(&c, text), -1);
	snprintf(want, sizeof(want), "%s:2: line too long", tmppath);
	assert_string_equal(err, want);
}

static void test_load_missing_file(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load(&c, "/nonexistent/envint.conf", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/envint.conf: No such file or directory");
}

static void test_check(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(set(&c, "page_default", "1000"), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);	/* equal is fine */
	assert_int_equal(set(&c, "page_default", "1001"), 0);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "'page_default' (1001) must not exceed 'page_max' (1000)");
	assert_int_equal(set(&c, "page_max", "5000"), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_workers_zero),
		cmocka_unit_test(test_status_path),
		cmocka_unit_test(test_uint_valid),
		cmocka_unit_test(test_uint_invalid),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_invalid),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_log_level),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_err_truncated),
		cmocka_unit_test(test_load_ok),
		cmocka_unit_test(test_load_empty_file),
		cmocka_unit_test(test_load_missing_equals),
		cmocka_unit_test(test_load_bad_value),
		cmocka_unit_test(test_load_long_line),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
