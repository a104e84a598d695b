/* ctx.c — the context: limits and the last error's detail. */
#include "core.h"

#include <stdio.h>
#include <string.h>

int vigil_ctx_new(vigil_ctx **out)
{
	vigil_ctx *ctx;

	if (!out)
		return VIGIL_EINVAL;
	*out = NULL;
	ctx = vigil__calloc(1, sizeof(*ctx));
	if (!ctx)
		return VIGIL_ENOMEM;
	ctx->limits[VIGIL_LIMIT_MAX_BYTES] = VIGIL_DEFAULT_MAX_BYTES;
	ctx->limits[VIGIL_LIMIT_MAX_PIXELS] = VIGIL_DEFAULT_MAX_PIXELS;
	ctx->limits[VIGIL_LIMIT_MAX_SIDE] = VIGIL_DEFAULT_MAX_SIDE;
	*out = ctx;
	return VIGIL_OK;
}

void vigil_ctx_free(vigil_ctx *ctx)
{
	vigil__free(ctx);
}

const char *vigil_errmsg(const vigil_ctx *ctx)
{
	return ctx ? ctx->errmsg : "";
}

int vigil_ctx_set_limit(vigil_ctx *ctx, vigil_limit which, int64_t value)
{
	if (!ctx)
		return VIGIL_EINVAL;
	if ((unsigned)which >= VIGIL__LIMIT_END || value <= 0)
		return vigil__err(ctx, VIGIL_EINVAL, "bad limit %d=%lld",
				  (int)which, (long long)value);
	ctx->limits[which] = value;
	return VIGIL_OK;
}

int64_t vigil_ctx_get_limit(const vigil_ctx *ctx, vigil_limit which)
{
	if (!ctx || (unsigned)which >= VIGIL__LIMIT_END)
		return -1;
	return ctx->limits[which];
}

int vigil__err(vigil_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	if (!ctx)
		return code;
	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
	va_end(ap);
	return code;
}
