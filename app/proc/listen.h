/*
 * The listening socket, opened by the master before it forks.
 */
#ifndef ENVINT_LISTEN_H
#define ENVINT_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

/* Opens "unix:/path" (mode applied with chmod; a stale socket file is
 * replaced, a live one is an error) or "host:port" (IPv4 or IPv6, with
 * SO_REUSEADDR). Returns the descriptor, or -1 with a message in err. */
int listen_open(const char *spec, unsigned mode, unsigned backlog,
		char *err, size_t errlen);

/* True when descriptor 0 is a listening socket handed to us by a web
 * server (mod_fcgid, spawn-fcgi). */
bool listen_inherited(void);

/* Removes the socket file of a "unix:" spec; nothing for TCP. */
void listen_unlink(const char *spec);

#endif
