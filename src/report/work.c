/* work.c — what vigil serve's report worker needs from the store: the
 * filing work it owes each report, the deadline alert's bookkeeping, and
 * the incident type a case carries (vigil/report.h). The worker itself is
 * src/server/reports.c. */
#include "report_int.h"

#include <string.h>

/* docs/cybertipline.xsd's incidentType, in its order. */
static const char *const incident_types[] = {
	"Child Pornography (possession, manufacture, and distribution)",
	"Child Sex Trafficking",
	"Child Sex Tourism",
	"Child Sexual Molestation",
	"Misleading Domain Name",
	"Misleading Words or Digital Images on the Internet",
	"Online Enticement of Children for Sexual Acts",
	"Unsolicited Obscene Material Sent to a Child",
};
#define NTYPES (sizeof(incident_types) / sizeof(incident_types[0]))

const char *vigil_incident_type(int i)
{
	return i >= 0 && (size_t)i < NTYPES ? incident_types[i] : NULL;
}

int vigil_incident_type_ok(const char *t)
{
	for (size_t i = 0; t && i < NTYPES; i++)
		if (!strcmp(t, incident_types[i]))
			return 1;
	return 0;
}

int vigil_case_incident_set(vigil_store *st, int64_t case_id, const char *type)
{
	if (!st || case_id <= 0 || !type)
		return VIGIL_EINVAL;
	if (*type && !vigil_incident_type_ok(type))
		return vigil__err(st->ctx, VIGIL_EINVAL, "not a CyberTipline incident type: "
				  "'%.100s'", type);
	return NEED_OP(st, case_incident_set, case_id, type);
}

int vigil_case_incident_get(vigil_store *st, int64_t case_id, char *out, size_t cap)
{
	if (!st || !out || !cap)
		return VIGIL_EINVAL;
	return NEED_OP(st, case_incident_get, case_id, out, cap);
}

const char *vigil_report_work_name(int w)
{
	return w == VIGIL_REPORT_WORK_SUBMIT    ? "submit"
	       : w == VIGIL_REPORT_WORK_RETRACT ? "retract"
						: "";
}

int vigil_report_work_get(vigil_store *st, int64_t id, vigil_report_work *out)
{
	if (!st || !out)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_work_get, id, out);
}

int vigil_report_work_set(vigil_store *st, const vigil_report_work *w)
{
	if (!st || !w || w->work < 0 || w->work > VIGIL_REPORT_WORK_RETRACT)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_work_set, w);
}

int vigil_report_work_due(vigil_store *st, int64_t now, int64_t *ids, size_t max,
			  size_t *n)
{
	if (!st || !ids || !n)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_work_due, now, ids, max, n);
}

int vigil_report_overdue(vigil_store *st, int64_t before, int64_t *ids, size_t max,
			 size_t *n, int64_t *total)
{
	if (!st || !ids || !n || !total)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_overdue, before, ids, max, n, total);
}

int vigil_report_overdue_mark(vigil_store *st, int64_t id, int64_t now)
{
	if (!st)
		return VIGIL_EINVAL;
	return NEED_OP(st, report_overdue_mark, id, now);
}
