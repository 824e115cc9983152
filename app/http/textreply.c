#include "app/http/textreply.h"

int req_reply_text(struct req *r, int status, const char *content_type,
		   const char *body, size_t len)
{
	if (r->status != 0)
		return -1;	/* a second head would corrupt the reply */
	r->out_type = content_type;
	if (req_begin(r, status) < 0)
		return -1;
	return req_write(r, body, len);
}
