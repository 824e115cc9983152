/*
 * Logging: one line per event, to stderr (default; log_file puts a file
 * there) or syslog. Every line
 * carries the pid; request-scoped lines carry the request id. Never log
 * secrets (tokens, passwords, override bodies).
 */
#ifndef ENVINT_LOG_H
#define ENVINT_LOG_H

#include <stddef.h>

enum log_level {
	LL_ERROR,	/* LL_ERROR */
	LL_WARN,	/* LL_WARN */
	LL_INFO,	/* LL_INFO */
	LL_DEBUG,	/* LL_DEBUG */
	LL__MAX
};

/* Sets the threshold and the target; `ident` names the program in syslog. */
void log_setup(enum log_level level, int use_syslog, const char *ident);

/* log_file: appends every line (and anything else written to stderr:
 * libraries, sanitizers) to `path` by putting it on fd 2; "" keeps the
 * stderr the process inherited. 0, or -1 with a message in err (the old
 * stderr stays). Children inherit the descriptor across fork. */
int log_file_open(const char *path, char *err, size_t errlen);

/* Reopens the log_file (after logrotate moved it), keeping errno: safe to
 * call from a signal handler. A no-op without a log_file. 0, or -1 when
 * the file cannot be opened (lines then still go to the old one). */
int log_reopen(void);

/* Parses "error", "warn", "info" or "debug". Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies src into dst (at most n-1 bytes and a NUL), replacing control
 * bytes and bytes outside ASCII with '?': input that reaches a log line
 * cannot forge another line. Returns dst. */
char *log_clean(char *dst, size_t n, const char *src);

#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)

#endif
