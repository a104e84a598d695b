/* groom_int.h — private pieces of the grooming risk scorer. */
#ifndef VIGIL_GROOM_INT_H
#define VIGIL_GROOM_INT_H

typedef struct vigil__lex_entry {
	const char *phrase; /* UTF-8, matched as a token term */
	int stage;          /* vigil_groom_stage */
} vigil__lex_entry;

extern const vigil__lex_entry vigil__groom_lexicon[]; /* ends with {NULL} */

#endif
