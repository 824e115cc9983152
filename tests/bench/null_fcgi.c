/*
 * The null FastCGI responder: the ceiling of the architecture. It answers
 * every request with bytes held in memory (the exact body of an envint
 * response, loaded from a file at start), with the same process model and
 * socket setup as envint: a unix socket, N preforked workers each looping
 * on FCGX_Accept_r. The distance between it and envint is what envint's
 * own work costs.
 *
 * usage: null_fcgi unix:/path.sock WORKERS W1_BODY_FILE W2_BODY_FILE
 * A request whose URI contains "w1" gets the first body, any other the
 * second. Stops on SIGTERM (the process group).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app/proc/listen.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0)
		exit(2);
	rewind(f);
	buf = malloc((size_t)n);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static void serve(int fd, const char *bodies[2], const size_t lens[2])
{
	static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n"
				   "Cache-Control: no-store\r\nX-Request-Id: null\r\n\r\n";
	FCGX_Request req;

	/* Before FCGX_Init: libfcgi claims a SIGTERM left at SIG_DFL for its
	 * own "shutdown pending" flag, and a worker told to stop that way
	 * mid-request was seen spinning on poll/close of a closed fd. A
	 * ceiling has no request worth finishing: it just exits. */
	signal(SIGTERM, on_term);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0)
		exit(2);
	while (FCGX_Accept_r(&req) >= 0) {
		const char *uri = FCGX_GetParam("REQUEST_URI", req.envp);
		int which = uri != NULL && strstr(uri, "w1") != NULL ? 0 : 1;

		FCGX_PutStr(head, sizeof(head) - 1, req.out);
		FCGX_PutStr(bodies[which], (int)lens[which], req.out);
		FCGX_Finish_r(&req);
	}
	exit(0);
}

int main(int argc, char **argv)
{
	const char *bodies[2];
	size_t lens[2];
	char err[256];
	int fd, workers;

	if (argc != 5) {
		fprintf(stderr, "usage: null_fcgi unix:/path.sock WORKERS W1_FILE W2_FILE\n");
		return 2;
	}
	workers = atoi(argv[2]);
	bodies[0] = slurp(argv[3], &lens[0]);
	bodies[1] = slurp(argv[4], &lens[1]);
	fd = listen_open(argv[1], 0666, 128, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "null_fcgi: %s\n", err);
		return 2;
	}
	for (int i = 0; i < workers; i++)
		if (fork() == 0)
			serve(fd, bodies, lens);
	signal(SIGTERM, SIG_IGN);	/* the group's SIGTERM stops the workers */
	while (wait(NULL) > 0)
		;
	listen_unlink(argv[1]);
	return 0;
}
