/* gif.c — the first frame of a GIF through giflib, drawn on the logical
 * screen (background colour where the frame does not cover it). */
#include "decoder.h"

#include <gif_lib.h>
#include <string.h>

typedef struct gif_src {
	const uint8_t *data;
	size_t len, pos;
} gif_src;

static int on_read(GifFileType *g, GifByteType *out, int n)
{
	gif_src *s = g->UserData;
	size_t k = (size_t)n;

	if (n < 0)
		return 0;
	if (k > s->len - s->pos)
		k = s->len - s->pos;
	memcpy(out, s->data + s->pos, k);
	s->pos += k;
	return (int)k;
}

static int sniff(const uint8_t *b, size_t n)
{
	return n >= 6 && memcmp(b, "GIF8", 4) == 0 && (b[4] == '7' || b[4] == '9') &&
	       b[5] == 'a';
}

static void fill(vigil__dec *d, const GifColorType *c)
{
	size_t i, n = (size_t)d->width * (size_t)d->height;

	for (i = 0; i < n; i++) {
		d->frame[3 * i] = c ? c->Red : 0;
		d->frame[3 * i + 1] = c ? c->Green : 0;
		d->frame[3 * i + 2] = c ? c->Blue : 0;
	}
}

/* Reads the first image's pixels onto the screen-sized frame. */
static int draw_first(vigil__dec *d, GifFileType *g)
{
	GifImageDesc *im = &g->Image;
	ColorMapObject *cmap = im->ColorMap ? im->ColorMap : g->SColorMap;
	GifPixelType *line = NULL;
	static const int istart[4] = {0, 4, 2, 1}, istep[4] = {8, 8, 4, 2};
	int rc = VIGIL_OK, pass, y, x, npass = im->Interlace ? 4 : 1;

	if (!cmap)
		return vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: no colour map");
	if (im->Width <= 0 || im->Height <= 0 || im->Width > 65535 ||
	    im->Height > 65535)
		return vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: bad frame size");
	line = vigil__malloc((size_t)im->Width);
	if (!line)
		return vigil__err(d->ctx, VIGIL_ENOMEM, "out of memory");
	for (pass = 0; pass < npass; pass++) {
		int y0 = im->Interlace ? istart[pass] : 0;
		int dy = im->Interlace ? istep[pass] : 1;
		for (y = y0; y < im->Height; y += dy) {
			int sy = im->Top + y;
			if (DGifGetLine(g, line, im->Width) != GIF_OK) {
				rc = vigil__err(d->ctx, VIGIL_ECORRUPT,
						"gif: %s", GifErrorString(g->Error));
				goto out;
			}
			if (sy < 0 || sy >= d->height)
				continue;
			for (x = 0; x < im->Width; x++) {
				int sx = im->Left + x;
				uint8_t *px;
				const GifColorType *c;
				if (sx < 0 || sx >= d->width)
					continue;
				if (line[x] >= cmap->ColorCount)
					continue;
				c = &cmap->Colors[line[x]];
				px = d->frame + 3 * ((size_t)sy * d->width + sx);
				px[0] = c->Red;
				px[1] = c->Green;
				px[2] = c->Blue;
			}
		}
	}
out:
	vigil__free(line);
	return rc;
}

static int gopen(vigil__dec *d)
{
	gif_src src = {d->data, d->len, 0};
	GifFileType *g;
	GifRecordType rec;
	int err = 0, rc;

	g = DGifOpen(&src, on_read, &err);
	if (!g)
		return vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: %s",
				  GifErrorString(err));
	rc = vigil__dec_check_dims(d, g->SWidth, g->SHeight);
	if (rc)
		goto out;
	d->width = g->SWidth;
	d->height = g->SHeight;
	d->channels = 3;
	rc = vigil__dec_alloc_frame(d);
	if (rc)
		goto out;
	fill(d, g->SColorMap && g->SBackGroundColor < g->SColorMap->ColorCount
			? &g->SColorMap->Colors[g->SBackGroundColor]
			: NULL);
	for (;;) {
		if (DGifGetRecordType(g, &rec) != GIF_OK) {
			rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: %s",
					GifErrorString(g->Error));
			goto out;
		}
		if (rec == IMAGE_DESC_RECORD_TYPE) {
			if (DGifGetImageDesc(g) != GIF_OK) {
				rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: %s",
						GifErrorString(g->Error));
				goto out;
			}
			rc = draw_first(d, g);
			goto out;
		} else if (rec == EXTENSION_RECORD_TYPE) {
			GifByteType *ext;
			int code;
			if (DGifGetExtension(g, &code, &ext) != GIF_OK)
				goto bad;
			while (ext)
				if (DGifGetExtensionNext(g, &ext) != GIF_OK)
					goto bad;
		} else if (rec == TERMINATE_RECORD_TYPE) {
			rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: no image");
			goto out;
		}
	}
bad:
	rc = vigil__err(d->ctx, VIGIL_ECORRUPT, "gif: %s", GifErrorString(g->Error));
out:
	DGifCloseFile(g, &err);
	return rc;
}

const vigil__dec_ops vigil__dec_gif = {
	"gif", sniff, gopen, NULL, NULL, NULL, 0,
};
