/* snapfile.c — checksummed, mappable section files (snapfile.h). */
#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "VIGILSNP"
#define SNAP_ENDIAN 0x01020304u /* reads 0x04030201 on the other byte order */
#define SNAP_BUF ((size_t)1 << 20)

/* The header, at offset 0 of page 0. */
struct snap_hdr {
	char magic[8];
	uint32_t version;     /* the caller's format version */
	uint32_t endian;      /* SNAP_ENDIAN as written */
	uint32_t hdr_size;    /* sizeof(struct snap_hdr): catches layout drift */
	uint32_t nsec;
	uint64_t file_size;
	int64_t seq;
	int64_t created;
	char identity[VIGIL__SNAP_IDMAX];
	vigil__snap_sec sec[VIGIL__SNAP_MAXSEC];
	uint32_t crc[4];      /* of the header with this field zero */
};

_Static_assert(sizeof(struct snap_hdr) <= VIGIL__SNAP_PAGE, "header fits page 0");

/* ---------------------------------------------------------- checksum */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc_sw(uint32_t c, const uint8_t *p, size_t n)
{
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

static void lanes_sw(const uint8_t *p, size_t blocks, uint32_t c[4])
{
	for (size_t i = 0; i < blocks; i++, p += 32)
		for (int k = 0; k < 4; k++)
			c[k] = crc_sw(c[k], p + 8 * k, 8);
}

#if defined(__x86_64__)
/* Four independent chains hide the instruction's 3-cycle latency. */
__attribute__((target("sse4.2"))) static void lanes_hw(const uint8_t *p,
						       size_t blocks, uint32_t c[4])
{
	uint64_t a = c[0], b = c[1], d = c[2], e = c[3], w[4];

	for (size_t i = 0; i < blocks; i++, p += 32) {
		memcpy(w, p, 32);
		a = __builtin_ia32_crc32di(a, w[0]);
		b = __builtin_ia32_crc32di(b, w[1]);
		d = __builtin_ia32_crc32di(d, w[2]);
		e = __builtin_ia32_crc32di(e, w[3]);
	}
	c[0] = (uint32_t)a;
	c[1] = (uint32_t)b;
	c[2] = (uint32_t)d;
	c[3] = (uint32_t)e;
}
#endif

typedef void (*lanes_fn)(const uint8_t *, size_t, uint32_t[4]);

static lanes_fn lanes_best = lanes_sw;
static pthread_once_t lanes_once = PTHREAD_ONCE_INIT;

static void lanes_pick(void)
{
	crc_init();
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2"))
		lanes_best = lanes_hw;
#endif
}

/* The fastest lanes this CPU runs (the table made once, for any thread). */
static lanes_fn lanes(void)
{
	pthread_once(&lanes_once, lanes_pick);
	return lanes_best;
}

/* Running state: the lanes plus up to 31 bytes not yet in a block. */
struct crc_run {
	uint32_t c[4];
	uint8_t part[32];
	size_t npart;
};

static void run_init(struct crc_run *r)
{
	memset(r, 0, sizeof(*r));
	for (int k = 0; k < 4; k++)
		r->c[k] = 0xffffffffu;
}

static void run_put(struct crc_run *r, const uint8_t *p, size_t n)
{
	lanes_fn f = lanes();

	if (r->npart) {
		size_t t = 32 - r->npart < n ? 32 - r->npart : n;
		memcpy(r->part + r->npart, p, t);
		r->npart += t;
		p += t;
		n -= t;
		if (r->npart < 32)
			return;
		f(r->part, 1, r->c);
		r->npart = 0;
	}
	f(p, n / 32, r->c);
	p += n / 32 * 32;
	n %= 32;
	memcpy(r->part, p, n);
	r->npart = n;
}

/* The tail goes to lane 0, then its length to every lane, so "abc" and
 * "abc\0" differ. */
static void run_end(struct crc_run *r, uint32_t out[4])
{
	uint8_t len = (uint8_t)r->npart;

	r->c[0] = crc_sw(r->c[0], r->part, r->npart);
	for (int k = 0; k < 4; k++)
		out[k] = ~crc_sw(r->c[k], &len, 1);
}

void vigil__snap_crc(const void *p, size_t n, uint32_t crc[4])
{
	struct crc_run r;

	lanes();
	run_init(&r);
	run_put(&r, p, n);
	run_end(&r, crc);
}

/* ------------------------------------------------------------ writer */

struct vigil__snapw {
	vigil_ctx *ctx;
	char *path, *tmp;
	int fd;
	int open_sec;          /* a section is being written */
	uint64_t off;          /* bytes of the file so far */
	struct crc_run crc;
	struct snap_hdr h;
	uint8_t *buf;
	size_t nbuf;
};

static int w_flush(vigil__snapw *w)
{
	size_t done = 0;

	while (done < w->nbuf) {
		ssize_t k = write(w->fd, w->buf + done, w->nbuf - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return vigil__err(w->ctx, VIGIL_EIO, "%s: write: %s", w->tmp,
					  strerror(k < 0 ? errno : EIO));
		done += (size_t)k;
	}
	w->nbuf = 0;
	return VIGIL_OK;
}

/* Bytes into the file: through the buffer, or straight from p when they
 * are many (the index's arrays: no second copy). */
static int w_raw(vigil__snapw *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	if (n >= SNAP_BUF) {
		int rc = w_flush(w);
		size_t done = 0;
		if (rc)
			return rc;
		while (done < n) {
			ssize_t k = write(w->fd, b + done, n - done);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return vigil__err(w->ctx, VIGIL_EIO, "%s: write: %s",
						  w->tmp, strerror(k < 0 ? errno : EIO));
			done += (size_t)k;
		}
	} else {
		while (n) {
			size_t t = SNAP_BUF - w->nbuf < n ? SNAP_BUF - w->nbuf : n;
			memcpy(w->buf + w->nbuf, b, t);
			w->nbuf += t;
			b += t;
			n -= t;
			if (w->nbuf == SNAP_BUF) {
				int rc = w_flush(w);
				if (rc)
					return rc;
			}
		}
	}
	return VIGIL_OK;
}

static int w_pad(vigil__snapw *w)
{
	static const uint8_t zero[256];
	size_t pad = (size_t)(-w->off & (VIGIL__SNAP_PAGE - 1));

	w->off += pad;
	while (pad) {
		size_t t = pad < sizeof(zero) ? pad : sizeof(zero);
		int rc = w_raw(w, zero, t);
		if (rc)
			return rc;
		pad -= t;
	}
	return VIGIL_OK;
}

int vigil__snapw_open(vigil_ctx *ctx, const char *path, uint32_t version,
		      vigil__snapw **out)
{
	vigil__snapw *w;
	size_t n;

	*out = NULL;
	w = vigil__calloc(1, sizeof(*w));
	if (!w)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	w->ctx = ctx;
	w->fd = -1;
	w->h.version = version;
	n = strlen(path) + 32;
	w->path = vigil__malloc(n);
	w->tmp = vigil__malloc(n);
	w->buf = vigil__malloc(SNAP_BUF);
	if (!w->path || !w->tmp || !w->buf) {
		vigil__snapw_abort(w);
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	}
	snprintf(w->path, n, "%s", path);
	snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		int e = errno;
		vigil__free(w->tmp);
		w->tmp = NULL; /* nothing to remove */
		vigil__snapw_abort(w);
		return vigil__err(ctx, VIGIL_EIO, "%s.tmp: %s", path, strerror(e));
	}
	/* page 0 is the header, written last */
	memset(w->buf, 0, VIGIL__SNAP_PAGE);
	w->nbuf = VIGIL__SNAP_PAGE;
	w->off = VIGIL__SNAP_PAGE;
	lanes();
	*out = w;
	return VIGIL_OK;
}

static void w_end_sec(vigil__snapw *w)
{
	vigil__snap_sec *s = &w->h.sec[w->h.nsec - 1];

	s->length = w->off - s->offset;
	run_end(&w->crc, s->crc);
	w->open_sec = 0;
}

int vigil__snapw_begin(vigil__snapw *w, uint32_t kind)
{
	int rc;

	if (w->open_sec)
		w_end_sec(w);
	if (w->h.nsec == VIGIL__SNAP_MAXSEC)
		return vigil__err(w->ctx, VIGIL_EINTERNAL, "snapshot: too many sections");
	rc = w_pad(w);
	if (rc)
		return rc;
	w->h.sec[w->h.nsec].kind = kind;
	w->h.sec[w->h.nsec].offset = w->off;
	w->h.nsec++;
	w->open_sec = 1;
	run_init(&w->crc);
	return VIGIL_OK;
}

int vigil__snapw_put(vigil__snapw *w, const void *p, size_t n)
{
	if (!w->open_sec)
		return vigil__err(w->ctx, VIGIL_EINTERNAL, "snapshot: put outside a section");
	if (!n)
		return VIGIL_OK;
	run_put(&w->crc, p, n);
	w->off += n;
	return w_raw(w, p, n);
}

void vigil__snapw_abort(vigil__snapw *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	vigil__free(w->path);
	vigil__free(w->tmp);
	vigil__free(w->buf);
	vigil__free(w);
}

int vigil__snapw_commit(vigil__snapw *w, const vigil__snap_tag *tag)
{
	struct snap_hdr *h = &w->h;
	int rc;

	if (w->open_sec)
		w_end_sec(w);
	rc = w_pad(w);
	if (!rc)
		rc = w_flush(w);
	if (rc)
		goto fail;
	memcpy(h->magic, SNAP_MAGIC, 8);
	h->endian = SNAP_ENDIAN;
	h->hdr_size = sizeof(*h);
	h->file_size = w->off;
	h->seq = tag->seq;
	h->created = tag->created;
	snprintf(h->identity, sizeof(h->identity), "%s", tag->identity);
	memset(h->crc, 0, sizeof(h->crc));
	vigil__snap_crc(h, sizeof(*h), h->crc);
	if (pwrite(w->fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h)) {
		rc = vigil__err(w->ctx, VIGIL_EIO, "%s: write: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (fsync(w->fd)) {
		rc = vigil__err(w->ctx, VIGIL_EIO, "%s: fsync: %s", w->tmp, strerror(errno));
		goto fail;
	}
	close(w->fd);
	w->fd = -1;
	if (rename(w->tmp, w->path)) {
		rc = vigil__err(w->ctx, VIGIL_EIO, "%s: rename: %s", w->path, strerror(errno));
		goto fail;
	}
	vigil__free(w->tmp);
	w->tmp = NULL; /* in place now: not to be removed */
	rc = vigil__fsync_dir(w->ctx, w->path);
fail:
	vigil__snapw_abort(w);
	return rc;
}

/* ------------------------------------------------------------ reader */

__attribute__((format(printf, 3, 4))) static int
bad(vigil_ctx *ctx, const char *path, const char *fmt, ...)
{
	char buf[VIGIL__ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vigil__err(ctx, VIGIL_EFORMAT, "%s: %s", path, buf);
}

int vigil__snapr_open(vigil_ctx *ctx, const char *path, uint32_t version,
		      vigil__snapr *r)
{
	struct snap_hdr h;
	struct stat sb;
	uint32_t crc[4], want[4];
	void *map;
	int fd, rc;

	memset(r, 0, sizeof(*r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? vigil__err(ctx, VIGIL_ENOENT, "%s: no snapshot", path)
				       : vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return bad(ctx, path, "not a regular file");
	}
	if ((uint64_t)sb.st_size < VIGIL__SNAP_PAGE) {
		close(fd);
		return bad(ctx, path, "truncated (%lld bytes)", (long long)sb.st_size);
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		return bad(ctx, path, "unreadable header");
	}
	if (memcmp(h.magic, SNAP_MAGIC, 8)) {
		close(fd);
		return bad(ctx, path, "not a vigil snapshot");
	}
	if (h.endian != SNAP_ENDIAN) {
		close(fd);
		return bad(ctx, path, "written on a machine of the other byte order");
	}
	if (h.hdr_size != sizeof(h) || h.version != version) {
		close(fd);
		return bad(ctx, path, "format version %u (this vigil reads %u)", h.version,
			   version);
	}
	memcpy(want, h.crc, sizeof(want));
	memset(h.crc, 0, sizeof(h.crc));
	vigil__snap_crc(&h, sizeof(h), crc);
	if (memcmp(crc, want, sizeof(crc))) {
		close(fd);
		return bad(ctx, path, "header checksum mismatch");
	}
	if (h.file_size != (uint64_t)sb.st_size || h.nsec > VIGIL__SNAP_MAXSEC) {
		close(fd);
		return bad(ctx, path, "truncated or extended (%lld bytes, header says %llu)",
			   (long long)sb.st_size, (unsigned long long)h.file_size);
	}
	/* MAP_POPULATE: the checksums read every page at once anyway, and
	 * one call faults them in far faster than page by page. Read-only
	 * while it populates: a writable private mapping would be populated
	 * by copying every page; made writable after, a page is copied only
	 * when the index writes to it (a tombstone, a rebuild). */
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return vigil__err(ctx, VIGIL_EIO, "%s: mmap: %s", path, strerror(errno));
	if (mprotect(map, (size_t)sb.st_size, PROT_READ | PROT_WRITE)) {
		munmap(map, (size_t)sb.st_size);
		return vigil__err(ctx, VIGIL_EIO, "%s: mprotect: %s", path, strerror(errno));
	}
	r->map = map;
	r->len = (size_t)sb.st_size;
	r->nsec = h.nsec;
	r->sec = ((const struct snap_hdr *)map)->sec;
	r->tag.seq = h.seq;
	r->tag.created = h.created;
	memcpy(r->tag.identity, h.identity, sizeof(h.identity));
	r->tag.identity[VIGIL__SNAP_IDMAX - 1] = 0;
	rc = VIGIL_OK;
	for (uint32_t i = 0; i < h.nsec && !rc; i++) {
		const vigil__snap_sec *s = &h.sec[i];
		if (s->offset % VIGIL__SNAP_PAGE || s->offset < VIGIL__SNAP_PAGE ||
		    s->offset > r->len || s->length > r->len - s->offset) {
			rc = bad(ctx, path, "section %u out of bounds", i);
			break;
		}
		vigil__snap_crc((const uint8_t *)map + s->offset, (size_t)s->length, crc);
		if (memcmp(crc, s->crc, sizeof(crc)))
			rc = bad(ctx, path, "section %u (kind %u) checksum mismatch", i,
				 s->kind);
	}
	if (rc)
		vigil__snapr_close(r);
	return rc;
}

const void *vigil__snapr_get(const vigil__snapr *r, uint32_t kind, size_t *len)
{
	for (uint32_t i = 0; i < r->nsec; i++)
		if (r->sec[i].kind == kind) {
			*len = (size_t)r->sec[i].length;
			return (const uint8_t *)r->map + r->sec[i].offset;
		}
	*len = 0;
	return NULL;
}

void vigil__snapr_close(vigil__snapr *r)
{
	if (r->map)
		munmap(r->map, r->len);
	memset(r, 0, sizeof(*r));
}
