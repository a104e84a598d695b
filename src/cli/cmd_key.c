/* cmd_key.c — `vigil key create|list|revoke`: API keys for vigil serve.
 * The token is printed once, on standard output, and never stored. */
#include "cli.h"
#include "vigil/server.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void audit(vigil_store *st, const char *action, const char *name,
		  const char *detail)
{
	vigil_audit a = {0};

	a.who = "cli";
	a.role = "admin";
	a.action = action;
	a.object = name;
	a.detail = detail;
	vigil_audit_append(st, &a);
}

int cmd_key(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *sub, *name = NULL, *fmt = "text";
	char dbbuf[4096], token[128], roles_s[64], c1[32], c2[32], c3[32];
	uint8_t digest[32];
	long rate = 0;
	int c, roles = -1, rc = CLI_EXIT_FAIL;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	vigil_key *keys = NULL;
	size_t n = 0;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_ROLE:
			roles = vigil_server_roles_parse(arg);
			if (roles < 0) {
				fprintf(stderr, "vigil key: --role: expected submit, review, "
						"admin, metrics, comma-separated\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case CLI_OPT_RATE_LIMIT:
			if (cli_parse_int(arg, 0, 10000000, &rate)) {
				fprintf(stderr, "vigil key: --rate-limit: expected 0..10000000\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'f': fmt = arg; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() >= argc) {
		cli_usage(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	sub = argv[cli_optind()];
	if (cli_optind() + 1 < argc)
		name = argv[cli_optind() + 1];
	if ((!strcmp(sub, "create") || !strcmp(sub, "revoke")) &&
	    (!name || cli_optind() + 2 < argc)) {
		fprintf(stderr, "vigil key %s: expected one NAME\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(sub, "create") && roles < 0) {
		fprintf(stderr, "vigil key create: --role ROLE[,ROLE] is required\n");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
		fprintf(stderr, "vigil key: unknown subcommand '%s'\n", sub);
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0 || vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil key: cannot start\n");
		goto out;
	}
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st)) {
		fprintf(stderr, "vigil key: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	if (!strcmp(sub, "create")) {
		char detail[128];
		if (vigil_server_key_token(token, sizeof(token), digest) ||
		    vigil_key_add(st, name, digest, (unsigned)roles, rate, NULL)) {
			fprintf(stderr, "vigil key create: %s\n", vigil_errmsg(ctx));
			sodium_memzero(token, sizeof(token));
			goto out;
		}
		snprintf(detail, sizeof(detail), "{\"roles\":\"%s\",\"rate_limit\":%ld}",
			 vigil_server_roles_format((unsigned)roles, roles_s, sizeof(roles_s)), rate);
		audit(st, "key.create", name, detail);
		printf("%s\n", token);
		fflush(stdout);
		sodium_memzero(token, sizeof(token));
		fprintf(stderr, "vigil key: created '%s' (%s); the token above is "
				"shown only now\n", name, roles_s);
	} else if (!strcmp(sub, "revoke")) {
		if (vigil_key_revoke(st, name)) {
			fprintf(stderr, "vigil key revoke: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		audit(st, "key.revoke", name, "");
	} else {
		if (vigil_key_list(st, &keys, &n)) {
			fprintf(stderr, "vigil key list: %s\n", vigil_errmsg(ctx));
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			vigil_server_roles_format(keys[i].roles, roles_s, sizeof(roles_s));
			cli_utc_time(c1, sizeof(c1), keys[i].created);
			cli_utc_time(c2, sizeof(c2), keys[i].revoked);
			cli_utc_time(c3, sizeof(c3), keys[i].last_used);
			if (!strcmp(fmt, "jsonl"))
				printf("{\"name\":\"%s\",\"roles\":\"%s\",\"rate_limit\":%lld,"
				       "\"created\":%lld,\"revoked\":%lld,\"last_used\":%lld}\n",
				       keys[i].name, roles_s, (long long)keys[i].rate_limit,
				       (long long)keys[i].created, (long long)keys[i].revoked,
				       (long long)keys[i].last_used);
			else
				printf("%-24s %-28s %s created %s revoked %s last used %s\n",
				       keys[i].name, roles_s,
				       keys[i].revoked ? "REVOKED" : "active ", c1, c2, c3);
		}
	}
	rc = CLI_EXIT_OK;
out:
	free(keys);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
