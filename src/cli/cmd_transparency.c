/* cmd_transparency.c — `vigil transparency --from DATE --to DATE
 * [--format json|csv]`: the per-day counts of vigil_transparency(). CSV is
 * long-form (date,metric,key,value) so that banks and verdicts need no
 * columns of their own. docs/transparency.md maps the metrics onto the EU
 * DSA transparency template. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void csv(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL), *d, *v;
	const char *k;
	size_t i;

	printf("date,metric,key,value\n");
	json_array_foreach(json_object_get(doc, "days"), i, d) {
		const char *date = json_string_value(json_object_get(d, "date"));
		json_object_foreach(d, k, v) {
			if (json_is_integer(v)) {
				printf("%s,%s,,%lld\n", date, k, (long long)json_integer_value(v));
			} else if (json_is_object(v)) {
				const char *k2;
				json_t *v2;
				json_object_foreach(v, k2, v2) {
					printf("%s,%s,", date, k);
					/* keys are bank names (safe characters) and fixed words;
					 * quoted anyway */
					putchar('"');
					for (const char *p = k2; *p; p++) {
						if (*p == '"')
							putchar('"');
						putchar(*p);
					}
					printf("\",%lld\n", (long long)json_integer_value(v2));
				}
			}
		}
	}
	json_decref(doc);
}

int cmd_transparency(const cli_cmd *cmd, int argc, char **argv)
{
	const char *arg, *db = NULL, *from = NULL, *to = NULL, *fmt = "json";
	char dbbuf[4096], *text = NULL;
	int c, rc = CLI_EXIT_FAIL;
	vigil_ctx *ctx = NULL;
	vigil_store *st = NULL;

	while ((c = cli_next_opt(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case 'h': cli_usage(stdout, cmd); return CLI_EXIT_OK;
		case CLI_OPT_DB: db = arg; break;
		case CLI_OPT_FROM: from = arg; break;
		case CLI_OPT_TO: to = arg; break;
		case 'f': fmt = arg; break;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!from || !to || (strcmp(fmt, "json") && strcmp(fmt, "csv")) || cli_optind() != argc) {
		fprintf(stderr, "vigil transparency: expected --from YYYY-MM-DD --to YYYY-MM-DD "
				"(not before --from) [--format json|csv]\n");
		return CLI_EXIT_USAGE;
	}
	if (vigil_ctx_new(&ctx)) {
		fprintf(stderr, "vigil transparency: cannot start\n");
		return CLI_EXIT_FAIL;
	}
	db = cli_db_path(db, dbbuf, sizeof(dbbuf));
	if (!db || vigil_store_open(ctx, db, &st)) {
		fprintf(stderr, "vigil transparency: %s\n", vigil_errmsg(ctx));
		goto out;
	}
	c = vigil_transparency_range(st, from, to, &text);
	if (c) {
		fprintf(stderr, "vigil transparency: %s\n", vigil_errmsg(ctx));
		rc = c == VIGIL_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
		goto out;
	}
	if (!strcmp(fmt, "csv"))
		csv(text);
	else
		printf("%s\n", text);
	rc = CLI_EXIT_OK;
out:
	free(text);
	vigil_store_close(st);
	vigil_ctx_free(ctx);
	return rc;
}
