/* libFuzzer target: CSV reader (encoding and delimiter sniffing, RFC 4180 splitting), table
 * detection, automatic mapping and suggestion on arbitrary text. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (docs_sniff(data, size) != DOCS_FMT_CSV)
        return 0;
    fuzz_book(data, size);
    return 0;
}
