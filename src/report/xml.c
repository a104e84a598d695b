/* xml.c — the CyberTipline documents, built with libxml2 in the order of
 * docs/cybertipline.xsd and validated against it; and the parser of
 * NCMEC's answers (untrusted input: fuzz/fuzz_ncmec.c).
 *
 * A report is built from what the store knows of the case: its uploads'
 * contexts (user, IP, port, time), the reviewer's classification and
 * annotations, the sealed items (their SHA-256) and the reveal log, which
 * alone decides fileViewedByEsp. */
#include "report_int.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const char vigil__cybertipline_xsd[];
extern const size_t vigil__cybertipline_xsd_len;

#define XSI "http://www.w3.org/2001/XMLSchema-instance"
#define SCHEMA_LOCATION "https://report.cybertip.org/ispws/xsd"
#define DEFAULT_INCIDENT "Child Pornography (possession, manufacture, and distribution)"

static const char *const report_annotations[] = {
	"sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
	"sadisticOnlineExploitation", NULL};
static const char *const file_annotations[] = {
	"animeDrawingVirtualHentai", "potentialMeme", "viral", "possibleSelfProduction",
	"physicalHarm", "violenceGore", "bestiality", "liveStreaming", "infant",
	"generativeAi", NULL};

/* ------------------------------------------------------------- schema */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlSchemaPtr schema;

static void schema_load(void)
{
	xmlSchemaParserCtxtPtr p =
		xmlSchemaNewMemParserCtxt(vigil__cybertipline_xsd,
					  (int)vigil__cybertipline_xsd_len);
	if (p) {
		schema = xmlSchemaParse(p);
		xmlSchemaFreeParserCtxt(p);
	}
}

static void first_error(void *user, xmlErrorPtr e)
{
	char *buf = user;

	if (!*buf && e && e->message)
		snprintf(buf, 512, "line %d: %s", e->line, e->message);
}

static void quiet(void *user, xmlErrorPtr e)
{
	(void)user;
	(void)e;
}

static int validate_doc(vigil_ctx *ctx, xmlDocPtr doc)
{
	xmlSchemaValidCtxtPtr v;
	char msg[512] = "";
	int r;

	pthread_once(&schema_once, schema_load);
	if (!schema)
		return vigil__err(ctx, VIGIL_EINTERNAL, "the CyberTipline schema does not parse");
	v = xmlSchemaNewValidCtxt(schema);
	if (!v)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	xmlSchemaSetValidStructuredErrors(v, first_error, msg);
	r = xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	if (r) {
		size_t n = strlen(msg);
		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		return vigil__err(ctx, VIGIL_EINVAL, "not valid against cybertipline.xsd: %s",
				  *msg ? msg : "?");
	}
	return VIGIL_OK;
}

int vigil_report_validate(vigil_ctx *ctx, const char *xml, size_t len)
{
	xmlDocPtr doc;
	int rc;

	if (!ctx || !xml || len > VIGIL_REPORT_XML_MAX)
		return VIGIL_EINVAL;
	xmlSetStructuredErrorFunc(NULL, quiet);
	doc = xmlReadMemory(xml, (int)len, "report.xml", "UTF-8", XML_PARSE_NONET);
	if (!doc)
		return vigil__err(ctx, VIGIL_EINVAL, "not well-formed XML");
	rc = validate_doc(ctx, doc);
	xmlFreeDoc(doc);
	return rc;
}

/* ------------------------------------------------------------ helpers */

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
}

static void iso(char *buf, size_t cap, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* An ISO 8601 UTC time from a context ("2026-12-01T10:00:00Z"), or -1. */
static int64_t parse_time(const char *s)
{
	struct tm tm;
	char *end;

	if (!s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.')
		while (*++end >= '0' && *end <= '9')
			;
	if (strcmp(end, "Z") && strcmp(end, "+00:00"))
		return -1;
	return (int64_t)timegm(&tm);
}

static int has(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return 1;
	return 0;
}

/* Adds <wrapper> with the empty elements among names that arr holds, in
 * the schema's order; nothing if none. */
static void annotations(xmlNodePtr parent, const char *wrapper,
			const char *const *names, json_t *arr)
{
	xmlNodePtr w = NULL;

	for (int i = 0; names[i]; i++)
		if (has(arr, names[i])) {
			if (!w)
				w = xmlNewChild(parent, NULL, (const xmlChar *)wrapper, NULL);
			xmlNewChild(w, NULL, (const xmlChar *)names[i], NULL);
		}
}

static int serialise(vigil_ctx *ctx, xmlDocPtr doc, char **xml)
{
	xmlChar *mem = NULL;
	int len = 0, rc;

	rc = validate_doc(ctx, doc);
	if (rc)
		return rc;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	if (!mem)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	*xml = malloc((size_t)len + 1);
	if (!*xml) {
		xmlFree(mem);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	memcpy(*xml, mem, (size_t)len);
	(*xml)[len] = '\0';
	xmlFree(mem);
	return VIGIL_OK;
}

static xmlDocPtr new_doc(const char *root_name, xmlNodePtr *root)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNsPtr xsi;

	if (!doc)
		return NULL;
	*root = xmlNewNode(NULL, (const xmlChar *)root_name);
	xmlDocSetRootElement(doc, *root);
	xsi = xmlNewNs(*root, (const xmlChar *)XSI, (const xmlChar *)"xsi");
	xmlNewNsProp(*root, xsi, (const xmlChar *)"noNamespaceSchemaLocation",
		     (const xmlChar *)SCHEMA_LOCATION);
	return doc;
}

/* ------------------------------------------------------------- report */

/* Prior finished reports of the same user (their NCMEC ids). */
static void prior_reports(vigil_store *st, const vigil_report *self,
			  const char *user, xmlNodePtr parent)
{
	vigil_report *all = NULL;
	size_t n = 0;

	if (!*user || vigil_report_list(st, &all, &n))
		return;
	for (size_t i = n; i-- > 0;) {
		vigil_case c;
		if (all[i].id == self->id || all[i].state != VIGIL_REPORT_FINISHED ||
		    !*all[i].ncmec_id || vigil_case_get(st, all[i].case_id, &c))
			continue;
		if (!strcmp(c.user_id, user))
			add(parent, "priorCTReports", all[i].ncmec_id);
		vigil_case_clear(&c);
	}
	vigil_reports_free(all, n);
}

int vigil_report_xml(vigil_store *st, int64_t id, const vigil_reporter *rep,
		     int64_t now, char **xml)
{
	vigil_report r;
	vigil_case c;
	vigil_case_review rv;
	json_t *ctxs = NULL, *ann = NULL, *v, *matches = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sum, rp, person, pu;
	char when[32], buf[512], itype[96];
	int64_t first = -1;
	size_t i;
	int rc, have_case = 0;

	if (!st || !xml || !rep)
		return st ? vigil__err(st->ctx, VIGIL_EINVAL, "no report document to write to")
			  : VIGIL_EINVAL;
	*xml = NULL;
	rc = vigil_report_get(st, id, &r);
	if (rc)
		return rc;
	if (r.xml) { /* once sent, the document is what was sent */
		*xml = r.xml;
		r.xml = NULL;
		vigil_report_clear(&r);
		return VIGIL_OK;
	}
	/* A draft is built now, and names the person who files it. */
	if (!rep->email || !*rep->email) {
		vigil_report_clear(&r);
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "a report needs the reporter's email (reporter_email)");
	}
	rc = vigil_case_get(st, r.case_id, &c);
	if (rc)
		goto out;
	have_case = 1;
	rc = vigil_case_review_get(st, r.case_id, now, &rv);
	if (rc)
		goto out;
	/* The case's own type (a reviewer's, or its bank policy's, stored on
	 * decision) before the reporter's default; a backend without it has
	 * none. */
	if (vigil_case_incident_get(st, r.case_id, itype, sizeof(itype)))
		*itype = '\0';
	ctxs = json_loads(c.contexts ? c.contexts : "[]", 0, NULL);
	ann = json_loads(rv.annotations, 0, NULL);
	matches = json_loads(c.matches ? c.matches : "[]", 0, NULL);
	json_array_foreach(ctxs, i, v) {
		int64_t t = parse_time(json_string_value(json_object_get(v, "upload_time")));
		if (t >= 0 && (first < 0 || t < first))
			first = t;
	}
	if (first < 0)
		first = c.created;
	if (first > now)
		first = now; /* NCMEC refuses a time in the future: clock skew */
	doc = new_doc("report", &root);
	if (!doc) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	sum = xmlNewChild(root, NULL, (const xmlChar *)"incidentSummary", NULL);
	add(sum, "incidentType", *itype ? itype
					: rep->incident_type && *rep->incident_type ? rep->incident_type
										     : DEFAULT_INCIDENT);
	annotations(sum, "reportAnnotations", report_annotations, ann);
	iso(when, sizeof(when), first);
	add(sum, "incidentDateTime", when);
	add(sum, "incidentDateTimeDescription", "The earliest upload of the content to the service");
	rp = xmlNewChild(root, NULL, (const xmlChar *)"reporter", NULL);
	person = xmlNewChild(rp, NULL, (const xmlChar *)"reportingPerson", NULL);
	if (rep->first_name && *rep->first_name)
		add(person, "firstName", rep->first_name);
	if (rep->last_name && *rep->last_name)
		add(person, "lastName", rep->last_name);
	add(person, "email", rep->email);
	if (*c.user_id || json_array_size(ctxs)) {
		const char *service = rep->esp_service;
		pu = xmlNewChild(root, NULL, (const xmlChar *)"personOrUserReported", NULL);
		if (*c.user_id)
			add(pu, "espIdentifier", c.user_id);
		if (!service || !*service)
			service = json_string_value(json_object_get(json_array_get(ctxs, 0),
								    "surface"));
		if (service && *service)
			add(pu, "espService", service);
		json_array_foreach(ctxs, i, v) {
			const char *ip = json_string_value(json_object_get(v, "ip"));
			int64_t t = parse_time(json_string_value(json_object_get(v, "upload_time")));
			json_t *port = json_object_get(v, "port");
			xmlNodePtr ev;
			if (!ip || !*ip)
				continue;
			ev = xmlNewChild(pu, NULL, (const xmlChar *)"ipCaptureEvent", NULL);
			add(ev, "ipAddress", ip);
			add(ev, "eventName", "Upload");
			if (t >= 0) {
				iso(when, sizeof(when), t > now ? now : t);
				add(ev, "dateTime", when);
			}
			if (json_is_integer(port) && json_integer_value(port) >= 0 &&
			    json_integer_value(port) <= 65535) {
				snprintf(buf, sizeof(buf), "%lld",
					 (long long)json_integer_value(port));
				add(ev, "port", buf);
			}
		}
		prior_reports(st, &r, c.user_id, pu);
	}
	snprintf(buf, sizeof(buf), "Reported by vigil from case %lld: %zu upload(s), "
		 "%zu hash-list match(es), confirmed by a reviewer as %s.",
		 (long long)c.id, json_array_size(ctxs), json_array_size(matches),
		 *rv.classification ? rv.classification : "-");
	add(root, "additionalInfo", buf);
	rc = serialise(st->ctx, doc, xml);
out:
	xmlFreeDoc(doc);
	json_decref(ctxs);
	json_decref(ann);
	json_decref(matches);
	if (have_case)
		vigil_case_clear(&c);
	vigil_report_clear(&r);
	return rc;
}

/* ------------------------------------------------------- fileDetails */

int vigil__report_file_doc(vigil_store *st, const vigil_report *r, int n,
			   const char *ncmec_id, const char *file_id, const char *md5,
			   char **xml)
{
	vigil_case c;
	vigil_case_review rv;
	vigil_case_media m;
	json_t *ctxs = NULL, *ann = NULL, *ctx1;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, h;
	char buf[128];
	int64_t viewed = 0, t;
	int rc, have_case = 0, have_media = 0;

	*xml = NULL;
	rc = vigil_case_get(st, r->case_id, &c);
	if (rc)
		return rc;
	have_case = 1;
	rc = vigil_case_review_get(st, r->case_id, (int64_t)time(NULL), &rv);
	if (!rc)
		rc = vigil_case_media_get(st, r->case_id, n, &m);
	if (rc)
		goto out;
	have_media = 1;
	rc = NEED_OP(st, reveal_count_item, r->case_id, n, &viewed);
	if (rc)
		goto out;
	ctxs = json_loads(c.contexts ? c.contexts : "[]", 0, NULL);
	ann = json_loads(rv.annotations, 0, NULL);
	/* Item n was kept from upload n when the case has as many. */
	ctx1 = json_array_get(ctxs, (size_t)n - 1);
	if (!ctx1)
		ctx1 = json_array_get(ctxs, 0);
	doc = new_doc("fileDetails", &root);
	if (!doc) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	add(root, "reportId", *ncmec_id ? ncmec_id : "DRAFT");
	add(root, "fileId", *file_id ? file_id : "DRAFT");
	snprintf(buf, sizeof(buf), "case-%lld-item-%d", (long long)r->case_id, n);
	add(root, "fileName", buf);
	{
		const char *cid = json_string_value(json_object_get(ctx1, "content_id"));
		if (cid && *cid)
			add(root, "originalFileName", cid);
	}
	t = parse_time(json_string_value(json_object_get(ctx1, "upload_time")));
	if (t >= 0) {
		int64_t now = (int64_t)time(NULL);
		iso(buf, sizeof(buf), t > now ? now : t);
		add(root, "uploadedToEspTimestamp", buf);
	}
	/* True only if a person opened the original (the reveal log): the
	 * protected derivative a reviewer sees by default is not a view. */
	add(root, "fileViewedByEsp", viewed > 0 ? "true" : "false");
	add(root, "exifViewedByEsp", "false");
	add(root, "fileRelevance", "Reported");
	annotations(root, "fileAnnotations", file_annotations, ann);
	if (vigil_classification_ok(rv.classification))
		add(root, "industryClassification", rv.classification);
	if (md5 && *md5) {
		h = add(root, "originalFileHash", md5);
		xmlNewProp(h, (const xmlChar *)"hashType", (const xmlChar *)"MD5");
	}
	for (int i = 0; i < 32; i++)
		snprintf(buf + 2 * i, 3, "%02x", m.sha256[i]);
	h = add(root, "originalFileHash", buf);
	xmlNewProp(h, (const xmlChar *)"hashType", (const xmlChar *)"SHA256");
	{
		const char *ip = json_string_value(json_object_get(ctx1, "ip"));
		if (ip && *ip) {
			xmlNodePtr ev = xmlNewChild(root, NULL, (const xmlChar *)"ipCaptureEvent", NULL);
			add(ev, "ipAddress", ip);
			add(ev, "eventName", "Upload");
		}
	}
	rc = serialise(st->ctx, doc, xml);
out:
	xmlFreeDoc(doc);
	json_decref(ctxs);
	json_decref(ann);
	if (have_media)
		free(m.sealed);
	if (have_case)
		vigil_case_clear(&c);
	return rc;
}

int vigil_report_file_xml(vigil_store *st, int64_t id, int n, const char *ncmec_id,
			  const char *file_id, char **xml)
{
	vigil_report r;
	int rc;

	if (!st || !xml || n < 1)
		return VIGIL_EINVAL;
	rc = vigil_report_get(st, id, &r);
	if (rc)
		return rc;
	rc = vigil__report_file_doc(st, &r, n, ncmec_id ? ncmec_id : "",
				    file_id ? file_id : "", NULL, xml);
	vigil_report_clear(&r);
	return rc;
}

int vigil_report_file_sent_xml(vigil_store *st, int64_t id, int n, char **xml)
{
	vigil_report r;
	json_t *files, *f;
	const char *fid = "", *sent = NULL, *md5 = NULL;
	size_t i;
	int rc;

	if (!st || !xml || n < 1)
		return VIGIL_EINVAL;
	*xml = NULL;
	rc = vigil_report_get(st, id, &r);
	if (rc)
		return rc;
	files = json_loads(r.files ? r.files : "[]", 0, NULL);
	json_array_foreach(files, i, f)
		if (json_integer_value(json_object_get(f, "n")) == n) {
			fid = json_string_value(json_object_get(f, "file_id"));
			sent = json_string_value(json_object_get(f, "details"));
			md5 = json_string_value(json_object_get(f, "md5"));
		}
	if (sent && *sent) /* as it was sent */
		rc = (*xml = strdup(sent)) ? VIGIL_OK
					   : vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	else
		rc = vigil__report_file_doc(st, &r, n, r.ncmec_id, fid ? fid : "",
					    md5 && *md5 ? md5 : NULL, xml);
	json_decref(files); /* fid, sent and md5 point into it */
	vigil_report_clear(&r);
	return rc;
}

/* ------------------------------------------------------------ answers */

static xmlNodePtr find(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr f;
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
		if ((f = find(n->children, name)))
			return f;
	}
	return NULL;
}

static void text_of(xmlNodePtr root, const char *name, char *out, size_t cap)
{
	xmlNodePtr n = find(root, name);
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;

	snprintf(out, cap, "%s", t ? (const char *)t : "");
	xmlFree(t);
}

int vigil_ncmec_parse(const char *xml, size_t len, vigil_ncmec_response *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char code[32];
	char *end;
	long v;

	if (!xml || !out)
		return VIGIL_EINVAL;
	memset(out, 0, sizeof(*out));
	out->code = -1;
	if (len > VIGIL_REPORT_XML_MAX || len > (size_t)INT32_MAX)
		return VIGIL_ETOOBIG;
	xmlSetStructuredErrorFunc(NULL, quiet);
	/* No network, no entity expansion, no DTD: an answer is data. */
	doc = xmlReadMemory(xml, (int)len, "answer.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return VIGIL_ECORRUPT;
	/* NCMEC's answers have no DTD; one that has is refused whole rather
	 * than trusted to leave its entities alone. */
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return VIGIL_ECORRUPT;
	}
	root = xmlDocGetRootElement(doc);
	text_of(root, "responseCode", code, sizeof(code));
	v = strtol(code, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (!*code || end == code || *end || v < 0 || v > 99999) {
		xmlFreeDoc(doc);
		return VIGIL_ECORRUPT;
	}
	out->code = (int)v;
	text_of(root, "responseDescription", out->description, sizeof(out->description));
	text_of(root, "reportId", out->report_id, sizeof(out->report_id));
	text_of(root, "fileId", out->file_id, sizeof(out->file_id));
	text_of(root, "hash", out->hash, sizeof(out->hash));
	xmlFreeDoc(doc);
	return VIGIL_OK;
}
