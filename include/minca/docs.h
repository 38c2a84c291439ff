/* docs: spreadsheet readers behind one table interface, and table detection.
 *
 *   workbook (docs_book) -> sheets -> rows (docs_row) -> typed cells (docs_cell)
 *
 * Readers: XLSX and ODS (libzip + libxml2 streaming reader, no network, no external entities
 * or DTD loading), legacy XLS (BIFF through libfreexl, isolated in a child process), CSV (UTF-8 with
 * or without BOM, UTF-16 with BOM, Windows-1252 / Latin-1 converted; delimiter sniffed among
 * , ; TAB |), the two fake ".xls" formats web systems export (an HTML page with tables, XML
 * Spreadsheet 2003), an already-split grid of strings (HTML tables extracted from a message
 * body) and PDF lists with a text layer (poppler, isolated in a child process; the tables are
 * rebuilt from the characters' positions into one sheet named "", see below), and image-only
 * lists (photos, screen captures and scanned PDFs) read by OCR into the same rows (docs_ocr.c:
 * Tesseract and Leptonica, isolated likewise; cells flagged DOCS_CELL_OCR with a confidence).
 *
 * The PDF grid (also fed by OCR word boxes through the same record stream): the tables in
 * reading order, each as its header band then its data rows, one cell per column the
 * geometry found for that table (tables may differ in width). A band of several printed
 * lines comes out as several rows, not composed: a row per line of group labels, the label
 * repeated in every column it spans ("" elsewhere), then the row of column names (a name
 * merged down the band's lines, or wrapped over two, is in that last row). The first
 * table's row of names is row 0 (its group label rows -1, -2) and its data rows are 1, 2, ...
 * as printed over all pages; every later row (a second table's band included) continues the
 * numbering. A band repeated at the top of a continuation page is not emitted again; titles,
 * text between tables, page headers, footers, page numbers and paragraphs (a conditions
 * page) are not rows. TOTAL lines are delivered. Cells are text, as in CSV. A document with
 * no recognisable header band gives every line, numbered from 1, its words grouped at gaps.
 * The format is sniffed from the bytes; the file name is only a hint for error messages.
 *
 * Rows are streamed: one sheet is open at a time and only the current row is held (plus the
 * shared-string table for XLSX, which is bounded by the size limits). Hostile input is bounded
 * by docs_limits; exceeding one fails with a message that names the limit.
 *
 * Ownership: docs_open() borrows the input bytes; they must outlive the book. Everything a
 * getter returns (names, rows, cells, text) is owned by the book; a row is valid until the
 * next docs_sheet_next() / docs_sheet_open() / docs_close(). */
#ifndef MINCA_DOCS_H
#define MINCA_DOCS_H

#include "minca/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DOCS_FMT_UNKNOWN = 0,  /* binary data we cannot read */
    DOCS_FMT_XLSX,
    DOCS_FMT_XLS,
    DOCS_FMT_CSV,
    DOCS_FMT_GRID,         /* rows of strings handed over by the caller */
    DOCS_FMT_HTML,         /* an HTML page with tables (web "Excel" exports saved as .xls) */
    DOCS_FMT_XMLSS,        /* XML Spreadsheet 2003 (SpreadsheetML), also exported as .xls */
    DOCS_FMT_PDF,          /* a PDF whose text layer holds the table (docs_pdf.c) */
    DOCS_FMT_IMAGE,        /* png / jpeg / gif / tiff: a photo or capture, read by OCR (docs_ocr.c) */
    DOCS_FMT_EMPTY,        /* zero bytes */
    DOCS_FMT_ODS,          /* OpenDocument spreadsheet (LibreOffice Calc's own format) */
} docs_format;

/* "xlsx", "xls", "csv", "grid", "html", "xmlss", "pdf", "ods", "image", "empty", "unknown". */
const char *docs_format_name(docs_format f);
/* Named sheets (xlsx, xls, xmlss): rows keep the sheet name. */
bool docs_format_has_sheets(docs_format f);
/* Cells hold the text as written (csv, html, pdf, grid), not typed values. */
bool docs_format_text_cells(docs_format f);
/* The width and height of a PNG, JPEG, GIF or TIFF picture from its header, without decoding
 * it; false when the header is not one of those or is truncated. */
bool docs_image_size(const void *data, size_t len, uint32_t *w, uint32_t *h);
/* Looks only at the bytes: ZIP -> xlsx, OLE2/CFB -> xls, %PDF -> pdf, image magic -> image,
 * markup with the SpreadsheetML namespace -> xmlss, markup with <table> or <html> -> html,
 * other text without NUL bytes (or with a UTF-16 BOM) -> csv, otherwise unknown; a ZIP that
 * is an OpenDocument package (its mimetype entry, or content.xml without [Content_Types].xml)
 * -> ods. */
docs_format docs_sniff(const void *data, size_t len);

typedef struct docs_limits {
    size_t max_input_bytes;          /* the attachment itself */
    uint64_t max_uncompressed_bytes; /* XLSX: sum of the ZIP entries read */
    double max_ratio;                /* XLSX: uncompressed / compressed, per entry above 1 MiB */
    long max_rows;                   /* per sheet */
    int max_cols;                    /* per row */
    long max_repeated_cells;         /* ODS: cells copied by repeat counts, per sheet (a few
                                      * bytes may declare a million copies of a row; default
                                      * 4,194,304); their text also counts against
                                      * max_uncompressed_bytes */
    size_t max_cell_bytes;           /* one cell's text */
    int max_sheets;
    int max_pages;                   /* PDF: pages read */
    uint64_t max_pixels;             /* OCR: pixels of one picture or rendered page */
    int max_ocr_pages;               /* OCR: pages of a scanned PDF */
} docs_limits;

/* 64 MiB input, 512 MiB uncompressed, ratio 200, 1,048,576 rows, 512 columns, 32 KiB cells,
 * 64 sheets, 500 PDF pages, 100 megapixels, 10 scanned pages. */
void docs_limits_default(docs_limits *lim);

typedef enum {
    DOCS_CELL_EMPTY = 0,
    DOCS_CELL_TEXT,
    DOCS_CELL_NUMBER,
    DOCS_CELL_DATE,
    DOCS_CELL_BOOL,
} docs_cell_type;

#define DOCS_CELL_HIDDEN_COL 0x1u   /* the cell's column is hidden */
#define DOCS_CELL_ERROR      0x2u   /* a formula error value such as #REF! (type TEXT) */
#define DOCS_CELL_MERGED     0x4u   /* the cell lies in a merged range (see docs_sheet_merges) */
#define DOCS_CELL_OCR        0x8u   /* the text was read from an image (see confidence) */

typedef struct docs_cell {
    docs_cell_type type;
    /* Never NULL. TEXT: the text as stored. NUMBER: shortest form ("2019", "5970.41").
     * DATE: "YYYY-MM-DD" (or "YYYY-MM-DD HH:MM:SS" with a time part). BOOL: "TRUE"/"FALSE".
     * EMPTY: "". An ODS time of day is TEXT "HH:MM:SS" with the fraction of a day in number. */
    const char *text;
    double number;      /* NUMBER: value; DATE: serial day in the 1900 system; BOOL: 0 / 1 */
    unsigned flags;     /* DOCS_CELL_* */
    double confidence;  /* DOCS_CELL_OCR: the lowest confidence of its characters, 0..100;
                         * 100 for cells not read by OCR */
} docs_cell;

typedef struct docs_row {
    long row;           /* 1-based sheet row; CSV: physical line where the record starts */
    bool hidden;        /* the row is hidden */
    int n_cells;        /* cells[0] is column A; trailing empty cells are not included */
    const docs_cell *cells;
} docs_row;

/* A merged range, 1-based inclusive. */
typedef struct docs_range {
    long first_row, last_row;
    int first_col, last_col;
} docs_range;

typedef struct docs_book docs_book;

/* Sniffs the format and opens the workbook. name_hint (may be NULL) is used in messages only.
 * lim may be NULL for the defaults. A truncated or damaged file, an unsupported format (image,
 * a PDF without text layer or protected by a password) or an exceeded limit fails with a
 * readable reason. */
int docs_open(const void *data, size_t len, const char *name_hint, const docs_limits *lim,
              docs_book **out, minca_err *err);
void docs_close(docs_book *book);

docs_format docs_book_format(const docs_book *book);
/* CSV: the encoding detected ("UTF-8", "WINDOWS-1252", ...) and the delimiter ("HTML" and 0
 * for HTML pages; "" and 0 for the other formats). */
const char *docs_book_encoding(const docs_book *book);
char docs_book_delimiter(const docs_book *book);

int docs_sheet_count(const docs_book *book);
const char *docs_sheet_name(const docs_book *book, int sheet);   /* CSV / grid: "" */
bool docs_sheet_hidden(const docs_book *book, int sheet);

/* Starts (or restarts) streaming one sheet. */
int docs_sheet_open(docs_book *book, int sheet, minca_err *err);
/* Next stored row of the open sheet: 1 with *row set, 0 at the end, -1 on error. Rows come
 * in order; rows absent from the file are skipped (row numbers show the gaps). */
int docs_sheet_next(docs_book *book, const docs_row **row, minca_err *err);
/* Merged ranges of the open sheet. XLSX stores them after the cells: for sheets up to 8 MiB
 * of XML (any fleet list) a quick pre-pass collects them when the sheet opens, so the list and
 * the DOCS_CELL_MERGED flags are there from the first row; for bigger sheets the list is
 * complete once docs_sheet_next() has returned 0 and cells are not flagged. XML Spreadsheet
 * 2003 (MergeAcross) and HTML (colspan) flag the covered cells without a range list; XLS
 * gives the ranges of its MERGEDCELLS records (and its hidden columns, from COLINFO); CSV and
 * grids have none. ODS spans (number-columns-spanned / rows-spanned) are collected when the
 * book opens: complete from the first row. */
void docs_sheet_merges(const docs_book *book, const docs_range **ranges, int *n);

/* Grid source: rows of strings (e.g. an HTML table). Build, then hand to docs_open_grid(). */
typedef struct docs_grid docs_grid;
docs_grid *docs_grid_new(const char *name);   /* name is the "sheet" name; may be NULL */
/* Copies the cells. row_number 0 means "previous + 1". NULL cells are empty. */
void docs_grid_add_row(docs_grid *grid, long row_number, const char *const *cells, int n);
void docs_grid_free(docs_grid *grid);
/* Takes ownership of grid (also on failure). */
int docs_open_grid(docs_grid *grid, const docs_limits *lim, docs_book **out, minca_err *err);

/* Excel serial day (1900 system) -> "YYYY-MM-DD" into out[11]; false when out of range. */
bool docs_serial_to_iso(double serial, char out[11]);
/* "B7" -> column 1 (0-based), row 7; -1 on a bad reference. */
int docs_parse_ref(const char *ref, int *col, long *row);
/* 0 -> "A", 27 -> "AB" into out[8]. */
void docs_col_name(int col, char out[8]);

/* ---- table detection ---- */

/* Optional hints from a broker profile. */
typedef struct docs_table_hint {
    const char *sheet_pattern;         /* regex on the sheet name (case-insensitive); NULL: any */
    long header_row;                   /* fixed 1-based header row; 0: detect */
    const char *const *required_headers;   /* headers that must be present (folded match) */
    int n_required;
    /* Extra scoring of a header cell (e.g. a profile's mapped headers): > 0 when known. */
    int (*header_score)(const char *header, void *user);
    void *user;
    /* A header cell that names a known column (the automatic mapping's vocabulary): > 0 when
     * known. Counts as header vocabulary when finding header bands; NULL: built-in words. */
    int (*header_known)(const char *header, void *user);
    void *known_user;
} docs_table_hint;

#define DOCS_BAND_MAX 3   /* rows of a header band */

/* One table found on a sheet: which sheet, its header band, the column names.
 *
 * The header band is 1 to DOCS_BAND_MAX rows (header_first .. header_row): group titles merged
 * across several columns above the field names, and columns named once by a cell merged down
 * the band. Each column's header is composed from the band ("VEHÍCULO / MARCA"); name is the
 * field-name part ("MARCA", or the merged-down name) and group the rest ("VEHÍCULO", or ""). */
typedef struct docs_table {
    int sheet;             /* sheet index */
    char *sheet_name;      /* owned */
    int index;             /* 0-based table number on the sheet, in reading order */
    long header_first;     /* 1-based first row of the header band */
    long header_row;       /* 1-based last row of the header band: data rows follow it */
    long end_row;          /* last row of the table's region (the next table starts below); 0: sheet end */
    long totals_row;       /* the TOTAL row that ends it, when known (earlier TOTAL rows are
                            * subtotals: vehicle rows follow them); 0: the first TOTAL row */
    int n_cols;
    char **headers;        /* owned; n_cols composed header texts, "" for blank headers */
    char **names;          /* owned; n_cols field-name parts */
    char **groups;         /* owned; n_cols group parts, "" when none */
    bool *hidden_cols;     /* owned; n_cols */
    int score;             /* detection score (higher is more certain) */
    int n_band;            /* rows in the header band */
    char *band_sig[DOCS_BAND_MAX];   /* owned (g_free); folded band rows, to skip a repeated header */
    struct _GArray *skip_rows; /* GArray of long, owned; title rows just above a repeated header;
                                * NULL = none */
    /* streaming state */
    bool stopped;
    long stop_row;         /* the TOTAL row that ended the table, 0 if none */
    int n_subtotals;       /* subtotal rows skipped */
    int n_repeated_headers;   /* repeated header rows and their titles skipped (continuation pages) */
} docs_table;

/* Scans the first rows of every sheet for the header band of a vehicle list: the row with the
 * most header-like cells (known vehicle vocabulary weighs most) followed by data rows, with
 * the group row above it or the field-name row below it. Title, logo and blank rows above it
 * are skipped; hidden sheets are used only when nothing else fits. Returns the first table of
 * that sheet (see docs_tables_find). Fails with a readable reason when no sheet holds a table. */
int docs_table_find(docs_book *book, const docs_table_hint *hint, docs_table *table,
                    minca_err *err);
/* Every table of the sheet docs_table_find chooses, in reading order: after a table ends (a
 * totals row, blank or title rows, a new header band) the sheet is scanned for another header
 * band; each table has its own columns. A header band that repeats the one above (a reprinted
 * header, a continuation page) joins that table. *tables (n entries) is owned by the caller:
 * docs_tables_free(). */
int docs_tables_find(docs_book *book, const docs_table_hint *hint, docs_table **tables, int *n,
                     minca_err *err);
void docs_tables_free(docs_table *tables, int n);   /* NULL-safe */
/* Positions the book on the first data row of the table (re-opens the sheet). */
int docs_table_open(docs_book *book, docs_table *table, minca_err *err);
/* Next data row: 1 / 0 at the end / -1. Blank rows, subtotal rows (SUBTOTAL ...) and repeats
 * of the header band are skipped; a row whose text starts with TOTAL (or GRAN TOTAL, SUMA
 * TOTAL) ends the table, and so does the end of its region. */
int docs_table_next(docs_book *book, docs_table *table, const docs_row **row, minca_err *err);
void docs_table_clear(docs_table *table);

/* Case-, accent- and space-insensitive form of a header ("Año  MOdelos" -> "ano modelos");
 * g_malloc'd. Punctuation becomes spaces; a header of punctuation only ("#") folds to itself,
 * trimmed. */
char *docs_fold(const char *s);

#endif
