/* records.c — the pipeline's durable records: transactions, quarantine,
 * cases and outbox rows. Checks arguments, builds event bodies, and hands
 * well-formed rows to the backend. */
#include "../store/store.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const case_states[VIGIL__CASE_STATE_END] = {
	"open", "claimed", "decided", "escalated"};
static const char *const outbox_states[VIGIL__OUTBOX_STATE_END] = {
	"pending", "delivered", "failed"};

const char *vigil_case_state_name(int s)
{
	return s >= 0 && s < VIGIL__CASE_STATE_END ? case_states[s] : "unknown";
}

const char *vigil_outbox_state_name(int s)
{
	return s >= 0 && s < VIGIL__OUTBOX_STATE_END ? outbox_states[s] : "unknown";
}

int vigil_store_begin(vigil_store *st)
{
	if (!st)
		return VIGIL_EINVAL;
	if (st->ops->in_transaction(st))
		return vigil__err(st->ctx, VIGIL_ESTORE, "a transaction is already open");
	return st->ops->begin(st);
}

int vigil_store_commit(vigil_store *st)
{
	if (!st)
		return VIGIL_EINVAL;
	if (!st->ops->in_transaction(st))
		return vigil__err(st->ctx, VIGIL_ESTORE, "no transaction is open");
	return st->ops->commit(st);
}

int vigil_store_rollback(vigil_store *st)
{
	return st ? st->ops->rollback(st) : VIGIL_EINVAL;
}

/* ---------------------------------------------------------- quarantine */

int vigil_quarantine_add(vigil_store *st, const vigil_quarantine *q)
{
	if (!st || !q || q->entry_id <= 0)
		return VIGIL_EINVAL;
	if (!memchr(q->reason, '\0', sizeof(q->reason)))
		return vigil__err(st->ctx, VIGIL_EINVAL, "quarantine: unterminated reason");
	return st->ops->quarantine_add(st, q);
}

int vigil_quarantine_remove(vigil_store *st, int64_t entry_id)
{
	return st ? st->ops->quarantine_remove(st, entry_id) : VIGIL_EINVAL;
}

int vigil_quarantine_list(vigil_store *st, vigil_quarantine **out, size_t *n)
{
	if (!st || !out || !n)
		return VIGIL_EINVAL;
	return st->ops->quarantine_list(st, out, n);
}

/* --------------------------------------------------------------- cases */

static int json_text_ok(const char *text, int want_object)
{
	json_t *j;
	int ok;

	if (!text)
		return 1;
	if (strlen(text) > VIGIL_CASE_JSON_MAX)
		return 0;
	j = json_loads(text, JSON_DECODE_ANY, NULL);
	ok = want_object ? json_is_object(j) : json_is_array(j);
	json_decref(j);
	return ok;
}

static int id_ok(const char *s)
{
	return !s || strlen(s) <= VIGIL_ID_MAX;
}

int vigil_case_open(vigil_store *st, const vigil_case_new *c, int64_t *id,
		    int *joined)
{
	int tmp_j, own, rc;
	int64_t tmp_id;

	if (!st || !c)
		return VIGIL_EINVAL;
	if (!id_ok(c->content_id) || !id_ok(c->user_id) ||
	    (c->join_key && strlen(c->join_key) > VIGIL_TEXT_MAX) ||
	    (c->source && strlen(c->source) > VIGIL_NAME_MAX))
		return vigil__err(st->ctx, VIGIL_ETOOBIG,
				  "case: ids are limited to %d bytes", VIGIL_ID_MAX);
	if (!json_text_ok(c->context, 1))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "case: context is not a JSON object (of at most %d bytes)",
				  VIGIL_CASE_JSON_MAX);
	if (!json_text_ok(c->matches, 0))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "case: matches is not a JSON array (of at most %d bytes)",
				  VIGIL_CASE_JSON_MAX);
	/* Joining reads then writes: outside a caller's transaction, make
	 * that one of our own so two uploads cannot both open a case. */
	own = !st->ops->in_transaction(st);
	if (own && (rc = st->ops->begin(st)))
		return rc;
	rc = st->ops->case_open(st, c, id ? id : &tmp_id, joined ? joined : &tmp_j);
	if (own)
		rc = rc ? (st->ops->rollback(st), rc) : st->ops->commit(st);
	return rc;
}

int vigil_case_get(vigil_store *st, int64_t id, vigil_case *out)
{
	int rc;

	if (!st || !out)
		return VIGIL_EINVAL;
	rc = st->ops->case_get(st, id, out);
	if (!rc && (rc = vigil__open_text(st, "cases.contexts", &out->contexts, 0)))
		vigil_case_clear(out);
	return rc;
}

void vigil_case_clear(vigil_case *c)
{
	if (!c)
		return;
	vigil__free(c->contexts);
	vigil__free(c->matches);
	c->contexts = c->matches = NULL;
}

/* -------------------------------------------------------------- outbox */

void vigil_event_clear(vigil_event *e)
{
	if (!e)
		return;
	vigil__free(e->body);
	e->body = NULL;
}

void vigil_events_free(vigil_event *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		vigil_event_clear(&v[i]);
	vigil__free(v);
}

/* A random (version 4) UUID: the event's identity for receivers. */
static int new_event_id(char out[VIGIL_EVENT_ID_LEN + 1])
{
	uint8_t b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return VIGIL_EINTERNAL;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	vigil_hex(b, sizeof(b), hex);
	snprintf(out, VIGIL_EVENT_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
	return VIGIL_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vigil_outbox_add(vigil_store *st, const char *type, const char *url,
		     const char *secret_ref, const char *data,
		     char event_id[VIGIL_EVENT_ID_LEN + 1])
{
	vigil_event e;
	json_t *body = NULL, *d = NULL;
	int rc;

	if (!st || !type || !url || !data)
		return VIGIL_EINVAL;
	if (!*type || strlen(type) > VIGIL_NAME_MAX || !*url ||
	    strlen(url) > VIGIL_URL_MAX ||
	    (secret_ref && strlen(secret_ref) > VIGIL_TEXT_MAX))
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "outbox: bad type, url or secret reference");
	if (strlen(data) > VIGIL_EVENT_MAX)
		return vigil__err(st->ctx, VIGIL_ETOOBIG, "outbox: event over %d bytes",
				  VIGIL_EVENT_MAX);
	memset(&e, 0, sizeof(e));
	rc = new_event_id(e.event_id);
	if (rc)
		return vigil__err(st->ctx, rc, "no random numbers for an event id");
	d = json_loads(data, JSON_DECODE_ANY, NULL);
	if (!d)
		return vigil__err(st->ctx, VIGIL_EINVAL, "outbox: data is not JSON");
	e.created_ms = now_ms();
	body = json_pack("{s:s, s:s, s:I, s:o}", "id", e.event_id, "type", type,
			 "created", (json_int_t)(e.created_ms / 1000), "data", d);
	if (!body)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	e.body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (!e.body)
		return vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
	snprintf(e.type, sizeof(e.type), "%s", type);
	snprintf(e.url, sizeof(e.url), "%s", url);
	snprintf(e.secret_ref, sizeof(e.secret_ref), "%s", secret_ref ? secret_ref : "");
	/* An event carries the upload's context (user, IP, time) until it
	 * is delivered: sealed like the case's own copy when the store has a
	 * seal key (sealed_columns.c). */
	if (st->sealing) {
		char *sealed = NULL;
		rc = vigil__seal_text(st, "outbox.body", e.body, &sealed);
		free(e.body);
		e.body = sealed;
		if (rc)
			return rc;
	}
	rc = st->ops->outbox_add(st, &e);
	if (!rc && event_id)
		memcpy(event_id, e.event_id, VIGIL_EVENT_ID_LEN + 1);
	free(e.body);
	return rc;
}

int vigil__outbox_open(vigil_store *st, int rc, vigil_event **out, size_t *n)
{
	for (size_t i = 0; !rc && i < *n; i++)
		rc = vigil__open_text(st, "outbox.body", &(*out)[i].body, 0);
	if (rc) {
		vigil_events_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int vigil_outbox_due(vigil_store *st, int64_t at_ms, size_t max, vigil_event **out,
		     size_t *n)
{
	if (!st || !out || !n)
		return VIGIL_EINVAL;
	return vigil__outbox_open(st, st->ops->outbox_select(st, -1, at_ms, max, out, n), out, n);
}

int vigil_outbox_list(vigil_store *st, int state, size_t max, vigil_event **out,
		      size_t *n)
{
	if (!st || !out || !n || state < 0 || state >= VIGIL__OUTBOX_STATE_END)
		return VIGIL_EINVAL;
	return vigil__outbox_open(st, st->ops->outbox_select(st, state, 0, max, out, n), out, n);
}

int vigil_outbox_counts(vigil_store *st, int64_t counts[3])
{
	if (!st || !counts)
		return VIGIL_EINVAL;
	return st->ops->outbox_counts(st, counts);
}
