/* docs: the two halves of the PDF reader. docs_pdf.c decodes the record stream of positioned
 * characters (from poppler's text layer, or word boxes from OCR) into words and lines;
 * docs_pdf_table.c rebuilds the tables from those lines. */
#ifndef MINCA_DOCS_PDF_INTERNAL_H
#define MINCA_DOCS_PDF_INTERNAL_H

#include "docs_internal.h"

/* A word: its text and its box (x grows to the right, y downwards, page units). */
typedef struct pword {
    char *text;
    double x0, x1, y0, y1;
    double conf;        /* read by OCR: its lowest character confidence (0..100); else -1 */
    double *cx;         /* n_cx, owned: where each character starts (NULL when unknown) */
    guint n_cx;         /* characters of text */
    bool cell_start;    /* starts a cell however close the word before it (a clipped header
                         * name split where the data show a column boundary) */
} pword;

/* A printed line: words of one page whose vertical centres agree, left to right. */
typedef struct pline {
    int page;
    double page_h;      /* the page's height, for telling page headers and footers */
    GPtrArray *words;   /* pword*, owned, by x */
    double yc, h;       /* vertical centre, tallest word */
    char *folded;       /* the whole line, folded (docs_fold), owned */
} pline;

/* An output row: cells as text. */
typedef struct prow {
    long number;
    int n;
    char **cells;       /* n, owned */
    double *conf;       /* n, owned: per cell, the lowest confidence of its words read by OCR,
                         * -1 for a cell none was; NULL when no cell was */
} prow;

/* qsort order of doubles. */
int docs_cmp_double(const void *a, const void *b);
void docs_pword_free(gpointer p);
void docs_pline_free(gpointer p);
void docs_prow_free(gpointer p);

/* Lines of the whole document, in print order (page by page, top to bottom) -> rows appended
 * to `rows` (prow*). Fails only on an exceeded limit (max_cols). */
int docs_pdf_build_rows(docs_book *book, GPtrArray *lines, GPtrArray *rows, minca_err *err);

#endif
