/* pm.c — the module's run-time switch. Off until vigil_pm_enable(): the
 * design study (docs/private-matching.md) asks for an opt-in module, so a program linked
 * with libvigil does not start private matching by linking it. */
#include <sodium.h>
#include <stdatomic.h>

#include "pm_int.h"

static atomic_int pm_on;

int vigil_pm_enable(uint32_t ack)
{
	if (ack != VIGIL_PM_ACK)
		return VIGIL_EINVAL;
	if (vigil__pm_ready() != 0)
		return VIGIL_EINTERNAL;
	atomic_store(&pm_on, 1);
	return VIGIL_OK;
}

int vigil_pm_enabled(void)
{
	return atomic_load(&pm_on);
}
