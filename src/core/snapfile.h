/* snapfile.h — a file of checksummed sections that is mapped, not parsed
 * (index snapshots: src/match/snapshot.c). Format, written natively:
 *
 *   page 0   header: magic "VIGILSNP", format version, an endianness mark,
 *            the size of the file, the store's identity and change sequence
 *            number the content is current to, the section table
 *            {kind, offset, length, checksum} and the header's own checksum
 *   then     each section at a page-aligned offset, so a mapped section is
 *            an array usable in place
 *
 * Checksums are CRC-32C over four interleaved 8-byte lanes (128 bits; every
 * single-bit and every burst error up to 32 bits in a lane is detected),
 * with the SSE4.2 instruction where the CPU has it: a 1.5 GB snapshot is
 * checked at memory speed, where a cryptographic hash would take longer
 * than the rebuild it saves. They guard against corruption, not forgery:
 * whoever may write the snapshot may write the store.
 *
 * Writes go to PATH.tmp.PID, are fsync'd and renamed over PATH (then the
 * folder is fsync'd), so a reader sees the old file or the new one, never a
 * mix, and a file that is mapped is never truncated under its reader. */
#ifndef VIGIL_SNAPFILE_H
#define VIGIL_SNAPFILE_H

#include "core.h"

#include <stdint.h>

#define VIGIL__SNAP_PAGE 4096
#define VIGIL__SNAP_MAXSEC 96   /* sections in one file */
#define VIGIL__SNAP_IDMAX 64    /* store identity, NUL included */

typedef struct vigil__snap_sec {
	uint32_t kind;     /* the caller's tag */
	uint32_t pad;
	uint64_t offset;   /* from the start of the file, page-aligned */
	uint64_t length;   /* bytes */
	uint32_t crc[4];   /* of its bytes */
} vigil__snap_sec;

/* What a reader learns from the header (the mapping itself stays inside). */
typedef struct vigil__snap_tag {
	int64_t seq;                       /* change sequence number */
	char identity[VIGIL__SNAP_IDMAX];  /* the store it was made from */
	int64_t created;                   /* unix seconds */
} vigil__snap_tag;

typedef struct vigil__snapw vigil__snapw;

/* Starts a snapshot of format version for path (written to a temporary
 * beside it). */
int vigil__snapw_open(vigil_ctx *ctx, const char *path, uint32_t version,
		      vigil__snapw **out);
/* A new section of kind; then any number of puts make up its bytes. */
int vigil__snapw_begin(vigil__snapw *w, uint32_t kind);
int vigil__snapw_put(vigil__snapw *w, const void *p, size_t n);
/* Writes the header and puts the file in place (fsync, rename, fsync of
 * the folder); frees w whatever happens. */
int vigil__snapw_commit(vigil__snapw *w, const vigil__snap_tag *tag);
/* Drops an unfinished snapshot (its temporary removed); w freed. */
void vigil__snapw_abort(vigil__snapw *w);

/* A mapped, verified snapshot. */
typedef struct vigil__snapr {
	void *map;          /* the whole file, MAP_PRIVATE (writes stay in memory) */
	size_t len;
	vigil__snap_tag tag;
	uint32_t nsec;
	const vigil__snap_sec *sec; /* in the header */
} vigil__snapr;

/* Maps path and checks everything before anything is trusted: magic,
 * version, endianness, header checksum, file size, every section's bounds
 * and checksum. VIGIL_OK; VIGIL_ENOENT (no file); VIGIL_EFORMAT with the
 * reason on ctx (r left empty) for anything else. version: the format the
 * caller reads. */
int vigil__snapr_open(vigil_ctx *ctx, const char *path, uint32_t version,
		      vigil__snapr *r);
/* The first section of kind, or NULL; *len its length. */
const void *vigil__snapr_get(const vigil__snapr *r, uint32_t kind, size_t *len);
/* Unmaps (if the map was not handed over: set r->map NULL to keep it). */
void vigil__snapr_close(vigil__snapr *r);

/* The checksum on its own (tests and the benchmark). */
void vigil__snap_crc(const void *p, size_t n, uint32_t crc[4]);

#endif
