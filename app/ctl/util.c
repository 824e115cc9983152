#include "app/ctl/ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/ids.h"

const char *ctl_opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

bool ctl_flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int ctl_need_id(const char *what, const char *s, unsigned char out[16])
{
	if (s == NULL || id_parse(s, strlen(s), out) < 0) {
		fprintf(stderr, "envintctl: %s must be a UUID\n", what);
		return -1;
	}
	return 0;
}

const struct ei_actor ctl_actor = { .kind = CHG_ADMIN };

void ctl_print_id(const unsigned char id[16])
{
	char s[ID_STR_LEN + 1];

	id_format(id, s);
	printf("%s\n", s);
}

char *ctl_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	*len = (size_t)n;
out:
	if (buf == NULL)
		fprintf(stderr, "envintctl: %s: %s\n", path, strerror(errno ? errno : EIO));
	if (f != NULL)
		fclose(f);
	return buf;
}

const char *ctl_db_err_text(enum db_err e)
{
	static const char *const t[DB__MAX] = {
		"ok",			/* DB_OK */
		"not found",		/* DB_NOTFOUND */
		"conflicts with an existing row",	/* DB_CONFLICT */
		"database unavailable",	/* DB_UNAVAILABLE */
		"database error (see the log above)",	/* DB_ERR */
		"rolled back by the server; run it again",	/* DB_RETRY */
	};
	return t[e];
}
