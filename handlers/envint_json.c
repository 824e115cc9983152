#include "envint_json.h"

#include <stdio.h>

#include "../app/auth.h"
#include "../app/ids.h"
#include "../app/req.h"

static void gen_id(yajl_gen g, const unsigned char id[16])
{
	char s[ID_STR_LEN + 1];

	id_format(id, s);
	yajl_gen_string(g, (const unsigned char *)s, ID_STR_LEN);
}

static char *digits(char *w, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		w[i] = (char)('0' + v % 10);
	return w + n;
}

/* ISO-8601 UTC with milliseconds: 2021-08-10T10:00:00.000Z (by hand: five
 * of these per row, and snprintf showed in profiles). */
static void gen_time(yajl_gen g, const MYSQL_TIME *t)
{
	char s[24], *w = s;

	w = digits(w, t->year % 10000, 4);
	*w++ = '-';
	w = digits(w, t->month % 100, 2);
	*w++ = '-';
	w = digits(w, t->day % 100, 2);
	*w++ = 'T';
	w = digits(w, t->hour % 100, 2);
	*w++ = ':';
	w = digits(w, t->minute % 100, 2);
	*w++ = ':';
	w = digits(w, t->second % 100, 2);
	*w++ = '.';
	w = digits(w, (unsigned)(t->second_part / 1000) % 1000, 3);
	*w++ = 'Z';
	yajl_gen_string(g, (const unsigned char *)s, (size_t)(w - s));
}

static void gen_text(yajl_gen g, const struct text *t)
{
	if (t->p == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)t->p, t->n);
}

/* Stored, canonical JSON goes out as is: yajl_gen_number writes its bytes
 * verbatim in value position. `dflt` stands in for SQL NULL. */
static void gen_raw(yajl_gen g, const struct text *t, const char *dflt)
{
	if (t->p == NULL || t->n == 0)
		yajl_gen_number(g, dflt, strlen(dflt));
	else
		yajl_gen_number(g, t->p, t->n);
}

static void gen_team(yajl_gen g, const struct ei_row *row)
{
	yajl_gen_map_open(g);
	json_key(g, "id");
	gen_id(g, row->team.id);
	json_key(g, "name");
	gen_text(g, &row->team.name);
	json_key(g, "domain");
	gen_text(g, &row->team.domain);
	json_key(g, "logo");
	gen_text(g, &row->team.logo);
	json_key(g, "is_verified");
	yajl_gen_bool(g, row->team.is_verified);
	json_key(g, "is_white_label");
	yajl_gen_bool(g, row->team.is_white_label);
	json_key(g, "tos_link");
	gen_text(g, &row->team.tos_link);
	json_key(g, "allow_impersonation");
	yajl_gen_bool(g, row->team.allow_impersonation);
	json_key(g, "created_at");
	gen_time(g, &row->team.created_at);
	json_key(g, "updated_at");
	gen_time(g, &row->team.updated_at);
	yajl_gen_map_close(g);
}

static void gen_integration(yajl_gen g, const struct ei_row *row,
			    const struct scope *scope)
{
	const unsigned char *inst = (const unsigned char *)row->integration.installed.p;

	yajl_gen_map_open(g);
	json_key(g, "id");
	gen_id(g, row->integration_id);
	json_key(g, "name");
	gen_text(g, &row->integration.name);
	json_key(g, "category");
	gen_text(g, &row->integration.category);
	json_key(g, "is_beta");
	yajl_gen_bool(g, row->integration.is_beta);
	json_key(g, "config");
	gen_raw(g, &row->integration.config, "{}");
	json_key(g, "team_id");
	gen_id(g, row->integration.team_id);
	json_key(g, "sharing");
	gen_text(g, &row->integration.sharing);
	json_key(g, "created_at");
	gen_time(g, &row->integration.created_at);
	json_key(g, "updated_at");
	gen_time(g, &row->integration.updated_at);
	json_key(g, "installed_environment");
	yajl_gen_array_open(g);
	/* The query already scoped these; checking again costs nothing and
	 * keeps another tenant's id out even if the SQL is ever changed. */
	for (size_t i = 0; inst != NULL && i + 16 <= row->integration.installed.n; i += 16)
		if (scope_sees_env(scope, inst + i))
			gen_id(g, inst + i);
	yajl_gen_array_close(g);
	json_key(g, "team");
	gen_team(g, row);
	yajl_gen_map_close(g);
}

void envint_json(yajl_gen g, const struct ei_row *row, const struct scope *scope)
{
	yajl_gen_map_open(g);
	json_key(g, "id");
	gen_id(g, row->id);
	json_key(g, "integration_id");
	gen_id(g, row->integration_id);
	json_key(g, "environment_id");
	gen_id(g, row->environment_id);
	json_key(g, "show_in_catalog");
	yajl_gen_bool(g, row->show_in_catalog);
	json_key(g, "is_enabled");
	yajl_gen_bool(g, row->is_enabled);
	json_key(g, "created_at");
	gen_time(g, &row->created_at);
	json_key(g, "updated_at");
	gen_time(g, &row->updated_at);
	json_key(g, "integration");
	gen_integration(g, row, scope);
	json_key(g, "override");
	gen_raw(g, &row->override, "{}");
	yajl_gen_map_close(g);
}
