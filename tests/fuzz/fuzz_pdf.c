/* libFuzzer target: PDF fleet lists (poppler in the isolated parser child, then the stream
 * decoding, word / line / column reconstruction in the caller) and everything downstream.
 * poppler itself runs in the forked child, so its coverage is not seen here: the target
 * exercises what runs in the caller on whatever the child returns, and checks that a crash
 * or hang of the parser only ever becomes an error. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (docs_sniff(data, size) != DOCS_FMT_PDF)
        return 0;
    fuzz_book(data, size);
    return 0;
}
