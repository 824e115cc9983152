#include "app/base/qs.h"

#include <string.h>

#include "app/base/ids.h"

long pct_decode(char *dst, const char *src, size_t n, bool plus_is_space)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hex_digit((unsigned char)src[i + 1]);
			lo = hex_digit((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			dst[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else if (c == '\0') {
			return -1;
		} else {
			dst[o++] = (plus_is_space && c == '+') ? ' ' : (char)c;
			i++;
		}
	}
	return (long)o;
}

bool qs_next(const char **cursor, struct qs_pair *out)
{
	const char *p = *cursor;

	while (*p == '&')
		p++;
	if (*p == '\0') {
		*cursor = p;
		return false;
	}

	const char *end = strchr(p, '&');
	const char *eq;

	if (end == NULL)
		end = p + strlen(p);
	eq = memchr(p, '=', (size_t)(end - p));
	out->key = p;
	if (eq != NULL) {
		out->klen = (size_t)(eq - p);
		out->val = eq + 1;
		out->vlen = (size_t)(end - eq - 1);
	} else {
		out->klen = (size_t)(end - p);
		out->val = NULL;
		out->vlen = 0;
	}
	*cursor = end;
	return true;
}

int dec_whole(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;

	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	if (n == 0 || n > DEC_WHOLE_DIGITS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0)
		return -1;
	*out = v;
	return 0;
}
