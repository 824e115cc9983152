#include "app/api/etag.h"

#include <stdio.h>
#include <string.h>

void etag_format(unsigned long long version, char out[ETAG_MAX])
{
	snprintf(out, ETAG_MAX, "\"%llu\"", version);
}

void etag_format_pair(unsigned long long version, unsigned long long integration_version,
		      char out[ETAG_PAIR_MAX])
{
	snprintf(out, ETAG_PAIR_MAX, "\"%llu.%llu\"", version, integration_version);
}

bool etag_if_match(const char *h, unsigned long long version)
{
	char want[ETAG_MAX];
	size_t wlen;

	etag_format(version, want);
	wlen = strlen(want);
	while (*h == ' ' || *h == '\t')
		h++;
	if (h[0] == '*' && h[1 + strspn(h + 1, " \t")] == '\0')
		return true;
	for (;;) {
		const char *end;

		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		if (*h == '\0')
			return false;
		if (*h != '"') {	/* W/"x" or garbage: skip this element */
			end = strchr(h, ',');
			if (end == NULL)
				return false;
			h = end;
			continue;
		}
		end = strchr(h + 1, '"');
		if (end == NULL)
			return false;
		if ((size_t)(end + 1 - h) == wlen && memcmp(h, want, wlen) == 0)
			return true;
		h = end + 1;
	}
}
