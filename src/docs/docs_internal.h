/* docs internals shared by the readers: the book vtable and the row buffer. */
#ifndef MINCA_DOCS_INTERNAL_H
#define MINCA_DOCS_INTERNAL_H

#include "minca/docs.h"

#include <glib.h>

typedef struct docs_reader_ops {
    int (*sheet_open)(docs_book *book, int sheet, minca_err *err);
    /* Fills book->row for the next row: 1 / 0 / -1. */
    int (*sheet_next)(docs_book *book, minca_err *err);
    void (*close)(docs_book *book);
} docs_reader_ops;

struct docs_book {
    docs_format format;
    const docs_reader_ops *ops;
    void *impl;
    docs_limits lim;
    char *name;               /* file name hint for messages ("" when none) */
    GPtrArray *sheet_names;   /* char* owned */
    GArray *sheet_hidden;     /* gboolean */
    int open_sheet;           /* -1 when none */
    long rows_in_sheet;       /* rows delivered from the open sheet, for max_rows */
    /* current row */
    GArray *cells;            /* docs_cell */
    GPtrArray *texts;         /* owned texts of the current row's cells */
    docs_row row;
    GArray *merges;           /* docs_range of the open sheet */
    char encoding[32];
    char delimiter;
};

docs_book *docs_book_alloc(docs_format format, const docs_reader_ops *ops, const char *name,
                           const docs_limits *lim);
void docs_book_add_sheet(docs_book *book, const char *name, bool hidden);
/* Row buffer: start a row, set cells (text copied, limit-checked), finish. */
void docs_row_begin(docs_book *book, long row_number, bool hidden);
int docs_row_set(docs_book *book, int col, docs_cell_type type, const char *text, size_t len,
                 double number, unsigned flags, minca_err *err);
void docs_row_finish(docs_book *book);
bool docs_row_is_blank(const docs_row *row);

/* Reader constructors (data borrowed). */
int docs_xlsx_open(const void *data, size_t len, docs_book *book, minca_err *err);
int docs_xls_open(const void *data, size_t len, docs_book *book, minca_err *err);
int docs_csv_open(const void *data, size_t len, docs_book *book, minca_err *err);
int docs_html_open(const void *data, size_t len, docs_book *book, minca_err *err);
int docs_xmlss_open(const void *data, size_t len, docs_book *book, minca_err *err);
extern const docs_reader_ops docs_xlsx_ops, docs_xls_ops, docs_csv_ops, docs_grid_ops,
    docs_html_ops, docs_xmlss_ops;

/* Number -> shortest text ("%.15g"), into buf[40]. */
void docs_number_text(double v, char buf[40]);

#endif
