/* Shared by the document tests: the bytes of a file of tests/fixtures/docs ($MINCA_SRC, else the
 * working directory), g_free'd by the caller; the test fails with the reason when it cannot be
 * read. Include after cmocka.h. */
#ifndef TEST_DOCS_FIXTURE_H
#define TEST_DOCS_FIXTURE_H

#include "minca/core.h"

#include <glib.h>
#include <stdlib.h>

static char *docs_fixture(const char *name, size_t *len)
{
    const char *src = getenv("MINCA_SRC");
    char *path = g_strdup_printf("%s/tests/fixtures/docs/%s", src ? src : ".", name);
    char *data = NULL;
    minca_err e = { 0 };
    if (core_read_file(path, 1u << 24, &data, len, &e) != 0)
        fail_msg("%s: %s", path, e.msg);
    g_free(path);
    return data;
}

#endif
