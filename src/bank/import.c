/* import.c — streaming a hash list into a bank in one transaction, and
 * exporting a bank. Memory is one line buffer and one record, whatever the
 * list's length. */
#include "parse.h"

#include <openssl/evp.h>
#include <string.h>

#define IMPORT_BUF (64 * 1024)           /* read size */
#define IMPORT_PROGRESS_EVERY (1u << 20) /* bytes between progress calls */
#define IMPORT_DEFAULT_MAX_BAD 1000

typedef struct reader {
	FILE *f;
	char *buf;       /* IMPORT_BUF bytes of input */
	size_t pos, len; /* unread part of buf */
	char *line;      /* VIGIL__LINE_MAX + 2 bytes */
	uint64_t bytes;  /* consumed so far */
	uint64_t max;    /* most bytes read before giving up */
	int eof, err;
} reader;

enum { LINE_END = -1, LINE_TOO_LONG = -2, LINE_NUL = -3, LINE_RUNAWAY = -4,
       LINE_TOO_MUCH = -5 };

/* Reads the next line into r->line (without its newline). Returns its
 * length, LINE_END at the end, or LINE_TOO_LONG for a line over
 * VIGIL__LINE_MAX (whose rest is skipped). Input that is not a text list
 * stops the reading instead of being skipped line by line, since it may
 * never end (/dev/zero, a binary file, an endless pipe): LINE_NUL at a NUL
 * byte, LINE_RUNAWAY for a line with no line break in VIGIL__LINE_RUNAWAY
 * bytes, LINE_TOO_MUCH past r->max bytes in all. */
static long next_line(reader *r)
{
	size_t n = 0, skipped = 0;
	int too_long = 0, any = 0;

	for (;;) {
		char *nl;
		size_t take;
		if (r->pos == r->len) {
			if (r->eof)
				break;
			r->len = fread(r->buf, 1, IMPORT_BUF, r->f);
			r->pos = 0;
			if (r->len == 0) {
				r->eof = 1;
				r->err = ferror(r->f);
				break;
			}
		}
		any = 1;
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (memchr(r->buf + r->pos, '\0', take)) {
			r->bytes += (size_t)((char *)memchr(r->buf + r->pos, '\0', take) -
					     (r->buf + r->pos));
			return LINE_NUL;
		}
		if (r->bytes + take > r->max)
			return LINE_TOO_MUCH;
		if (!too_long && n + take <= VIGIL__LINE_MAX) {
			memcpy(r->line + n, r->buf + r->pos, take);
			n += take;
		} else {
			too_long = 1;
			skipped += take;
			if (skipped > VIGIL__LINE_RUNAWAY)
				return LINE_RUNAWAY;
		}
		r->pos += take;
		r->bytes += take;
		if (nl) {
			r->pos++;
			r->bytes++;
			break;
		}
	}
	if (!any)
		return LINE_END;
	if (too_long)
		return LINE_TOO_LONG;
	if (n && r->line[n - 1] == '\r')
		n--;
	return (long)n;
}

typedef struct vpdq_state {
	int64_t entry;       /* the video entry being filled, or 0 */
	EVP_MD_CTX *md;      /* digest of its frames, its dedupe key */
	uint64_t frames;
} vpdq_state;

static int vpdq_frame(vigil_store *st, int64_t bank, const vigil_import_opts *o,
		      vpdq_state *v, const vigil__rec *r)
{
	char canon[128], hex[65];
	int n, rc;

	if (!v->entry) {
		vigil__rec e;
		memset(&e, 0, sizeof(e));
		e.type = VIGIL_HASH_VPDQ;
		e.quality = -1;
		snprintf(e.source_ref, sizeof(e.source_ref), "%s",
			 o && o->source ? o->source : "");
		rc = st->ops->entry_add(st, bank, &e, &v->entry);
		if (rc)
			return rc;
		if (!v->entry)
			return vigil__err(st->ctx, VIGIL_ESTORE,
					  "an unfinished video entry is in the way");
	}
	rc = st->ops->frame_add(st, v->entry, r);
	if (rc)
		return rc;
	vigil_hex(r->value, 32, hex);
	n = snprintf(canon, sizeof(canon), "%d,%d,%s,%.6f\n", r->frame, r->quality,
		     hex, r->seconds);
	if (n < 0 || (size_t)n >= sizeof(canon))
		return vigil__err(st->ctx, VIGIL_EINTERNAL, "vpdq: frame line too long");
	EVP_DigestUpdate(v->md, canon, (size_t)n);
	v->frames++;
	return VIGIL_OK;
}

/* Gives the video its value (the digest of its frames); a video the bank
 * already has is dropped and counted as a duplicate. */
static int vpdq_finish(vigil_store *st, vpdq_state *v, vigil_import_stats *s)
{
	uint8_t value[32];
	unsigned int n = 0;
	int rc;

	if (!v->entry)
		return VIGIL_OK;
	EVP_DigestFinal_ex(v->md, value, &n);
	rc = st->ops->entry_set_value(st, v->entry, value);
	if (rc == VIGIL_EEXIST) {
		s->duplicates++;
		return st->ops->entry_delete(st, v->entry);
	}
	if (!rc)
		s->added++;
	return rc;
}

int vigil_bank_import(vigil_store *st, const char *bank, FILE *f,
		      const vigil_import_opts *opts, vigil_import_stats *stats)
{
	vigil_import_opts o = {0};
	vigil_import_stats s = {0};
	vigil__parser p;
	vigil__rec *rec = NULL;
	vigil_bank b;
	vpdq_state v = {0};
	reader r = {0};
	uint64_t next_progress = IMPORT_PROGRESS_EVERY, staged = 0;
	int rc, in_tx = 0;
	long n;

	if (!st || !f)
		return VIGIL_EINVAL;
	if (opts)
		o = *opts;
	if (o.format < 0 || o.format >= VIGIL__FMT_END)
		return vigil__err(st->ctx, VIGIL_EINVAL, "bad import format %d", o.format);
	if (o.max_bad_lines <= 0)
		o.max_bad_lines = IMPORT_DEFAULT_MAX_BAD;
	rc = vigil_bank_get(st, bank, &b);
	if (rc)
		return rc;
	vigil__parser_init(&p, o.format, o.type == 0 ? VIGIL_HASH_PDQ : o.type);
	r.f = f;
	r.max = o.max_bytes > 0 ? (uint64_t)o.max_bytes : VIGIL_IMPORT_DEFAULT_MAX_BYTES;
	r.buf = vigil__malloc(IMPORT_BUF);
	r.line = vigil__malloc(VIGIL__LINE_MAX + 2);
	rec = vigil__malloc(sizeof(*rec));
	v.md = EVP_MD_CTX_new();
	if (!r.buf || !r.line || !rec || !v.md) {
		rc = vigil__err(st->ctx, VIGIL_ENOMEM, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(v.md, EVP_sha256(), NULL);
	rc = st->ops->begin(st);
	if (rc)
		goto out;
	in_tx = 1;
	while ((n = next_line(&r)) != LINE_END) {
		const char *why = "line too long";
		int got;
		s.lines++;
		if (n == LINE_NUL) {
			rc = vigil__err(st->ctx, VIGIL_ECORRUPT,
					"line %llu: a NUL byte (at byte %llu): not a text "
					"hash list", (unsigned long long)s.lines,
					(unsigned long long)r.bytes);
			goto out;
		}
		if (n == LINE_RUNAWAY) {
			rc = vigil__err(st->ctx, VIGIL_ECORRUPT,
					"line %llu: no line break in %d bytes: not a hash "
					"list", (unsigned long long)s.lines,
					VIGIL__LINE_RUNAWAY);
			goto out;
		}
		if (n == LINE_TOO_MUCH) {
			rc = vigil__err(st->ctx, VIGIL_ETOOBIG,
					"more than %llu bytes of input (the limit)",
					(unsigned long long)r.max);
			goto out;
		}
		got = n == LINE_TOO_LONG ? -1
			: vigil__parse_line(&p, r.line, (size_t)n, rec, &why);
		if (got < 0) {
			s.bad++;
			if ((o.on_bad_line && o.on_bad_line(o.user, s.lines, why)) ||
			    s.bad > (uint64_t)o.max_bad_lines) {
				rc = vigil__err(st->ctx, VIGIL_EABORTED,
						"import aborted at line %llu (%llu bad lines)",
						(unsigned long long)s.lines,
						(unsigned long long)s.bad);
				goto out;
			}
			continue;
		}
		if (got == 0)
			continue;
		if (p.format == VIGIL_FMT_VPDQ) {
			rc = vpdq_frame(st, b.id, &o, &v, rec);
		} else if (st->ops->entry_stage) {
			rc = st->ops->entry_stage(st, b.id, rec);
			staged++;
		} else {
			int64_t id = 0;
			rc = st->ops->entry_add(st, b.id, rec, &id);
			if (id)
				s.added++;
			else
				s.duplicates++;
		}
		if (rc)
			goto out;
		if (o.on_progress && r.bytes >= next_progress) {
			o.on_progress(o.user, r.bytes, s.lines);
			next_progress = r.bytes + IMPORT_PROGRESS_EVERY;
		}
	}
	if (r.err) {
		rc = vigil__err(st->ctx, VIGIL_EIO, "read error after line %llu",
				(unsigned long long)s.lines);
		goto out;
	}
	rc = vpdq_finish(st, &v, &s);
	if (!rc && staged) {
		uint64_t added = 0;
		rc = st->ops->entry_stage_flush(st, &added);
		s.added += added;
		s.duplicates += staged - added;
	}
	if (rc)
		goto out;
	rc = st->ops->commit(st);
	if (!rc)
		in_tx = 0;
	if (o.on_progress)
		o.on_progress(o.user, r.bytes, s.lines);
out:
	if (in_tx)
		st->ops->rollback(st);
	if (rc) {
		s.added = 0; /* nothing landed */
		s.duplicates = 0;
	}
	if (stats)
		*stats = s;
	EVP_MD_CTX_free(v.md);
	vigil__free(rec);
	vigil__free(r.line);
	vigil__free(r.buf);
	return rc;
}

typedef struct export_state {
	FILE *out;
	int format;
	uint64_t n;
	int header_done;
} export_state;

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int export_one(void *user, const vigil_entry *e)
{
	export_state *x = user;
	char hex[65];

	if (e->type == VIGIL_HASH_VPDQ)
		return 0; /* videos export with their frames, one file each */
	vigil_hex(e->value, vigil_hash_type_size(e->type), hex);
	switch (x->format) {
	case VIGIL_FMT_HEX:
		fprintf(x->out, "%s\n", hex);
		break;
	case VIGIL_FMT_PDQ_CSV:
		if (e->type != VIGIL_HASH_PDQ)
			return 0;
		fprintf(x->out, "%s,%d,", hex, e->quality < 0 ? 0 : e->quality);
		csv_field(x->out, e->source_ref);
		fputc('\n', x->out);
		break;
	default:
		if (!x->header_done) {
			fputs("hash,type,quality,id,metadata\n", x->out);
			x->header_done = 1;
		}
		fprintf(x->out, "%s,%s,", hex, vigil_hash_type_name(e->type));
		if (e->quality >= 0)
			fprintf(x->out, "%d", e->quality);
		fputc(',', x->out);
		csv_field(x->out, e->source_ref);
		fputc(',', x->out);
		csv_field(x->out, e->metadata);
		fputc('\n', x->out);
	}
	x->n++;
	return ferror(x->out) ? VIGIL_EIO : 0;
}

int vigil_bank_export(vigil_store *st, const char *bank, int format, FILE *out,
		      uint64_t *written)
{
	export_state x = {out, format, 0, 0};
	vigil_bank b;
	int rc;

	if (!st || !out)
		return VIGIL_EINVAL;
	if (format != VIGIL_FMT_HEX && format != VIGIL_FMT_PDQ_CSV &&
	    format != VIGIL_FMT_CSV)
		return vigil__err(st->ctx, VIGIL_EINVAL,
				  "export formats are hex, pdq-csv and csv");
	rc = vigil_bank_get(st, bank, &b);
	if (rc)
		return rc;
	rc = st->ops->scan(st, b.id, export_one, &x);
	if (rc == VIGIL_EIO)
		rc = vigil__err(st->ctx, VIGIL_EIO, "write error");
	if (written)
		*written = x.n;
	return rc;
}

typedef struct vpdq_out {
	FILE *out;
	uint64_t n;
} vpdq_out;

static int export_frame(void *user, const vigil__frame *f)
{
	vpdq_out *x = user;
	char hex[65];

	vigil_hex(f->hash, 32, hex);
	fprintf(x->out, "%d,%d,%s,%.3f\n", f->frame, f->quality, hex, f->seconds);
	x->n++;
	return ferror(x->out) ? VIGIL_EIO : 0;
}

int vigil_entry_export_vpdq(vigil_store *st, int64_t entry_id, FILE *out,
			    uint64_t *written)
{
	vpdq_out x = {out, 0};
	vigil_entry e;
	int rc;

	if (!st || !out)
		return VIGIL_EINVAL;
	rc = vigil_entry_get(st, entry_id, &e);
	if (rc)
		return rc;
	if (e.type != VIGIL_HASH_VPDQ)
		return vigil__err(st->ctx, VIGIL_EINVAL, "entry %lld is not a video",
				  (long long)entry_id);
	rc = st->ops->scan_frames(st, e.bank_id, entry_id, export_frame, &x);
	if (rc == VIGIL_EIO)
		rc = vigil__err(st->ctx, VIGIL_EIO, "write error");
	if (written)
		*written = x.n;
	return rc;
}
