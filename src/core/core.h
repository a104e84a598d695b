/* core.h — internal helpers shared by every subsystem: the context, error
 * reporting and the allocator. Not installed; names are vigil__. */
#ifndef VIGIL_CORE_H
#define VIGIL_CORE_H

#include "vigil.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define VIGIL__ERRMSG_MAX 256

struct vigil_ctx {
	int64_t limits[VIGIL__LIMIT_END]; /* see vigil_limit */
	char errmsg[VIGIL__ERRMSG_MAX];   /* detail of the last failure */
};

/* Records a printf-style detail on ctx (if not NULL) and returns code, so
 * that detecting code can write `return vigil__err(ctx, VIGIL_EINVAL, ...)`. */
int vigil__err(vigil_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The library's allocator. Every allocation goes through these so that tests
 * can fail the Nth one (vigil__fault_after) and check that each entry point
 * returns VIGIL_ENOMEM cleanly. */
void *vigil__malloc(size_t n);
void *vigil__calloc(size_t n, size_t size);
void *vigil__realloc(void *p, size_t n);
void vigil__free(void *p);

/* Room for element n of a growable array of elem-byte elements holding
 * *cap: returns the array (reallocated, capacity doubled from a first 16,
 * when n == *cap), or NULL on overflow or out of memory, when the array is
 * left as it was. */
void *vigil__grow(void *array, size_t *cap, size_t n, size_t elem);

/* Fault injection for tests: after n more successful allocations, every
 * allocation fails; n < 0 turns it off. Returns the count of allocations
 * attempted since the last call. Not thread-safe; tests only. */
long vigil__fault_after(long n);

/* Writes s to f as a JSON string, quotes included: '"' and '\\' escaped,
 * control characters as \n, \t or \u00XX; other bytes as they are (UTF-8
 * passes through). */
void vigil__json_str(FILE *f, const char *s);
/* Opens path for reading if it is a regular file (or a symlink to one),
 * without ever blocking: a FIFO, device, socket or directory is refused
 * from stat() before open(), and the file opened (O_NONBLOCK, so that a FIFO
 * swapped in meanwhile cannot block) is checked again with fstat(). *fd is
 * the caller's to close; *size its size. ENOENT, EINVAL (not a regular file)
 * or EIO, reported on ctx as "PATH: reason". */
int vigil__open_regular(vigil_ctx *ctx, const char *path, int *fd,
			int64_t *size);
/* What kind of file a st_mode is, for messages: "a FIFO", "a directory"... */
const char *vigil__file_kind(unsigned mode);
/* fsync of the folder holding path (after a rename into it). */
int vigil__fsync_dir(vigil_ctx *ctx, const char *path);
/* Replaces path with data: PATH.tmp (0600), fsync, rename over path, fsync
 * of the folder; the file is the old content or the new, never torn. A
 * status, with the message in ctx. */
int vigil__write_file_atomic(vigil_ctx *ctx, const char *path, const uint8_t *data, size_t len);

/* Overflow-checked size arithmetic: returns 0 and sets *r, or returns -1. */
static inline int vigil__mul_size(size_t a, size_t b, size_t *r)
{
	if (a && b > (size_t)-1 / a)
		return -1;
	*r = a * b;
	return 0;
}

#endif
