#include "app/base/ids.h"

#include <string.h>
#include <uuid/uuid.h>

const char hex_lower[16] = "0123456789abcdef";
const char hex_upper[16] = "0123456789ABCDEF";

int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;	/* lower case */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int id_parse(const char *s, size_t n, unsigned char out[ID_LEN])
{
	if (n != ID_STR_LEN)
		return -1;
	return uuid_parse_range(s, s + n, out) == 0 ? 0 : -1;
}

void id_format(const unsigned char id[ID_LEN], char out[ID_STR_LEN + 1])
{
	/* where byte i's two digits go: the dashes sit at 8, 13, 18, 23 */
	static const unsigned char at[ID_LEN] = {
		0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34,
	};

	/* uuid_unparse goes through sprintf: this is on every row's path */
	for (int i = 0; i < ID_LEN; i++) {
		out[at[i]] = hex_lower[id[i] >> 4];
		out[at[i] + 1] = hex_lower[id[i] & 15];
	}
	out[8] = out[13] = out[18] = out[23] = '-';
	out[ID_STR_LEN] = '\0';
}

void id_generate(unsigned char out[ID_LEN])
{
	uuid_generate_random(out);
}

int hex_decode(const char *s, size_t n, unsigned char *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)s[2 * i]), lo = hex_digit((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_lower[in[i] >> 4];
		out[2 * i + 1] = hex_lower[in[i] & 15];
	}
	out[2 * n] = '\0';
}
