/* transparency.c — the counts a transparency report is made from.
 *
 * Counted from the audit trail, which is hash-chained (docs/audit.md), so
 * the figures can be recomputed from a verified record; and from the cases
 * for what the audit does not itemise (matches by bank and hash type, the
 * time from upload to decision). */
#include "../store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DAYS 3660 /* ten years a query */

typedef struct tally {
	int64_t from, to;  /* unix s, day-aligned; to exclusive */
	json_t *days;      /* array, one object per day */
	json_t **decide;   /* per day: array of seconds upload -> decision */
	size_t ndays;
} tally;

static json_t *day_of(tally *t, int64_t when_s)
{
	if (when_s < t->from || when_s >= t->to)
		return NULL;
	return json_array_get(t->days, (size_t)((when_s - t->from) / 86400));
}

static void bump(json_t *o, const char *key, json_int_t by)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

static void bump2(json_t *day, const char *group, const char *key)
{
	json_t *g = json_object_get(day, group);

	if (!g) {
		g = json_object();
		json_object_set_new(day, group, g);
	}
	bump(g, key, 1);
}

static int from_audit(void *user, const vigil_audit *a)
{
	tally *t = user;
	json_t *day = day_of(t, a->time_ms / 1000), *d;
	const char *s;

	if (!day)
		return 0;
	d = a->detail && *a->detail ? json_loads(a->detail, 0, NULL) : NULL;
	if (!strcmp(a->action, "content.verdict")) {
		bump(day, "items_checked", 1);
		s = json_string_value(json_object_get(d, "verdict"));
		bump2(day, "verdicts", s ? s : "unknown");
		if (json_integer_value(json_object_get(d, "matches")) > 0)
			bump(day, "items_matched", 1);
	} else if (!strcmp(a->action, "user_report")) {
		bump(day, "user_reports", 1);
	} else if (!strcmp(a->action, "case.decision")) {
		s = json_string_value(json_object_get(d, "decision"));
		bump2(day, "cases_decided", s ? s : "unknown");
	} else if (!strcmp(a->action, "report.submit")) {
		/* Counted when it became finished, not for each later no-op. */
		s = json_string_value(json_object_get(d, "state"));
		const char *was = json_string_value(json_object_get(d, "was"));
		if (s && !strcmp(s, "finished") && (!was || strcmp(was, "finished")))
			bump(day, "reports_filed", 1);
	} else if (!strcmp(a->action, "report.retract")) {
		s = json_string_value(json_object_get(d, "state"));
		const char *was = json_string_value(json_object_get(d, "was"));
		if (s && !strcmp(s, "retracted") && (!was || strcmp(was, "retracted")))
			bump(day, "reports_retracted", 1);
	} else if (!strcmp(a->action, "stream.cut")) {
		bump(day, "streams_cut", 1);
	} else if (!strcmp(a->action, "evidence.preserve")) {
		bump(day, "evidence_preserved", 1);
	} else if (!strcmp(a->action, "evidence.delete")) {
		bump(day, "evidence_deleted", 1);
	}
	json_decref(d);
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The median of a day's upload -> decision times (the lower middle one
 * for an even count, so it is a time that happened). */
static void median(json_t *day, json_t *secs)
{
	size_t n = json_array_size(secs), i;
	int64_t *v;
	json_t *x;

	if (!n)
		return;
	v = malloc(n * sizeof(*v));
	if (!v)
		return;
	json_array_foreach(secs, i, x)
		v[i] = json_integer_value(x);
	qsort(v, n, sizeof(*v), cmp64);
	json_object_set_new(day, "median_decision_seconds", json_integer(v[(n - 1) / 2]));
	free(v);
}

int vigil_transparency(vigil_store *st, int64_t from, int64_t to, char **out)
{
	tally t;
	vigil_case *cases = NULL;
	size_t ncases = 0, i;
	json_t *doc = NULL;
	int rc;

	if (!st || !out || to < from)
		return VIGIL_EINVAL;
	*out = NULL;
	memset(&t, 0, sizeof(t));
	t.from = from - (from % 86400 + 86400) % 86400;
	t.to = to - (to % 86400 + 86400) % 86400 + 86400;
	t.ndays = (size_t)((t.to - t.from) / 86400);
	if (t.ndays > MAX_DAYS)
		return vigil__err(st->ctx, VIGIL_EINVAL, "at most %d days a query", MAX_DAYS);
	t.days = json_array();
	t.decide = calloc(t.ndays, sizeof(*t.decide));
	if (!t.days || !t.decide) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < t.ndays; i++) {
		char date[16];
		time_t d = (time_t)(t.from + (int64_t)i * 86400);
		struct tm tm;
		gmtime_r(&d, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		t.decide[i] = json_array();
		json_array_append_new(t.days, json_pack(
			"{s:s,s:i,s:i,s:{},s:{},s:i,s:{},s:i,s:i,s:i,s:i}", "date", date,
			"items_checked", 0, "items_matched", 0, "verdicts", "matches",
			"cases_opened", 0, "cases_decided", "reports_filed", 0,
			"reports_retracted", 0, "user_reports", 0, "streams_cut", 0));
	}
	rc = vigil_audit_scan(st, 0, SIZE_MAX, from_audit, &t);
	if (rc)
		goto out;
	rc = vigil_case_list(st, -1, (int64_t)time(NULL), SIZE_MAX, &cases, &ncases);
	if (rc)
		goto out;
	for (i = 0; i < ncases; i++) {
		json_t *day = day_of(&t, cases[i].created), *m, *x;
		vigil_case_review rv;
		size_t k;
		if (day) {
			bump(day, "cases_opened", 1);
			m = json_loads(cases[i].matches ? cases[i].matches : "[]", 0, NULL);
			json_array_foreach(m, k, x) {
				char key[300];
				const char *b = json_string_value(json_object_get(x, "bank"));
				const char *ty = json_string_value(json_object_get(x, "type"));
				snprintf(key, sizeof(key), "%s/%s", b ? b : "?", ty ? ty : "?");
				bump2(day, "matches", key);
			}
			json_decref(m);
		}
		if (!vigil_case_review_get(st, cases[i].id, (int64_t)time(NULL), &rv) &&
		    rv.decided && rv.decision != VIGIL_DECISION_ESCALATE &&
		    (day = day_of(&t, rv.decided)))
			json_array_append_new(t.decide[(rv.decided - t.from) / 86400],
					      json_integer(rv.decided - cases[i].created));
	}
	for (i = 0; i < t.ndays; i++)
		median(json_array_get(t.days, i), t.decide[i]);
	{
		char f[16], l[16];
		time_t a = (time_t)t.from, b = (time_t)(t.to - 86400);
		struct tm tm;
		gmtime_r(&a, &tm);
		strftime(f, sizeof(f), "%Y-%m-%d", &tm);
		gmtime_r(&b, &tm);
		strftime(l, sizeof(l), "%Y-%m-%d", &tm);
		doc = json_pack("{s:s,s:s,s:O}", "from", f, "to", l, "days", t.days);
	}
	*out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!*out)
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
out:
	for (i = 0; t.decide && i < t.ndays; i++)
		json_decref(t.decide[i]);
	free(t.decide);
	json_decref(t.days);
	json_decref(doc);
	vigil_cases_free(cases, ncases);
	return rc;
}

/* "YYYY-MM-DD" as the unix time of that UTC day's start. */
static int parse_day(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%d", &tm) : NULL;
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int vigil_transparency_range(vigil_store *st, const char *from, const char *to, char **out)
{
	int64_t f, t;

	if (!st || !out)
		return VIGIL_EINVAL;
	if (parse_day(from, &f) || parse_day(to, &t) || t < f)
		return vigil__err(st->ctx, VIGIL_EINVAL, "expected from and to as YYYY-MM-DD, "
				  "to not before from");
	return vigil_transparency(st, f, t, out);
}
