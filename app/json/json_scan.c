#include "app/json/json_scan.h"

#include "app/base/ids.h"

enum {
	S_OUT,		/* outside strings */
	S_IN,		/* inside a string */
	S_ESC,		/* after a backslash */
	S_HEX,		/* reading the 4 digits of \u */
	S_NEED_BS,	/* after a high surrogate: must see '\' */
	S_NEED_U,	/* ... then 'u' */
};

enum json_scan_feed json_scan_feed(struct json_scan *s, const void *buf, size_t n,
				   size_t *at)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (s->state) {
		case S_OUT:
			if (c == '"') {
				s->state = S_IN;
			} else if (c == '\f' || c == '\v') {
				*at = i;
				return JSON_SCAN_SPACE;
			}
			break;
		case S_IN:
			if (c == '\\')
				s->state = S_ESC;
			else if (c == '"')
				s->state = S_OUT;
			break;
		case S_ESC:
			if (c == 'u') {
				s->state = S_HEX;
				s->hex = 0;
				s->value = 0;
			} else {
				s->state = S_IN;	/* yajl judges the escape */
			}
			break;
		case S_HEX: {
			int v = hex_digit(c);

			if (v < 0) {	/* yajl reports the bad escape */
				s->state = S_IN;
				s->want_low = false;
				break;
			}
			s->value = s->value << 4 | (unsigned)v;
			if (++s->hex < 4)
				break;
			if (s->want_low) {
				if (s->value < 0xdc00 || s->value > 0xdfff)
					goto lone;
				s->want_low = false;
				s->state = S_IN;
			} else if (s->value >= 0xd800 && s->value <= 0xdbff) {
				s->want_low = true;
				s->state = S_NEED_BS;
			} else if (s->value >= 0xdc00 && s->value <= 0xdfff) {
				goto lone;
			} else {
				s->state = S_IN;
			}
			break;
		}
		case S_NEED_BS:
			if (c != '\\')
				goto lone;
			s->state = S_NEED_U;
			break;
		case S_NEED_U:
			if (c != 'u')
				goto lone;
			s->state = S_HEX;
			s->hex = 0;
			s->value = 0;
			break;
		}
	}
	return JSON_SCAN_FED;
lone:
	*at = i;
	return JSON_SCAN_LONE;
}

enum json_scan_end json_scan_finish(const struct json_scan *s)
{
	if (s->want_low)
		return JSON_SCAN_SURROGATE;
	return s->state == S_OUT ? JSON_SCAN_OK : JSON_SCAN_IN_STRING;
}
