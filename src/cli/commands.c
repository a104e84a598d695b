/* commands.c — the one table of commands and options. The help text, the man
 * page and the dispatcher all read it. */
#include "cli.h"

#define DB_OPT                                                                 \
	{CLI_OPT_DB, "db", "PATH",                                                    \
	 "The store (an SQLite file, created if missing). Default: $VIGIL_DB, "\
	 "else $XDG_DATA_HOME/vigil/vigil.db (~/.local/share/vigil/vigil.db)."}

#define HASHING_OPTS                                                           \
	{CLI_OPT_DOWNSAMPLE, "downsample", "512|none",                         \
	 "PDQ flavour. none (the default) hashes the full-size image, as "     \
	 "Meta's Java code, the pdqhash binding, python-threatexchange and "    \
	 "the Hasher-Matcher-Actioner do. 512 first resizes an image with a "   \
	 "side over 512 to 512x512 by nearest neighbour, as the C++ "           \
	 "pdq-photo-hasher does. The two agree for images of 512x512 or less "  \
	 "and differ by a few bits otherwise."},                                \
	{CLI_OPT_FAST, "fast", NULL,                                           \
	 "With --downsample 512 only: approximate, faster hashing of large "   \
	 "JPEGs. One whose sides are both 1023 or more is decoded at 1/2, "    \
	 "1/4 or 1/8 size in the DCT domain (the smallest keeping both sides " \
	 ">= 512) before the 512x512 sampling, so most of its pixels are "     \
	 "never computed. The hash is not the reference's: on photos it "      \
	 "differs from the exact 512 hash by about 2 bits on average "         \
	 "(docs/pdq.md). Other images hash exactly."},                          \
	{'j', "jobs", "N",                                                     \
	 "Hash N files at once (default: the number of online CPUs). Output "  \
	 "stays in input order."},                                              \
	{CLI_OPT_MAX_BYTES, "max-bytes", "N",                                  \
	 "Refuse files larger than N bytes (default 268435456)."},              \
	{CLI_OPT_MAX_PIXELS, "max-pixels", "N",                                \
	 "Refuse images of more than N pixels, from their header, before "     \
	 "decoding them (default 200000000)."},                                 \
	{CLI_OPT_PROGRESS, "progress", NULL,                                   \
	 "Show a progress line on standard error even when it is not a "       \
	 "terminal."},                                                          \
	{CLI_OPT_NO_PROGRESS, "no-progress", NULL, "Never show the progress line."}

static const cli_opt hash_opts[] = {
	{'a', "algo", "LIST",
	 "Hashes to compute, comma-separated: pdq, md5, sha1, sha256, or all. "
	 "Default: pdq. Or vpdq alone: the operands are videos, and each hashed "
	 "frame prints a line 'frame,quality,hash,seconds' as Meta's "
	 "vpdq-hash-video writes it (with several videos, a fifth column names "
	 "the file)."},
	{CLI_OPT_INTERVAL, "interval", "SECONDS",
	 "vpdq: hash one frame every SECONDS of video (every "
	 "int(SECONDS * frame rate)-th frame, as the reference's -r does)."},
	{CLI_OPT_EVERY_FRAME, "every-frame", NULL,
	 "vpdq: hash every frame (the default; the reference's -r 0)."},
	{'d', "dihedral", NULL,
	 "Also print the PDQ hashes of the seven rotations and flips of each "
	 "image (computed from one transform, not by re-hashing)."},
	{'f', "format", "csv|jsonl",
	 "Output format. csv (the default): for PDQ alone, the reference tool's "
	 "'hash,quality,path' (with --dihedral a fourth column names the variant); "
	 "with other algorithms, 'algo,hash,quality,path,variant' lines; a path "
	 "with a comma, a quote or a line break is quoted as RFC 4180 says. jsonl: "
	 "one JSON object per file with path, pdq, quality, dihedral, md5, sha1, "
	 "sha256 as selected."},
	HASHING_OPTS,
	{0, NULL, NULL, NULL},
};

static const cli_opt bank_opts[] = {
	DB_OPT,
	{CLI_OPT_DESCRIPTION, "description", "TEXT", "create: what the bank holds."},
	{CLI_OPT_LABELS, "labels", "LIST",
	 "create: comma-separated labels, e.g. 'source=ncmec,kind=image'."},
	{CLI_OPT_ACTION, "action", "block|review|report|none",
	 "create: what a match in the bank does in `vigil serve` (default "
	 "review): block the upload; review (a case for a person); report "
	 "(review, with a hotline report drafted); none (the match is only "
	 "reported)."},
	{CLI_OPT_KIND, "kind", "normal|suppression",
	 "create: a suppression bank lists known false positives: an upload "
	 "that matches it is not acted on, whatever else it matches."},
	{CLI_OPT_SUPPRESSION, "suppression", NULL, "create: the same as --kind suppression."},
	{'f', "format", "FMT",
	 "import: auto (the default), hex, pdq-csv, csv or vpdq. export: hex, "
	 "pdq-csv, csv (the default) or vpdq (with --entry). list, show: jsonl "
	 "for JSON lines."},
	{CLI_OPT_TYPE, "type", "TYPE",
	 "import: what 64-digit hex hashes are, pdq (the default) or sha256; or "
	 "force md5/sha1. create: text makes a text bank (keyword terms, see "
	 "vigil text)."},
	{CLI_OPT_MAX_BAD, "max-bad", "N",
	 "import: give up (importing nothing) after N malformed lines "
	 "(default 1000)."},
	{CLI_OPT_MAX_BYTES, "max-bytes", "N",
	 "import: give up (importing nothing) past N bytes of input (default "
	 "68719476736, 64 GiB). Input with a NUL byte, or a line without a line "
	 "break in 1 MiB, is not a hash list and also ends the import at once."},
	{'o', "output", "FILE", "export: write to FILE instead of standard output."},
	{CLI_OPT_ENTRY, "entry", "ID",
	 "export --format vpdq: the stored video to write, in the vPDQ format "
	 "(the entry ids are in match's output)."},
	{CLI_OPT_LOCK_TIMEOUT, "lock-timeout", "SECONDS",
	 "When another process holds the store's write lock (an import runs in "
	 "one transaction, so it holds the lock until it ends), wait up to "
	 "SECONDS for it (default 3600; 0 fails at once), saying so on standard "
	 "error every 10 s; then fail with 'database is locked'."},
	{CLI_OPT_PROGRESS, "progress", NULL, "import: always show progress."},
	{CLI_OPT_NO_PROGRESS, "no-progress", NULL, "import: never show progress."},
	{0, NULL, NULL, NULL},
};

static const cli_opt match_opts[] = {
	DB_OPT,
	{'H', "hash", NULL,
	 "The operands are hashes, not files: PDQ (64 hex digits), MD5 (32), "
	 "SHA-1 (40), or TYPE:HEX (e.g. sha256:...). '-' reads one per line from "
	 "standard input ('#' comments and blank lines skipped); it stops, as an "
	 "error, at a NUL byte, a line with no line break in 1 MiB, after 1000 "
	 "bad lines, or past --max-bytes (here 16 GiB unless given)."},
	{'r', "radius", "N",
	 "Largest PDQ Hamming distance that matches, 0..64 (default 31)."},
	{CLI_OPT_MIN_QUALITY, "min-quality", "N",
	 "Do not match PDQ hashes of files whose quality is below N (default 50, "
	 "the reference's advice); their exact hashes are still matched."},
	{CLI_OPT_NO_DIHEDRAL, "no-dihedral", NULL,
	 "Match only the image as it is, not its rotations and flips (a hash "
	 "given with --hash is always matched as it is: its variants need the "
	 "pixels)."},
	{'f', "format", "text|csv|jsonl",
	 "Output: text (the default), csv (query,bank,entry,type,hash,distance,"
	 "variant; quoted as RFC 4180 says where needed) or jsonl (one object per match with query, bank, entry, type, "
	 "hash, quality, distance, variant; for videos also seconds, frames, "
	 "query_pct, compared_pct)."},
	{CLI_OPT_VIDEO, "video", NULL,
	 "The files are videos: each is hashed with vPDQ (one frame per "
	 "--interval seconds, default 1) and matched: a known image seen in any "
	 "frame is reported with the time it first appears; a known video is "
	 "reported when the percentages below are reached."},
	{CLI_OPT_INTERVAL, "interval", "SECONDS",
	 "--video: seconds between hashed frames (default 1)."},
	{CLI_OPT_QUERY_PCT, "query-pct", "P",
	 "--video: a stored video matches when at least P% of the query's frames "
	 "(quality 50 or more) match one of its frames (default 80)."},
	{CLI_OPT_COMPARED_PCT, "compared-pct", "P",
	 "--video: ... and at least P% of the stored video's frames match one of "
	 "the query's (default 0, so that a clip of a known video matches however "
	 "long the original is)."},
	{CLI_OPT_SNAPSHOT, "snapshot", "FILE",
	 "Start the index from the snapshot FILE (as vigil serve --snapshot: "
	 "mapped, checksummed, the bank changes since replayed; "
	 "docs/snapshots.md); a missing, corrupt, foreign or stale FILE is "
	 "rebuilt from the store. FILE is written again when the index moved "
	 "on. What was used is said on stderr."},
	HASHING_OPTS,
	{0, NULL, NULL, NULL},
};

static const cli_opt stream_opts[] = {
	DB_OPT,
	{CLI_OPT_HTTP, "http", "URL",
	 "On a match, request URL (GET; see --http-post). {app} and {name} are "
	 "replaced by the stream URL's first path segment and the rest of its "
	 "path (rtmp://HOST/APP/NAME), {stream} by the whole URL, and {bank}, "
	 "{entry}, {distance}, {seconds}, {hash} by the match, each "
	 "percent-encoded. For nginx-rtmp, "
	 "'http://HOST:PORT/control/drop/publisher?app={app}&name={name}' cuts "
	 "the publisher. A 2xx answer is a success."},
	{CLI_OPT_HTTP_POST, "http-post", NULL,
	 "POST a JSON object (stream, app, name, bank, entry, distance, seconds, "
	 "hash) to the --http URL instead of a GET."},
	{CLI_OPT_EXEC, "exec", "PROGRAM",
	 "On a match, run PROGRAM (searched in PATH, no shell, no arguments) "
	 "with VIGIL_STREAM, VIGIL_APP, VIGIL_NAME, VIGIL_BANK, VIGIL_ENTRY, "
	 "VIGIL_DISTANCE, VIGIL_SECONDS and VIGIL_HASH in its environment; its "
	 "output goes to standard error. Exit status 0 is a success."},
	{CLI_OPT_ACTION_TIMEOUT, "action-timeout", "SECONDS",
	 "Give up on an HTTP request, or kill the program, after SECONDS "
	 "(default 5)."},
	{CLI_OPT_COOLDOWN, "cooldown", "SECONDS",
	 "After acting on a stream, report its further matches for SECONDS "
	 "without acting or recording them again (default 30; 0 acts on every "
	 "matching frame)."},
	{'r', "radius", "N",
	 "Largest PDQ Hamming distance that matches, 0..64 (default 31)."},
	{CLI_OPT_MIN_QUALITY, "min-quality", "N",
	 "Do not match frames whose PDQ quality is below N (default 50; blank "
	 "and flat frames have low quality)."},
	{CLI_OPT_INTERVAL, "interval", "SECONDS",
	 "Hash one frame every SECONDS of video (default 0.5: with --decode "
	 "all every int(SECONDS * frame rate)-th frame, otherwise the first "
	 "frame at or after each instant SECONDS of stream time apart); 0 "
	 "hashes every decoded frame."},
	{CLI_OPT_DECODE, "decode", "MODE",
	 "What is decoded: 'all' (every frame, as vPDQ), 'nonref' (the "
	 "default: frames no other frame refers to, most B-frames, are skipped "
	 "between sample instants; the same samples as 'all') or 'keyframes' "
	 "(only keyframes are decoded; an image shown for less than the "
	 "stream's keyframe interval can be missed). docs/streams.md measures "
	 "the cost and the recall of each."},
	{CLI_OPT_KEYFRAMES, "keyframes", NULL, "The same as --decode keyframes."},
	{CLI_OPT_NO_DIHEDRAL, "no-dihedral", NULL,
	 "Match each sample only as it is. By default its rotated and mirrored "
	 "copies match too (a mirrored webcam); the match event's variant says "
	 "which one matched."},
	{CLI_OPT_RELOAD, "reload", "SECONDS",
	 "Check the store file for changes every SECONDS (default 2; 0 never) "
	 "and reload the banks when they changed (a bank's entry count or "
	 "enabled flag, a bank added or deleted), without stopping the streams. "
	 "SIGHUP reloads them at once (also for a PostgreSQL store)."},
	{CLI_OPT_TIMEOUT, "timeout", "SECONDS",
	 "Drop a connection that delivers no data for SECONDS (default 10), "
	 "then reconnect."},
	{CLI_OPT_MAX_BACKOFF, "max-backoff", "SECONDS",
	 "Reconnection delays start at 0.5 s and double up to SECONDS (default "
	 "30); a connection that delivered frames starts again at 0.5 s."},
	{CLI_OPT_MAX_RUNTIME, "max-runtime", "SECONDS",
	 "Stop after SECONDS (default: run until SIGINT or SIGTERM)."},
	{CLI_OPT_SUMMARY, "summary", "SECONDS",
	 "Every SECONDS, and at the end, print one line per stream on standard "
	 "error: state, frames, matches, actions, reconnections, last error."},
	{CLI_OPT_FRAME_EVENTS, "frame-events", NULL,
	 "Also print a \"frame\" event for every hashed frame."},
	{CLI_OPT_THREADS, "threads", "N",
	 "Decoder threads per stream, 1..64 (default 1)."},
	{CLI_OPT_MAX_PIXELS, "max-pixels", "N",
	 "Refuse streams whose frames have more than N pixels (default 8294400, "
	 "3840x2160)."},
	{0, NULL, NULL, NULL},
};

static const cli_opt audit_opts[] = {
	DB_OPT,
	{CLI_OPT_KEY_FILE, "key", "FILE",
	 "The checkpoint signing key: a 32-byte Ed25519 seed as 64 hex digits, "
	 "mode 0600 (keygen writes one). verify: trust checkpoints signed by "
	 "this key's public half."},
	{CLI_OPT_PUBKEY, "pubkey", "HEX",
	 "verify: the trusted public key (vigil audit pubkey --key FILE), for "
	 "checking without the private key."},
	{CLI_OPT_EXPORT, "export", "FILE",
	 "verify: check an export instead of the store."},
	{CLI_OPT_FROM, "from", "ID|DATE",
	 "export: the first record (an id, or a UTC date YYYY-MM-DD)."},
	{CLI_OPT_TO, "to", "ID|DATE",
	 "export: the last record (an id, or a date: through its end)."},
	{0, NULL, NULL, NULL},
};

static const cli_opt report_opts[] = {
	DB_OPT,
	{CLI_OPT_CONFIG, "config", "FILE",
	 "The serve config file: ncmec_url, ncmec_credentials, reporter_email, "
	 "reporter_first_name, reporter_last_name, esp_service, "
	 "master_key_file, db."},
	{CLI_OPT_FILES, "files", NULL,
	 "xml: print each file's fileDetails document instead of the report."},
	{CLI_OPT_CONFIRM, "confirm", NULL,
	 "resend: a person confirmed with NCMEC that the unknown report never "
	 "arrived (required)."},
	{0, NULL, NULL, NULL},
};

static const cli_opt evidence_opts[] = {
	DB_OPT,
	{CLI_OPT_CONFIG, "config", "FILE",
	 "The serve config file: master_key_file, db and "
	 "evidence_retention_days are read from it."},
	{CLI_OPT_MASTER_KEY, "master-key", "FILE",
	 "The master key that wraps each item's data key (overrides "
	 "master_key_file). Needed by show, export and by sweep to preserve "
	 "files."},
	{CLI_OPT_REPORT, "report", "ID",
	 "list: only that report's items; export: every kept item of it."},
	{CLI_OPT_REASON, "reason", "TEXT",
	 "hold: why (required: the request or case it serves); export: the "
	 "request it answers, written into the manifest and the audit trail."},
	{CLI_OPT_BY, "by", "NAME",
	 "hold, release: who places or releases the hold (default cli)."},
	{CLI_OPT_CONTENT, "content", NULL,
	 "show: write the item's content to standard output instead of its "
	 "description."},
	{CLI_OPT_OUT, "out", "DIR",
	 "export: the bundle's directory (made, must not exist)."},
	{CLI_OPT_KEY_FILE, "key", "FILE",
	 "export: the Ed25519 signing key (64 hex digits, mode 0600; the "
	 "audit key format: vigil audit keygen --key FILE)."},
	{CLI_OPT_TO, "to", "HEX",
	 "export: seal every file to this X25519 public key "
	 "(crypto_box_seal) so nothing is written in the clear."},
	{CLI_OPT_PUBKEY, "pubkey", "HEX",
	 "verify: the signer's trusted public key (vigil audit pubkey --key "
	 "FILE)."},
	{CLI_OPT_RETENTION, "retention-days", "N",
	 "sweep: keep items N days from their preservation (default: "
	 "evidence_retention_days of --config, else 365; minimum 365)."},
	{CLI_OPT_NOW, "now", "UNIX",
	 "sweep, hold, release: the time to act at, for tests only (needs "
	 "VIGIL_TEST_CLOCK=1)."},
	{0, NULL, NULL, NULL},
};

static const cli_opt transparency_opts[] = {
	DB_OPT,
	{CLI_OPT_FROM, "from", "DATE", "The first UTC day (YYYY-MM-DD)."},
	{CLI_OPT_TO, "to", "DATE", "The last UTC day, included."},
	{'f', "format", "json|csv",
	 "json (the default): {from, to, days:[{date, items_checked, ...}]}; "
	 "csv: date,metric,key,value lines."},
	{0, NULL, NULL, NULL},
};

static const cli_opt key_opts[] = {
	DB_OPT,
	{CLI_OPT_ROLE, "role", "ROLE[,ROLE]",
	 "create: what the key may do: submit (hash, match, content, user "
	 "reports), review (cases), admin (banks, keys, streams), metrics "
	 "(GET /metrics), feed (GET /v1/feed/BANK: a peer vigil fetching a "
	 "published bank)."},
	{CLI_OPT_RATE_LIMIT, "rate-limit", "N",
	 "create: requests per second this key may make (0, the default: the "
	 "server's rate_limit)."},
	{'f', "format", "text|jsonl", "list: output format."},
	{0, NULL, NULL, NULL},
};

static const cli_opt user_opts[] = {
	DB_OPT,
	{CLI_OPT_ROLE, "role", "reviewer|admin",
	 "add: reviewer (the review page) or admin (also escalated cases)."},
	{0, NULL, NULL, NULL},
};

/* serve's options: cli_serve_opts (cmd_serve.c), made from the server's
 * settings table. */

static const cli_opt text_opts[] = {
	DB_OPT,
	{'t', "terms", "LIST",
	 "match: the term list, one term a line or CSV "
	 "term,category,severity[,mode] (mode token, the default; substring; "
	 "literal; or regex). Lines starting with # are comments: quote a "
	 "hashtag term. Without --terms, match uses the store's enabled text "
	 "banks."},
	{CLI_OPT_BANK, "bank", "NAME",
	 "match: only this text bank of the store (enabled or not)."},
	{CLI_OPT_LANG, "lang", "LANG",
	 "The messages' language if known (BCP 47). ar treats every Latin word "
	 "with digits as Arabizi, so leet folding leaves it alone."},
	{CLI_OPT_VIEW, "view", "conservative|aggressive",
	 "fold: which folded view to print (default aggressive)."},
	{CLI_OPT_TSV, "tsv", NULL,
	 "score: lines are CONVERSATION<TAB>AUTHOR<TAB>TEXT (else all lines are "
	 "one author in one conversation)."},
	{CLI_OPT_DATA, "data", "FILE",
	 "train, eval: labelled messages, JSON lines {\"conversation\", \"author\", "
	 "\"text\", \"label\": 0|1} in the order they were sent."},
	{'o', "out", "MODEL", "train: the model file to write."},
	{CLI_OPT_MODEL, "model", "MODEL",
	 "eval, score: the model file (vigil text train); score without it uses "
	 "the stage lexicon."},
	{CLI_OPT_EPOCHS, "epochs", "N", "train: passes over the data (default 20)."},
	{CLI_OPT_DIM_BITS, "dim-bits", "B",
	 "train: 2^B hashed feature slots, 10..24 (default 18)."},
	{CLI_OPT_SEED, "seed", "N",
	 "train: the shuffle's seed (default 1); the same data and options give "
	 "the same model."},
	{0, NULL, NULL, NULL},
};

static const cli_opt exchange_opts[] = {
	DB_OPT,
	{CLI_OPT_API, "api", "ncmec|stopncii|threatexchange|tcap|vigil",
	 "add: which service's protocol the exchange speaks (vigil: another "
	 "vigil serve's published bank; --url is its feed, "
	 "http://HOST:PORT/v1/feed/BANK, and the credentials hold a key of "
	 "that server with role feed)."},
	{CLI_OPT_BANK, "bank", "BANK",
	 "add: the bank its entries go to (created if missing; default: the "
	 "exchange's name)."},
	{CLI_OPT_CREDENTIALS, "credentials", "env:NAME|file:PATH",
	 "add: where the secret is read at each fetch: an environment variable or "
	 "a file (its first line). Only this reference is stored, never the "
	 "secret. ncmec and tcap: user:password; stopncii: "
	 "fetch_key,subscription_key[,feedback_key]; threatexchange: the app "
	 "access token APPID|SECRET."},
	{CLI_OPT_URL, "url", "URL",
	 "add: the service's base URL, e.g. NCMEC's test environment "
	 "https://exttest.cybertip.org/hashsharing (defaults: NCMEC "
	 "https://report.cybertip.org/hashsharing, StopNCII "
	 "https://api.stopncii.org/v1, ThreatExchange "
	 "https://graph.facebook.com/v21.0, TCAP https://app.terrorismanalytics.org)."},
	{CLI_OPT_PRIVACY_GROUP, "privacy-group", "ID",
	 "add, threatexchange: the privacy group whose threat_updates are fetched "
	 "(required)."},
	{CLI_OPT_ESP_IDS, "esp-ids", "ID,...",
	 "add, ncmec: keep only entries uploaded by these members."},
	{CLI_OPT_PAGE_SIZE, "page-size", "N",
	 "add: records asked for per page (defaults: ncmec 1000, stopncii 800, "
	 "threatexchange 100, tcap 1000)."},
	{CLI_OPT_TIMEOUT, "timeout", "SECONDS", "add: per-request timeout (default 60)."},
	{CLI_OPT_MAX_PAGES, "max-pages", "N",
	 "fetch: stop after N pages; the next fetch resumes from there."},
	{CLI_OPT_FULL, "full", NULL,
	 "fetch: fetch everything again, and remove what the service no longer "
	 "lists once the refetch completes."},
	{CLI_OPT_JSON, "json", NULL, "list, show: one JSON object per exchange."},
	{CLI_OPT_ENTRY, "entry", "ID", "feedback: the entry (of the exchange's bank) reviewed."},
	{CLI_OPT_VERDICT, "verdict", "confirm|dismiss",
	 "feedback: confirm (NCMEC upvote, StopNCII Blocked, ThreatExchange HELPFUL) "
	 "or dismiss (downvote, NotBlocked, NOT_HELPFUL)."},
	{CLI_OPT_REASON, "reason", "GUID",
	 "feedback, ncmec dismiss: the reason's GUID (default: the service's only "
	 "reason, if it lists exactly one)."},
	{CLI_OPT_FEEDBACK_LIST, "list", NULL,
	 "feedback NAME --list: the verdicts queued for the exchange, newest "
	 "first, with their state (pending, sent, failed), attempts and last error."},
	{CLI_OPT_PUBLIC_KEY, "public-key", "HEX",
	 "add, vigil: the publisher's feed key (64 hex digits; its vigil "
	 "exchange feed-key or GET /v1/feed-key): every page must carry its "
	 "valid signature."},
	{CLI_OPT_INSECURE_UNSIGNED, "insecure-unsigned", NULL,
	 "add, vigil: accept unsigned pages (no --public-key): anyone between "
	 "the two servers could change the list."},
	{CLI_OPT_KEY_FILE, "key", "FILE",
	 "feed-key: the publisher's feed key file (its feed_key_file), made "
	 "0600 if missing."},
	{CLI_OPT_KEEP_DELETES, "keep-deletes", "SECONDS",
	 "compact: keep deletes younger than this (default 604800; 0: drop all)."},
	{0, NULL, NULL, NULL},
};

static const cli_opt pm_server_opts[] = {
	{CLI_OPT_ROLE, "role", "custodian|platform",
	 "Which of F2's two servers this process is. The custodian (party 0) "
	 "must be run by a different operator from the platform (party 1): the "
	 "two together can read every scanned image's PDQ hash. Only the "
	 "platform ever opens evidence, and only of an account's matched images "
	 "once the account holds --threshold distinct matches."},
	{CLI_OPT_LISTEN, "listen", "HOST:PORT",
	 "Where clients (and, at the platform, the custodian) connect. Default "
	 "127.0.0.1:7431 (loopback only). Port 0 picks a free port; the first "
	 "line on standard output names the address actually bound."},
	{CLI_OPT_PEER, "peer", "HOST:PORT",
	 "The other server. Required for the custodian, which dials the "
	 "platform's --listen address (retrying for 30 s) and proves with a "
	 "digest that both were started with the same list, seed, threshold, "
	 "radius and stash; the platform refuses a peer whose digest differs. "
	 "Ignored by the platform."},
	{CLI_OPT_HASHES, "hashes", "FILE",
	 "The list: one 64-digit hex PDQ hash per line (text after a comma, "
	 "blank lines and lines starting with # are ignored; at most 16M). "
	 "Both servers get the same file: F2's bucket tables (16 x 65,536 "
	 "buckets, bucket size measured from the list) are built from it at "
	 "start, in memory."},
	{CLI_OPT_BANK, "bank", "NAME",
	 "Instead of --hashes: the list is this bank's PDQ entries in the "
	 "store (--db), read once at start (the other entry types are not "
	 "used). Both servers must see the same entries: give each the same "
	 "export or database snapshot, or the peer hello refuses them."},
	DB_OPT,
	{CLI_OPT_SEED_FILE, "seed-file", "FILE",
	 "64 hex digits on the first line: the seed of the tables' dummy "
	 "entries, the same at both servers (their tables must be "
	 "byte-identical). Not a secret from the servers, but keep it from "
	 "clients."},
	{CLI_OPT_THRESHOLD, "threshold", "K",
	 "Distinct matched images an account needs before any evidence opens "
	 "(1..255, default 3). Below it neither server learns whether any image "
	 "matched; only the bit [count >= K] is ever opened."},
	{CLI_OPT_RADIUS, "radius", "T",
	 "A query matches when some candidate is within Hamming distance T "
	 "(default 31)."},
	{CLI_OPT_STASH, "stash", "S",
	 "Stash entries per chunk table (0..4096, default 64): the bucket size is "
	 "the smallest that leaves at most S overflowing entries per table."},
	{CLI_OPT_PM_STATE, "state", "FILE",
	 "Keep the accounts' shares (and, at the platform, the opened "
	 "evidence) in FILE, sealed under --master-key, so that a restart "
	 "continues where it stopped: loaded at start, rewritten (temp file, "
	 "fsync, rename) after every query that adds an image and before the "
	 "client is answered. Both servers need one; at the peer hello they "
	 "compare how many images each holds and refuse to run out of step "
	 "(restore both from the same point). Without it, state lives in "
	 "memory."},
	{CLI_OPT_MASTER_KEY, "master-key", "FILE",
	 "The key that seals --state and, at the platform with --db, the "
	 "review cases' items and columns (give it vigil serve's "
	 "master_key_file so reviewers can open them): 64 hex digits, mode "
	 "0600 (openssl rand -hex 32 > FILE; chmod 600 FILE). Required with "
	 "--state and with the platform's --db."},
	{CLI_OPT_PM_CASE_PRIORITY, "case-priority", "N",
	 "The priority of the review cases the platform opens with --db "
	 "(0..1000, default 90, as vigil serve's pm_case_priority)."},
	{CLI_OPT_PM_ACK, "i-understand-research-grade", NULL,
	 "Required. Private matching is research grade and off by default "
	 "(docs/private-matching.md): semi-honest servers only, nothing authenticates shares "
	 "or triples, and the client's messages are not encrypted to each server "
	 "(put TLS in front). Without this flag the command refuses to start."},
	{0, NULL, NULL, NULL},
};

const cli_cmd cli_commands[] = {
	{"hash", "[OPTIONS] FILE|DIR...",
	 "Compute PDQ perceptual hashes and MD5/SHA exact hashes of images, or "
	 "vPDQ hashes of videos.",
	 "Each FILE is hashed; each DIR is walked recursively in name order, "
	 "skipping hidden entries. Images may be JPEG (baseline, progressive, "
	 "CMYK), PNG (any colour type and depth), WebP, GIF (first frame), TIFF "
	 "(first page), BMP, HEIC or AVIF. PDQ is bit-exact with Meta's reference: "
	 "alpha is dropped without compositing and EXIF orientation is ignored, "
	 "as the reference does (use --dihedral, or match's default dihedral "
	 "search, to find rotated copies). A file that cannot be read or decoded "
	 "is reported on standard error and the run goes on; the exit status is "
	 "then 1.\n"
	 "Quality ranges 0..100; hashes of quality below 50 are unreliable and "
	 "are usually not matched.\n"
	 "With --algo vpdq each operand is a video (any container and codec "
	 "FFmpeg decodes; the first video stream) and the output is that of "
	 "Meta's vpdq-hash-video built on the same FFmpeg, line for line.",
	 hash_opts, cmd_hash},
	{"bank", "create|list|show|policy|import|export|enable|disable|delete [OPTIONS] [NAME] [FILE...|KEY=VALUE...]",
	 "Manage banks of known hashes.",
	 "A bank is a named list of hashes (PDQ, MD5, SHA-1, SHA-256, vPDQ "
	 "videos) with labels saying what it holds and where it came from; "
	 "match uses every enabled bank.\n"
	 "create NAME makes a bank; list and show NAME describe them; enable, "
	 "disable and delete NAME do what they say.\n"
	 "import NAME [FILE...] reads hash lists (standard input without FILE, or "
	 "with -): one hex hash per line; the PDQ tool's hash,quality,path CSV; a "
	 "CSV whose header names its columns (hash, and optionally type, id, "
	 "quality; other columns are kept as metadata); or a vPDQ file "
	 "(frame,quality,hash,seconds lines, one video). The format is detected "
	 "from the first line unless --format says. Each file is imported in one "
	 "transaction: all of its valid lines land, or none do. Malformed lines "
	 "are reported as FILE:LINE: reason and skipped; duplicates are counted, "
	 "not stored twice. Memory stays constant whatever the file's size. "
	 "Into a text bank (create NAME --type text) import reads a term list "
	 "instead, as vigil text import does.\n"
	 "export NAME writes a bank's image hashes as csv (the default), hex or "
	 "pdq-csv; export NAME --format vpdq --entry ID writes one stored video's "
	 "frames as they were imported.\n"
	 "policy NAME prints the bank's policy (what its matches do in `vigil "
	 "serve`) as JSON; policy NAME KEY=VALUE... changes it, all or nothing: "
	 "pdq_distance (0..256, default 31: a PDQ or vPDQ match farther than "
	 "this does not act), min_quality (0..100, default 50: uploads whose PDQ "
	 "quality is lower do not act), dihedral (on|off, default on: rotated "
	 "and flipped copies act), action (block|review|report|none, default "
	 "review), kind (normal|suppression), priority (0..1000, default 50: "
	 "the review queue's order), webhook_url (events of this bank also go "
	 "there; its host must be in the server's webhook_allow), "
	 "webhook_secret (where the signing secret is: env:NAME or file:PATH; "
	 "empty for the server's webhook_secret; never the secret itself), "
	 "flood=N/T or flood_matches/flood_seconds (an entry that matches more "
	 "than N times in T seconds stops acting, is quarantined and raises an "
	 "entry.quarantined event; flood=off, the default, for no limit), "
	 "incident_type (the CyberTipline incident type of reports of its "
	 "confirmed cases when the reviewer gives none, e.g. \"incident_type=Child "
	 "Sex Trafficking\"; empty: the default; docs/reports.md).",
	 bank_opts, cmd_bank},
	{"match", "[OPTIONS] FILE|DIR... | --hash HEX...|-",
	 "Find files (or hashes) that match the enabled banks.",
	 "Each file is hashed as hash does (PDQ and all exact hashes) and looked "
	 "up: PDQ within --radius in a Hamming index (every stored hash within "
	 "the radius is found; by default also for the image's seven rotations "
	 "and flips), exact hashes by equality. Every match is printed: the bank, "
	 "the entry, its stored hash, the distance, and which variant of the "
	 "query matched (orig, rot90, ..., or exact). A query with no match "
	 "prints nothing. Every store and bank is read, never created: a store "
	 "that does not exist, no enabled bank, or enabled banks without a hash "
	 "is an error, since a clean result would then mean nothing.\n"
	 "Exit status: 0 if nothing matched, 1 if something matched, 2 for a bad "
	 "command line, 3 for an error (an input could not be read or hashed, or "
	 "there was nothing to match against). An error wins over a match; the "
	 "matches found are still printed.",
	 match_opts, cmd_match},
	{"stream", "[OPTIONS] URL...",
	 "Watch live streams; cut the ones that show a known image.",
	 "Each URL (rtmp://, rtsp://, http(s):// including HLS, srt://, udp://, "
	 "rtp://; at most 256) is read in its own thread: one frame every "
	 "--interval is hashed with the full-size PDQ and looked up, with its "
	 "rotations and flips unless --no-dihedral, in every enabled bank "
	 "(held in memory and reloaded when the store changes, see --reload). "
	 "Between samples only what --decode says is decoded. On a match the actions run at once, from that "
	 "stream's thread (other streams go on): the --http request, then the "
	 "--exec program. The match and the action's result are then queued as "
	 "evidence for the store (stream URL, the frame's time in the stream, "
	 "frame hash, bank entry, distance), written by a separate thread that "
	 "retries while the store is busy (the stream does not wait for it), "
	 "and further matches on that stream are only reported until --cooldown "
	 "has passed.\n"
	 "A stream that cannot be opened, fails, stalls for --timeout or ends "
	 "is reconnected after a delay that doubles up to --max-backoff. "
	 "Nothing a stream does stops the others or the process.\n"
	 "Standard output carries one JSON object per line: {\"stream\":URL, "
	 "\"event\":E, \"time_ms\":unix ms, ...} with E one of connected (frames "
	 "are flowing), frame (with --frame-events: seconds, hash, quality), "
	 "match (seconds, hash, quality, bank, entry, distance, variant, acted), "
	 "reloaded (the banks were reloaded: hashes), action "
	 "(ok, ms, result), evidence (stored: seconds, bank, entry, evidence: "
	 "the record's id), evidence_lost (the queue was full: seconds, reason), "
	 "disconnected (reason, retry_ms) and error (a connection attempt "
	 "failed: reason, retry_ms).\n"
	 "SIGHUP reloads the banks. SIGINT and SIGTERM stop every stream, wait for the queued evidence to "
	 "be stored (a second signal gives up) and exit with status 0, as does "
	 "--max-runtime; status 1 if the store or the banks cannot be opened or "
	 "evidence could not be stored, 2 for a bad command line.",
	 stream_opts, cmd_stream},
	{"serve", "[OPTIONS]",
	 "Run the HTTP API: hashing, matching and banks for a platform's upload "
	 "path.",
	 "Listens on --listen (default 127.0.0.1:8080) and answers the routes "
	 "listed in docs/server.md and GET /v1/openapi.json. Every route but "
	 "GET /healthz and GET /readyz needs an API key (vigil key create), sent "
	 "as 'Authorization: Bearer TOKEN'. Bank changes made through the API "
	 "are matched by the next request.\n"
	 "SIGTERM and SIGINT stop accepting connections, let requests in flight "
	 "finish (up to --drain-timeout) and exit with status 0; SIGHUP re-reads "
	 "the --config file. Exit status 1 if the store cannot be opened or the "
	 "address cannot be bound, 2 for a bad command line or config file.",
	 cli_serve_opts, cmd_serve},
	{"key", "create NAME --role ROLE[,ROLE] | list | revoke NAME [OPTIONS]",
	 "Manage the API keys of vigil serve.",
	 "create makes a key and prints its token, once, on standard output: "
	 "clients send it as 'Authorization: Bearer TOKEN'. The store keeps only "
	 "its SHA-256, so a lost token cannot be shown again: revoke the key and "
	 "make another. list shows every key (name, roles, created, revoked, "
	 "last used; never tokens). revoke NAME disables a key for good (a "
	 "running server notices within its key_refresh, 2 s by default). Key "
	 "names follow the bank-name rule and are never reused. Each change is "
	 "written to the audit table as who=cli.",
	 key_opts, cmd_key},
	{"text", "match|fold|hashtags|score|import|banks|delete|train|eval [OPTIONS] [BANK] [FILE|-]...",
	 "Match keyword lists in text, however it is spelled; fold; find hashtags.",
	 "Each line of each FILE (standard input without FILE, or with -) is one "
	 "message.\n"
	 "match --terms LIST prints one JSON object per hit: line (1-based), "
	 "list, entry (1-based index in the list), list_line, term (as listed), "
	 "category, severity, mode, start and end (byte offsets in the line as "
	 "written), view (raw, conservative or aggressive: which folding found "
	 "it), hashtag (whether it matched inside a hashtag) and text (the bytes "
	 "start..end); with the store's text banks (no --terms) bank and entry "
	 "(the term's id) replace list, entry and list_line. A regex term "
	 "(Vectorscan syntax, caseless, UTF-8, at most 256 bytes and 1,000 per "
	 "matcher) is matched over the conservative view; one that does not "
	 "compile is refused when it is listed, naming the line and Vectorscan's "
	 "reason. Terms and messages are folded the same way: the "
	 "conservative view undoes width, compatibility and mathematical letters, "
	 "case, zero-width and bidi controls, soft hyphens, combining marks, "
	 "German umlauts and sharp s, Dutch ij, Arabic tatweel, harakat and "
	 "letter variants, and squeezes runs over 2; the aggressive view also "
	 "undoes Cyrillic/Greek lookalikes, enclosed and regional-indicator "
	 "letters, spaced-out letters, leet (not in Arabizi) and every repeat. "
	 "A token term matches whole words only, and inside a hashtag when it "
	 "has 4 letters or more. scan is another name for match.\n"
	 "import BANK [FILE|-]... adds a term list to a text bank (made with "
	 "vigil bank create BANK --type text), one transaction per file; a "
	 "term the bank has in that mode already is counted, not added. banks "
	 "lists the text banks, one JSON line each (name, id, type, enabled, "
	 "terms, action, kind, priority: the policy set with vigil bank "
	 "policy). delete BANK ID... removes single terms (ID: a hit's entry; "
	 "also DELETE /v1/banks/BANK/entries/ID on vigil serve).\n"
	 "The keyword engine is Vectorscan where the CPU has SSE4.2, else a "
	 "portable automaton with the same hits (no regex terms: they are "
	 "left out); VIGIL_TEXT_ENGINE=portable|vectorscan forces one.\n"
	 "fold prints each line's folded view; hashtags prints each hashtag "
	 "(twitter-text's grammar) as {line, start, end, tag}.\n"
	 "score prints, for each message, its score and its author's risk in "
	 "the conversation after it (0..1), the grooming stages it showed (age, "
	 "location, alone, secrecy, platform, gifts, images, meeting) and whether "
	 "it raised the alert (risk over 0.5 for 2 messages in a row; once per "
	 "author and conversation, listing each stage seen and where). The "
	 "scorer is a small hand-written lexicon of stage phrases in en/de/nl/ar "
	 "with hand-set weights, not a trained model: it recognises those "
	 "phrases, however spelled, and nothing more. With --model MODEL the "
	 "message score is the trained model's probability and the risk the "
	 "running average (EMA 0.3) of those scores.\n"
	 "train --data FILE --out MODEL fits a logistic regression over hashed "
	 "character 3-5-grams and word 1-2-grams of each message's conservative "
	 "fold (plain SGD, deterministic) and prints {messages, positive, "
	 "epochs, dim_bits, training_accuracy, model}. eval --data FILE --model "
	 "MODEL scores every message alone (message precision, recall, F0.5 at "
	 "0.5, PR-AUC, precision at a capacity of as many messages as are "
	 "positive) and through each author's running state in its "
	 "conversation (pair precision, recall, F0.5, false alerts per 10,000 "
	 "benign pairs, median messages from the first positive message to the "
	 "alert), as one JSON object. A model is only as good as the labelled "
	 "data it was trained on: train and measure on the platform's own "
	 "reviewed conversations. docs/text.md describes the rules, the model "
	 "file and their limits.",
	 text_opts, cmd_text},
	{"user", "add NAME [--role reviewer|admin]", "Add a person to the review page.",
	 "Adds an account for the review page of vigil serve (/review). The "
	 "password (12 characters or more) is the first line of standard input; "
	 "the store keeps only its Argon2id hash. Five failed logins in a row "
	 "lock the account for 15 minutes.",
	 user_opts, cmd_user},
	{"audit", "verify|checkpoint|export|keygen|pubkey [OPTIONS]",
	 "Check, sign and export the tamper-evident audit trail.",
	 "Every audit record holds the SHA-256 of the record before it and of "
	 "its own content (who, role, action, object, time, source IP, "
	 "detail). verify walks the chain and the signed checkpoints and names "
	 "the first record changed, removed, reordered or cut off the end "
	 "(exit status 1 if it finds one). checkpoint signs the current head "
	 "with --key (vigil serve does it every audit_checkpoint_interval "
	 "seconds when audit_key_file is set). export --from --to prints a "
	 "range as JSON with its proof: the records, the content digests that "
	 "link them to the next checkpoint, and that checkpoint; verify "
	 "--export FILE [--pubkey HEX] checks one without the store. keygen "
	 "--key FILE writes a new key (0600) and prints its public key; pubkey "
	 "prints it again. See docs/audit.md.",
	 audit_opts, cmd_audit},
	{"report", "list | show ID | xml ID [--files] | draft CASE | submit ID | retract ID | "
	 "resend ID --confirm [OPTIONS]",
	 "Draft and file CyberTipline reports.",
	 "A report is drafted when a reviewer confirms a case of a bank whose "
	 "action is report (or by draft CASE). list prints one line per report, "
	 "starting with its id, then its state (draft, submitting, open, "
	 "finished, retracted, rejected, unknown). show prints the stored "
	 "record: state, NCMEC's report id, the files and NCMEC's answers as "
	 "received. xml prints the report document (as sent, once sent), "
	 "validated against docs/cybertipline.xsd; --files each file's "
	 "fileDetails. submit files it through NCMEC's API (ncmec_url, HTTP "
	 "Basic credentials from ncmec_credentials): submit, upload and "
	 "fileinfo per file, finish; each step is stored when acknowledged, so "
	 "running submit again after a failure or a crash resumes, and never "
	 "files it twice (a /submit whose answer was lost makes the report "
	 "unknown, for a person to check). resend ID --confirm, once that person "
	 "has confirmed with NCMEC that it never arrived, makes an unknown "
	 "report a draft again and submits it (audited). retract withdraws an "
	 "open report. See docs/reports.md.",
	 report_opts, cmd_report},
	{"evidence", "list | show ID | hold ID... --reason TEXT | release HOLD | "
	 "export ID...|--report ID --out DIR --key FILE | verify DIR --pubkey HEX | sweep",
	 "Preserved evidence of filed reports: list, holds, signed bundles, retention.",
	 "What a filed report sent (the case's files, its context, the report "
	 "document and each fileDetails as sent, the hotline's answers) is "
	 "preserved, each item sealed under a data key of its own. list prints "
	 "one line per item starting with its id (kept, held=N or deleted=DATE). "
	 "show ID opens it (audited) and prints its description and holds, or "
	 "its content with --content. hold ID... --reason TEXT places a legal "
	 "hold (several per item; each printed with its id); release HOLD "
	 "releases one. export writes a signed bundle (manifest.json with each "
	 "file's SHA-256, manifest.sig, files/) for a hotline without an API or "
	 "a law-enforcement request; verify checks one with the signer's public "
	 "key. sweep runs the retention job vigil serve runs every "
	 "evidence_sweep_interval: preserves what was filed since, then deletes "
	 "each item older than --retention-days that no hold keeps, by "
	 "destroying its data key. A deleted item cannot be shown or exported. "
	 "See docs/evidence.md.",
	 evidence_opts, cmd_evidence},
	{"transparency", "--from DATE --to DATE [--format json|csv]",
	 "Print the counts of a transparency report, per day.",
	 "Counted from the audit trail and the cases: items checked and "
	 "matched, verdicts, matches by bank and hash type, cases opened and "
	 "decided (by decision), the median seconds from upload to decision, "
	 "reports filed and retracted, user reports, streams cut. "
	 "docs/transparency.md maps them onto the EU DSA transparency "
	 "template.",
	 transparency_opts, cmd_transparency},
	{"exchange", "add|list|show|fetch|feedback|enable|disable|delete|publish|unpublish|compact|feed-key [OPTIONS] [NAME]",
	 "Fetch hash lists from NCMEC, StopNCII, ThreatExchange, TCAP and other vigils into banks.",
	 "An exchange is a configured source of one bank. add NAME --api API "
	 "--credentials REF [--bank BANK] [settings] configures one (the bank is "
	 "created if missing); list, show NAME describe them (progress, counts, "
	 "checkpoint, last error; never a secret); enable, disable and delete NAME "
	 "do what they say (delete keeps the bank and its entries).\n"
	 "fetch NAME takes what changed since the stored checkpoint (everything, "
	 "the first time) and commits each page together with the checkpoint it "
	 "reached: an interrupted fetch (even kill -9) resumes without losing or "
	 "duplicating entries. Updates replace a record's entries, deletes remove "
	 "them (NCMEC tombstones, StopNCII Withdrawn/Deleted, ThreatExchange "
	 "should_delete, TCAP deleted). A checkpoint past the API's window "
	 "(StopNCII 30 days, ThreatExchange 85) starts a full refetch, which "
	 "removes what vanished when it completes. MD5, SHA-1, SHA-256 and PDQ "
	 "become matchable entries (source_ref: the record's key; metadata: its "
	 "ids, member, classification, tags...); PhotoDNA and NetClean values "
	 "are kept as metadata; other types (TMK, Videntifier...) are skipped and "
	 "counted. GETs are retried on 429 and 5xx (backoff 0, 0.4, 0.8, 1.6 s, or "
	 "Retry-After, five tries); POSTs are never retried. Exit status 1 if the "
	 "fetch failed (what committed before stays).\n"
	 "feedback NAME --entry ID --verdict confirm|dismiss queues a reviewer's "
	 "verdict on a fetched entry in the durable outbox and sends what is "
	 "due: NCMEC (PUT an up or down vote on the entry, addressed by its "
	 "uploader's member id), StopNCII (SubmitFeedback; needs the third key), "
	 "ThreatExchange (a reaction on each of the record's descriptors); TCAP "
	 "has none. A verdict that fails with no answer, 429 or 5xx stays "
	 "pending and is retried with backoff (by vigil serve, or the next "
	 "feedback command): each call sets a state, so a repeat is harmless. "
	 "Exit status 1 if it is not sent yet or failed. vigil serve queues one "
	 "when a reviewer confirms or dismisses a case matching an exchange's "
	 "entry. feedback NAME --list shows them.\n"
	 "publish BANK makes vigil serve offer the bank as an exchange feed "
	 "(GET /v1/feed/BANK, keys with role feed): its entries now, then "
	 "every add, update and delete, paged by sequence number; another "
	 "vigil fetches it with add NAME --api vigil --url "
	 "http://HOST:PORT/v1/feed/BANK. unpublish BANK stops it. "
	 "Feed pages are signed with the server's feed_key_file (Ed25519); "
	 "feed-key --key FILE makes that file if missing (mode 0600) and prints "
	 "its public key, which the fetching vigil pins with add --public-key "
	 "HEX: a page whose signature does not verify (altered, another key, "
	 "another feed or cursor) fails the fetch, nothing applied. An --api "
	 "vigil exchange without --public-key is refused unless added with "
	 "--insecure-unsigned. compact BANK [--keep-deletes SECONDS] drops "
	 "superseded rows of the bank's feed log and deletes older than the "
	 "window (default 604800, as vigil serve's feed_keep_deletes); a peer "
	 "whose checkpoint is older than what the log still serves refetches "
	 "everything, which removes what vanished. "
	 "docs/exchanges.md describes each API.",
	 exchange_opts, cmd_exchange},
	{"pm-server", "--role custodian|platform --hashes FILE --seed-file FILE "
	 "[--listen HOST:PORT] [--peer HOST:PORT] [--threshold K] [--radius T] "
	 "[--state FILE --master-key FILE] [--db PATH] --i-understand-research-grade",
	 "Run one of the two servers of F2 private fuzzy matching (research grade).",
	 "F2 (docs/private-matching.md) checks a device's PDQ hashes against a list within "
	 "Hamming distance T so that neither server learns anything about an "
	 "image that does not match, and nothing at all about an account below "
	 "K distinct matches. It needs two non-colluding servers: start the "
	 "platform, then the custodian with --peer set to the platform's "
	 "address. The two talk over one TCP connection (one exchange per AND "
	 "layer of the comparison circuit, about 70 per query).\n"
	 "A client sends each server its own query message (DPF keys, XOR "
	 "shares of the hash and of a fresh evidence key, Beaver triples; the "
	 "platform's also carries the evidence sealed under that key) to both "
	 "servers before waiting for either answer. Frames are a 4-byte "
	 "little-endian length and a type byte: I (parameters: \"B S K T\"), "
	 "Q (a query; answered with one status byte, 0 = handled, whatever the "
	 "result), S (an account's status \"over images opened\", then at the "
	 "platform each opened evidence payload). A frame longer than a query "
	 "with the largest evidence (printed at start) closes the connection "
	 "unread. Clients are served one connection at a time, and both servers "
	 "check before each query that they are handling the same, well-formed one (a "
	 "mismatch is refused at both with status 2, VIGIL_EINVAL).\n"
	 "SIGTERM or SIGINT stops the server between queries (exit 0); the "
	 "accounts' shares are kept only with --state. If the link to the other "
	 "server breaks, the server exits with status 1: the two parties' "
	 "shares would be out of step.\n"
	 "At the platform, --db names the review store (the same forms as "
	 "vigil serve's db setting; with --master-key): when an account's "
	 "evidence opens at K matches (and for each later match) the platform "
	 "opens or joins the account's review case there, source \"pm\", "
	 "join key pm:f2, the opened items sealed as the case's media, so "
	 "reviewers see them through vigil serve's case routes with the "
	 "review protections. The case is written in one transaction before the "
	 "state file records the query; a store error stops the server "
	 "(exit 1). Not built yet: TLS, "
	 "authenticated (malicious-secure) shares. Clients use the library's "
	 "vigil_pm_f2_client_* calls (include/vigil/pm.h).",
	 pm_server_opts, cmd_pm_server},
	{"version", "", "Print the version.", "Prints vigil's version.", NULL,
	 cmd_version},
	{"help", "[COMMAND] [--man]", "Describe the commands.",
	 "Without arguments, lists the commands; with a COMMAND, describes it; "
	 "with --man, writes the roff man page to standard output.",
	 NULL, cmd_help},
	{NULL, NULL, NULL, NULL, NULL, NULL},
};
