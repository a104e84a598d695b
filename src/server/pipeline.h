/* pipeline.h — the server's side of the pipeline (vigil/pipeline.h): the
 * flood tracker every request shares, the webhook delivery thread, and the
 * shared steps of /v1/content and /v1/user-reports. */
#ifndef VIGIL_SERVER_PIPELINE_H
#define VIGIL_SERVER_PIPELINE_H

#include "http.h"

/* At start (after the store pool is open): loads the quarantined entries
 * into the flood tracker and starts the delivery thread, on its own store
 * handle. 0, or -1 with a message in err. */
int srv_pipeline_start(srv *s, char *err, size_t errcap);
/* Stops the delivery thread (an attempt in flight finishes first). */
void srv_pipeline_stop(srv *s);
/* The shared flood tracker. */
vigil_flood *srv_flood(void);
/* Wakes the delivery thread: new events were committed. */
void srv_pipeline_kick(void);
/* The context JSON of an upload or a user report, checked (context.c;
 * also the fuzz target's entry point): an object of content_id, user_id,
 * ip, surface, reporter, reason (strings of at most VIGIL_ID_MAX bytes),
 * port (0..65535) and upload_time (a string or unix seconds); anything
 * else is refused. The result is owned by the caller (json_decref); NULL
 * with err set if refused. */
json_t *srv_content_context(const void *data, size_t len, char *err, size_t errcap);
/* What the video worker needs from the server: the shared live matcher,
 * the store's path, the limits. */
vigil_matcher *srv_pipeline_matcher(srv *s);
const char *srv_pipeline_db(srv *s);
int64_t srv_pipeline_max_video_seconds(srv *s);
int64_t srv_pipeline_max_pixels(srv *s);
/* The video worker (route_content.c), started and stopped with the rest. */
int srv__video_start(srv *s);
void srv__video_stop(void);
/* POST /v1/text's shared engine (route_text.c): srv__text_stop frees it
 * (at shutdown); srv_text_changed makes the next request compare the text
 * banks with the store at once instead of within a second. */
int srv__text_start(srv *s, char *err, size_t errcap); /* loads text_model */
void srv__text_stop(void);
void srv_text_changed(void);
/* POST /v1/text's grooming state per (conversation, author) (text_state.c):
 * _get fills p (key, state: zero for a new or expired pair) from memory or
 * the store; _put writes it to the store (call inside the request's
 * transaction) and sweeps expired rows now and then; _keep puts it in
 * memory once committed. srv_groom_clock: the clock (unix seconds) for a
 * message. srv__groom_state_stop frees the memory part (shutdown). */
typedef struct srv_groom_pair {
	uint8_t key[VIGIL_GROOM_KEY_BYTES];
	vigil_groom_state st;
} srv_groom_pair;
int64_t srv_groom_clock(json_t *body);
int srv_groom_state_get(vigil_store *st, int64_t max_age, const char *conv,
			const char *author, int64_t now, srv_groom_pair *p);
int srv_groom_state_put(vigil_store *st, int64_t max_age, const srv_groom_pair *p,
			int64_t now);
void srv_groom_state_keep(const srv_groom_pair *p, int64_t now);
void srv__groom_state_stop(void);
/* The global webhook target (config). */
const char *srv_webhook_url(srv *s);
/* Queues one event (its JSON text) for the global webhook_url and, when the
 * bank has its own webhook (bank_url, its secret reference) that differs,
 * for that one too: the one rule of who hears of an event. geid and beid
 * receive the event ids ("" where nothing was queued). */
int srv_outbox_fanout(vigil_store *st, srv *s, const char *bank_url,
		      const char *bank_secret, const char *type, const char *text,
		      char geid[VIGIL_EVENT_ID_LEN + 1],
		      char beid[VIGIL_EVENT_ID_LEN + 1]);
/* srv_outbox_fanout for one event object (data, serialised here) of the
 * deciding bank (NULL: the global target only), adding a {"type":
 * "webhook", "event", "event_id"[, "bank"]} action per queued row to
 * actions (/v1/content, /v1/text). */
int srv_event_queue(vigil_store *st, srv *s, const vigil_bank_rule *bank,
		    const char *type, json_t *data, json_t *actions);
/* One audit row written on st (inside the caller's transaction, unlike
 * srv_audit): role and source from the request, detail a JSON object
 * (not stolen). */
int srv_audit_row(srv_req *r, vigil_store *st, const char *who, const char *action,
		  const char *object, json_t *detail);
/* The rule of bank id in rules[0..n) (sorted or not), or NULL. */
const vigil_bank_rule *srv_rule_find(const vigil_bank_rule *rules, size_t n, int64_t id);

/* Policies in the bank routes (route_banks.c): bank JSON with its "policy"
 * object added (steals and returns bank); a request body's "policy" member
 * applied onto the bank's current policy (or the defaults) into *p —
 * 0 (*has = 1 if there was one), or -1 after replying 400 invalid_policy.
 * Store it with vigil_bank_policy_put. */
json_t *srv_bank_with_policy(srv_req *r, json_t *bank, const char *name);
int srv_policy_parse(srv_req *r, json_t *body, const char *bank, vigil_bank_policy *p,
		     int *has);

#endif
