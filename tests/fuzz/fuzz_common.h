/* Shared helpers for the docs / profile fuzz targets. */
#ifndef MINCA_FUZZ_COMMON_H
#define MINCA_FUZZ_COMMON_H

#include "minca/docs.h"
#include "minca/profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Small limits keep each run fast; the limit paths are exercised too. */
static inline void fuzz_limits(docs_limits *lim)
{
    docs_limits_default(lim);
    lim->max_input_bytes = 1u << 20;
    lim->max_uncompressed_bytes = 8u << 20;
    lim->max_rows = 5000;
    lim->max_cols = 200;
    lim->max_cell_bytes = 4096;
    lim->max_sheets = 16;
    lim->max_repeated_cells = 100000;
    /* OCR is Tesseract's time, not ours: one small page at most (a scanned PDF's page rendered
     * at full size is refused by the pixel limit, quickly), so an input stays within the
     * fuzzer's timeout. */
    lim->max_ocr_pages = 1;
    lim->max_pixels = 1u << 20;
}

/* Reads every sheet and row, then runs table detection and automatic extraction. */
static inline void fuzz_book(const uint8_t *data, size_t size)
{
    docs_limits lim;
    fuzz_limits(&lim);
    docs_book *book = NULL;
    minca_err err = { 0 };
    if (docs_open(data, size, "fuzz", &lim, &book, &err) != 0)
        return;
    for (int s = 0; s < docs_sheet_count(book); s++) {
        if (docs_sheet_open(book, s, &err) != 0)
            continue;
        const docs_row *row;
        size_t sum = 0;
        while (docs_sheet_next(book, &row, &err) == 1)
            for (int c = 0; c < row->n_cells; c++)
                sum += strlen(row->cells[c].text);
        (void)sum;
    }
    profile_result res;
    if (profile_extract_book(book, NULL, NULL, &res, &err) == 0) {
        char *json = profile_result_json(&res, true);
        free(json);
        profile_result_clear(&res);
    }
    char *yaml = NULL;
    if (profile_suggest_book(book, "fuzz", NULL, "fuzz.example", &yaml, &err) == 0) {
        profile *p = NULL;
        if (profile_load_string(yaml, strlen(yaml), "suggestion", &p, &err) != 0)
            abort();   /* a suggestion must always load back */
        profile_free(p);
        free(yaml);
    }
    docs_close(book);
}

#endif
