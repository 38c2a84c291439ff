/* libFuzzer target: HTML pages with tables (web "Excel" exports) and everything downstream. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (docs_sniff(data, size) != DOCS_FMT_HTML)
        return 0;
    fuzz_book(data, size);
    return 0;
}
