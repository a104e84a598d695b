/* status.c — names and descriptions of status codes, generated from the one
 * table in vigil.h. */
#include "vigil.h"

const char *vigil_strerror(int code)
{
	switch (code) {
#define VIGIL__STR(name, num, text)                                            \
	case num:                                                              \
		return text;
		VIGIL_STATUS_MAP(VIGIL__STR)
#undef VIGIL__STR
	default:
		return "unknown status";
	}
}

const char *vigil_status_name(int code)
{
	switch (code) {
#define VIGIL__NAME(name, num, text)                                           \
	case num:                                                              \
		return "VIGIL_" #name;
		VIGIL_STATUS_MAP(VIGIL__NAME)
#undef VIGIL__NAME
	default:
		return "VIGIL_UNKNOWN";
	}
}
