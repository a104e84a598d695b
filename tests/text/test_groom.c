/* test_groom — the mechanics of the grooming risk scorer on scripted,
 * benign stand-in conversations, first with the stage lexicon, then (given
 * its path) with the shipped model data/groom-default.vgm (message model +
 * conversation model over the per-pair aggregates): stage-marker scripts
 * in en/de/nl/ar raise the alert by a stated message, hard negatives raise
 * none, 10,000 generated benign conversations raise at most one, scoring
 * is deterministic, the packed state round-trips and is small, and
 * load/save of the model gives the same bytes. */
#include "vigil.h"
#include "../test.h"

#include <unistd.h>

static vigil_ctx *ctx;
static vigil_folder *fo;
static vigil_groom *g;
static vigil_text_scanner *sc;

/* Scores msgs (NULL-terminated) by one author; returns the state. */
static vigil_groom_state run(const char *const *msgs, const char *lang, int *alerts)
{
	vigil_groom_state st;
	vigil_text_opts o = {lang};
	size_t i;

	memset(&st, 0, sizeof(st));
	*alerts = 0;
	for (i = 0; msgs[i]; i++) {
		vigil_groom_result r;
		if (vigil_groom_score(g, sc, ctx, &st, msgs[i], strlen(msgs[i]), &o, &r))
			break;
		*alerts += r.alert;
		CHECK(r.message >= 0 && r.message <= 1 && r.risk >= 0 && r.risk <= 1);
	}
	return st;
}

typedef struct script {
	const char *name, *lang;
	int by;                  /* the alert must be raised by this message */
	const char *msgs[12];
	int model_by;            /* ... and with the shipped model by this one */
} script;

/* Each risk script touches five stages, one a message from message 2 on;
 * the fourth distinct stage comes at message 5, so with k = 2 the alert
 * comes at message 6 at the latest. Filler lines are ordinary chat. */
static const script risky[] = {
	{"en", NULL, 6, {"hey nice game today", "how old are you?", "cool, which school do you go to",
		"are you alone right now", "this is our secret ok", "add me on the other app",
		"gg", NULL}, 7},
	{"en-obfuscated", NULL, 6, {"hey", "h0w 0ld 4re y0u", "wh1ch sch00l d0 y0u g0 t0",
		"are you ALONE", "our s.e.c.r.e.t", "add me on", "ok", NULL}, 7},
	{"de", NULL, 6, {"hallo, gutes spiel", "wie alt bist du?", "wo wohnst du",
		"bist du allein zu hause", "das ist unser Geheimnis", "schreib mir auf der anderen app",
		"ok", NULL}, 7},
	{"nl", NULL, 6, {"hoi, leuk potje", "hoe oud ben je?", "waar woon je",
		"ben je alleen thuis", "dit is ons geheimpje", "voeg me toe op die andere app",
		"ok", NULL}, 7},
	{"ar", "ar", 6, {"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7",
		"\xD9\x83\xD9\x80\xD9\x85 \xD8\xB9\xD9\x8F\xD9\x85\xD9\x92\xD8\xB1\xD9\x83\xD8\x9F", /* with tatweel, harakat */
		"\xD9\x88\xD9\x8A\xD9\x86 \xD8\xB3\xD8\xA7\xD9\x83\xD9\x86",
		"\xD8\xA3\xD9\x86\xD8\xAA \xD9\x84\xD9\x88\xD8\xAD\xD8\xAF\xD9\x83", /* alef with hamza */
		"\xD8\xB3\xD8\xB1 \xD8\xA8\xD9\x8A\xD9\x86\xD9\x86\xD8\xA7",
		"\xD9\x83\xD9\x84\xD9\x85\xD9\x86\xD9\x8A \xD8\xB9\xD9\x84\xD9\x89 \xD8\xA7\xD9\x84\xD8\xAA\xD8\xB7\xD8\xA8\xD9\x8A\xD9\x82",
		"\xD8\xB7\xD9\x8A\xD8\xA8", NULL}, 7},
};

/* Hard negatives: up to three stages, as a parent, a teacher or a friend
 * would touch them. */
static const script benign[] = {
	{"parent", NULL, 0, {"how old are you turning this year, sweetie?", "are you alone at home?",
		"let's meet at the mall at five", "love you", NULL}, 0},
	{"teacher", NULL, 0, {"welcome to the class", "which school do you go to before this one?",
		"how old are you all?", "homework is on page 12", NULL}, 0},
	{"dog", NULL, 0, {"how old is your dog", "where do you live now, still in town?",
		"nice, send me a photo of the dog", NULL}, 0},
	{"de-eltern", NULL, 0, {"wie alt bist du jetzt eigentlich", "wo wohnst du jetzt",
		"wollen wir uns treffen, mit den Kindern?", NULL}, 0},
	{"nl-oma", NULL, 0, {"hoe oud ben je nu lieverd", "ik geef je een cadeau voor je verjaardag",
		"zullen we afspreken bij ons thuis", NULL}, 0},
};

static const char *const filler[4][12] = {
	{"gg", "nice shot", "want to play again", "my team lost", "school was boring today",
	 "did you do the homework", "mom says dinner is ready", "that was so funny",
	 "see you tomorrow", "i got a new bike", "the shop was closed", "lol ok"},
	{"gutes spiel", "noch eine runde?", "die schule war langweilig", "hast du die hausaufgaben",
	 "essen ist fertig", "bis morgen", "ich habe ein neues fahrrad", "der laden war zu",
	 "haha ok", "wir haben verloren", "das war lustig", "gute nacht"},
	{"goed gespeeld", "nog een potje?", "school was saai", "heb je het huiswerk",
	 "het eten is klaar", "tot morgen", "ik heb een nieuwe fiets", "de winkel was dicht",
	 "haha oke", "we hebben verloren", "dat was grappig", "welterusten"},
	{"\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", "\xD9\x84\xD8\xB9\xD8\xA8\xD8\xA9 \xD8\xAD\xD9\x84\xD9\x88\xD8\xA9",
	 "\xD8\xB4\xD9\x83\xD8\xB1\xD8\xA7", "\xD8\xA7\xD9\x84\xD9\x85\xD8\xAF\xD8\xB1\xD8\xB3\xD8\xA9",
	 "\xD8\xA8\xD9\x83\xD8\xB1\xD8\xA9", "\xD9\x8A\xD9\x84\xD8\xA7", "shlonak 3adi", "7abibi",
	 "\xD9\x85\xD8\xB9 \xD8\xA7\xD9\x84\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85\xD8\xA9", "ok",
	 "\xD8\xAA\xD9\x85\xD8\xA7\xD9\x85", "\xD9\x87\xD9\x87\xD9\x87\xD9\x87"},
};

static const vigil_groom_model *model; /* NULL: the lexicon */

static void suite(void)
{
	size_t i, conv, benign_alerts = 0;
	int alerts;
	unsigned long long seed = 7;
	const char *what = model ? "model" : "lexicon";

	for (i = 0; i < sizeof(risky) / sizeof(risky[0]); i++) {
		vigil_groom_state st = run(risky[i].msgs, risky[i].lang, &alerts);
		int by = model ? risky[i].model_by : risky[i].by;
		printf("%s: risk script %-14s alert at message %u (stated: by %d), stages 0x%02x\n",
		       what, risky[i].name, st.alerted_at, by, st.stages);
		CHECKF(st.alerted_at > 0 && st.alerted_at <= (uint32_t)by, "%s %s: alert at %u",
		       what, risky[i].name, st.alerted_at);
		CHECKF(alerts == 1, "%s: %d alerts (once per pair)", risky[i].name, alerts);
		CHECK(st.first[VIGIL_STAGE_AGE] == 2);
		CHECK(st.count[VIGIL_STAGE_AGE] == 1 && st.count[VIGIL_STAGE_SECRECY] == 1);
	}
	for (i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		vigil_groom_state st = run(benign[i].msgs, NULL, &alerts);
		printf("%s: hard negative %-12s stages 0x%02x, alerts %d\n", what, benign[i].name,
		       st.stages, alerts);
		CHECKF(alerts == 0, "%s: %s raised an alert", what, benign[i].name);
		CHECKF(st.stages != 0, "%s touched no stage: not a hard negative", benign[i].name);
	}
	/* generated benign conversations */
	for (conv = 0; conv < 10000; conv++) {
		const char *msgs[32];
		int lang = (int)(test_rand(&seed) % 4), len = 5 + (int)(test_rand(&seed) % 25), k;
		for (k = 0; k < len; k++)
			msgs[k] = filler[lang][test_rand(&seed) % 12];
		msgs[len] = NULL;
		run(msgs, lang == 3 ? "ar" : NULL, &alerts);
		benign_alerts += alerts > 0;
	}
	printf("%s: generated benign conversations: 10000, alerts %zu\n", what, benign_alerts);
	CHECK(benign_alerts <= 1);
	/* deterministic: the same script gives the same state, byte for
	 * byte; the packed state round-trips */
	{
		vigil_groom_state a = run(risky[0].msgs, NULL, &alerts);
		vigil_groom_state b = run(risky[0].msgs, NULL, &alerts), c;
		uint8_t pa[VIGIL_GROOM_STATE_BYTES], pc[VIGIL_GROOM_STATE_BYTES];
		CHECK(!memcmp(&a, &b, sizeof(a)));
		vigil_groom_state_pack(&a, pa);
		CHECK(vigil_groom_state_unpack(pa, sizeof(pa), &c) == 0);
		CHECK(!memcmp(&a, &c, sizeof(a)));
		vigil_groom_state_pack(&c, pc);
		CHECK(!memcmp(pa, pc, sizeof(pa)));
		pa[0] = 2;
		CHECK(vigil_groom_state_unpack(pa, sizeof(pa), &c) == VIGIL_EFORMAT);
		CHECK(vigil_groom_state_unpack(pc, sizeof(pc) - 1, &c) == VIGIL_EFORMAT);
	}
}

int main(int argc, char **argv)
{
	vigil_groom_model *m = NULL;

	if (vigil_ctx_new(&ctx) || vigil_folder_new(ctx, &fo) || vigil_groom_new(ctx, fo, &g) ||
	    vigil_text_scanner_new(ctx, vigil_groom_lexicon(g), &sc)) {
		fprintf(stderr, "setup: %s\n", vigil_errmsg(ctx));
		return 1;
	}
	/* what a pair costs: in memory, and packed for a store row */
	CHECK(sizeof(vigil_groom_state) == 56 && VIGIL_GROOM_STATE_BYTES == 60);
	suite();
	if (argc > 1) {
		char tmp[] = "/tmp/test_groom_XXXXXX";
		int fd = mkstemp(tmp);
		uint8_t *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		CHECKF(vigil_groom_model_load(ctx, argv[1], &m) == 0, "load %s: %s", argv[1],
		       vigil_errmsg(ctx));
		if (!m || fd < 0)
			return test_done("text/groom");
		close(fd);
		CHECK(vigil_groom_model_has_conv(m));
		/* load then save: the same bytes */
		CHECK(vigil_groom_model_save(m, ctx, tmp) == 0);
		CHECK(vigil_read_file(ctx, argv[1], &a, &na) == 0 &&
		      vigil_read_file(ctx, tmp, &b, &nb) == 0 && na == nb && !memcmp(a, b, na));
		free(a);
		free(b);
		unlink(tmp);
		model = m;
		vigil_groom_set_model(g, m);
		suite();
	}
	CHECK(!strcmp(vigil_groom_stage_name(VIGIL_STAGE_PLATFORM), "platform"));
	CHECK(!strcmp(vigil_groom_feature_name(12), "recent_score"));
	vigil_text_scanner_free(sc);
	vigil_groom_free(g);
	vigil_groom_model_free(m);
	vigil_folder_free(fo);
	vigil_ctx_free(ctx);
	return test_done("text/groom");
}
