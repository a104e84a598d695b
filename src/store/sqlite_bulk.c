/* sqlite_bulk.c — the bulk import's external sort, read by SQLite as the
 * eponymous virtual table vigil_bulk.
 *
 * Why not SQLite's own tools: staging rows in a temporary table and moving
 * them with INSERT … SELECT … ORDER BY wrote every row three times (the
 * staging B-tree, the sorter's records, entries) and spent most of its time
 * in the VDBE doing so. Here a row is copied once into a chunk of
 * BULK_CHUNK bytes; a full chunk is sorted (an 8-byte key prefix decides
 * most comparisons) and written as a sorted run to one unlinked temporary
 * file; the runs are merged (BULK_FANIN at a time, so memory stays bounded
 * whatever the list's length) straight into the INSERT, which then appends
 * to entries and to its unique index at their right edges.
 *
 * Duplicates: equal keys (bank_id, type, value) are told apart by the order
 * they were queued in (the chunk offset inside a run, the run's number
 * across runs), and only the first is given to SQLite, so the first line
 * of a list wins; rows already in entries still win through OR IGNORE. */
#include "sqlite_bulk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BULK_CHUNK (32u << 20) /* bytes of rows sorted in memory at once */
#define BULK_FANIN 64          /* runs merged at once */
#define BULK_RBUF (256u << 10) /* read buffer of each run being merged */
#define BULK_WBUF (1u << 20)   /* write buffer of the spill file */
#define BULK_BUCKETS 65536     /* the chunk sort's first pass: 16 bits */

size_t vigil__bulk_chunk_bytes = BULK_CHUNK;
size_t vigil__bulk_fanin = BULK_FANIN;

/* A queued row: fixed header, then source_ref and metadata (no NULs),
 * padded to 8 bytes. The same bytes in memory and in a run. */
struct brec {
	int64_t bank_id;
	int32_t type, quality;
	uint16_t vlen, rlen, mlen, pad;
	uint8_t value[32];
};
#define BREC_MAX (sizeof(struct brec) + VIGIL_TEXT_MAX + VIGIL_META_MAX + 8)

static size_t brec_size(const struct brec *r)
{
	return (sizeof(*r) + r->rlen + r->mlen + 7) & ~(size_t)7;
}

/* Sort slot of a row in the chunk: its value's first 8 bytes as a big-endian
 * number (zero-padded), and where it is (8-byte units: queue order). */
struct bidx {
	uint64_t pfx;
	uint32_t off;
	uint32_t pad;
};

struct run {
	off_t start, end;
};

struct reader {
	int fd, idx; /* idx: the run's number, earlier runs hold earlier rows */
	off_t pos, end;
	uint8_t *buf;
	size_t at, len;
	const struct brec *cur; /* NULL: run done */
};

struct merger {
	struct reader *rd;
	struct reader **heap;
	size_t nheap;
	struct reader *pend; /* returned last: advance it first */
};

struct vigil__bulk {
	uint8_t *arena; /* chunk bytes */
	size_t chunk, fanin, used;
	struct bidx *ix, *tmp; /* tmp: the counting sort's other half */
	uint32_t *cnt;         /* BULK_BUCKETS counters */
	size_t n, cap_ix;
	int mixed; /* rows of more than one (bank, type) in the chunk */
	int64_t bank0;
	int type0;
	uint64_t count;
	int fd; /* the spill file, unlinked; -1 until the first spill */
	off_t fsize;
	uint8_t *wbuf;
	size_t wlen;
	struct run *runs;
	size_t nruns, cap_runs;
	int finished, reading, err;
	size_t next;   /* one chunk, no runs: next slot to read */
	struct merger mg;
	struct brec last; /* key of the row read last, for duplicates */
	int have_last;
};

static int cmp_key(const struct brec *a, const struct brec *b)
{
	int c;
	if (a->bank_id != b->bank_id)
		return a->bank_id < b->bank_id ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	c = memcmp(a->value, b->value, a->vlen < b->vlen ? a->vlen : b->vlen);
	return c ? c : (int)a->vlen - (int)b->vlen;
}

static int cmp_ix(const void *pa, const void *pb, void *user)
{
	const struct bidx *a = pa, *b = pb;
	const vigil__bulk *k = user;
	int c;

	/* Prefixes order rows only when bank and type agree; zero padding
	 * keeps their order that of memcmp-then-length. */
	if (!k->mixed && a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	c = cmp_key((const struct brec *)(k->arena + (size_t)a->off * 8),
		    (const struct brec *)(k->arena + (size_t)b->off * 8));
	return c ? c : (a->off < b->off ? -1 : 1);
}

vigil__bulk *vigil__bulk_new(void)
{
	vigil__bulk *b = vigil__calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->fd = -1;
	b->chunk = vigil__bulk_chunk_bytes < BREC_MAX ? BREC_MAX : vigil__bulk_chunk_bytes;
	b->fanin = vigil__bulk_fanin < 2 ? 2 : vigil__bulk_fanin;
	b->cap_ix = b->chunk / sizeof(struct brec);
	b->arena = vigil__malloc(b->chunk);
	b->ix = vigil__malloc(b->cap_ix * sizeof(*b->ix));
	b->tmp = vigil__malloc(b->cap_ix * sizeof(*b->tmp));
	b->cnt = vigil__malloc(BULK_BUCKETS * sizeof(*b->cnt));
	if (!b->arena || !b->ix || !b->tmp || !b->cnt) {
		vigil__bulk_free(b);
		return NULL;
	}
	return b;
}

void vigil__bulk_free(vigil__bulk *b)
{
	size_t i;

	if (!b)
		return;
	if (b->mg.rd)
		for (i = 0; i < b->nruns; i++)
			vigil__free(b->mg.rd[i].buf);
	vigil__free(b->mg.rd);
	vigil__free(b->mg.heap);
	if (b->fd >= 0)
		close(b->fd);
	vigil__free(b->runs);
	vigil__free(b->wbuf);
	vigil__free(b->ix);
	vigil__free(b->tmp);
	vigil__free(b->cnt);
	vigil__free(b->arena);
	vigil__free(b);
}

uint64_t vigil__bulk_count(const vigil__bulk *b)
{
	return b ? b->count : 0;
}

/* ------------------------------------------------------------ spill file */

static int file_open(vigil__bulk *b)
{
	const char *dir = getenv("SQLITE_TMPDIR");
	char path[4096];

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/vigil-bulk-XXXXXX", dir) >= sizeof(path))
		return VIGIL_EIO;
	b->wbuf = vigil__malloc(BULK_WBUF);
	if (!b->wbuf)
		return VIGIL_ENOMEM;
	b->fd = mkstemp(path);
	if (b->fd < 0)
		return VIGIL_EIO;
	unlink(path); /* gone when closed, whatever ends the process */
	return VIGIL_OK;
}

static int wflush(vigil__bulk *b)
{
	size_t done = 0;

	while (done < b->wlen) {
		ssize_t k = pwrite(b->fd, b->wbuf + done, b->wlen - done,
				   b->fsize + (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return VIGIL_EIO;
		done += (size_t)k;
	}
	b->fsize += (off_t)b->wlen;
	b->wlen = 0;
	return VIGIL_OK;
}

static int wput(vigil__bulk *b, const struct brec *r)
{
	size_t n = brec_size(r);
	int rc;

	if (b->wlen + n > BULK_WBUF && (rc = wflush(b)))
		return rc;
	memcpy(b->wbuf + b->wlen, r, n);
	b->wlen += n;
	return VIGIL_OK;
}

static int run_begin(vigil__bulk *b)
{
	if (b->fd < 0) {
		int rc = file_open(b);
		if (rc)
			return rc;
	}
	if (b->nruns == b->cap_runs) {
		size_t cap = b->cap_runs ? 2 * b->cap_runs : 16;
		struct run *r = vigil__realloc(b->runs, cap * sizeof(*r));
		if (!r)
			return VIGIL_ENOMEM;
		b->runs = r;
		b->cap_runs = cap;
	}
	b->runs[b->nruns].start = b->fsize + (off_t)b->wlen;
	return VIGIL_OK;
}

static int run_end(vigil__bulk *b)
{
	int rc = wflush(b);

	if (!rc)
		b->runs[b->nruns++].end = b->fsize;
	return rc;
}

/* ------------------------------------------------------------- queueing */

/* One bank and type (an import): a counting sort on the prefix's top 16
 * bits, then each bucket by cmp_ix (a few rows each for hashes; a list of
 * near-equal hashes only makes the buckets larger, never wrong). The
 * counting pass is stable, so queue order survives among equal keys. */
static void sort_chunk(vigil__bulk *b)
{
	size_t i, at = 0;
	struct bidx *t;

	if (b->mixed || b->n < 4096) {
		qsort_r(b->ix, b->n, sizeof(*b->ix), cmp_ix, b);
		return;
	}
	memset(b->cnt, 0, BULK_BUCKETS * sizeof(*b->cnt));
	for (i = 0; i < b->n; i++)
		b->cnt[b->ix[i].pfx >> 48]++;
	for (i = 0; i < BULK_BUCKETS; i++) {
		uint32_t c = b->cnt[i];
		b->cnt[i] = (uint32_t)at;
		at += c;
	}
	for (i = 0; i < b->n; i++)
		b->tmp[b->cnt[b->ix[i].pfx >> 48]++] = b->ix[i];
	t = b->ix;
	b->ix = b->tmp;
	b->tmp = t;
	/* cnt[k] is now where bucket k ends */
	for (i = 0, at = 0; i < BULK_BUCKETS; at = b->cnt[i++]) {
		size_t n = b->cnt[i] - at, j, k;
		struct bidx *v = b->ix + at;
		if (n > 12) {
			qsort_r(v, n, sizeof(*v), cmp_ix, b);
			continue;
		}
		for (j = 1; j < n; j++) {
			struct bidx x = v[j];
			for (k = j; k > 0 && cmp_ix(&v[k - 1], &x, b) > 0; k--)
				v[k] = v[k - 1];
			v[k] = x;
		}
	}
}

static const struct brec *slot_rec(const vigil__bulk *b, size_t i)
{
	return (const struct brec *)(b->arena + (size_t)b->ix[i].off * 8);
}

/* The chunk, sorted, as one run without its later duplicates. */
static int spill(vigil__bulk *b)
{
	const struct brec *prev = NULL;
	size_t i;
	int rc;

	sort_chunk(b);
	if ((rc = run_begin(b)))
		return rc;
	for (i = 0; i < b->n; i++) {
		const struct brec *r = slot_rec(b, i);
		if (prev && !cmp_key(prev, r))
			continue;
		if ((rc = wput(b, r)))
			return rc;
		prev = r;
	}
	if ((rc = run_end(b)))
		return rc;
	b->n = 0;
	b->used = 0;
	b->mixed = 0;
	return VIGIL_OK;
}

int vigil__bulk_add(vigil__bulk *b, int64_t bank_id, const vigil__rec *r)
{
	size_t vlen = vigil_hash_type_size(r->type), rlen = strlen(r->source_ref),
	       mlen = strlen(r->metadata), need;
	struct brec *d;
	uint8_t pad[8] = {0};
	int rc;

	if (b->finished)
		return VIGIL_EINVAL;
	if (vlen > sizeof(d->value) || rlen > VIGIL_TEXT_MAX || mlen > VIGIL_META_MAX)
		return VIGIL_EINVAL;
	need = (sizeof(*d) + rlen + mlen + 7) & ~(size_t)7;
	if ((b->used + need > b->chunk || b->n == b->cap_ix) && (rc = spill(b)))
		return rc;
	d = (struct brec *)(b->arena + b->used);
	memset(d, 0, sizeof(*d));
	d->bank_id = bank_id;
	d->type = r->type;
	d->quality = r->quality;
	d->vlen = (uint16_t)vlen;
	d->rlen = (uint16_t)rlen;
	d->mlen = (uint16_t)mlen;
	memcpy(d->value, r->value, vlen);
	memcpy((char *)(d + 1), r->source_ref, rlen);
	memcpy((char *)(d + 1) + rlen, r->metadata, mlen);
	if (!b->n) {
		b->bank0 = bank_id;
		b->type0 = r->type;
	} else if (bank_id != b->bank0 || r->type != b->type0) {
		b->mixed = 1;
	}
	memcpy(pad, d->value, vlen < 8 ? vlen : 8);
	b->ix[b->n].pfx = (uint64_t)pad[0] << 56 | (uint64_t)pad[1] << 48 |
			  (uint64_t)pad[2] << 40 | (uint64_t)pad[3] << 32 |
			  (uint64_t)pad[4] << 24 | (uint64_t)pad[5] << 16 |
			  (uint64_t)pad[6] << 8 | (uint64_t)pad[7];
	b->ix[b->n].off = (uint32_t)(b->used / 8);
	b->n++;
	b->used += need;
	b->count++;
	return VIGIL_OK;
}

/* --------------------------------------------------------------- merging */

/* Makes the next row of r its cur, whole in its buffer (NULL at the end). */
static int rd_advance(struct reader *r)
{
	size_t need = sizeof(struct brec);
	int have_hdr = 0;

	if (r->cur)
		r->at += brec_size(r->cur);
	r->cur = NULL;
	for (;;) {
		if (r->len - r->at >= need) {
			if (have_hdr)
				break;
			need = brec_size((const struct brec *)(r->buf + r->at));
			have_hdr = 1;
			continue;
		}
		if (r->pos == r->end)
			return r->len == r->at ? VIGIL_OK : VIGIL_EIO; /* torn run */
		memmove(r->buf, r->buf + r->at, r->len - r->at);
		r->len -= r->at;
		r->at = 0;
		while (r->len < need && r->pos < r->end) {
			size_t want = BULK_RBUF - r->len;
			ssize_t k;
			if ((off_t)want > r->end - r->pos)
				want = (size_t)(r->end - r->pos);
			k = pread(r->fd, r->buf + r->len, want, r->pos);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return VIGIL_EIO;
			r->len += (size_t)k;
			r->pos += k;
		}
	}
	r->cur = (const struct brec *)(r->buf + r->at);
	return VIGIL_OK;
}

static int rd_less(const struct reader *a, const struct reader *b)
{
	int c = cmp_key(a->cur, b->cur);
	return c ? c < 0 : a->idx < b->idx;
}

static void sift_down(struct merger *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, s = i;
		struct reader *t;
		if (l < m->nheap && rd_less(m->heap[l], m->heap[s]))
			s = l;
		if (l + 1 < m->nheap && rd_less(m->heap[l + 1], m->heap[s]))
			s = l + 1;
		if (s == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

/* Readers for runs [lo, hi) of b, their first rows in a heap. */
static int merger_open(vigil__bulk *b, struct merger *m, size_t lo, size_t hi)
{
	size_t i, n = hi - lo;
	int rc;

	memset(m, 0, sizeof(*m));
	m->rd = vigil__calloc(n, sizeof(*m->rd));
	m->heap = vigil__calloc(n, sizeof(*m->heap));
	if (!m->rd || !m->heap)
		return VIGIL_ENOMEM;
	for (i = 0; i < n; i++) {
		struct reader *r = &m->rd[i];
		r->fd = b->fd;
		r->idx = (int)i;
		r->pos = b->runs[lo + i].start;
		r->end = b->runs[lo + i].end;
		r->buf = vigil__malloc(BULK_RBUF);
		if (!r->buf)
			return VIGIL_ENOMEM;
		if ((rc = rd_advance(r)))
			return rc;
		if (r->cur)
			m->heap[m->nheap++] = r;
	}
	for (i = m->nheap; i-- > 0;)
		sift_down(m, i);
	return VIGIL_OK;
}

static void merger_close(struct merger *m, size_t n)
{
	size_t i;

	if (m->rd)
		for (i = 0; i < n; i++)
			vigil__free(m->rd[i].buf);
	vigil__free(m->rd);
	vigil__free(m->heap);
	memset(m, 0, sizeof(*m));
}

/* The next row in key order, or NULL at the end; valid until the next call. */
static int merger_next(struct merger *m, const struct brec **out)
{
	int rc;

	*out = NULL;
	if (m->pend) {
		struct reader *r = m->pend;
		m->pend = NULL;
		if ((rc = rd_advance(r)))
			return rc;
		if (!r->cur)
			m->heap[0] = m->heap[--m->nheap];
		if (m->nheap)
			sift_down(m, 0);
	}
	if (!m->nheap)
		return VIGIL_OK;
	m->pend = m->heap[0];
	*out = m->pend->cur;
	return VIGIL_OK;
}

/* Merges runs [lo, hi) into one new run at the end of the file. */
static int merge_pass(vigil__bulk *b, size_t lo, size_t hi)
{
	struct merger m;
	struct brec last;
	const struct brec *r;
	int rc, have = 0;

	rc = merger_open(b, &m, lo, hi);
	if (!rc)
		rc = run_begin(b);
	while (!rc && !(rc = merger_next(&m, &r)) && r) {
		if (have && !cmp_key(&last, r))
			continue;
		last = *r;
		have = 1;
		rc = wput(b, r);
	}
	if (!rc)
		rc = run_end(b);
	merger_close(&m, hi - lo);
	return rc;
}

int vigil__bulk_finish(vigil__bulk *b)
{
	int rc;

	if (b->finished)
		return VIGIL_OK;
	if (!b->nruns) {
		sort_chunk(b);
		b->finished = 1;
		return VIGIL_OK;
	}
	if (b->n && (rc = spill(b)))
		return rc;
	/* The chunk is not needed any more: give its memory back. */
	vigil__free(b->arena);
	vigil__free(b->ix);
	vigil__free(b->tmp);
	vigil__free(b->cnt);
	b->arena = NULL;
	b->ix = b->tmp = NULL;
	b->cnt = NULL;
	/* More runs than one merge takes: merge the oldest into one run at
	 * the end (still older than every run after them, so the run order
	 * still breaks ties). */
	while (b->nruns > b->fanin) {
		size_t rest = b->nruns - b->fanin;
		struct run merged;
		if ((rc = merge_pass(b, 0, b->fanin)))
			return rc;
		merged = b->runs[b->nruns - 1];
		memmove(b->runs + 1, b->runs + b->fanin, rest * sizeof(*b->runs));
		b->runs[0] = merged;
		b->nruns = rest + 1;
	}
	if ((rc = merger_open(b, &b->mg, 0, b->nruns)))
		return rc;
	b->finished = 1;
	return VIGIL_OK;
}

/* The next row for SQLite, NULL at the end. */
static int bulk_next(vigil__bulk *b, const struct brec **out)
{
	int rc;

	for (;;) {
		const struct brec *r;
		if (!b->nruns) {
			r = b->next < b->n ? slot_rec(b, b->next++) : NULL;
		} else if ((rc = merger_next(&b->mg, &r))) {
			return rc;
		}
		if (r && b->have_last && !cmp_key(&b->last, r))
			continue;
		if (r) {
			b->last = *r;
			b->have_last = 1;
		}
		*out = r;
		return VIGIL_OK;
	}
}

/* --------------------------------------------------------- virtual table */

typedef struct {
	sqlite3_vtab base;
	vigil__bulk **slot;
} bulk_vtab;

typedef struct {
	sqlite3_vtab_cursor base;
	vigil__bulk *b;
	const struct brec *cur;
	sqlite3_int64 rowid;
} bulk_cursor;

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	bulk_vtab *v;
	int rc;

	(void)argc;
	(void)argv;
	(void)err;
	rc = sqlite3_declare_vtab(db, "CREATE TABLE x(bank_id INTEGER, type INTEGER,"
				      " value BLOB, quality INTEGER, source_ref TEXT,"
				      " metadata TEXT)");
	if (rc != SQLITE_OK)
		return rc;
	v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	v->slot = aux;
	*out = &v->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = 1e9; /* one full scan, the only plan */
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	bulk_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)v;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int vt_step(bulk_cursor *c)
{
	int rc = bulk_next(c->b, &c->cur);

	if (!rc) {
		c->rowid++;
		return SQLITE_OK;
	}
	sqlite3_free(c->base.pVtab->zErrMsg);
	c->base.pVtab->zErrMsg = sqlite3_mprintf("bulk import: %s",
						 rc == VIGIL_ENOMEM ? "out of memory"
								    : strerror(errno));
	c->cur = NULL;
	return rc == VIGIL_ENOMEM ? SQLITE_NOMEM : SQLITE_IOERR;
}

static int vt_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxs, int argc,
		     sqlite3_value **argv)
{
	bulk_cursor *c = (bulk_cursor *)cur;
	vigil__bulk *b = *((bulk_vtab *)cur->pVtab)->slot;

	(void)idx;
	(void)idxs;
	(void)argc;
	(void)argv;
	c->b = NULL;
	c->cur = NULL;
	if (!b || !b->finished)
		return SQLITE_OK; /* nothing staged: no rows */
	if (b->reading) {
		/* the merge is consumed as it is read: one pass only */
		sqlite3_free(cur->pVtab->zErrMsg);
		cur->pVtab->zErrMsg = sqlite3_mprintf("vigil_bulk is read once");
		return SQLITE_MISUSE;
	}
	b->reading = 1;
	c->b = b;
	return vt_step(c);
}

static int vt_next(sqlite3_vtab_cursor *cur)
{
	return vt_step((bulk_cursor *)cur);
}

static int vt_eof(sqlite3_vtab_cursor *cur)
{
	return ((bulk_cursor *)cur)->cur == NULL;
}

static int vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	const struct brec *r = ((bulk_cursor *)cur)->cur;
	const char *text = (const char *)(r + 1);

	/* SQLITE_STATIC: the row stays put until the next xNext */
	switch (i) {
	case 0: sqlite3_result_int64(ctx, r->bank_id); break;
	case 1: sqlite3_result_int(ctx, r->type); break;
	case 2: sqlite3_result_blob(ctx, r->value, r->vlen, SQLITE_STATIC); break;
	case 3: sqlite3_result_int(ctx, r->quality); break;
	case 4: sqlite3_result_text(ctx, text, r->rlen, SQLITE_STATIC); break;
	default: sqlite3_result_text(ctx, text + r->rlen, r->mlen, SQLITE_STATIC);
	}
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = ((bulk_cursor *)cur)->rowid;
	return SQLITE_OK;
}

static const sqlite3_module bulk_module = {
	.iVersion = 0,
	.xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE, nothing stored */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

int vigil__bulk_register(sqlite3 *db, vigil__bulk **slot)
{
	return sqlite3_create_module(db, "vigil_bulk", &bulk_module, slot) == SQLITE_OK
		       ? VIGIL_OK : VIGIL_ESTORE;
}
