/* route_keys.c — API keys over the API (admin): list, create (the token is
 * in the 201 reply, once), revoke (effective at once in this process). */
#include "server_int.h"

#include <sodium.h>
#include <string.h>

static json_t *key_json(const vigil_key *k)
{
	char roles[64];

	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:b}", "name", k->name, "roles",
			 srv_roles_format(k->roles, roles, sizeof(roles)),
			 "rate_limit", (json_int_t)k->rate_limit, "created",
			 (json_int_t)k->created, "revoked", (json_int_t)k->revoked,
			 "last_used", (json_int_t)k->last_used, "active", !k->revoked);
}

static void list(srv_req *r)
{
	vigil_key *keys = NULL;
	size_t n = 0;
	json_t *a;
	int rc = vigil_key_list(srv_store(r), &keys, &n);

	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, key_json(&keys[i]));
	free(keys);
	srv_reply_json(r, 200, json_pack("{s:o}", "keys", a));
}

static void create(srv_req *r)
{
	json_t *j = srv_json(r, JSON_OBJECT), *jr;
	const char *name;
	char token[128], roles_s[64];
	uint8_t digest[32];
	json_int_t rate = 0;
	int roles = -1, rc;
	vigil_key k;

	if (!j)
		return;
	name = json_string_value(json_object_get(j, "name"));
	jr = json_object_get(j, "roles");
	if (json_is_string(jr))
		roles = srv_roles_parse(json_string_value(jr));
	else if (json_is_array(jr)) {
		size_t i;
		json_t *v;
		roles = 0;
		json_array_foreach(jr, i, v) {
			int one = json_is_string(v) ? srv_roles_parse(json_string_value(v)) : -1;
			if (one < 0) {
				roles = -1;
				break;
			}
			roles |= one;
		}
		if (!roles)
			roles = -1;
	}
	if (json_object_get(j, "rate_limit")) {
		if (!json_is_integer(json_object_get(j, "rate_limit")) ||
		    (rate = json_integer_value(json_object_get(j, "rate_limit"))) < 0) {
			srv_reply_error(r, 400, "invalid", "rate_limit: an integer >= 0");
			return;
		}
	}
	if (!name || roles < 0) {
		srv_reply_error(r, 400, "invalid",
				"expected {\"name\":NAME,\"roles\":[\"submit\",...]} "
				"(roles: submit, review, admin, metrics)");
		return;
	}
	srv_key_token(token, sizeof(token), digest);
	rc = vigil_key_add(srv_store(r), name, digest, (unsigned)roles, rate, &k);
	if (rc) {
		sodium_memzero(token, sizeof(token));
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv__keys_changed(srv_of(r));
	srv_audit(r, "key.create", name,
		  json_pack("{s:s,s:I}", "roles",
			    srv_roles_format((unsigned)roles, roles_s, sizeof(roles_s)),
			    "rate_limit", rate));
	jr = key_json(&k);
	json_object_set_new(jr, "token", json_string(token));
	sodium_memzero(token, sizeof(token));
	srv_reply_json(r, 201, jr);
}

static void revoke(srv_req *r)
{
	const char *name = srv_param(r, "name");
	int rc = vigil_key_revoke(srv_store(r), name);

	if (rc) {
		srv_reply_status(r, rc, srv_ctx(r));
		return;
	}
	srv__keys_revoked(srv_of(r), name);
	srv_audit(r, "key.revoke", name, NULL);
	srv_reply_json(r, 200, json_pack("{s:s,s:b}", "name", name, "revoked", 1));
}

const srv_route srv_routes_keys[] = {
	{"GET", "/v1/keys", SRV_ROLE_ADMIN, list, 0, "List API keys"},
	{"POST", "/v1/keys", SRV_ROLE_ADMIN, create, 0, "Create an API key"},
	{"DELETE", "/v1/keys/{name}", SRV_ROLE_ADMIN, revoke, 0, "Revoke an API key"},
	{0},
};
