/* hashtag.c — hashtag extraction by the twitter-text grammar (Regex.java):
 *   (^|[^&hashtag-char]) [#＃] (?![\uFE0F\u20E3]) body (?!#|＃|://)
 * where body is letters, marks, decimal digits, '_', ZWNJ, ZWJ and a few
 * CJK/Hebrew/Tibetan punctuation marks, and holds at least one letter or
 * mark (so #16 is not a tag). */
#include "text_int.h"

#include <string.h>

#include <unicode/uchar.h>

static int special(uint32_t c)
{
	switch (c) {
	case '_': case 0x200C: case 0x200D: case 0xA67E: case 0x05BE:
	case 0x05F3: case 0x05F4: case 0xFF5E: case 0x301C: case 0x309B:
	case 0x309C: case 0x30A0: case 0x30FB: case 0x3003: case 0x0F0B:
	case 0x0F0C: case 0x00B7:
		return 1;
	default:
		return 0;
	}
}

/* 2: letter or mark, 1: other body character, 0: not in a body. */
static int body_class(uint32_t c)
{
	int8_t t;

	if (c == 0xFFFFFFFFu)
		return 0;
	if (c < 0x80) {
		if ((c | 32) >= 'a' && (c | 32) <= 'z')
			return 2;
		return (c >= '0' && c <= '9') || c == '_';
	}
	t = u_charType((UChar32)c);
	if (t == U_UPPERCASE_LETTER || t == U_LOWERCASE_LETTER ||
	    t == U_TITLECASE_LETTER || t == U_MODIFIER_LETTER ||
	    t == U_OTHER_LETTER || t == U_NON_SPACING_MARK ||
	    t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK)
		return 2;
	return t == U_DECIMAL_DIGIT_NUMBER || special(c);
}

size_t vigil_hashtags(const char *s, size_t n, vigil_span *out, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, count = 0;
	uint32_t prev = 0; /* code point before i; 0 at the start */

	/* a tag starts with '#' or U+FF03 (EF BC 83): most texts hold
	 * neither, and memchr finds that faster than the loop below */
	if (!n || (!memchr(s, '#', n) && !memchr(s, 0xEF, n)))
		return 0;
	while (i < n) {
		uint32_t c, d;
		size_t len, j, l;
		int letter = 0, k;

		/* ASCII other than '#' cannot start a tag: only remember it
		 * as the code point before the next one */
		while (i < n && u[i] < 0x80 && u[i] != '#')
			prev = u[i++];
		if (i >= n)
			break;
		len = vigil__utf8_next(u, n, i, &c);

		if ((c != '#' && c != 0xFF03) || prev == '&' ||
		    (prev && body_class(prev))) {
			prev = c;
			i += len;
			continue;
		}
		j = i + len;
		if (j < n) {
			vigil__utf8_next(u, n, j, &d);
			if (d == 0xFE0F || d == 0x20E3) {
				prev = c;
				i = j;
				continue;
			}
		}
		while (j < n) {
			l = vigil__utf8_next(u, n, j, &d);
			k = body_class(d);
			if (!k)
				break;
			if (k == 2)
				letter = 1;
			prev = d;
			j += l;
		}
		if (j == i + len) {
			prev = c;
			i = j;
			continue;
		}
		if (letter) {
			int bad = 0;
			if (j < n) {
				vigil__utf8_next(u, n, j, &d);
				bad = d == '#' || d == 0xFF03 ||
				      (n - j >= 3 && u[j] == ':' && u[j + 1] == '/' &&
				       u[j + 2] == '/');
			}
			if (!bad) {
				if (count < max) {
					out[count].start = i;
					out[count].end = j;
				}
				count++;
			}
		}
		i = j;
	}
	return count;
}
