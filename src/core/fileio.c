/* fileio.c — reading whole inputs under the byte limit, and hex helpers. */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int errno_status(int e)
{
	return (e == ENOENT || e == ENOTDIR) ? VIGIL_ENOENT : VIGIL_EIO;
}

const char *vigil__file_kind(unsigned mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return S_ISREG(mode) ? "a regular file" : "not a regular file";
}

const char *vigil_media_type(const uint8_t *d, size_t n)
{
	if (n >= 3 && d[0] == 0xff && d[1] == 0xd8)
		return "image/jpeg";
	if (n >= 8 && !memcmp(d, "\x89PNG", 4))
		return "image/png";
	if (n >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4))
		return "image/webp";
	if (n >= 6 && !memcmp(d, "GIF8", 4))
		return "image/gif";
	if (n >= 12 && !memcmp(d + 4, "ftyp", 4))
		return "video/mp4";
	if (n >= 4 && !memcmp(d, "\x1a\x45\xdf\xa3", 4))
		return "video/webm";
	return "application/octet-stream";
}

int vigil__open_regular(vigil_ctx *ctx, const char *path, int *fd,
			int64_t *size)
{
	struct stat st;
	int f, flags;

	*fd = -1;
	if (stat(path, &st) != 0)
		return vigil__err(ctx, errno_status(errno), "%s: %s", path,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return vigil__err(ctx, VIGIL_EINVAL, "%s: not a regular file (%s)",
				  path, vigil__file_kind(st.st_mode));
	f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (f < 0)
		return vigil__err(ctx, errno_status(errno), "%s: %s", path,
				  strerror(errno));
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = errno;
		close(f);
		if (S_ISREG(st.st_mode))
			return vigil__err(ctx, VIGIL_EIO, "%s: %s", path, strerror(e));
		return vigil__err(ctx, VIGIL_EINVAL, "%s: not a regular file (%s)",
				  path, vigil__file_kind(st.st_mode));
	}
	/* Regular files ignore O_NONBLOCK; cleared all the same so that the
	 * descriptor behaves as a plain one wherever it is passed. */
	flags = fcntl(f, F_GETFL);
	if (flags >= 0)
		fcntl(f, F_SETFL, flags & ~O_NONBLOCK);
	*fd = f;
	*size = (int64_t)st.st_size;
	return VIGIL_OK;
}

int vigil_read_file(vigil_ctx *ctx, const char *path, uint8_t **data,
		    size_t *len)
{
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd = -1, rc = VIGIL_OK;
	int64_t max, size;

	if (!path || !data || !len)
		return vigil__err(ctx, VIGIL_EINVAL, "read_file: NULL argument");
	*data = NULL;
	*len = 0;
	max = ctx ? ctx->limits[VIGIL_LIMIT_MAX_BYTES] : VIGIL_DEFAULT_MAX_BYTES;
	rc = vigil__open_regular(ctx, path, &fd, &size);
	if (rc)
		return rc;
	if (size > max) {
		rc = vigil__err(ctx, VIGIL_ETOOBIG,
				"%s: %lld bytes exceeds the limit of %lld", path,
				(long long)size, (long long)max);
		goto out;
	}
	buf = vigil__malloc((size_t)size + 1);
	if (!buf) {
		rc = vigil__err(ctx, VIGIL_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)size) {
		ssize_t n = read(fd, buf + got, (size_t)size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vigil__err(ctx, VIGIL_EIO, "%s: %s", path,
					strerror(errno));
			goto out;
		}
		if (n == 0)
			break; /* file shrank while reading: hash what is there */
		got += (size_t)n;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	vigil__free(buf);
	close(fd);
	return rc;
}

void vigil_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

int vigil_unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	if (!hex || !out || strlen(hex) != 2 * n)
		return VIGIL_EINVAL;
	for (i = 0; i < 2 * n; i++) {
		char c = hex[i];
		int v = c >= '0' && c <= '9' ? c - '0'
			: (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
								 : -1;
		if (v < 0)
			return VIGIL_EINVAL;
		if (i & 1)
			out[i / 2] = (uint8_t)(out[i / 2] << 4 | v);
		else
			out[i / 2] = (uint8_t)v;
	}
	return VIGIL_OK;
}

int vigil__fsync_dir(vigil_ctx *ctx, const char *path)
{
	size_t n = strlen(path) + 1;
	char *copy = vigil__malloc(n);
	int fd, rc = VIGIL_OK;

	if (!copy)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	memcpy(copy, path, n);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		rc = vigil__err(ctx, VIGIL_EIO, "%s: fsync of its folder: %s", path,
				strerror(errno));
	if (fd >= 0)
		close(fd);
	vigil__free(copy);
	return rc;
}

int vigil__write_file_atomic(vigil_ctx *ctx, const char *path, const uint8_t *data, size_t len)
{
	size_t n = strlen(path) + 8, off = 0;
	char *tmp = vigil__malloc(n);
	int fd, e;

	if (!tmp)
		return vigil__err(ctx, VIGIL_ENOMEM, "out of memory");
	snprintf(tmp, n, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		vigil__free(tmp);
		return vigil__err(ctx, VIGIL_EIO, "%s.tmp: %s", path, strerror(e));
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < len || fsync(fd)) {
		e = errno;
		close(fd);
		unlink(tmp);
		vigil__free(tmp);
		return vigil__err(ctx, VIGIL_EIO, "%s.tmp: %s", path, strerror(e));
	}
	close(fd);
	if (rename(tmp, path)) {
		e = errno;
		unlink(tmp);
		vigil__free(tmp);
		return vigil__err(ctx, VIGIL_EIO, "%s: rename: %s", path, strerror(e));
	}
	vigil__free(tmp);
	return vigil__fsync_dir(ctx, path);
}
