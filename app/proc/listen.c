#include "app/proc/listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int open_unix(const char *path, unsigned mode, unsigned backlog,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "listen: socket path too long: %s", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "listen: %s exists and is not a socket", path);
			close(fd);
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			snprintf(err, errlen, "listen: %s: another server is listening", path);
			close(fd);
			return -1;
		}
		close(fd);
		unlink(path);	/* stale: nobody answers on it */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, (mode_t)mode) < 0 || listen(fd, (int)backlog) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "listen: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int open_tcp(const char *spec, unsigned backlog, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints, *ai = NULL;
	int fd = -1, one = 1, gai;
	size_t hlen;

	if (colon == NULL || colon[1] == '\0') {
		snprintf(err, errlen, "listen: expected host:port or unix:/path, not '%s'", spec);
		return -1;
	}
	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host))
		hlen = sizeof(host) - 1;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {	/* [::1]:9000 */
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	gai = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "listen: %s: %s", spec, gai_strerror(gai));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, (int)backlog) < 0) {
		snprintf(err, errlen, "listen: %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int listen_open(const char *spec, unsigned mode, unsigned backlog,
		char *err, size_t errlen)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0)
		fd = open_unix(spec + 5, mode, backlog, err, errlen);
	else
		fd = open_tcp(spec, backlog, err, errlen);
	/* Workers inherit it across fork, never across exec. */
	return fd;
}

bool listen_inherited(void)
{
	int acc = 0;
	socklen_t len = sizeof(acc);

	return getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

void listen_unlink(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		unlink(spec + 5);
}
