/*
 * envint: the FastCGI server. Loads the configuration, opens (or inherits)
 * the listening socket and hands over to the master, which forks workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "app/base/config.h"
#include "app/base/log.h"
#include "app/base/scoreboard.h"
#include "app/proc/listen.h"
#include "app/proc/master.h"
#include "app/proc/router.h"
#include "app/proc/site.h"
#include "app/proc/worker.h"
#include "handlers/handlers.h"

static struct config_args args;
static const char *site_template;		/* --render-site */
static const char *upstreams[16];		/* --upstream, repeated */
static struct site_vars site = { "80", upstreams, 0, NULL, NULL, NULL };	/* --http-listen, --upstream */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: envint [--config FILE] [--KEY VALUE | --KEY=VALUE ...]\n"
		"              [--check-config] [--version] [--help]\n"
		"       envint [--config FILE] --render-site TEMPLATE [--http-listen ADDR]\n"
		"              [--upstream ADDR ...]\n"
		"\n"
		"Every configuration key can be given as a flag, '_' written as '-':\n"
		"  --listen 127.0.0.1:9000 | --listen unix:/run/envint.sock\n"
		"  --workers 4 --db-socket /run/mysqld/mysqld.sock --log-level debug\n"
		"Flags win over the file, wherever they stand. Without 'listen', envint\n"
		"serves on the socket it inherits on fd 0 (mod_fcgid, spawn-fcgi);\n"
		"--workers 0 serves in this one process (mod_fcgid).\n"
		"See conf/envint.conf.example for all keys.\n"
		"\n"
		"--render-site prints a web server site (conf/nginx-envint.conf.in,\n"
		"conf/apache-envint.conf.in, conf/apache-fcgid.conf.in) for this\n"
		"configuration: upstream, Retry-After, the methods of each route and\n"
		"the status page filled in; the site listens on ADDR (default 80).\n"
		"For a pool of envint hosts, name each with --upstream (unix:/path or\n"
		"host:port); without it the upstream is this configuration's 'listen'.\n");
}

/* Builds the configuration from scratch: defaults, the file, the flags.
 * Also the SIGHUP reload, so a reload sees the same flags. */
static int load_config(struct config *c, char *err, size_t errlen)
{
	if (config_build(c, &args, err, errlen) < 0)
		return -1;
	if (c->status_path[0] != '\0' && !router_path_free(c->status_path)) {
		snprintf(err, errlen, "'status_path' %s is a route of the API", c->status_path);
		return -1;
	}
	return 0;
}

/* A flag that takes a value: the value, moving *i past both; NULL (and a
 * message) when it is missing. */
static const char *flag_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		fprintf(stderr, "envint: flag '%s' needs a value\n", argv[*i]);
		return NULL;
	}
	*i += 2;
	return argv[*i - 1];
}

/* Names an argument that is neither an option nor a configuration key,
 * as the key it would be ("--no-such" is no key 'no_such'). */
static void unknown_flag(const char *a)
{
	char key[64];
	size_t k = 0;

	if (strncmp(a, "--", 2) != 0) {
		fprintf(stderr, "envint: unexpected argument '%s'\n", a);
		return;
	}
	for (a += 2; *a != '\0' && *a != '=' && k + 1 < sizeof(key); a++)
		key[k++] = *a == '-' ? '_' : *a;
	key[k] = '\0';
	fprintf(stderr, "envint: unknown key '%s' (see conf/envint.conf.example)\n", key);
}

static int parse_args(int argc, char **argv, int *check_only)
{
	char err[256];

	for (int i = 1; i < argc;) {
		const char *a = argv[i];
		int took = config_args_take(&args, argc, argv, &i, err, sizeof(err));

		if (took < 0) {
			fprintf(stderr, "envint: %s\n", err);
			return -1;
		}
		if (took > 0)
			continue;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--version") == 0) {
			printf("envint %s\n", PACKAGE_VERSION);
			exit(0);
		} else if (strcmp(a, "--check-config") == 0) {
			*check_only = 1;
			i++;
		} else if (strcmp(a, "--render-site") == 0) {
			if ((site_template = flag_value(argc, argv, &i)) == NULL)
				return -1;
		} else if (strcmp(a, "--http-listen") == 0) {
			if ((site.http_listen = flag_value(argc, argv, &i)) == NULL)
				return -1;
		} else if (strcmp(a, "--upstream") == 0) {
			if (site.n_upstreams == sizeof(upstreams) / sizeof(upstreams[0])) {
				fprintf(stderr, "envint: more than %zu --upstream\n", site.n_upstreams);
				return -1;
			}
			if ((upstreams[site.n_upstreams++] = flag_value(argc, argv, &i)) == NULL)
				return -1;
		} else {
			unknown_flag(a);
			return -1;
		}
	}
	return 0;
}

static int write_pidfile(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return close(fd);
}

/* An absolute path, or NULL (freed by the caller). */
static char *absolute(const char *path)
{
	return path != NULL ? realpath(path, NULL) : NULL;
}

/* --render-site: the template, rendered to stdout. 0, or 2 on failure. */
static int render_site(const struct config *cfg)
{
	FILE *f = fopen(site_template, "r");
	char *text = NULL, err[256];
	char *tmpl = NULL, *binary = NULL, *config = NULL, *slash;
	struct site_vars v = site;
	size_t n = 0;
	int rc = 2;

	if (f == NULL) {
		fprintf(stderr, "envint: %s: %s\n", site_template, strerror(errno));
		return 2;
	}
	tmpl = absolute(site_template);
	v.binary = binary = absolute("/proc/self/exe");
	v.config = config = absolute(args.path);
	if (tmpl != NULL && (slash = strrchr(tmpl, '/')) != NULL) {
		*slash = '\0';
		v.template_dir = tmpl[0] ? tmpl : "/";
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = (size_t)ftell(f)) < (1u << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc(n + 1)) != NULL &&
	    fread(text, 1, n, f) == n) {
		if (site_render(text, n, cfg, &v, stdout, err, sizeof(err)) < 0)
			fprintf(stderr, "envint: %s: %s\n", site_template, err);
		else if (fflush(stdout) != 0)
			fprintf(stderr, "envint: writing the site: %s\n", strerror(errno));
		else
			rc = 0;
	} else {
		fprintf(stderr, "envint: %s: cannot read the template\n", site_template);
	}
	free(text);
	free(tmpl);
	free(binary);
	free(config);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int check_only = 0, listen_fd, status;
	const char *unlink_spec = NULL;

	if (parse_args(argc, argv, &check_only) < 0) {
		usage(stderr);
		return 2;
	}
	if (load_config(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "envint: configuration: %s\n", err);
		return 2;
	}
	if (check_only) {
		printf("envint: configuration ok\n");
		return 0;
	}
	if (site_template != NULL)
		return render_site(&cfg);
	log_setup(cfg.log_level, (int)cfg.log_syslog, "envint");
	if (log_file_open(cfg.log_file, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return 2;
	}
	if (cfg.status_path[0] != '\0' && sb_open() < 0)
		log_error("cannot map the scoreboard; the status page shows zeros");
	/* before the fork: every worker serves the master's copy */
	(void)openapi_load(cfg.openapi_file);

	if (cfg.listen[0] != '\0') {
		listen_fd = listen_open(cfg.listen, cfg.listen_mode, cfg.listen_backlog,
					err, sizeof(err));
		if (listen_fd < 0) {
			log_error("%s", err);
			return 2;
		}
		if (strncmp(cfg.listen, "unix:", 5) == 0)
			unlink_spec = cfg.listen;
	} else if (listen_inherited()) {
		listen_fd = 0;
	} else {
		log_error("no 'listen' address and no listening socket on fd 0; "
			  "see envint --help");
		return 2;
	}
	if (cfg.pidfile[0] != '\0' && write_pidfile(cfg.pidfile) < 0) {
		log_error("pidfile %s: %s", cfg.pidfile, strerror(errno));
		return 2;
	}
	if (mysql_library_init(0, NULL, NULL) != 0) {
		log_error("mysql_library_init failed");
		return 2;
	}
	log_info("envint %s listening on %s", PACKAGE_VERSION,
		 cfg.listen[0] ? cfg.listen : "inherited fd 0");
	if (cfg.workers == 0) {
		/* The whole pool in this process: under mod_fcgid, which sends
		 * each process one request at a time and starts more processes
		 * itself, forked workers would only sit idle. */
		log_info("serving in this process (workers = 0)");
		sb_slot_started(0, (long)getpid());
		status = worker_run(&cfg, listen_fd, 0, false);
		if (unlink_spec != NULL)
			listen_unlink(unlink_spec);
	} else {
		status = master_run(&cfg, listen_fd, unlink_spec, load_config);
	}
	if (cfg.pidfile[0] != '\0')
		unlink(cfg.pidfile);
	mysql_library_end();
	return status;
}
