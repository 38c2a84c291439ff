/* docs internals shared by the readers: the book vtable and the row buffer. */
#ifndef MINCA_DOCS_INTERNAL_H
#define MINCA_DOCS_INTERNAL_H

#include "minca/docs.h"

#include <glib.h>
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <zip.h>

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
int docs_pdf_open(const void *data, size_t len, docs_book *book, minca_err *err);
int docs_ods_open(const void *data, size_t len, docs_book *book, minca_err *err);
/* The PDF reader's second half: the parser child's record stream -> rows (for fuzzing the
 * layout analysis without the child). */
int docs_pdf_from_stream(const unsigned char *buf, size_t len, docs_book *book, minca_err *err);
extern const docs_reader_ops docs_xlsx_ops, docs_xls_ops, docs_csv_ops, docs_grid_ops,
    docs_html_ops, docs_xmlss_ops, docs_pdf_ops, docs_ods_ops;

/* Isolated parsing. A parser library that may crash or hang on crafted input (libfreexl,
 * poppler) never runs in the caller's process. The caller's process may have other threads
 * (engine workers) holding allocator or GLib locks at any moment, and a forked copy of it
 * would inherit those locks held forever; so the child re-executes the running program
 * (/proc/self/exe) with MINCA_DOCS_CHILD=<kind> in its environment: a constructor in
 * docs_book.c sees it before main(), runs that kind's parse function on the input (fd 3, an
 * anonymous memory file, also reachable as /proc/self/fd/3 for libraries that want a path)
 * writing a record stream to fd 4, and exits. Only async-signal-safe calls happen between
 * fork and exec. If the exec fails, the forked child parses directly.
 *
 * parse(data, len, in_fd, out, lim) writes the stream and returns the exit status; a failure
 * writes one record 'X' u32 length + message (docs_child_fail) and returns non-zero. The child
 * has a CPU limit of `seconds`, an alarm of twice that, with max_memory > 0 an address-space
 * cap (not under AddressSanitizer) and with quiet its stderr on /dev/null. The parent checks
 * the exit and returns the stream (*out g_malloc'd); a crash, a hang or a failure record
 * becomes a readable error naming `what` ("XLS workbook", "PDF document"). */
typedef int (*docs_child_parse)(const void *data, size_t len, int in_fd, FILE *out,
                                const docs_limits *lim);
typedef struct docs_isolation {
    const char *kind;       /* "xls", "pdf": which parse function the child runs */
    const char *what;
    int seconds;
    size_t max_memory;
    bool quiet;
} docs_isolation;
int docs_parse_isolated(docs_book *book, const void *data, size_t len, const docs_isolation *iso,
                        unsigned char **out, size_t *out_len, minca_err *err);
/* The parse functions of the isolated readers. */
int docs_xls_child(const void *data, size_t len, int in_fd, FILE *out, const docs_limits *lim);
int docs_pdf_child(const void *data, size_t len, int in_fd, FILE *out, const docs_limits *lim);
int docs_ocr_child(const void *data, size_t len, int in_fd, FILE *out, const docs_limits *lim);

/* OCR (docs_ocr.c). The image reader's open; a scanned PDF (its text child's stream held no
 * text, `pages` pages) read by OCR into b; both end in docs_pdf_from_stream. */
int docs_ocr_open(const void *data, size_t len, docs_book *b, minca_err *err);
int docs_ocr_scan(const void *data, size_t len, int pages, docs_book *b, minca_err *err);
/* True when a record stream holds no character but spaces; *pages receives its pages. */
bool docs_ocr_stream_empty(const unsigned char *buf, size_t len, int *pages);
/* The reading to write for a word of the shape of a VIN read n times (1..3; readings[0] the
 * page's, upper case, '?' for a character outside the VIN alphabet): newly allocated
 * (g_free), or NULL to keep the page's reading. */
char *docs_ocr_vin_choose(const char *const *readings, int n);
/* Whether a word of Tesseract's starting at x = l (letters h high) goes on with the word whose
 * last character ends at prev_r (-1: none; prev_h high; prev_junk: a ruling line's mark such
 * as '|' or '_'): close to its right, and not left of the end of such a mark (the next
 * cell's word, that the mark ran into). */
bool docs_ocr_word_goes_on(int l, int h, int prev_r, int prev_h, bool prev_junk);
/* Marks cell col of the row being built as read by OCR with this confidence (0..100). */
void docs_row_set_confidence(docs_book *book, int col, double confidence);
/* Writes the failure record to the child's stream (rewinds it first). */
void docs_child_fail(FILE *out, const char *msg);

/* ---- ZIP containers (docs_zip.c): XLSX and ODS ---- */

/* An open container: the data stays borrowed; total_read counts the bytes inflated so far,
 * across every part, against max_uncompressed_bytes. `what` names the format in messages
 * ("ODS spreadsheet"); it is borrowed (a literal). */
typedef struct docs_zip {
    zip_t *zip;
    uint64_t total_read;
    const char *what;
} docs_zip;
typedef struct docs_zip_part docs_zip_part;

/* Opens the container and checks the sum of the declared sizes. On failure *z may still hold
 * an open archive: docs_zip_close() it either way. */
int docs_zip_open(docs_book *b, const void *data, size_t len, const char *what, docs_zip *z,
                  minca_err *err);
void docs_zip_close(docs_zip *z);
/* Index of a part (exact name, then case-insensitive), -1 when absent. */
zip_int64_t docs_zip_locate(docs_zip *z, const char *name);
/* A streaming XML reader over one part, after its size and ratio are checked. Both outputs
 * are owned by the caller and released together with docs_zip_part_close(). */
int docs_zip_part_open(docs_book *b, docs_zip *z, const char *name, docs_zip_part **part,
                       xmlTextReaderPtr *rd, minca_err *err);
/* The reason a read of the part failed (limit, damaged ZIP data, malformed XML); returns -1. */
int docs_zip_part_fail(docs_book *b, const docs_zip_part *part, minca_err *err);
void docs_zip_part_close(docs_zip_part *part, xmlTextReaderPtr rd);
/* The first `max` bytes of a part as a NUL-terminated string (*out g_malloc'd). */
int docs_zip_read_small(docs_book *b, docs_zip *z, const char *name, size_t max, char **out,
                        minca_err *err);

/* ---- the reader table (docs_readers.c) ---- */

/* The bytes being sniffed, with what every text format needs worked out once. */
typedef struct docs_sniffed {
    const unsigned char *data;
    size_t len;
    bool text;            /* no NUL and few control bytes in the first 8 KiB */
    const char *markup;   /* text starting with '<': its first 8 KiB in lower case, else NULL */
} docs_sniffed;

typedef struct docs_reader {
    docs_format format;
    const char *name;                 /* docs_format_name(); the isolated child's kind */
    bool (*sniff)(const docs_sniffed *s);   /* NULL: never sniffed (built by the caller) */
    /* Opens data (borrowed) into a book allocated with ops; NULL: the format is recognised
     * but refused with `refusal`. */
    int (*open)(const void *data, size_t len, docs_book *book, minca_err *err);
    const docs_reader_ops *ops;
    docs_child_parse child;           /* parse function of its isolated child, or NULL */
    const char *refusal;
    bool has_sheets;                  /* named sheets (the sheet name is kept on rows) */
    bool text_cells;                  /* cells are the text as written, not typed values */
} docs_reader;

/* The table, in sniffing order; *n receives its length. */
const docs_reader *docs_reader_first(size_t *n);
const docs_reader *docs_reader_of(docs_format f);        /* NULL for unknown / empty */
const docs_reader *docs_reader_named(const char *name);  /* NULL when no reader has the name */

/* Number of vehicle-list header words (table detection's vocabulary) found as whole words in
 * a folded text. */
int docs_header_vocab_count(const char *folded);

/* Number -> shortest text ("%.15g"), into buf[40]. */
void docs_number_text(double v, char buf[40]);

/* The book's name for messages ("attachment" when it has none). */
const char *docs_book_label(const docs_book *b);
/* XML reader helpers shared by the XLSX and XML Spreadsheet readers: the current node's
 * local name ("" when none), and an attribute by local name (any prefix; g_free it). */
const char *docs_xml_local(xmlTextReaderPtr rd);
char *docs_xml_attr(xmlTextReaderPtr rd, const char *name);

#endif
