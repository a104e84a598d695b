/* cmd_user.c — `vigil user add`: people for the review page of vigil
 * serve. The store keeps only the password's Argon2id hash. */
#include "cli.h"
#include "vigil/server.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `vigil user add NAME --role reviewer|admin`: the password is the first
 * line of standard input (so it is never on a command line). */
int cmd_user(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *role = "reviewer";
	char dbbuf[4096], pw[1024], hash[crypto_pwhash_STRBYTES];
	unsigned roles;
	int c, rc = CLI_EXIT_FAIL;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	size_t n;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_ROLE: role = arg; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (cli_optind() + 2 != argc || strcmp(argv[cli_optind()], "add")) {
		cli_usage(stderr, cmd);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(role, "reviewer"))
		roles = (unsigned)vigil_server_roles_parse("review");
	else if (!strcmp(role, "admin"))
		roles = (unsigned)vigil_server_roles_parse("review,admin");
	else {
		fprintf(stderr, "vigil user: --role: reviewer or admin\n");
		return CLI_EXIT_USAGE;
	}
	if (!fgets(pw, sizeof(pw), stdin)) {
		fprintf(stderr, "vigil user add: the password is read from standard input\n");
		return CLI_EXIT_USAGE;
	}
	n = strlen(pw);
	while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
		pw[--n] = '\0';
	if (n < 12) {
		sodium_memzero(pw, sizeof(pw));
		fprintf(stderr, "vigil user add: a password has at least 12 characters\n");
		return CLI_EXIT_USAGE;
	}
	if (sodium_init() < 0 || vigil_ctx_new(&ctx) ||
	    crypto_pwhash_str(hash, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		fprintf(stderr, "vigil user: cannot hash the password\n");
		goto out;
	}
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st) ||
	    vigil_person_add(st, argv[cli_optind() + 1], roles, hash)) {
		fprintf(stderr, "vigil user add: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	{
		vigil_audit a;
		memset(&a, 0, sizeof(a));
		a.who = "cli";
		a.role = "admin";
		a.action = "user.add";
		a.object = argv[cli_optind() + 1];
		a.detail = !strcmp(role, "admin") ? "{\"role\":\"admin\"}"
						   : "{\"role\":\"reviewer\"}";
		vigil_audit_append(st, &a);
	}
	fprintf(stderr, "vigil user: added '%s' (%s)\n", argv[cli_optind() + 1], role);
	rc = CLI_EXIT_OK;
out:
	sodium_memzero(pw, sizeof(pw));
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
