#include "handlers/envint_json.h"

#include <stdint.h>

#include "app/http/jsonw.h"

static char *digits(char *w, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		w[i] = (char)('0' + v % 10);
	return w + n;
}

/* ISO-8601 UTC with milliseconds, quoted: "2021-08-10T10:00:00.000Z" (by
 * hand: five of these per row, and snprintf showed in profiles). */
static void put_time(struct req *r, const MYSQL_TIME *t)
{
	char s[26], *w = s;

	*w++ = '"';
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
	*w++ = '"';
	(void)req_write(r, s, (size_t)(w - s));
}

static void put_text(struct req *r, const struct text *t)
{
	if (t->p == NULL)
		JW_LIT(r, "null");
	else
		jw_str(r, t->p, t->n);
}

/* Stored, canonical JSON goes out as is: it was validated and
 * canonicalised when written. SQL NULL (or empty) stands for {}. */
static void put_raw(struct req *r, const struct text *t)
{
	if (t->p == NULL || t->n == 0)
		JW_LIT(r, "{}");
	else
		(void)req_write(r, t->p, t->n);
}

static void put_team(struct req *r, const struct ei_row *row)
{
	JW_LIT(r, "{\"id\":");
	jw_id(r, row->team.id);
	JW_LIT(r, ",\"name\":");
	put_text(r, &row->team.name);
	JW_LIT(r, ",\"domain\":");
	put_text(r, &row->team.domain);
	JW_LIT(r, ",\"logo\":");
	put_text(r, &row->team.logo);
	JW_LIT(r, ",\"is_verified\":");
	jw_bool(r, row->team.is_verified);
	JW_LIT(r, ",\"is_white_label\":");
	jw_bool(r, row->team.is_white_label);
	JW_LIT(r, ",\"tos_link\":");
	put_text(r, &row->team.tos_link);
	JW_LIT(r, ",\"allow_impersonation\":");
	jw_bool(r, row->team.allow_impersonation);
	JW_LIT(r, ",\"created_at\":");
	put_time(r, &row->team.created_at);
	JW_LIT(r, ",\"updated_at\":");
	put_time(r, &row->team.updated_at);
	JW_LIT(r, "}");
}

static void put_integration(struct req *r, const struct ei_row *row,
			    const struct scope *scope)
{
	const unsigned char *bits = (const unsigned char *)row->integration.installed.p;
	size_t nbits = row->integration.installed.n;
	bool first = true;

	JW_LIT(r, "{\"id\":");
	jw_id(r, row->integration_id);
	JW_LIT(r, ",\"name\":");
	put_text(r, &row->integration.name);
	JW_LIT(r, ",\"category\":");
	put_text(r, &row->integration.category);
	JW_LIT(r, ",\"is_beta\":");
	jw_bool(r, row->integration.is_beta);
	JW_LIT(r, ",\"config\":");
	put_raw(r, &row->integration.config);
	JW_LIT(r, ",\"team_id\":");
	jw_id(r, row->integration.team_id);
	JW_LIT(r, ",\"sharing\":");
	put_text(r, &row->integration.sharing);
	JW_LIT(r, ",\"created_at\":");
	put_time(r, &row->integration.created_at);
	JW_LIT(r, ",\"updated_at\":");
	put_time(r, &row->integration.updated_at);
	JW_LIT(r, ",\"installed_environment\":[");
	/* The query reads integration_install's bitmap for the row's own
	 * team (db/migrations/0003). Walking the environments the token
	 * sees (sorted by id: the order of the list) and testing each one's
	 * bit gives exactly what it may see: an environment token only its
	 * own, and a bit of any other environment is never looked at. */
	for (size_t j = 0; bits != NULL && j < scope->n_envs; j++) {
		uint32_t k = scope->env_nos[j];

		if (k / 8 >= nbits || !(bits[k / 8] & (1u << (k % 8))))
			continue;
		if (!first)
			JW_LIT(r, ",");
		jw_id(r, scope->envs[j]);
		first = false;
	}
	JW_LIT(r, "],\"team\":");
	put_team(r, row);
	JW_LIT(r, "}");
}

void envint_json(struct req *r, const struct ei_row *row, const struct scope *scope)
{
	JW_LIT(r, "{\"id\":");
	jw_id(r, row->id);
	JW_LIT(r, ",\"integration_id\":");
	jw_id(r, row->integration_id);
	JW_LIT(r, ",\"environment_id\":");
	jw_id(r, row->environment_id);
	JW_LIT(r, ",\"show_in_catalog\":");
	jw_bool(r, row->show_in_catalog);
	JW_LIT(r, ",\"is_enabled\":");
	jw_bool(r, row->is_enabled);
	JW_LIT(r, ",\"created_at\":");
	put_time(r, &row->created_at);
	JW_LIT(r, ",\"updated_at\":");
	put_time(r, &row->updated_at);
	JW_LIT(r, ",\"integration\":");
	put_integration(r, row, scope);
	JW_LIT(r, ",\"override\":");
	put_raw(r, &row->override);
	JW_LIT(r, "}");
}

void history_json(struct req *r, const struct hist_entry *e)
{
	JW_LIT(r, "{\"environment_integration_id\":");
	jw_id(r, e->ei_id);
	JW_LIT(r, ",\"environment_id\":");
	jw_id(r, e->environment_id);
	JW_LIT(r, ",\"integration_id\":");
	jw_id(r, e->integration_id);
	JW_LIT(r, ",\"version\":");
	jw_uint(r, e->version);
	JW_LIT(r, ",\"kind\":");
	put_text(r, &e->kind);
	JW_LIT(r, ",\"created_at\":");
	put_time(r, &e->at);
	JW_LIT(r, ",\"token\":");
	if (e->has_token) {
		JW_LIT(r, "{\"id\":");
		jw_id(r, e->token_id);
		JW_LIT(r, ",\"name\":");
		put_text(r, &e->token_name);
		JW_LIT(r, "}");
	} else {
		JW_LIT(r, "null");
	}
	JW_LIT(r, ",\"request_id\":");
	put_text(r, &e->request_id);
	JW_LIT(r, ",\"show_in_catalog\":");
	jw_bool(r, e->show_in_catalog);
	JW_LIT(r, ",\"is_enabled\":");
	jw_bool(r, e->is_enabled);
	JW_LIT(r, ",\"override\":");
	put_raw(r, &e->override);
	JW_LIT(r, "}");
}
