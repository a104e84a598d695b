/* report_int.h — shared inside src/report. */
#ifndef VIGIL_REPORT_INT_H
#define VIGIL_REPORT_INT_H

#include "../store/store.h"

/* The fileDetails of item n with the ids NCMEC gave and the MD5 vigil
 * computed of the bytes it uploaded ("" for a draft). */
int vigil__report_file_doc(vigil_store *st, const vigil_report *r, int n,
			   const char *ncmec_id, const char *file_id, const char *md5,
			   char **xml);

#endif
