/* evidence_int.h — shared inside src/evidence. */
#ifndef VIGIL_EVIDENCE_INT_H
#define VIGIL_EVIDENCE_INT_H

#include "../store/store.h"

/* Appends an audit record of an evidence action on item id (who "" or
 * NULL: "cli"; role admin). A failure to audit is not the action's: the
 * chain itself shows what was recorded. */
void vigil__evidence_audit(vigil_store *st, const char *who, const char *action,
			   int64_t id, const char *detail);

#endif
