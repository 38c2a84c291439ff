/* libFuzzer target for winmail.dat (TNEF, libytnef): arbitrary bytes → intake_tnef_unpack.
 * Must never crash, leak or read out of bounds; names and the body that come out are valid
 * UTF-8. Seeds: tests/fuzz/corpus/tnef/ (tests/tools/make_tnef.py). */
#include "../../src/intake/intake_internal.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

static void on_file(void *user, const char *name, const unsigned char *data, size_t len)
{
    size_t *total = user;
    if (!name || !g_utf8_validate(name, -1, NULL))
        abort();
    for (size_t i = 0; i < len; i += 4096)
        *total += data[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    char *body = NULL;
    minca_err err = {0};
    if (intake_tnef_unpack(data, size, on_file, &total, &body, &err) >= 0 && body && !g_utf8_validate(body, -1, NULL))
        abort();
    g_free(body);
    return 0;
}
