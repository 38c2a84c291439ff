/* docs internals: merged ranges and hidden columns of a legacy XLS workbook's sheets, read
 * from its BIFF8 records (freexl does not expose them). For the XLS parser child only. */
#ifndef MINCA_DOCS_XLS_LAYOUT_H
#define MINCA_DOCS_XLS_LAYOUT_H

#include "docs_internal.h"

typedef struct xls_sheet_layout {
    char *name;            /* UTF-8, NULL when unreadable */
    GArray *merges;        /* docs_range, 1-based */
    GArray *hidden_cols;   /* guint16, 0-based */
} xls_sheet_layout;

/* One entry per BOUNDSHEET record, in workbook order; empty when the container or the stream
 * cannot be read. data is borrowed. The array (and its entries) is owned by the caller:
 * g_ptr_array_unref(). */
GPtrArray *docs_xls_layout_read(const void *data, size_t len);
void docs_xls_layout_free1(gpointer sheet);

#endif
