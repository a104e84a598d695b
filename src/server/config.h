/* config.h — every setting of `vigil serve`, in ONE table (SRV_CONFIG_MAP).
 * The table drives: the config file parser (`key = value` lines), the
 * command-line flags (--FLAG VALUE; flags override the file), `vigil help
 * serve` and the man page (through the CLI's option table), and the keys
 * section of docs/server.md (`vigil serve --config-doc` prints it; a test
 * checks the doc matches). SIGHUP re-reads the file and applies the keys
 * marked reloadable; others need a restart.
 *
 * X(key, flag, type, default, min, max, reloadable, help)
 *   type: STR (text), LIST (comma list; a repeated flag appends), INT (integer in [min,max]), SIZE (bytes, with an
 *   optional k/m/g suffix), LEVEL (error|warn|info|debug). */
#ifndef VIGIL_SERVER_CONFIG_H
#define VIGIL_SERVER_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define SRV_CONFIG_MAP(X)                                                      \
	X(listen, "listen", STR, "127.0.0.1:8080", 0, 0, 0,                    \
	  "Address and port to listen on: HOST:PORT, [IPV6]:PORT. Port 0 "     \
	  "picks a free port; the bound address is printed on standard error " \
	  "as 'listening on http://HOST:PORT'.")                               \
	X(db, "db", STR, "", 0, 0, 0,                                          \
	  "The store (an SQLite file). Default: $VIGIL_DB, else "              \
	  "$XDG_DATA_HOME/vigil/vigil.db.")                                    \
	X(port_file, "port-file", STR, "", 0, 0, 0,                            \
	  "Write the bound port number to this file once listening (for "      \
	  "scripts that use port 0).")                                          \
	X(threads, "threads", INT, "0", 0, 1024, 0,                            \
	  "Request threads (libmicrohttpd's thread pool). 0: twice the number " \
	  "of online CPUs.")                                                    \
	X(max_body, "max-body", SIZE, "64m", 1024, INT64_C(1) << 34, 1,        \
	  "Largest request body in bytes (suffixes k, m, g). A larger body is " \
	  "refused with 413 body_too_large as soon as its size is known.")      \
	X(json_max_bytes, "json-max-bytes", SIZE, "8m", 64, INT64_C(1) << 30, 1, \
	  "Largest JSON request body in bytes; larger ones get 413.")          \
	X(json_max_depth, "json-max-depth", INT, "32", 2, 1000, 1,             \
	  "Deepest nesting of arrays and objects accepted in a JSON body; "    \
	  "deeper ones get 400 bad_json.")                                      \
	X(max_uploads, "max-uploads", INT, "0", 0, 100000, 1,                   \
	  "Requests with a body handled at once; beyond it 503 busy with "    \
	  "Retry-After. 0: the number of request threads.")                    \
	X(max_connections, "max-connections", INT, "1024", 1, 1000000, 0,      \
	  "Open connections accepted at once.")                                 \
	X(max_connections_per_ip, "max-connections-per-ip", INT, "256", 0,     \
	  1000000, 0, "Open connections from one client address (0: no limit).") \
	X(connection_memory, "connection-memory", SIZE, "32k", 8192,           \
	  INT64_C(1) << 24, 0,                                                  \
	  "Memory libmicrohttpd gives each connection for its headers; a "     \
	  "request whose headers do not fit gets 431.")                         \
	X(idle_timeout, "idle-timeout", INT, "30", 1, 86400, 0,                \
	  "Close a connection that sends nothing for this many seconds.")     \
	X(header_timeout, "header-timeout", INT, "10", 1, 3600, 1,             \
	  "Close a connection whose request line and headers are not "         \
	  "complete this many seconds after it opened or after its last "     \
	  "reply (so a client sending a byte a second cannot hold it). Also "  \
	  "bounds how long an idle keep-alive connection stays open.")         \
	X(body_timeout, "body-timeout", INT, "120", 1, 86400, 1,               \
	  "Close a connection whose request body is not complete this many "  \
	  "seconds after its headers.")                                         \
	X(drain_timeout, "drain-timeout", INT, "30", 0, 3600, 0,               \
	  "On SIGTERM, wait at most this many seconds for requests in flight " \
	  "before exiting.")                                                    \
	X(rate_limit, "rate-limit", INT, "0", 0, 10000000, 1,                  \
	  "Requests per second allowed to each API key (token bucket); 0: no " \
	  "limit. Over it: 429 rate_limited with Retry-After. A key's own "   \
	  "limit (vigil key create --rate-limit) takes precedence.")           \
	X(rate_burst, "rate-burst", INT, "0", 0, 10000000, 1,                  \
	  "Bucket size of the rate limit: requests a key may send at once "   \
	  "after being idle. 0: the rate limit (one second's worth).")         \
	X(key_refresh, "key-refresh", INT, "2", 1, 3600, 1,                    \
	  "Seconds between reloads of the API keys from the store: a created " \
	  "or revoked key takes effect within this time (a revoke made "       \
	  "through the API takes effect at once).")                            \
	X(max_pixels, "max-pixels", INT, "100000000", 1, 2000000000, 1,        \
	  "Refuse images of more than this many pixels (from their header, "   \
	  "before decoding).")                                                  \
	X(max_video_seconds, "max-video-seconds", INT, "600", 1, 86400, 1,     \
	  "Refuse videos longer than this.")                                   \
	X(radius, "radius", INT, "31", 0, 64, 1,                               \
	  "Default largest PDQ Hamming distance that matches (a request's "   \
	  "?radius= overrides it).")                                            \
	X(text_model, "text-model", STR, "", 0, 0, 0,                          \
	  "The grooming model for POST /v1/text's score: a model file (vigil " \
	  "text train); empty: the shipped groom-default.vgm (the source "     \
	  "tree's data/ when vigil runs from its build directory, else "       \
	  "DATADIR/vigil/); 'lexicon': the hand-written stage lexicon; "       \
	  "'off': no grooming score. Read at start: a missing, damaged or "    \
	  "unknown file stops the server.")                                    \
	X(text_state_max_age, "text-state-max-age", INT, "2592000", 60,        \
	  31622400, 1,                                                         \
	  "Seconds a (conversation, author) grooming state is kept after its " \
	  "last message (in memory and in the store's groom_state table); "    \
	  "older pairs are evicted and start again from zero.")                \
	X(webhook_url, "webhook-url", STR, "", 0, 0, 0,                        \
	  "Every pipeline event (verdict, case.created, entry.quarantined) is " \
	  "POSTed here, as well as to its bank's own webhook_url policy. Its " \
	  "host must be in webhook_allow.")                                     \
	X(webhook_secret, "webhook-secret", STR, "", 0, 0, 0,                  \
	  "The key that signs events (Vigil-Signature: t=UNIX,v1=HEX of "      \
	  "HMAC-SHA256(key, t \".\" body)) for targets whose bank names no "    \
	  "webhook_secret reference of its own. Never logged.")                \
	X(webhook_allow, "webhook-allow", STR, "", 0, 0, 0,                    \
	  "Comma-separated host names or addresses events may be sent to; "   \
	  "any other target fails at once (loopback too, unless listed).")     \
	X(webhook_timeout, "webhook-timeout", INT, "10", 1, 600, 1,            \
	  "Seconds one delivery attempt may take.")                             \
	X(webhook_backoff, "webhook-backoff", INT, "1000", 1, 3600000, 1,      \
	  "Milliseconds before the first retry of a failed delivery; each "    \
	  "retry doubles it (minus up to half, at random).")                   \
	X(webhook_max_backoff, "webhook-max-backoff", INT, "3600", 1, 86400, 1, \
	  "Longest wait between two attempts, seconds.")                       \
	X(webhook_max_age, "webhook-max-age", INT, "86400", 1, 2592000, 1,     \
	  "An event still undelivered this many seconds after it was made is " \
	  "marked failed (listed by GET /v1/webhooks/failed).")                \
	X(webhook_poll, "webhook-poll", INT, "1000", 10, 60000, 1,             \
	  "Milliseconds between looks for due events (new events are sent at " \
	  "once).")                                                            \
	X(claim_ttl, "claim-ttl", INT, "900", 1, 86400, 1,                     \
	  "Seconds a reviewer's claim on a case lasts (POST /v1/cases/ID/claim " \
	  "again renews it); after it the case is back in the queue.")         \
	X(confirmed_bank, "confirmed-bank", STR, "confirmed", 0, 0, 0,         \
	  "Bank a confirmed case's hashes are added to (made on first use, "   \
	  "policy action block).")                                              \
	X(suppression_bank, "suppression-bank", STR, "suppressed", 0, 0, 0,   \
	  "Bank a dismissed case's hashes are added to (made on first use, "   \
	  "kind suppression: the same false positive never comes back).")     \
	X(master_key_file, "master-key-file", STR, "", 0, 0, 0,                \
	  "File holding the master key (64 hex digits, mode 0600: `openssl "  \
	  "rand -hex 32 > FILE; chmod 600 FILE`) that wraps the data key of each kept " \
	  "item of content. Without it the content of cases is not kept: "    \
	  "reviewers decide from the match evidence.")                          \
	X(protect_size, "protect-size", INT, "256", 32, 1024, 1,               \
	  "Longest side, in pixels, of the protected derivative reviewers see " \
	  "(a request's ?size= within 32..1024 overrides it).")                 \
	X(protect_blur, "protect-blur", INT, "4", 0, 32, 1,                    \
	  "Blur radius of the protected derivative, in its own pixels (three " \
	  "box passes; ?blur= overrides it).")                                  \
	X(video_keyframes, "video-keyframes", INT, "6", 1, 12, 1,             \
	  "Frames sampled over a video's length and kept (sealed) when it "    \
	  "opens a case: the review page shows them as a strip of protected "  \
	  "keyframes; the video itself is never played.")                     \
	X(reveal_daily_cap, "reveal-daily-cap", INT, "20", 0, 100000, 1,       \
	  "Originals one reviewer may reveal per UTC day; beyond it 429 "      \
	  "exposure_cap asks them to stop. 0: no cap.")                         \
	X(session_idle, "session-idle", INT, "900", 1, 86400, 1,               \
	  "Seconds of inactivity after which a review page session ends.")    \
	X(reveal_seconds, "reveal-seconds", INT, "10", 1, 600, 1,              \
	  "Seconds a revealed original stays on the review page before the "  \
	  "protected view replaces it.")                                        \
	X(classifier_url, "classifier-url", STR, "", 0, 0, 0,                  \
	  "Optional classifier hook for uploads no list knows: an image upload " \
	  "that matched nothing is POSTed here (see classifier_send) and the "  \
	  "answer {\"score\": 0..1} read; at or above classifier_threshold it " \
	  "opens a case (source classifier, priority from the score). A score " \
	  "never blocks or reports: only a reviewer's decision does. Its host " \
	  "must be on fetch_allow. Empty: no hook.")                          \
	X(classifier_threshold, "classifier-threshold", INT, "80", 1, 100, 1,  \
	  "Score, in hundredths, at or above which the classifier's answer "   \
	  "opens a case (80: 0.80).")                                           \
	X(classifier_timeout, "classifier-timeout", INT, "5", 1, 60, 1,        \
	  "Seconds one classifier call may take. A slow or failed call never " \
	  "fails the upload: it is counted (vigil_classifier_calls_total) and " \
	  "logged without content.")                                            \
	X(classifier_send, "classifier-send", STR, "protected", 0, 0, 0,       \
	  "What the classifier receives: protected (default: the protected "   \
	  "derivative reviewers see, a greyscale, blurred PNG of protect_size) " \
	  "or original (the uploaded bytes). Nothing else is sent: no context, " \
	  "no user or content id.")                                             \
	X(audit_key_file, "audit-key-file", STR, "", 0, 0, 0,                  \
	  "File holding the Ed25519 seed (64 hex digits, mode 0600: `vigil "  \
	  "audit keygen --key FILE`) that signs checkpoints of the audit "     \
	  "chain. Without it no checkpoint is made, and a cut-off end of the " \
	  "trail cannot be detected.")                                          \
	X(audit_checkpoint_interval, "audit-checkpoint-interval", INT, "300", \
	  1, 86400, 1,                                                          \
	  "Seconds between signed checkpoints of the audit chain (one only "  \
	  "when records were added; one more at shutdown).")                   \
	X(evidence_retention_days, "evidence-retention-days", INT, "365", 365, \
	  36600, 1,                                                             \
	  "Days preserved evidence of a filed report is kept (docs/evidence.md). " \
	  "The REPORT Act (2024) asks for one year: less is refused, more is "  \
	  "allowed. Legal holds keep an item past it.")                         \
	X(evidence_sweep_interval, "evidence-sweep-interval", INT, "3600", 1,  \
	  86400, 1,                                                             \
	  "Seconds between runs of the retention job (also once at start): it " \
	  "preserves what was filed since (files need master_key_file), then "  \
	  "deletes each expired item no hold keeps by destroying its data key " \
	  "(vigil evidence sweep runs the same job).")                          \
	X(ncmec_url, "ncmec-url", STR, "", 0, 0, 0,                            \
	  "Base URL of NCMEC's CyberTipline Reporting API: "                   \
	  "https://exttest.cybertip.org/ispws (test) or "                      \
	  "https://report.cybertip.org/ispws. Empty: reports are drafted, "    \
	  "never sent.")                                                        \
	X(ncmec_credentials, "ncmec-credentials", STR, "", 0, 0, 0,            \
	  "Where the API's HTTP Basic credentials are, as user:password: "     \
	  "env:VAR or file:PATH (never the credentials themselves; never "     \
	  "logged).")                                                           \
	X(reporter_email, "reporter-email", STR, "", 0, 0, 0,                  \
	  "The reporting person's email (required by NCMEC).")                 \
	X(reporter_first_name, "reporter-first-name", STR, "", 0, 0, 0,        \
	  "The reporting person's first name.")                                 \
	X(reporter_last_name, "reporter-last-name", STR, "", 0, 0, 0,          \
	  "The reporting person's last name.")                                  \
	X(esp_service, "esp-service", STR, "", 0, 0, 0,                        \
	  "The service the reported user was on (espService); empty: the "    \
	  "upload's context surface.")                                          \
	X(report_auto_file, "report-auto-file", INT, "0", 0, 1, 1,             \
	  "1: a report drafted by a confirmed case on a report bank is filed " \
	  "at once (queued in the decision's transaction); 0: an admin files " \
	  "it (POST /v1/reports/ID/submit). Either way the report worker of "  \
	  "vigil serve does the filing, needing ncmec_url and its host on "    \
	  "fetch_allow.")                                                       \
	X(report_deadline, "report-deadline", INT, "86400", 1, 5184000, 1,     \
	  "Seconds after its draft by which a report should be filed: past it " \
	  "an unfiled one (draft, rejected, unknown) is counted in "           \
	  "vigil_reports_overdue, logged and sent once as a report.overdue "    \
	  "event. 18 U.S.C. 2258A asks for a report as soon as reasonably "    \
	  "possible and names no number of days: one day is ours; 60 days, "    \
	  "the STOP CSAM bill's, is the longest allowed.")                     \
	X(report_backoff, "report-backoff", INT, "5000", 1, 3600000, 1,        \
	  "Milliseconds before the report worker retries a failed filing step " \
	  "(no connection, NCMEC's 1xxx, HTTP 5xx); each retry doubles it, up " \
	  "to report_max_backoff. Stored: a restart keeps the schedule.")      \
	X(report_max_backoff, "report-max-backoff", INT, "3600", 1, 86400, 1,  \
	  "Longest wait between two filing tries, seconds.")                   \
	X(report_timeout, "report-timeout", INT, "30", 1, 600, 1,              \
	  "Seconds one CyberTipline request may take. A /submit whose answer " \
	  "does not come makes the report unknown: never sent again "          \
	  "automatically.")                                                     \
	X(report_lease, "report-lease", INT, "8", 2, 3600, 0,                  \
	  "Seconds a server's lease on one report's filing lasts, renewed "   \
	  "every quarter of it while a step runs. Servers sharing a database " \
	  "file each report from one server at a time; another resumes the "  \
	  "stored steps of one that died once this expires.")                 \
	X(exchange_interval, "exchange-interval", INT, "900", 0, 604800, 1,    \
	  "Seconds between fetches of each enabled exchange (vigil exchange; " \
	  "docs/exchanges.md), plus a per-exchange jitter of up to a tenth; "  \
	  "0: only on request (POST /v1/exchanges/NAME/fetch).")              \
	X(exchange_lease, "exchange-lease", INT, "300", 5, 86400, 1,            \
	  "Seconds a server's lease on a scheduled fetch lasts, renewed at "  \
	  "every committed page; servers sharing a database fetch each "      \
	  "exchange one at a time, and a lease whose server died is taken "   \
	  "over when it expires. Longer than one page's requests.")           \
	X(feed_key_file, "feed-key-file", STR, "", 0, 0, 0,                   \
	  "File holding the Ed25519 seed (64 hex digits, mode 0600) that "      \
	  "signs the pages of published banks' feeds (GET /v1/feed/{bank}); "  \
	  "made at first start if missing. `vigil exchange feed-key --key "   \
	  "FILE` or GET /v1/feed-key shows the public key peers pin. Without " \
	  "it pages are unsigned, and peers refuse them unless added with "   \
	  "--insecure-unsigned.")                                               \
	X(feed_compact_interval, "feed-compact-interval", INT, "3600", 0,      \
	  604800, 1,                                                            \
	  "Seconds between compactions of published banks' feed logs (one "   \
	  "server at a time when several share a database); 0: never.")       \
	X(feed_keep_deletes, "feed-keep-deletes", INT, "604800", 0, 31536000, \
	  1,                                                                    \
	  "Seconds a feed keeps a delete before compaction may drop it; a "   \
	  "peer whose checkpoint is older is told to refetch everything.")    \
	X(work_lease, "work-lease", INT, "10", 2, 3600, 0,                     \
	  "Seconds an instance's lease on a video job lasts, renewed every "  \
	  "third of it. Instances sharing a database take over the jobs of "  \
	  "one that died once its leases expire (docs/deploy.md; streams: "   \
	  "stream_lease).")                                                    \
	X(stream_lease, "stream-lease", INT, "3", 1, 3600, 0,                   \
	  "Seconds an instance's lease on a watched stream lasts, renewed "   \
	  "every third of it; shorter than work_lease so that a stream whose "\
	  "instance died is watched again within a few seconds (the survivors "\
	  "look for free streams as often as the lease is renewed).")          \
	X(work_retention, "work-retention", INT, "604800", 0, 315360000, 1,   \
	  "Seconds a finished video job or stream (done, failed, removed) "   \
	  "stays in the shared_work table before it is deleted, job status "  \
	  "(GET /v1/jobs/ID) with it; 0 keeps them forever. One instance at " \
	  "a time prunes (lease work.prune), once a minute.")                  \
	X(pm_enable, "pm-enable", INT, "0", 0, 1, 0,                            \
	  "1 turns on private matching's routes (/v1/pm/...; docs/private-matching.md): "    \
	  "research grade, off by default. Read docs/private-matching.md's leakage tables "  \
	  "and caveats first (a modified client evades it; it never replaces " \
	  "human review). 0: those routes answer 404 pm_disabled.")            \
	X(pm_max_keys, "pm-max-keys", INT, "100000", 1, 10000000, 1,           \
	  "Most list keys one POST /v1/pm/e1/table may blind into a table "   \
	  "(the table ships whole to devices: 40 bytes per key).")             \
	X(pm_case_priority, "pm-case-priority", INT, "90", 0, 1000, 1,         \
	  "Review-queue priority of the case that private matching opens "    \
	  "when an account reaches the threshold (its matched evidence, "     \
	  "sealed, shown with the usual protections).")                        \
	X(log_level, "log-level", LEVEL, "info", 0, 3, 1,                      \
	  "error, warn, info (one line per request: method, route, status, "  \
	  "time, key name; never tokens or bodies) or debug.")                \
	X(trust_network, "trust-network", LIST, "", 0, 0, 0,                   \
	  "Source networks (comma list of IP addresses and CIDRs; the flag "  \
	  "may be repeated) whose requests to the HMA-compatible routes "     \
	  "(/status, /h, /m, /c) and to the nginx-rtmp callbacks "            \
	  "(/v1/hooks/nginx-rtmp/...) need no API key, for clients that "     \
	  "cannot send a header. Other routes still need a key.")              \
	X(fetch_allow, "fetch-allow", LIST, "", 0, 0, 0,                       \
	  "Hosts a url= parameter (HMA's GET /h/hash, /m/lookup, POST "       \
	  "/c/bank/NAME/content) may be fetched from: comma list of host names "\
	  "(each admits its subdomains) and IP addresses/CIDRs; the flag may " \
	  "be repeated. Empty: no URL is fetched. Loopback, private, "         \
	  "link-local and other reserved addresses are refused unless listed " \
	  "by address, whatever host name resolves to them; redirects are not " \
	  "followed.")                                                          \
	X(fetch_max_bytes, "fetch-max-bytes", SIZE, "100m", 1024,              \
	  INT64_C(1) << 34, 1,                                                  \
	  "Largest body a url= fetch may return (HMA's MAX_REMOTE_FILE_SIZE); " \
	  "larger ones get 413. Also bounded by max-body.")                    \
	X(fetch_timeout, "fetch-timeout", INT, "30", 1, 600, 1,                \
	  "Seconds a url= fetch may take in all.")                             \
	X(rtmp_host, "rtmp-host", STR, "127.0.0.1:1935", 0, 0, 0,              \
	  "HOST[:PORT] of the nginx-rtmp server whose on_publish callback "    \
	  "(POST /v1/hooks/nginx-rtmp/on_publish) adds streams: the server "  \
	  "watches rtmp://RTMP_HOST/APP/NAME.")                                \
	X(stream_block, "stream-block", LIST, "", 0, 0, 0,                     \
	  "Stream keys refused by on_publish (comma list of NAME or APP/NAME; " \
	  "the flag may be repeated): nginx-rtmp drops the publisher. A key "  \
	  "whose stream was cut (evidence recorded) is refused as well.")      \
	X(stream_cut_url, "stream-cut-url", STR, "", 0, 0, 0,                  \
	  "On a match in a watched stream, GET this URL template to cut it, "  \
	  "e.g. nginx-rtmp's control interface: "                              \
	  "http://127.0.0.1:8080/control/drop/publisher?app={app}&name={name} " \
	  "(placeholders as vigil stream --http). Empty: matches are recorded " \
	  "(evidence, metrics) but nothing is cut.")                           \
	X(stream_decode, "stream-decode", STR, "nonref", 0, 0, 0,              \
	  "What a watched stream decodes: all (every frame), nonref (frames "  \
	  "no other frame refers to are skipped between the half-second "      \
	  "samples; the same samples) or keyframes (only keyframes; an image " \
	  "shown for less than the keyframe interval can be missed), as vigil " \
	  "stream --decode; docs/streams.md measures each.")                   \
	X(stream_dihedral, "stream-dihedral", INT, "1", 0, 1, 0,               \
	  "1: a watched stream's samples match rotated and mirrored too (a "   \
	  "mirrored webcam); 0: only as they are.")                           \
	X(snapshot, "snapshot", STR, "", 0, 0, 0,                              \
	  "Index snapshot file (docs/snapshots.md). If set, the matcher "      \
	  "starts from it (mapped, checksums verified, then the store's "     \
	  "changes since it replayed) instead of reading every bank, and it "  \
	  "is written after the load, every snapshot-interval and at "        \
	  "shutdown, atomically (a temporary beside it, fsync, rename). A "    \
	  "corrupt, foreign or stale file is rebuilt, never used. Empty: no "  \
	  "snapshot.")                                                          \
	X(snapshot_interval, "snapshot-interval", INT, "600", 0, 604800, 1,    \
	  "Seconds between snapshot writes (only when the matcher changed); "  \
	  "0: only after the load and at shutdown. Changes to banks wait "     \
	  "while one is written (lookups do not).")

enum {
#define SRV__CFG_ENUM(key, flag, type, def, min, max, reload, help) SRV_CFG_##key,
	SRV_CONFIG_MAP(SRV__CFG_ENUM)
#undef SRV__CFG_ENUM
	SRV_CFG__COUNT
};

typedef struct srv_config {
	char listen[256];
	char db[4096];
	char port_file[4096];
	int64_t threads, max_body, json_max_bytes, json_max_depth, max_uploads,
		max_connections, max_connections_per_ip, connection_memory,
		idle_timeout, header_timeout, body_timeout, drain_timeout,
		rate_limit, rate_burst, key_refresh, max_pixels,
		max_video_seconds, radius, log_level;
	char text_model[4096]; /* route_text.c */
	int64_t text_state_max_age; /* text_state.c */
	/* The pipeline's webhooks (server/pipeline.c). */
	char webhook_url[2048];
	char webhook_secret[1024];
	char webhook_allow[4096];
	int64_t webhook_timeout, webhook_backoff, webhook_max_backoff,
		webhook_max_age, webhook_poll;
	char trust_network[4096]; /* comma list of CIDRs */
	char fetch_allow[4096];   /* comma list of hosts and CIDRs */
	int64_t fetch_max_bytes, fetch_timeout;
	int64_t exchange_interval; /* seconds; 0: on request only */
	int64_t exchange_lease;    /* seconds */
	int64_t feed_compact_interval; /* seconds, 0: never */
	int64_t feed_keep_deletes; /* seconds */
	int64_t work_lease;        /* seconds: video jobs (work.c) */
	int64_t stream_lease;      /* seconds: watched streams (work.c) */
	int64_t work_retention;    /* seconds a finished item is kept; 0: ever */
	int64_t pm_enable, pm_max_keys, pm_case_priority; /* private matching (route_pm.c) */
	char rtmp_host[256];
	char stream_block[4096];  /* comma list of NAME or APP/NAME */
	char stream_cut_url[2048];
	char stream_decode[16];   /* all | nonref | keyframes */
	int64_t stream_dihedral;
	/* Index snapshots (snapshot.c). */
	char snapshot[4096];
	int64_t snapshot_interval;
	/* Review (route_cases.c). */
	int64_t claim_ttl;
	char confirmed_bank[256];
	char suppression_bank[256];
	char master_key_file[4096];
	char feed_key_file[4096];
	int64_t protect_size, protect_blur, video_keyframes, reveal_daily_cap, session_idle, reveal_seconds;
	/* The classifier hook (classifier.c). */
	char classifier_url[2048];
	char classifier_send[16];
	int64_t classifier_threshold, classifier_timeout;
	char audit_key_file[4096];
	int64_t audit_checkpoint_interval;
	int64_t evidence_retention_days, evidence_sweep_interval; /* retention.c */
	/* Hotline reports (cmd_report.c). */
	char ncmec_url[2048];
	char ncmec_credentials[4096];
	char reporter_email[256];
	char reporter_first_name[256];
	char reporter_last_name[256];
	char esp_service[256];
	/* Filing inside vigil serve (reports.c). */
	int64_t report_auto_file, report_deadline, report_backoff, report_max_backoff,
		report_timeout, report_lease;
	char config_file[4096]; /* --config, "" if none */
	unsigned char set_by_flag[SRV_CFG__COUNT]; /* flags win over the file */
} srv_config;

/* Defaults into c. */
void srv_config_defaults(srv_config *c);
/* Sets key (by config name or flag name) from text. Returns 0, or -1 with
 * a message in err. from_flag marks it as set on the command line. */
int srv_config_set(srv_config *c, const char *key, const char *value,
		   int from_flag, char *err, size_t errcap);
/* Reads `key = value` lines ('#' comments, blank lines) from path; keys set
 * by flags are skipped. With reload_only, only reloadable keys are
 * applied (others are ignored). 0, or -1 with "PATH:LINE: reason". */
int srv_config_load(srv_config *c, const char *path, int reload_only,
		    char *err, size_t errcap);
/* The same from an open stream (path names it in messages). */
int srv_config_read(srv_config *c, FILE *f, const char *path, int reload_only,
		    char *err, size_t errcap);
/* The keys as a Markdown table (for docs/server.md). */
void srv_config_doc(FILE *f);
/* A text (STR or LIST) setting's value by key or flag; NULL for another
 * type or an unknown name. Points into c. */
const char *srv_config_str(const srv_config *c, const char *key);
/* A numeric setting's value (-1: unknown or not numeric). */
int srv_config_num(const srv_config *c, const char *key, int64_t *out);
/* The index of a flag name in the table, or -1. */
int srv_config_flag(const char *flag);

#endif
