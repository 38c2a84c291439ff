/* libFuzzer target: PDF fleet lists and everything downstream.
 *
 * An input that starts with %PDF is opened as an attachment: poppler runs in the isolated
 * parser child (its own coverage is not seen here, and a crash or hang there must only ever
 * become an error). Any other input is taken as the record stream that child returns (page
 * size, text, one rectangle per character) and goes straight to the decoding and the
 * word / line / column reconstruction, which run in the caller's process. */
#include "fuzz_common.h"
#include "../../src/docs/docs_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (docs_sniff(data, size) == DOCS_FMT_PDF) {
        fuzz_book(data, size);
        return 0;
    }
    docs_limits lim;
    fuzz_limits(&lim);
    docs_book *book = docs_book_alloc(DOCS_FMT_PDF, &docs_pdf_ops, "fuzz", &lim);
    minca_err err = { 0 };
    if (docs_pdf_from_stream(data, size, book, &err) == 0 && docs_sheet_open(book, 0, &err) == 0) {
        const docs_row *row;
        while (docs_sheet_next(book, &row, &err) == 1)
            ;
        profile_result res;
        if (profile_extract_book(book, NULL, NULL, &res, &err) == 0)
            profile_result_clear(&res);
    }
    docs_close(book);
    return 0;
}
