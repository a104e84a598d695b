/* cmd_pm_server.c — `vigil pm-server --role custodian|platform`: the options;
 * the server itself is vigil_pm_f2_server_run (src/pm/f2server.c). */
#include "cli.h"

#include <stdio.h>
#include <string.h>

int cmd_pm_server(const cli_cmd *cmd, int argc, char **argv)
{
	const char *role = NULL, *listen_spec = "127.0.0.1:7431", *peer_spec = NULL,
		   *hashes = NULL, *seed_file = NULL, *state = NULL, *master = NULL, *bank = NULL,
		   *db = NULL, *arg;
	long k = 3, T = 31, stash = 64, prio = 90;
	int ack = 0, c;
	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_ROLE: role = arg; break;
		case CLI_OPT_LISTEN: listen_spec = arg; break;
		case CLI_OPT_PEER: peer_spec = arg; break;
		case CLI_OPT_HASHES: hashes = arg; break;
		case CLI_OPT_SEED_FILE: seed_file = arg; break;
		case CLI_OPT_PM_ACK: ack = 1; break;
		case CLI_OPT_PM_STATE: state = arg; break;
		case CLI_OPT_BANK: bank = arg; break;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_MASTER_KEY: master = arg; break;
		case CLI_OPT_THRESHOLD:
			if (cli_parse_int(arg, 1, 255, &k))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_RADIUS:
			if (cli_parse_int(arg, 0, 255, &T))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_PM_CASE_PRIORITY:
			if (cli_parse_int(arg, 0, 1000, &prio))
				return CLI_EXIT_USAGE;
			break;
		case CLI_OPT_STASH:
			if (cli_parse_int(arg, 0, 4096, &stash))
				return CLI_EXIT_USAGE;
			break;
		default: return CLI_EXIT_USAGE;
		}
	}
	int party = role && !strcmp(role, "custodian") ? 0 : role && !strcmp(role, "platform") ? 1 : -1;
	if (party < 0 || !hashes == !bank || !seed_file || (party == 0 && !peer_spec)) {
		fprintf(stderr, "vigil pm-server: need --role custodian|platform, --hashes FILE or "
				"--bank NAME, --seed-file FILE (and --peer for the custodian); see "
				"vigil help pm-server\n");
		return CLI_EXIT_USAGE;
	}
	if (state && !master) {
		fprintf(stderr, "vigil pm-server: --state needs --master-key FILE (the state holds "
				"shares and, at the platform, opened evidence: it is sealed)\n");
		return CLI_EXIT_USAGE;
	}
	/* At the platform --db is the review store: opened evidence becomes a
	 * case there, sealed, so the master key is needed. */
	if (party == 1 && db && !master) {
		fprintf(stderr, "vigil pm-server: the platform with --db opens review cases with the "
				"opened evidence sealed: it needs --master-key FILE\n");
		return CLI_EXIT_USAGE;
	}
	if (!ack || vigil_pm_enable(VIGIL_PM_ACK)) {
		fprintf(stderr, "vigil pm-server: private matching is research grade and off by "
				"default; read docs/private-matching.md, then pass --i-understand-research-grade\n");
		return CLI_EXIT_USAGE;
	}
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;
	char dbbuf[4096];
	if ((bank || (party == 1 && db)) && (vigil_ctx_new(&ctx) ||
		     vigil_store_open(ctx, cli_db_path(db, dbbuf, sizeof(dbbuf)), &st))) {
		fprintf(stderr, "vigil pm-server: the store: %s\n",
			ctx ? vigil_errmsg(ctx) : "out of memory");
		vigil_ctx_free(ctx);
		return CLI_EXIT_FAIL;
	}
	vigil_pm_f2_server_opts o = {.party = party, .listen = listen_spec, .peer = peer_spec,
				     .hashes = hashes, .seed_file = seed_file, .k = (unsigned)k,
				     .T = (unsigned)T, .stash = (unsigned)stash, .state = state,
				     .master_key_file = master, .store = st, .bank = bank,
				     .cases = party == 1 && db ? st : NULL, .case_priority = (int)prio};
	int rc = vigil_pm_f2_server_run(&o);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc == VIGIL_OK ? CLI_EXIT_OK : rc == VIGIL_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}
