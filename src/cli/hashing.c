/* hashing.c — what `hash` and `match` compute for one file, and where the
 * store lives by default. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_read_stdin(int64_t max, uint8_t **buf, size_t *len, char *err,
		   size_t errcap)
{
	uint8_t *b = NULL;
	size_t n = 0, cap = 0, got;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *p;
			if (ncap > (uint64_t)max + 1)
				ncap = (size_t)max + 1;
			if (ncap <= cap) {
				snprintf(err, errcap, "more than the limit of %lld bytes",
					 (long long)max);
				free(b);
				return -1;
			}
			p = realloc(b, ncap);
			if (!p) {
				snprintf(err, errcap, "out of memory");
				free(b);
				return -1;
			}
			b = p;
			cap = ncap;
		}
		got = fread(b + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		snprintf(err, errcap, "read error");
		free(b);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* `-`: standard input, read whole (a pipe cannot be sniffed and re-read). */
static void hash_stdin(vigil_ctx *ctx, unsigned algos, int dihedral,
		       const vigil_pdq_opts *popts, cli_hashes *r)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int a;

	if (cli_read_stdin(vigil_ctx_get_limit(ctx, VIGIL_LIMIT_MAX_BYTES), &data,
			   &len, r->err, sizeof(r->err))) {
		r->rc = VIGIL_EIO;
		return;
	}
	for (a = 0; a < 3 && !r->rc; a++)
		if (algos & (CLI_ALGO_MD5 << a))
			r->rc = vigil_digest(ctx, (vigil_digest_algo)a, data, len, r->dig[a]);
	if (!r->rc && (algos & CLI_ALGO_PDQ))
		r->rc = vigil_pdq_hash_memory(ctx, data, len, popts, &r->pdq[0],
					      dihedral ? r->pdq : NULL);
	if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s",
			 *vigil_errmsg(ctx) ? vigil_errmsg(ctx) : vigil_strerror(r->rc));
	free(data);
}

void cli_hash_file(vigil_ctx *ctx, const char *path, unsigned algos,
		   int dihedral, const vigil_pdq_opts *popts, cli_hashes *r)
{
	if (!ctx) {
		r->rc = VIGIL_ENOMEM;
		snprintf(r->err, sizeof(r->err), "out of memory");
		return;
	}
	if (!strcmp(path, "-")) {
		hash_stdin(ctx, algos, dihedral, popts, r);
		return;
	}
	/* One pass over the file: digests as it is read, PDQ decoded from it
	 * (CLI_ALGO_MD5 << a is bit a + 1; the library's mask is bit a). */
	r->rc = vigil_hash_file(ctx, path, (algos >> 1) & 7u, r->dig, popts,
				(algos & CLI_ALGO_PDQ) ? &r->pdq[0] : NULL,
				(algos & CLI_ALGO_PDQ) && dihedral ? r->pdq : NULL);
	if (r->rc)
		snprintf(r->err, sizeof(r->err), "%s",
			 *vigil_errmsg(ctx) ? vigil_errmsg(ctx) : vigil_strerror(r->rc));
}

int cli_frame_collect(void *user, const vigil_vpdq_frame *f)
{
	cli_frames *l = user;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		vigil_vpdq_frame *a = realloc(l->f, cap * sizeof(*a));
		if (!a) {
			l->nomem = 1;
			return 1;
		}
		l->f = a;
		l->cap = cap;
	}
	l->f[l->n++] = *f;
	return 0;
}

int cli_parse_algos(const char *s, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {
		{"pdq", CLI_ALGO_PDQ},       {"md5", CLI_ALGO_MD5}, {"sha1", CLI_ALGO_SHA1},
		{"sha256", CLI_ALGO_SHA256}, {"all", CLI_ALGO_ALL},
	};
	unsigned bits = 0;
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ","), i;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && !strncmp(p, names[i].name, n))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -1;
		bits |= names[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	*out = bits;
	return bits ? 0 : -1;
}

const char *cli_db_path(const char *opt, char *buf, size_t cap)
{
	if (opt && *opt)
		return opt;
	return vigil_store_default_path(buf, cap);
}
