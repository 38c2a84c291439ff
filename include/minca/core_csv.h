/* csv: RFC 4180 record splitter over an in-memory UTF-8 buffer (quotes, doubled quotes,
 * embedded newlines, CRLF or LF). No encoding or delimiter guessing here: the docs reader
 * does that before handing the buffer over. */
#ifndef MINCA_CORE_CSV_H
#define MINCA_CORE_CSV_H

#include "minca/core.h"

typedef struct csv_reader csv_reader;

/* The reader borrows data (it must outlive the reader). */
csv_reader *csv_reader_new(const char *data, size_t len, char delimiter);
void csv_reader_free(csv_reader *r);
/* Reads the next record. Returns 1 with *fields / *n_fields set (valid until the next call;
 * owned by the reader), 0 at end of input, -1 on a malformed record (unterminated quote) with
 * err naming the line. */
int csv_next(csv_reader *r, char ***fields, int *n_fields, minca_err *err);
/* 1-based physical line on which the last returned record started. */
long csv_line(const csv_reader *r);
/* Index of name in a header record, matched case- and accent-insensitively after trimming;
 * -1 when absent. */
int csv_header_index(char **fields, int n_fields, const char *name);

#endif
