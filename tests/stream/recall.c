/* recall.c — which appearances of a known image a decode mode catches.
 *
 *   recall VIDEO MODE INTERVAL DIHEDRAL HEX SHOWN ONSET...
 *
 * Hashes VIDEO as the live monitor samples it (vigil_vpdq_hash_file with
 * the monitor's decode MODE: all, nonref or keyframes; one sample every
 * INTERVAL seconds; DIHEDRAL 1 matches rotated and mirrored samples too)
 * and compares every sample of quality >= 50 with HEX (the known image's
 * PDQ) within the default radius, as the monitor does. The image is shown
 * for SHOWN seconds from each ONSET (seconds). Prints one line per onset
 * ("onset 3.300 caught 3.320": the first catch, source time) or
 * "onset 3.300 missed"), then a summary:
 * "caught K/N decoded D samples S false F" (F: matching samples outside
 * every window, which must be 0). Exit 0, or 2 on a usage or decode error.
 * The decode path is the monitor's own (a file instead of a URL; the same
 * packets reach the decoder). */
#include <vigil.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECALL_MAX_ONSETS 64

typedef struct recall {
	vigil_pdq want;
	double shown;
	double onset[RECALL_MAX_ONSETS];
	double caught[RECALL_MAX_ONSETS]; /* first catch, or -1 */
	int n;
	long samples, falses, last_frame;
	double zero;      /* the first sample's time: the encoder's delay */
} recall;

static int near(const recall *r, const vigil_vpdq_frame *f)
{
	int k, lim = f->dihedral ? 8 : 1;

	for (k = 0; k < lim; k++) {
		const vigil_pdq *h = f->dihedral ? &f->dihedral[k] : &f->hash;
		if (vigil_pdq_distance(h, &r->want) <= VIGIL_DEFAULT_RADIUS)
			return 1;
	}
	return 0;
}

static int on_frame(void *user, const vigil_vpdq_frame *f)
{
	recall *r = user;
	int i, inside = 0;
	double t;

	/* The first frame of the source is at 0 s; its timestamp in the
	 * container is a little later (x264's B-frame delay): every onset
	 * is shifted by it. */
	if (!r->samples)
		r->zero = f->frame == 0 ? f->seconds : 0;
	t = f->seconds - r->zero;
	r->samples++;
	r->last_frame = f->frame;
	if (f->quality < 50 || !near(r, f))
		return 0;
	for (i = 0; i < r->n; i++)
		if (t >= r->onset[i] - 0.001 && t < r->onset[i] + r->shown + 0.001) {
			inside = 1;
			if (r->caught[i] < 0)
				r->caught[i] = t;
		}
	if (!inside)
		r->falses++;
	return 0;
}

int main(int argc, char **argv)
{
	vigil_ctx *ctx = NULL;
	vigil_video_opts o;
	recall r;
	int i, got = 0, rc;

	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	if (argc < 8 || argc - 7 > RECALL_MAX_ONSETS) {
		fprintf(stderr, "usage: recall VIDEO all|nonref|keyframes INTERVAL "
				"DIHEDRAL HEX SHOWN ONSET...\n");
		return 2;
	}
	if (!strcmp(argv[2], "all"))
		o.decode = VIGIL_DECODE_ALL;
	else if (!strcmp(argv[2], "nonref"))
		o.decode = VIGIL_DECODE_NONREF;
	else if (!strcmp(argv[2], "keyframes"))
		o.decode = VIGIL_DECODE_KEYFRAMES;
	else {
		fprintf(stderr, "recall: unknown mode %s\n", argv[2]);
		return 2;
	}
	o.interval = strtod(argv[3], NULL);
	o.dihedral = argv[4][0] == '1';
	o.threads = 1;
	if (vigil_pdq_from_hex(argv[5], &r.want)) {
		fprintf(stderr, "recall: bad hash\n");
		return 2;
	}
	r.shown = strtod(argv[6], NULL);
	for (i = 7; i < argc; i++) {
		r.onset[r.n] = strtod(argv[i], NULL);
		r.caught[r.n++] = -1;
	}
	if (vigil_ctx_new(&ctx))
		return 2;
	rc = vigil_vpdq_hash_file(ctx, argv[1], &o, on_frame, &r);
	if (rc) {
		fprintf(stderr, "recall: %s: %s\n", argv[1], vigil_errmsg(ctx));
		vigil_ctx_free(ctx);
		return 2;
	}
	for (i = 0; i < r.n; i++) {
		if (r.caught[i] >= 0) {
			got++;
			printf("onset %.3f caught %.3f\n", r.onset[i], r.caught[i]);
		} else {
			printf("onset %.3f missed\n", r.onset[i]);
		}
	}
	printf("caught %d/%d decoded %ld samples %ld false %ld\n", got, r.n,
	       r.last_frame + 1, r.samples, r.falses);
	vigil_ctx_free(ctx);
	return 0;
}
