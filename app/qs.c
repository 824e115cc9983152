#include "qs.h"

#include <string.h>

static int hexdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long pct_decode(char *dst, const char *src, size_t n, bool plus_is_space)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)src[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexdigit((unsigned char)src[i + 1]);
			lo = hexdigit((unsigned char)src[i + 2]);
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

bool utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;	/* continuation byte, 0xc0/0xc1, or > 0xf4 */
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

size_t echo_copy(char *dst, const char *s, size_t n)
{
	size_t len = n;

	if (n > ECHO_MAX) {
		len = ECHO_MAX;
		/* a continuation byte at the cut: its character would be split */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (size_t i = 0; i < len; i++)
		dst[i] = s[i] != '\0' ? s[i] : '?';
	if (len == n)
		return len;
	memcpy(dst + len, "...", 3);
	return len + 3;
}
