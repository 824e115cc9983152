#include "app/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level threshold = LL_INFO;
static int to_syslog;
static char file_path[256];	/* log_file; "" = stderr as inherited */

static const struct {
	const char *name;
	int syslog_prio;
} levels[LL__MAX] = {
	{ "error", LOG_ERR },		/* LL_ERROR */
	{ "warn", LOG_WARNING },	/* LL_WARN */
	{ "info", LOG_INFO },		/* LL_INFO */
	{ "debug", LOG_DEBUG },		/* LL_DEBUG */
};

void log_setup(enum log_level level, int use_syslog, const char *ident)
{
	threshold = level;
	if (use_syslog && !to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!use_syslog && to_syslog)
		closelog();
	to_syslog = use_syslog;
}

/* Opens file_path for appending and puts it on fd 2. Only open, dup2 and
 * close: safe in a signal handler. 0, or -1 with errno set (fd 2 is then
 * unchanged). */
static int open_on_stderr(void)
{
	int fd = open(file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	int e;

	if (fd < 0)
		return -1;
	if (fd == STDERR_FILENO)
		return 0;	/* fd 2 was closed: it is the file now */
	if (dup2(fd, STDERR_FILENO) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

int log_file_open(const char *path, char *err, size_t errlen)
{
	if (strlen(path) >= sizeof(file_path)) {
		snprintf(err, errlen, "log_file: path too long");
		return -1;
	}
	memcpy(file_path, path, strlen(path) + 1);
	if (file_path[0] == '\0')
		return 0;
	if (open_on_stderr() < 0) {
		snprintf(err, errlen, "log_file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int log_reopen(void)
{
	int e = errno, rc = 0;

	if (file_path[0] != '\0')
		rc = open_on_stderr();
	errno = e;
	return rc;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < LL__MAX; i++)
		if (strcmp(s, levels[i].name) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (to_syslog) {
		syslog(levels[level].syslog_prio, "%s", line);
		return;
	}

	struct timeval tv;
	struct tm tm;
	char ts[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write per line so lines from many workers do not interleave. */
	char out[2200];
	int m = snprintf(out, sizeof(out), "%s.%03ldZ envint[%ld] %s: %s\n", ts,
			 (long)(tv.tv_usec / 1000), (long)getpid(),
			 levels[level].name, line);
	if (m > 0) {
		if ((size_t)m >= sizeof(out)) {
			m = sizeof(out) - 1;
			out[m - 1] = '\n';
		}
		ssize_t w = write(STDERR_FILENO, out, (size_t)m);
		(void)w;
	}
}

char *log_clean(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	if (n == 0)
		return dst;
	for (; src[i] != '\0' && i + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}
