/* hashing.c — what `hash` and `match` compute for one file, and where the
 * store lives by default. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_hash_file(vigil_ctx *ctx, const char *path, unsigned algos,
		   int dihedral, const vigil_pdq_opts *popts, cli_hashes *r)
{
	if (!ctx) {
		r->rc = VIGIL_ENOMEM;
		snprintf(r->err, sizeof(r->err), "out of memory");
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

/* Creates dir and its parents (mode 0700: the store is sensitive). */
static void mkdirs(char *dir)
{
	char *s;

	for (s = dir + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(dir, 0700);
			*s = '/';
		}
	mkdir(dir, 0700);
}

const char *cli_db_path(const char *opt, char *buf, size_t cap)
{
	const char *env = getenv("VIGIL_DB"), *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	if (xdg && *xdg)
		snprintf(buf, cap, "%s/vigil", xdg);
	else
		snprintf(buf, cap, "%s/.local/share/vigil", home && *home ? home : ".");
	mkdirs(buf);
	if (strlen(buf) + sizeof("/vigil.db") > cap)
		return "vigil.db";
	strcat(buf, "/vigil.db");
	return buf;
}
