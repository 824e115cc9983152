/*
 * envintctl integration import FILE --team ID, and integration redact.
 * A definition file is an object: name, category, is_beta, sharing and
 * config; the config goes through the same canonicaliser and rules
 * (app/api/override.c) as a PATCH's override, which also make the copy
 * other teams see.
 */
#include "app/ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "app/api/override.h"
#include "app/base/ids.h"
#include "app/json/json_canon.h"
#include "app/json/json_scan.h"
#include "db/admin_db.h"

static int tree_gen(yajl_gen g, yajl_val v, unsigned depth)
{
	if (depth > 200)
		return -1;
	switch (v->type) {
	case yajl_t_string: return yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string)) ? -1 : 0;
	case yajl_t_number: return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) ? -1 : 0;
	case yajl_t_true: return yajl_gen_bool(g, 1) ? -1 : 0;
	case yajl_t_false: return yajl_gen_bool(g, 0) ? -1 : 0;
	case yajl_t_null: return yajl_gen_null(g) ? -1 : 0;
	case yajl_t_object:
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			if (tree_gen(g, v->u.object.values[i], depth + 1) < 0)
				return -1;
		}
		return yajl_gen_map_close(g) ? -1 : 0;
	case yajl_t_array:
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			if (tree_gen(g, v->u.array.values[i], depth + 1) < 0)
				return -1;
		return yajl_gen_array_close(g) ? -1 : 0;
	default:
		return -1;
	}
}

int ctl_tree_gen(yajl_gen g, yajl_val v)
{
	return tree_gen(g, v, 0);
}

static const char *tree_str(yajl_val root, const char *key)
{
	const char *path[] = { key, NULL };	/* yajl wants it non-const */
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);

	return v != NULL ? v->u.string : NULL;
}

/* The whole file is held to RFC 8259 where yajl_tree is lenient: it skips
 * form feeds and vertical tabs between tokens and takes half a surrogate
 * pair for '?' (the config's canonicaliser never sees the raw bytes). */
static bool scan_ok(const char *file, const char *text, size_t len)
{
	struct json_scan s = JSON_SCAN_INIT;
	size_t at = 0;
	enum json_scan_feed seen = json_scan_feed(&s, text, len, &at);

	if (seen == JSON_SCAN_FED && json_scan_finish(&s) == JSON_SCAN_OK)
		return true;
	fprintf(stderr, "envintctl: %s: %s\n", file,
		seen == JSON_SCAN_SPACE ? "not valid JSON (a form feed or vertical tab "
		"outside a string; JSON whitespace is space, tab, LF and CR)" :
		"not valid JSON (half of a UTF-16 surrogate pair, or an unterminated string)");
	return false;
}

/* Runs text through a canonicaliser; names `what` and the failure on
 * stderr when it is refused. 0 or -1. */
static int canon(struct jc *j, const char *what, const void *text, size_t n)
{
	const struct json_failure *f;

	if (j == NULL) {
		fprintf(stderr, "envintctl: %s: out of memory\n", what);
		return -1;
	}
	if (jc_feed(j, text, n) == 0 && jc_finish(j) == 0)
		return 0;
	f = jc_failure(j);
	fprintf(stderr, "envintctl: %s: %s %s\n", what, f->path, f->msg);
	return -1;
}

const char *ctl_canon_override(struct ctl *c, const char *what, const char *text,
			       size_t n, size_t *len)
{
	struct jc *j = override_canon_new(c->arena, "override", c->cfg.json_depth_max - 1,
					  false, n);
	const char *out;

	if (canon(j, what, text, n) < 0)
		return NULL;
	if ((out = jc_output(j, len)) == NULL)
		fprintf(stderr, "envintctl: %s: out of memory\n", what);
	return out;
}

int ctl_import_file(struct ctl *c, const char *file, const unsigned char team[16],
		    unsigned char id_out[16])
{
	const char *cfg_path[] = { "config", NULL };
	const char *beta_path[] = { "is_beta", NULL };
	size_t len, clen;
	char *text = ctl_read_file(file, &len), errbuf[256];
	yajl_val root = NULL, config, beta;
	yajl_gen g = NULL;
	const unsigned char *cbuf;
	struct integration_row row = { 0 };
	struct jc *j;
	enum db_err rc;
	int status = 1;

	if (text == NULL)
		return 1;
	if (!scan_ok(file, text, len))
		goto out;
	root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (root == NULL || !YAJL_IS_OBJECT(root)) {
		fprintf(stderr, "envintctl: %s: not a JSON object\n", file);
		goto out;
	}
	row.name = tree_str(root, "name");
	row.category = tree_str(root, "category");
	row.sharing = tree_str(root, "sharing");
	if (row.sharing == NULL)
		row.sharing = "deny";
	beta = yajl_tree_get(root, beta_path, yajl_t_any);
	row.is_beta = beta != NULL && YAJL_IS_TRUE(beta);
	config = yajl_tree_get(root, cfg_path, yajl_t_object);
	if (row.name == NULL || row.category == NULL || config == NULL ||
	    (strcmp(row.sharing, "allow") && strcmp(row.sharing, "ask") &&
	     strcmp(row.sharing, "deny"))) {
		fprintf(stderr, "envintctl: %s: needs string 'name' and 'category', "
			"object 'config', and 'sharing' of allow|ask|deny\n", file);
		goto out;
	}
	g = yajl_gen_alloc(NULL);
	if (g == NULL || ctl_tree_gen(g, config) < 0 ||
	    yajl_gen_get_buf(g, &cbuf, &clen) != yajl_gen_status_ok) {
		fprintf(stderr, "envintctl: %s: config cannot be re-encoded\n", file);
		goto out;
	}
	j = override_canon_new(c->arena, "config", c->cfg.json_depth_max, true, clen);
	if (canon(j, file, cbuf, clen) < 0)
		goto out;
	row.config = jc_output(j, &row.config_len);
	row.config_public = jc_redacted(j, &row.config_public_len);
	if (row.config == NULL || row.config_public == NULL) {
		fprintf(stderr, "envintctl: %s: out of memory\n", file);
		goto out;
	}
	rc = db_integration_upsert(c->db, team, &row, id_out);
	if (rc != DB_OK) {
		fprintf(stderr, "envintctl: %s: %s\n", file, ctl_db_err_text(rc));
		goto out;
	}
	status = 0;
out:
	if (g != NULL)
		yajl_gen_free(g);
	yajl_tree_free(root);
	free(text);
	arena_reset(c->arena);
	return status;
}

/* Recomputes every integration's redacted copy from its stored config
 * (copies made by an envint with an older redaction rule), rewriting the
 * ones that differ. Prints "N of M redacted copies rewritten". */
static int redact_all(struct ctl *c)
{
	unsigned char after[16] = { 0 }, id[16];
	unsigned long long total = 0, rewritten = 0;
	struct text stored, pub, fresh;
	enum db_err rc;
	int status = 0;

	while ((rc = db_integration_next(c->db, c->arena, after, id, &stored, &pub)) == DB_OK) {
		struct jc *j = override_canon_new(c->arena, "config", c->cfg.json_depth_max, true,
						  stored.n);
		char hex[ID_STR_LEN + 1], what[ID_STR_LEN + 64];

		total++;
		memcpy(after, id, sizeof(after));
		id_format(id, hex);
		snprintf(what, sizeof(what), "integration %s: stored config", hex);
		if (canon(j, what, stored.p, stored.n) < 0) {
			status = 1;
		} else if ((fresh.p = jc_redacted(j, &fresh.n)) == NULL) {
			fprintf(stderr, "envintctl: integration %s: out of memory\n", hex);
			status = 1;
		} else if (fresh.n != pub.n || memcmp(fresh.p, pub.p, pub.n) != 0) {
			/* DB_NOTFOUND: re-imported meanwhile, with a fresh copy */
			rc = db_integration_set_public(c->db, id, &stored, &fresh);
			if (rc == DB_OK) {
				rewritten++;
			} else if (rc != DB_NOTFOUND) {
				fprintf(stderr, "envintctl: integration %s: %s\n", hex,
					ctl_db_err_text(rc));
				status = 1;
			}
		}
		arena_reset(c->arena);
	}
	if (rc != DB_NOTFOUND) {
		fprintf(stderr, "envintctl: integration redact: %s\n", ctl_db_err_text(rc));
		return 1;
	}
	printf("%llu of %llu redacted copies rewritten\n", rewritten, total);
	return status;
}

int cmd_integration(struct ctl *c, int argc, char **argv)
{
	unsigned char team[16], id[16];

	if (argc == 1 && strcmp(argv[0], "redact") == 0)
		return redact_all(c);
	if (argc < 2 || strcmp(argv[0], "import") != 0) {
		ctl_usage(stderr);
		return 2;
	}
	if (ctl_need_id("--team", ctl_opt(argc, argv, "--team"), team) < 0)
		return 2;
	if (ctl_import_file(c, argv[1], team, id) != 0)
		return 1;
	ctl_print_id(id);
	return 0;
}
