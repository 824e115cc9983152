#include "app/http/jsonw.h"

#include "app/base/ids.h"
#include "app/base/utf8.h"

/* Bytes that need an escape: '"', '\\' and the controls. Bytes above 0x7f
 * pass through (UTF-8 is checked separately, once per string). */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

static void escape(struct req *r, unsigned char c)
{
	char e[6] = { '\\', 0, 0, 0, 0, 0 };
	size_t n = 2;

	switch (c) {
	case '"': e[1] = '"'; break;
	case '\\': e[1] = '\\'; break;
	case '\b': e[1] = 'b'; break;
	case '\f': e[1] = 'f'; break;
	case '\n': e[1] = 'n'; break;
	case '\r': e[1] = 'r'; break;
	case '\t': e[1] = 't'; break;
	default:
		e[1] = 'u'; e[2] = '0'; e[3] = '0';
		e[4] = hex_upper[c >> 4]; e[5] = hex_upper[c & 15];
		n = 6;
	}
	(void)req_write(r, e, n);
}

void jw_str(struct req *r, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	bool replace_high = false;	/* set only for malformed UTF-8 */
	size_t i, run = 0;

	for (i = 0; i < n && u[i] < 0x80; i++)
		;
	if (i < n)
		replace_high = !utf8_valid(s, n);
	JW_LIT(r, "\"");
	for (i = 0; i < n; i++) {
		if (!needs_escape(u[i]) && !(replace_high && u[i] >= 0x80))
			continue;
		(void)req_write(r, s + run, i - run);
		if (u[i] >= 0x80)
			JW_LIT(r, "?");
		else
			escape(r, u[i]);
		run = i + 1;
	}
	(void)req_write(r, s + run, n - run);
	JW_LIT(r, "\"");
}

void jw_id(struct req *r, const unsigned char id[16])
{
	char s[ID_STR_LEN + 3];

	s[0] = '"';
	id_format(id, s + 1);	/* writes 36 characters and a NUL */
	s[ID_STR_LEN + 1] = '"';
	(void)req_write(r, s, ID_STR_LEN + 2);
}

void jw_bool(struct req *r, bool v)
{
	if (v)
		JW_LIT(r, "true");
	else
		JW_LIT(r, "false");
}

void jw_uint(struct req *r, unsigned long long v)
{
	char s[24];
	size_t i = sizeof(s);

	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	(void)req_write(r, s + i, sizeof(s) - i);
}
