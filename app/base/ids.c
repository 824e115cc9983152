#include "app/base/ids.h"

#include <string.h>
#include <uuid/uuid.h>

int id_parse(const char *s, size_t n, unsigned char out[ID_LEN])
{
	if (n != ID_STR_LEN)
		return -1;
	return uuid_parse_range(s, s + n, out) == 0 ? 0 : -1;
}

void id_format(const unsigned char id[ID_LEN], char out[ID_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	/* where byte i's two digits go: the dashes sit at 8, 13, 18, 23 */
	static const unsigned char at[ID_LEN] = {
		0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34,
	};

	/* uuid_unparse goes through sprintf: this is on every row's path */
	for (int i = 0; i < ID_LEN; i++) {
		out[at[i]] = digits[id[i] >> 4];
		out[at[i] + 1] = digits[id[i] & 15];
	}
	out[8] = out[13] = out[18] = out[23] = '-';
	out[ID_STR_LEN] = '\0';
}

void id_generate(unsigned char out[ID_LEN])
{
	uuid_generate_random(out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
