#include "app/base/hostlist.h"

#include <stdio.h>
#include <string.h>

/* One entry s[0..len) into *hp. 0, or -1 with a message. */
static int parse_entry(const char *s, size_t len, unsigned default_port,
		       struct hostport *hp, char *err, size_t errlen)
{
	const char *host = s, *port = NULL;
	size_t hlen = len;

	if (len > 0 && s[0] == '[') {	/* [v6]:port or [v6] */
		const char *close = memchr(s, ']', len);

		if (close == NULL) {
			snprintf(err, errlen, "'%.*s': '[' without ']'", (int)len, s);
			return -1;
		}
		host = s + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < s + len) {
			if (close[1] != ':') {
				snprintf(err, errlen, "'%.*s': ':' must follow ']'", (int)len, s);
				return -1;
			}
			port = close + 2;
		}
	} else {
		const char *colon = memchr(s, ':', len);

		if (colon != NULL) {
			if (memchr(colon + 1, ':', (size_t)(s + len - colon - 1)) != NULL) {
				snprintf(err, errlen, "'%.*s': write an IPv6 address as [addr]:port",
					 (int)len, s);
				return -1;
			}
			hlen = (size_t)(colon - s);
			port = colon + 1;
		}
	}
	if (hlen == 0 || hlen > HOST_MAX) {
		snprintf(err, errlen, "'%.*s': a host of 1 to %d bytes", (int)len, s, HOST_MAX);
		return -1;
	}
	memcpy(hp->host, host, hlen);
	hp->host[hlen] = '\0';
	hp->port = default_port;
	if (port != NULL) {
		size_t plen = (size_t)(s + len - port);
		unsigned long v = 0;

		if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen) {
			snprintf(err, errlen, "'%.*s': the port must be a number", (int)len, s);
			return -1;
		}
		for (size_t i = 0; i < plen; i++)
			v = v * 10 + (unsigned long)(port[i] - '0');
		if (v < 1 || v > 65535) {
			snprintf(err, errlen, "'%.*s': the port must be 1 to 65535", (int)len, s);
			return -1;
		}
		hp->port = (unsigned)v;
	}
	return 0;
}

int hostlist_parse(const char *spec, unsigned default_port, struct hostport *out,
		   size_t *n, char *err, size_t errlen)
{
	const char *p = spec;

	*n = 0;
	for (;;) {
		const char *end = p + strcspn(p, ","), *b = p, *e = end;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == b) {
			snprintf(err, errlen, "an empty entry in the list '%s'", spec);
			return -1;
		}
		if (*n == HOSTLIST_MAX) {
			snprintf(err, errlen, "more than %d servers", HOSTLIST_MAX);
			return -1;
		}
		if (parse_entry(b, (size_t)(e - b), default_port, &out[*n], err, errlen) < 0)
			return -1;
		++*n;
		if (*end == '\0')
			return 0;
		p = end + 1;	/* past the comma */
	}
}
