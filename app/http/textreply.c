#include "app/http/textreply.h"

#include <stdio.h>

int req_reply_text(struct req *r, int status, const char *content_type,
		   const char *body, size_t len)
{
	char head[512];
	int n;

	if (r->status != 0)
		return -1;	/* a second head would corrupt the reply */
	n = snprintf(head, sizeof(head),
		     "Status: %d %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n"
		     "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n",
		     status, http_reason(status), content_type, r->id, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	r->status = status;
	if (req_write(r, head, (size_t)n) < 0)
		return -1;
	r->bytes -= (unsigned long long)n;	/* r->bytes counts the body only */
	if (r->head_only)
		return 0;
	return req_write(r, body, len);
}
