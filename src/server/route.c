/* route.c — matching a request path against the route tables' patterns.
 * Patterns are '/'-separated segments, each literal or "{name}" (one whole
 * non-empty segment), or a last "{name*}" that takes the rest of the path
 * (slashes included). */
#include "server_int.h"

#include <string.h>

#define MAX_SEGS 32

/* Splits s (starting with '/') into segments in place: '/' -> NUL. Returns
 * the number of segments, or -1 if s is not absolute or has too many. */
static int split(char *s, char **seg)
{
	int n = 0;

	if (*s != '/')
		return -1;
	while (*s == '/') {
		*s++ = 0;
		if (n == MAX_SEGS)
			return -1;
		seg[n++] = s;
		s += strcspn(s, "/");
	}
	return n;
}

int srv__route_match(const char *pattern, const char *spath, srv_params *p)
{
	char pbuf[256], *pseg[MAX_SEGS], *seg[MAX_SEGS], *path = p->buf;
	size_t plen = strlen(pattern), len = strlen(spath);
	int np, ns, i;

	p->n = 0;
	if (plen >= sizeof(pbuf) || len >= sizeof(p->buf))
		return 0;
	memcpy(pbuf, pattern, plen + 1);
	memcpy(path, spath, len + 1);
	np = split(pbuf, pseg);
	ns = split(path, seg);
	if (np < 0 || ns < 0)
		goto nomatch;
	for (i = 0; i < np; i++) {
		size_t l = strlen(pseg[i]);
		int param = l >= 2 && pseg[i][0] == '{' && pseg[i][l - 1] == '}';
		int rest = param && l >= 3 && pseg[i][l - 2] == '*';
		size_t nlen = l - 2 - (size_t)rest;

		if (i >= ns)
			goto nomatch;
		if (!param) {
			if (strcmp(pseg[i], seg[i]))
				goto nomatch;
			continue;
		}
		if (p->n >= SRV_MAX_PARAMS || nlen >= sizeof(p->name[0]) ||
		    (rest && i != np - 1) || !*seg[i])
			goto nomatch;
		memcpy(p->name[p->n], pseg[i] + 1, nlen);
		p->name[p->n][nlen] = 0;
		p->value[p->n++] = seg[i];
		if (rest) {
			/* Give the rest of the path its slashes back. */
			for (int j = i + 1; j < ns; j++)
				seg[j][-1] = '/';
			return 1;
		}
	}
	if (np != ns)
		goto nomatch;
	return 1;
nomatch:
	p->n = 0;
	return 0;
}

int srv__route_find(const srv_route *const *tables, const char *method,
		    const char *path, const srv_route **out, srv_params *p,
		    char *allow, size_t allowcap)
{
	int other = 0;
	size_t used = 0;

	*out = NULL;
	if (allowcap)
		allow[0] = 0;
	for (int t = 0; tables[t]; t++)
		for (const srv_route *r = tables[t]; r->method; r++) {
			if (!srv__route_match(r->pattern, path, p))
				continue;
			if (!strcmp(r->method, method) ||
			    (!strcmp(method, "HEAD") && !strcmp(r->method, "GET"))) {
				*out = r;
				return 0;
			}
			other = 1;
			if (allowcap && used + strlen(r->method) + 3 < allowcap &&
			    !strstr(allow, r->method)) {
				used += (size_t)snprintf(allow + used, allowcap - used,
							 "%s%s", used ? ", " : "",
							 r->method);
			}
		}
	return other ? 405 : 404;
}
