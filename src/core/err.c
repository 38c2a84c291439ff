#include "minca/core.h"

#include <stdio.h>
#include <string.h>

int minca_err_set(minca_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    core_mask_secrets_buf(err->msg, sizeof err->msg);   /* a library's message may echo a URL */
    return -1;
}

int minca_err_prefix(minca_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    core_fmt(err->msg, sizeof err->msg, "%s: %s", prefix, old);   /* a message: cut if long */
    core_mask_secrets_buf(err->msg, sizeof err->msg);
    return -1;
}

void minca_err_clear(minca_err *err)
{
    if (err)
        err->msg[0] = '\0';
}
