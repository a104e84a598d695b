/* keys.c — API keys: the in-memory cache, the Bearer check and the
 * per-key rate limit. (Step 1: no key store yet, so every keyed route is
 * refused with 401; step 2 adds the api_keys table.) */
#include "server_int.h"

#include <string.h>

int srv__keys_open(srv *s, char *err, size_t errcap)
{
	(void)s;
	(void)err;
	(void)errcap;
	return 0;
}

void srv__keys_close(srv *s) { (void)s; }

int srv__auth(srv *s, const char *authorization, unsigned roles, char *name,
	      size_t namecap, unsigned *key_roles, int *retry_after)
{
	(void)s;
	(void)authorization;
	(void)roles;
	(void)retry_after;
	if (namecap)
		name[0] = 0;
	*key_roles = 0;
	return 401;
}

static const char *const role_names[] = {"submit", "review", "admin", "metrics"};

int srv_roles_parse(const char *s)
{
	unsigned mask = 0;

	while (*s) {
		size_t n = strcspn(s, ",");
		int found = 0;
		for (int i = 0; i < 4; i++)
			if (strlen(role_names[i]) == n && !strncmp(s, role_names[i], n)) {
				mask |= 1u << i;
				found = 1;
			}
		if (!found)
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return mask ? (int)mask : -1;
}

const char *srv_roles_format(unsigned roles, char *buf, size_t cap)
{
	size_t used = 0;

	if (cap)
		buf[0] = 0;
	for (int i = 0; i < 4; i++)
		if (roles & (1u << i) && used < cap)
			used += (size_t)snprintf(buf + used, cap - used, "%s%s",
						 used ? "," : "", role_names[i]);
	return buf;
}
