/* fuzz_ncmec — the parser of NCMEC's API answers (vigil_ncmec_parse in
 * src/report/xml.c), which reads whatever the network returns: never
 * crashes, never reads entities or the network, and what it accepts has a
 * code in range and terminated strings. */
#include "vigil.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vigil_ncmec_response r;
	int rc = vigil_ncmec_parse((const char *)data, size, &r);

	if (rc == VIGIL_OK) {
		if (r.code < 0 || r.code > 99999)
			abort();
		if (memchr(r.description, '\0', sizeof(r.description)) == NULL ||
		    memchr(r.report_id, '\0', sizeof(r.report_id)) == NULL ||
		    memchr(r.file_id, '\0', sizeof(r.file_id)) == NULL ||
		    memchr(r.hash, '\0', sizeof(r.hash)) == NULL)
			abort();
	} else if (r.code != -1) {
		abort(); /* a refusal leaves no code behind */
	}
	return 0;
}
