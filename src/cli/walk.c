/* walk.c — turning FILE|DIR arguments into a sorted list of files. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CLI_MAX_FILES 100000000 /* a ceiling on the list, not a target */
#define CLI_MAX_DEPTH 64

static int push(cli_files *f, const char *path)
{
	char *dup;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		char **p;
		if (cap > CLI_MAX_FILES) {
			cli_err("vigil: more than %d files\n", CLI_MAX_FILES);
			return -1;
		}
		p = realloc(f->paths, cap * sizeof(*p));
		if (!p)
			goto oom;
		f->paths = p;
		f->cap = cap;
	}
	dup = strdup(path);
	if (!dup)
		goto oom;
	f->paths[f->n++] = dup;
	return 0;
oom:
	cli_err("vigil: out of memory\n");
	return -1;
}

static const char *kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISLNK(m) ? "a symbolic link"
		: S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
		: S_ISSOCK(m) ? "a socket" : "not a regular file";
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(cli_files *f, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (depth > CLI_MAX_DEPTH) {
		cli_err("vigil: %s: directories nested too deep\n", dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		cli_err("vigil: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* hidden files and . / .. */
		if (n == cap) {
			char **p;
			cap = cap ? cap * 2 : 64;
			p = realloc(names, cap * sizeof(*p));
			if (!p) {
				rc = -1;
				break;
			}
			names = p;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		cli_err("vigil: out of memory\n");
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n && !rc; i++) {
		struct stat st;
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *p = malloc(len);
		if (!p) {
			rc = -1;
			break;
		}
		snprintf(p, len, "%s%s%s", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		if (lstat(p, &st) != 0)
			cli_err("vigil: %s: %s\n", p, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = walk(f, p, depth + 1) ? -1 : 0;
		else if (S_ISREG(st.st_mode))
			rc = push(f, p);
		else /* never followed or opened: a FIFO would block */
			cli_err("vigil: %s: skipped: %s%s\n", p,
				kind(st.st_mode),
				S_ISLNK(st.st_mode) ? " (not followed in a directory)" : "");
		free(p);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int cli_collect(cli_files *f, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return walk(f, path, 0);
	/* Files (and missing paths, reported when they are read). */
	return push(f, path);
}

void cli_files_free(cli_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	memset(f, 0, sizeof(*f));
}
