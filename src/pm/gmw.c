/* gmw.c — two-party GMW over XOR shares with Beaver triples dealt by a third
 * party (F2's client), and the comparison circuit [popcount(w) <= T] of the
 * design study §5.4, bit-sliced: each 64-bit word carries 64 independent
 * candidates.
 *
 * An AND of shared x, y with triple (a, b, c): each party p publishes
 * d_p = x_p ^ a_p and e_p = y_p ^ b_p; both open d = d_0 ^ d_1 and
 * e = e_0 ^ e_1; then z_p = c_p ^ (d & b_p) ^ (e & a_p), and party 0 also
 * XORs d & e. d and e are one-time-padded by a and b, so an opened value
 * says nothing about x or y. All ANDs of one circuit layer are opened
 * together (one round). The driver here runs both parties in one process
 * and moves the opened words in memory; each party's arithmetic touches
 * only its own shares and the opened values, so the same step functions
 * serve a networked driver. No branch depends on a share. */
#include <sodium.h>
#include <string.h>

#include "../core/core.h"
#include "pm_int.h"

void vigil__pm_gmw_deal(vigil__pm_triple *t0, vigil__pm_triple *t1, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t r[5];
		randombytes_buf(r, sizeof r);
		uint64_t a = r[0], b = r[1];
		t0[i].a = r[2];
		t1[i].a = a ^ r[2];
		t0[i].b = r[3];
		t1[i].b = b ^ r[3];
		t0[i].c = r[4];
		t1[i].c = (a & b) ^ r[4];
		sodium_memzero(r, sizeof r);
	}
}

typedef struct wire {
	uint64_t s[2]; /* s[p]: party p's share */
} wire;

typedef struct eng {
	const vigil__pm_triple *t[2];
	size_t nt, used; /* triples available / consumed */
	size_t rounds;   /* AND layers opened */
	int party;       /* -1: both parties here; 0 or 1: only this one, */
	int fd;          /* talking to the other over fd (f2net.c) */
} eng;

/* One party's message for an AND: (d_p, e_p). */
static void and_msg(const vigil__pm_triple *t, uint64_t x, uint64_t y, uint64_t msg[2])
{
	msg[0] = x ^ t->a;
	msg[1] = y ^ t->b;
}

/* One party's output share from the opened (d, e). */
static uint64_t and_out(const vigil__pm_triple *t, int party, uint64_t d, uint64_t e)
{
	uint64_t z = t->c ^ (d & t->b) ^ (e & t->a);
	return z ^ ((d & e) & (uint64_t)-(int64_t)(party == 0));
}

/* One party's side of a layer: its messages out, the other's in, over
 * the socket; only s[party] of each wire is meaningful. */
static int and_layer_party(eng *g, size_t m, const wire *x, const wire *y, wire *z)
{
	int p = g->party;
	uint64_t *mine = vigil__malloc(m * 2 * sizeof *mine);
	uint64_t *theirs = vigil__malloc(m * 2 * sizeof *theirs);
	int rc = -2;
	if (!mine || !theirs)
		goto out;
	for (size_t i = 0; i < m; i++)
		and_msg(&g->t[p][g->used + i], x[i].s[p], y[i].s[p], mine + 2 * i);
	rc = -1;
	if (vigil__pm_xchg(g->fd, p, mine, theirs, m * 2 * sizeof *mine))
		goto out;
	for (size_t i = 0; i < m; i++) {
		uint64_t d = mine[2 * i] ^ theirs[2 * i], e = mine[2 * i + 1] ^ theirs[2 * i + 1];
		z[i].s[p] = and_out(&g->t[p][g->used + i], p, d, e);
		z[i].s[p ^ 1] = 0;
	}
	g->used += m;
	g->rounds++;
	rc = 0;
out:
	vigil__free(mine);
	vigil__free(theirs);
	return rc;
}

/* A layer of m ANDs, one round. -1 if the triples run out or the peer is
 * gone. */
static int and_layer(eng *g, size_t m, const wire *x, const wire *y, wire *z)
{
	if (m > g->nt - g->used)
		return -1;
	if (g->party >= 0)
		return and_layer_party(g, m, x, y, z);
	for (size_t i = 0; i < m; i++) {
		const vigil__pm_triple *t0 = &g->t[0][g->used + i], *t1 = &g->t[1][g->used + i];
		uint64_t m0[2], m1[2];
		and_msg(t0, x[i].s[0], y[i].s[0], m0); /* party 0 -> party 1 */
		and_msg(t1, x[i].s[1], y[i].s[1], m1); /* party 1 -> party 0 */
		uint64_t d = m0[0] ^ m1[0], e = m0[1] ^ m1[1];
		z[i].s[0] = and_out(t0, 0, d, e);
		z[i].s[1] = and_out(t1, 1, d, e);
	}
	g->used += m;
	g->rounds++;
	return 0;
}

static wire wxor(wire a, wire b)
{
	wire r = {{a.s[0] ^ b.s[0], a.s[1] ^ b.s[1]}};
	return r;
}

static wire wnot(wire a) /* party 0 flips its share */
{
	wire r = {{~a.s[0], a.s[1]}};
	return r;
}

/* 256 bits -> 9-bit sum for nw words at once: a tree of ripple-carry
 * adders. Level L adds pairs of L-bit numbers; ripple step j of all pairs
 * of all words is one AND layer, so the rounds do not grow with nw.
 * ANDs per word: 128*1 + 64*2 + 32*3 + 16*4 + 8*5 + 4*6 + 2*7 + 1*8 = 502.
 * in[k*256 + i], sum[k*MAXB + j]. */
#define MAXB 9
static int popcount_multi(eng *g, const wire *in, size_t nw, wire *sum)
{
	wire *num = vigil__calloc(nw * 256 * MAXB, sizeof *num); /* 37 KB a word */
	wire *a = vigil__malloc(nw * 128 * sizeof *a), *b = vigil__malloc(nw * 128 * sizeof *b);
	wire *c = vigil__malloc(nw * 128 * sizeof *c), *z = vigil__malloc(nw * 128 * sizeof *z);
	wire *carry = vigil__malloc(nw * 128 * sizeof *carry);
	int rc = -2;
#define NUM(k, i, j) num[((k) * 256 + (i)) * MAXB + (j)]
	if (!num || !a || !b || !c || !z || !carry)
		goto out;
	rc = -1;
	for (size_t k = 0; k < nw; k++)
		for (int i = 0; i < 256; i++)
			NUM(k, i, 0) = in[k * 256 + i];
	int cnt = 256, bits = 1;
	while (cnt > 1) {
		int pairs = cnt / 2;
		for (int j = 0; j < bits; j++) {
			for (size_t k = 0; k < nw; k++)
				for (int p = 0; p < pairs; p++) {
					size_t q = k * (size_t)pairs + (size_t)p;
					wire x = NUM(k, 2 * p, j), y = NUM(k, 2 * p + 1, j);
					if (j == 0) {
						a[q] = x;
						b[q] = y;
						c[q] = wxor(x, y);
					} else {
						a[q] = wxor(x, carry[q]);
						b[q] = wxor(y, carry[q]);
						c[q] = wxor(wxor(x, y), carry[q]);
					}
				}
			if (and_layer(g, nw * (size_t)pairs, a, b, z))
				goto out;
			for (size_t k = 0; k < nw; k++)
				for (int p = 0; p < pairs; p++) {
					size_t q = k * (size_t)pairs + (size_t)p;
					/* carry' = c ^ ((x^c) & (y^c)), or x & y at j = 0 */
					carry[q] = j ? wxor(z[q], carry[q]) : z[q];
					NUM(k, 2 * p, j) = c[q]; /* sum bit, written in place */
				}
		}
		for (size_t k = 0; k < nw; k++)
			for (int p = 0; p < pairs; p++) {
				for (int j = 0; j < bits; j++)
					NUM(k, p, j) = NUM(k, 2 * p, j);
				NUM(k, p, bits) = carry[k * (size_t)pairs + (size_t)p];
			}
		cnt = pairs;
		bits++;
	}
	for (size_t k = 0; k < nw; k++)
		for (int j = 0; j < MAXB; j++)
			sum[k * MAXB + j] = NUM(k, 0, j);
	rc = 0;
#undef NUM
out:
	if (num)
		sodium_memzero(num, nw * 256 * MAXB * sizeof *num);
	vigil__free(num);
	vigil__free(a);
	vigil__free(b);
	vigil__free(c);
	vigil__free(z);
	vigil__free(carry);
	return rc;
}

/* [s < C] for public C (< 2^9), for nw words at once: the borrow out of
 * s - C. With C's bits public, each step is one AND: c_i = 0:
 * b' = ~s_i & b; c_i = 1: b' = ~(s_i & ~b). Bit 0 needs none (b = 0).
 * 8 ANDs a word, 8 rounds. s[k*MAXB + i]. */
static int less_const_multi(eng *g, const wire *s, size_t nw, unsigned C, wire *out)
{
	wire *x = vigil__malloc(nw * sizeof *x), *y = vigil__malloc(nw * sizeof *y);
	wire *z = vigil__malloc(nw * sizeof *z);
	int rc = -2;
	if (!x || !y || !z)
		goto out;
	rc = -1;
	for (size_t k = 0; k < nw; k++) {
		if (C & 1)
			out[k] = wnot(s[k * MAXB]);
		else
			out[k].s[0] = out[k].s[1] = 0;
	}
	for (int i = 1; i < MAXB; i++) {
		int one = (C >> i) & 1;
		for (size_t k = 0; k < nw; k++) {
			x[k] = one ? s[k * MAXB + i] : wnot(s[k * MAXB + i]);
			y[k] = one ? wnot(out[k]) : out[k];
		}
		if (and_layer(g, nw, x, y, z))
			goto out;
		for (size_t k = 0; k < nw; k++)
			out[k] = one ? wnot(z[k]) : z[k];
	}
	rc = 0;
out:
	vigil__free(x);
	vigil__free(y);
	vigil__free(z);
	return rc;
}

static int less_const(eng *g, const wire s[MAXB], unsigned C, wire *out)
{
	return less_const_multi(g, s, 1, C, out);
}

size_t vigil__pm_gmw_hd_ands(void)
{
	return 502 + 8;
}

/* [popcount(w) <= T] for nw words on the engine's triples: shares in,
 * shares out (out[k]). w0/w1 NULL: that party's shares are not here. */
static int hd_le_multi(eng *g, const uint64_t (*w0)[256], const uint64_t (*w1)[256], size_t nw,
		       unsigned threshold, wire *out)
{
	if (threshold > 255)
		return -1;
	wire *in = vigil__malloc(nw * 256 * sizeof *in), *sum = vigil__malloc(nw * MAXB * sizeof *sum);
	int rc = -2;
	if (in && sum) {
		for (size_t k = 0; k < nw; k++)
			for (int i = 0; i < 256; i++) {
				in[k * 256 + i].s[0] = w0 ? w0[k][i] : 0;
				in[k * 256 + i].s[1] = w1 ? w1[k][i] : 0;
			}
		rc = popcount_multi(g, in, nw, sum);
		/* popcount <= T  <=>  popcount < T + 1 */
		if (!rc)
			rc = less_const_multi(g, sum, nw, threshold + 1, out);
	}
	if (in)
		sodium_memzero(in, nw * 256 * sizeof *in);
	if (sum)
		sodium_memzero(sum, nw * MAXB * sizeof *sum);
	vigil__free(in);
	vigil__free(sum);
	return rc;
}

static int hd_le_eng(eng *g, const uint64_t w0[256], const uint64_t w1[256], unsigned threshold,
		     wire *out)
{
	return hd_le_multi(g, (const uint64_t(*)[256])w0, (const uint64_t(*)[256])w1, 1, threshold,
			   out);
}

int vigil__pm_gmw_hd_le_local(const uint64_t w0[256], const uint64_t w1[256],
			      unsigned threshold, const vigil__pm_triple *t0,
			      const vigil__pm_triple *t1, size_t ntriples, uint64_t *out0,
			      uint64_t *out1)
{
	eng g = {{t0, t1}, ntriples, 0, 0, -1, -1};
	wire r;
	int rc = hd_le_eng(&g, w0, w1, threshold, &r);
	if (rc)
		return rc;
	*out0 = r.s[0];
	*out1 = r.s[1];
	return 0;
}

size_t vigil__pm_gmw_any_ands(size_t nwords)
{
	return nwords * vigil__pm_gmw_hd_ands() + (nwords - 1) + 6;
}

static int or_layer(eng *g, wire *a, const wire *b) /* a |= b = ~(~a & ~b) */
{
	wire x = wnot(*a), y = wnot(*b), z;
	if (and_layer(g, 1, &x, &y, &z))
		return -1;
	*a = wnot(z);
	return 0;
}

/* "Any lane of any word within T", one output bit shared in the low bit.
 * All words' circuits run in the same AND layers; then an OR tree over
 * the words (one layer per level) and 6 lane folds: about 44 + log2(nw)
 * + 6 rounds whatever the number of candidates. */
static int any_le_eng(eng *g, const uint64_t (*w0)[256], const uint64_t (*w1)[256],
		      size_t nwords, unsigned threshold, wire *out)
{
	wire *r = vigil__malloc(nwords * sizeof *r), *x = vigil__malloc(nwords * sizeof *x);
	wire *y = vigil__malloc(nwords * sizeof *y), *z = vigil__malloc(nwords * sizeof *z);
	int rc = -2;
	if (!r || !x || !y || !z)
		goto out;
	rc = hd_le_multi(g, w0, w1, nwords, threshold, r);
	if (rc)
		goto out;
	rc = -1;
	/* a | b = ~(~a & ~b), a level of pairs per round */
	for (size_t m = nwords; m > 1; m = (m + 1) / 2) {
		size_t pairs = m / 2;
		for (size_t p = 0; p < pairs; p++) {
			x[p] = wnot(r[2 * p]);
			y[p] = wnot(r[2 * p + 1]);
		}
		if (and_layer(g, pairs, x, y, z))
			goto out;
		for (size_t p = 0; p < pairs; p++)
			r[p] = wnot(z[p]);
		if (m & 1)
			r[pairs] = r[m - 1];
	}
	wire acc = r[0];
	/* Fold the 64 lanes: shifting a shared word is local to each party. */
	for (int sh = 32; sh >= 1; sh /= 2) {
		wire hi = {{acc.s[0] >> sh, acc.s[1] >> sh}};
		if (or_layer(g, &acc, &hi))
			goto out;
	}
	*out = acc;
	rc = 0;
out:
	vigil__free(r);
	vigil__free(x);
	vigil__free(y);
	vigil__free(z);
	return rc;
}

int vigil__pm_gmw_any_le_local(const uint64_t (*w0)[256], const uint64_t (*w1)[256],
			       size_t nwords, unsigned threshold, const vigil__pm_triple *t0,
			       const vigil__pm_triple *t1, size_t ntriples, uint8_t *out0,
			       uint8_t *out1)
{
	if (nwords == 0 || threshold > 255 || ntriples < vigil__pm_gmw_any_ands(nwords))
		return -1;
	eng g = {{t0, t1}, ntriples, 0, 0, -1, -1};
	wire r;
	int rc = any_le_eng(&g, w0, w1, nwords, threshold, &r);
	if (rc)
		return rc;
	*out0 = (uint8_t)(r.s[0] & 1);
	*out1 = (uint8_t)(r.s[1] & 1);
	return 0;
}

int vigil__pm_gmw_any_le_party(int party, int fd, const uint64_t (*w)[256], size_t nwords,
			       unsigned threshold, const vigil__pm_triple *t, size_t ntriples,
			       uint8_t *out)
{
	if ((party != 0 && party != 1) || nwords == 0 || threshold > 255 ||
	    ntriples < vigil__pm_gmw_any_ands(nwords))
		return -1;
	eng g = {{party ? NULL : t, party ? t : NULL}, ntriples, 0, 0, party, fd};
	wire r;
	int rc = any_le_eng(&g, party ? NULL : w, party ? w : NULL, nwords, threshold, &r);
	if (rc)
		return rc;
	*out = (uint8_t)(r.s[party] & 1);
	return 0;
}

size_t vigil__pm_gmw_count_ands(void)
{
	return (VIGIL__PM_CTR_BITS - 1) + (MAXB - 1);
}

int vigil__pm_gmw_count_party(int party, int fd, uint16_t *ctr, uint8_t m, unsigned k,
			      const vigil__pm_triple *t, size_t ntriples, int *ge)
{
	if ((party != 0 && party != 1) || k < 1 || k > 255 ||
	    ntriples < vigil__pm_gmw_count_ands())
		return -1;
	eng g = {{party ? NULL : t, party ? t : NULL}, ntriples, 0, 0, party, fd};
	wire c, s[MAXB], z, lt;
	/* ctr += m: a chain of half adders (carry = bit & carry). */
	c.s[party] = m & 1;
	c.s[party ^ 1] = 0;
	for (int i = 0; i < VIGIL__PM_CTR_BITS; i++) {
		wire b;
		b.s[party] = (*ctr >> i) & 1;
		b.s[party ^ 1] = 0;
		s[i] = wxor(b, c);
		if (i + 1 < VIGIL__PM_CTR_BITS) {
			if (and_layer(&g, 1, &b, &c, &z))
				return -1;
			c = z;
		}
	}
	uint16_t nc = 0;
	for (int i = 0; i < VIGIL__PM_CTR_BITS; i++)
		nc |= (uint16_t)((s[i].s[party] & 1) << i);
	/* Open [ctr >= k] = not [ctr < k]: only that bit. */
	if (less_const(&g, s, k, &lt))
		return -1;
	uint8_t mine = (uint8_t)(lt.s[party] & 1), theirs = 0;
	if (vigil__pm_xchg(fd, party, &mine, &theirs, 1))
		return -1;
	*ctr = nc;
	*ge = !((mine ^ theirs) & 1);
	return 0;
}

int vigil__pm_gmw_and_party(int party, int fd, const uint64_t *x, const uint64_t *y,
			    uint64_t *z, size_t n, const vigil__pm_triple *t, size_t ntriples)
{
	if ((party != 0 && party != 1) || ntriples < n || n > 64)
		return -1;
	eng g = {{party ? NULL : t, party ? t : NULL}, ntriples, 0, 0, party, fd};
	wire a[64] = {{{0, 0}}}, b[64] = {{{0, 0}}}, c[64];
	for (size_t i = 0; i < n; i++) {
		a[i].s[party] = x[i];
		b[i].s[party] = y[i];
		a[i].s[party ^ 1] = b[i].s[party ^ 1] = 0;
	}
	if (and_layer(&g, n, a, b, c))
		return -1;
	for (size_t i = 0; i < n; i++)
		z[i] = c[i].s[party];
	return 0;
}
