/* The CyberTipline documents against our XSD, and the answer parser. */
#include "vigil.h"
#include "../test.h"

static const char good[] =
	"<report xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
	" xsi:noNamespaceSchemaLocation=\"https://report.cybertip.org/ispws/xsd\">"
	"<incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
	"<incidentDateTime>2026-04-15T11:55:00Z</incidentDateTime></incidentSummary>"
	"<reporter><reportingPerson><email>a@example.invalid</email></reportingPerson></reporter>"
	"</report>";
/* The same with incidentSummary's children swapped. */
static const char swapped[] =
	"<report><incidentSummary><incidentDateTime>2026-04-15T11:55:00Z</incidentDateTime>"
	"<incidentType>Child Sex Trafficking</incidentType></incidentSummary>"
	"<reporter><reportingPerson><email>a@example.invalid</email></reportingPerson></reporter>"
	"</report>";
static const char no_email[] =
	"<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
	"<incidentDateTime>2026-04-15T11:55:00Z</incidentDateTime></incidentSummary>"
	"<reporter><reportingPerson><firstName>A</firstName></reportingPerson></reporter>"
	"</report>";
static const char no_zone[] =
	"<report><incidentSummary><incidentType>Child Sex Trafficking</incidentType>"
	"<incidentDateTime>2026-04-15T11:55:00</incidentDateTime></incidentSummary>"
	"<reporter><reportingPerson><email>a@example.invalid</email></reportingPerson></reporter>"
	"</report>";
static const char bad_type[] =
	"<report><incidentSummary><incidentType>Something Else</incidentType>"
	"<incidentDateTime>2026-04-15T11:55:00Z</incidentDateTime></incidentSummary>"
	"<reporter><reportingPerson><email>a@example.invalid</email></reportingPerson></reporter>"
	"</report>";
static const char file_ok[] =
	"<fileDetails><reportId>1</reportId><fileId>f</fileId><fileViewedByEsp>false</fileViewedByEsp>"
	"<industryClassification>A1</industryClassification>"
	"<originalFileHash hashType=\"MD5\">00</originalFileHash></fileDetails>";
static const char file_bad[] =
	"<fileDetails><reportId>1</reportId><fileId>f</fileId>"
	"<industryClassification>C9</industryClassification></fileDetails>";

int main(void)
{
	vigil_ctx *ctx;
	vigil_ncmec_response r;
	const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
			  "\"file:///etc/passwd\">]><reportResponse><responseCode>0"
			  "</responseCode><responseDescription>&x;</responseDescription>"
			  "</reportResponse>";
	const char *upload = "<reportResponse><responseCode>0</responseCode>"
			     "<responseDescription>Success</responseDescription>"
			     "<reportId>42</reportId><fileId>f1</fileId><hash>abc</hash>"
			     "</reportResponse>";

	CHECK(vigil_ctx_new(&ctx) == 0);
	CHECK(vigil_report_validate(ctx, good, sizeof(good) - 1) == VIGIL_OK);
	CHECK(vigil_report_validate(ctx, swapped, sizeof(swapped) - 1) == VIGIL_EINVAL);
	CHECK(strstr(vigil_errmsg(ctx), "incidentDateTime") != NULL);
	CHECK(vigil_report_validate(ctx, no_email, sizeof(no_email) - 1) == VIGIL_EINVAL);
	CHECK(vigil_report_validate(ctx, no_zone, sizeof(no_zone) - 1) == VIGIL_EINVAL);
	CHECK(vigil_report_validate(ctx, bad_type, sizeof(bad_type) - 1) == VIGIL_EINVAL);
	CHECK(vigil_report_validate(ctx, file_ok, sizeof(file_ok) - 1) == VIGIL_OK);
	CHECK(vigil_report_validate(ctx, file_bad, sizeof(file_bad) - 1) == VIGIL_EINVAL);
	CHECK(vigil_report_validate(ctx, "<report>", 8) == VIGIL_EINVAL);

	CHECK(vigil_ncmec_parse(upload, strlen(upload), &r) == VIGIL_OK);
	CHECK(r.code == 0 && !strcmp(r.report_id, "42") && !strcmp(r.file_id, "f1") &&
	      !strcmp(r.hash, "abc") && !strcmp(r.description, "Success"));
	CHECK(vigil_ncmec_parse("<a><responseCode> 4100\n</responseCode></a>", 42, &r) == 0 &&
	      r.code == 4100);
	CHECK(vigil_ncmec_parse(xxe, strlen(xxe), &r) == VIGIL_ECORRUPT && r.code == -1);
	CHECK(vigil_ncmec_parse("<a><responseCode>x</responseCode></a>", 37, &r) == VIGIL_ECORRUPT);
	CHECK(vigil_ncmec_parse("<a><responseCode></responseCode></a>", 36, &r) == VIGIL_ECORRUPT);
	CHECK(vigil_ncmec_parse("<html>502</html>", 16, &r) == VIGIL_ECORRUPT);
	CHECK(vigil_ncmec_parse("", 0, &r) == VIGIL_ECORRUPT);
	vigil_ctx_free(ctx);
	return 0;
}
