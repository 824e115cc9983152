/*
 * envintctl demo [--dir DIR]: loads the demo data of DIR (db/demo/, by
 * default as installed): teams.json (teams, their environments, the
 * integration files each imports from integrations/, and tokens) and
 * installs.json (which team's environment installs which integration,
 * with an optional override). Into an empty database only. Prints the
 * tokens as "label token" lines for scripts to pick up.
 */
#include "app/ctl/ctl.h"

#include <stdlib.h>
#include <string.h>

#include "app/base/ids.h"
#include "db/admin_db.h"
#include "db/envint_db.h"

#define MAX_NAMED 64

/* Names to ids, for what the demo files refer to by name. */
struct named {
	size_t n;
	struct {
		char name[128];
		unsigned char id[16];
	} e[MAX_NAMED];
};

static int named_add(struct named *m, const char *a, const char *b, const unsigned char id[16])
{
	if (m->n == MAX_NAMED) {
		fprintf(stderr, "envintctl: demo: more than %d names\n", MAX_NAMED);
		return -1;
	}
	snprintf(m->e[m->n].name, sizeof(m->e[m->n].name), "%s/%s", a, b != NULL ? b : "");
	memcpy(m->e[m->n++].id, id, 16);
	return 0;
}

static const unsigned char *named_find(const struct named *m, const char *a, const char *b)
{
	char key[128];

	snprintf(key, sizeof(key), "%s/%s", a, b != NULL ? b : "");
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, key) == 0)
			return m->e[i].id;
	fprintf(stderr, "envintctl: demo: unknown %s\n", key);
	return NULL;
}

static yajl_val get(yajl_val v, const char *key, yajl_type t)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(v, path, t);
}

static const char *str(yajl_val v, const char *key)
{
	yajl_val s = get(v, key, yajl_t_string);

	return s != NULL ? s->u.string : NULL;
}

/* Parses DIR/NAME; NULL after saying why. The caller frees the tree. */
static yajl_val load(const char *dir, const char *name)
{
	char path[4096], err[256];
	size_t len;
	char *text;
	yajl_val v;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((text = ctl_read_file(path, &len)) == NULL)
		return NULL;
	v = yajl_tree_parse(text, err, sizeof(err));
	free(text);
	if (v == NULL)
		fprintf(stderr, "envintctl: %s: not valid JSON\n", path);
	return v;
}

/* One team: its row, environments and imported integrations. */
static int load_team(struct ctl *c, const char *dir, yajl_val t, struct named *teams,
		     struct named *envs, struct named *integs)
{
	struct team_row row = { .name = str(t, "name"), .domain = str(t, "domain") };
	yajl_val verified = get(t, "is_verified", yajl_t_any);
	yajl_val el = get(t, "environments", yajl_t_array), il = get(t, "integrations", yajl_t_array);
	unsigned char id[16], iid[16];
	char path[4096];

	row.is_verified = verified != NULL && YAJL_IS_TRUE(verified);
	if (row.name == NULL || el == NULL || il == NULL) {
		fprintf(stderr, "envintctl: demo: a team needs name, environments, integrations\n");
		return -1;
	}
	id_generate(id);
	if (db_team_insert(c->db, id, &row) != DB_OK || named_add(teams, row.name, NULL, id) < 0)
		return -1;
	for (size_t e = 0; e < el->u.array.len; e++) {
		const char *env = YAJL_GET_STRING(el->u.array.values[e]);
		unsigned char eid[16];

		id_generate(eid);
		if (env == NULL || db_env_insert(c->db, eid, id, env) != DB_OK ||
		    named_add(envs, row.name, env, eid) < 0)
			return -1;
	}
	for (size_t k = 0; k < il->u.array.len; k++) {
		const char *name = YAJL_GET_STRING(il->u.array.values[k]);

		if (name == NULL)
			return -1;
		snprintf(path, sizeof(path), "%s/integrations/%s.json", dir, name);
		if (ctl_import_file(c, path, id, iid) != 0 || named_add(integs, name, NULL, iid) < 0)
			return -1;
	}
	return 0;
}

/* One install, with its override canonicalised as a PATCH's would be. */
static int load_install(struct ctl *c, yajl_val in, const struct named *envs,
			const struct named *integs)
{
	const char *team = str(in, "team"), *env = str(in, "environment");
	const char *integ = str(in, "integration"), *ov = NULL;
	yajl_val override = get(in, "override", yajl_t_object);
	const unsigned char *eid, *iid;
	unsigned char id[16];
	size_t ovlen = 0;
	yajl_gen g = NULL;
	int rc = -1;

	if (team == NULL || env == NULL || integ == NULL ||
	    (eid = named_find(envs, team, env)) == NULL ||
	    (iid = named_find(integs, integ, NULL)) == NULL)
		return -1;
	if (override != NULL) {
		const unsigned char *text;
		size_t n;

		g = yajl_gen_alloc(NULL);
		if (g == NULL || ctl_tree_gen(g, override) < 0 ||
		    yajl_gen_get_buf(g, &text, &n) != yajl_gen_status_ok ||
		    (ov = ctl_canon_override(c, "demo override", (const char *)text, n,
					     &ovlen)) == NULL)
			goto out;
	}
	id_generate(id);
	if (db_ei_install(c->db, id, eid, iid, true, true, ov, ovlen, &ctl_actor) == DB_OK)
		rc = 0;
out:
	if (g != NULL)
		yajl_gen_free(g);
	arena_reset(c->arena);
	return rc;
}

/* The tokens, printed as "label token". */
static int load_tokens(struct ctl *c, yajl_val list, const struct named *teams,
		       const struct named *envs)
{
	char tok[TOKEN_STR_LEN + 1];

	for (size_t i = 0; list != NULL && i < list->u.array.len; i++) {
		yajl_val t = list->u.array.values[i];
		const char *label = str(t, "label"), *team = str(t, "team");
		const char *env = str(t, "environment"), *name = str(t, "name");
		const unsigned char *tid, *eid = NULL;

		if (label == NULL || team == NULL || (tid = named_find(teams, team, NULL)) == NULL ||
		    (env != NULL && (eid = named_find(envs, team, env)) == NULL) ||
		    ctl_make_token(c, tid, eid, name != NULL ? name : label, tok) < 0)
			return -1;
		printf("%s %s\n", label, tok);
	}
	return 0;
}

int cmd_demo(struct ctl *c, int argc, char **argv)
{
	const char *dir = ctl_opt(argc, argv, "--dir");
	static struct named teams, envs, integs;
	yajl_val tf = NULL, inf = NULL, tl, il;
	unsigned long long count = 0;
	int status = 1;

	if (dir == NULL)
		dir = PKGDATADIR "/demo";
	if (db_select_u64(c->db, STMT_TEAM_COUNT, &count) != DB_OK)
		return 1;
	if (count > 0) {
		fprintf(stderr, "envintctl: demo loads only into an empty database\n");
		return 1;
	}
	if ((tf = load(dir, "teams.json")) == NULL || (inf = load(dir, "installs.json")) == NULL)
		goto out;
	tl = get(tf, "teams", yajl_t_array);
	il = YAJL_IS_ARRAY(inf) ? inf : NULL;
	if (tl == NULL || il == NULL) {
		fprintf(stderr, "envintctl: demo: teams.json needs \"teams\", installs.json an array\n");
		goto out;
	}
	for (size_t i = 0; i < tl->u.array.len; i++)
		if (load_team(c, dir, tl->u.array.values[i], &teams, &envs, &integs) < 0)
			goto out;
	for (size_t i = 0; i < il->u.array.len; i++)
		if (load_install(c, il->u.array.values[i], &envs, &integs) < 0)
			goto out;
	if (load_tokens(c, get(tf, "tokens", yajl_t_array), &teams, &envs) < 0)
		goto out;
	status = 0;
out:
	yajl_tree_free(tf);
	yajl_tree_free(inf);
	return status;
}
