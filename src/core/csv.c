#include "minca/core_csv.h"
#include "minca/core_text.h"

#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct csv_reader {
    const char *data;
    size_t len, pos;
    char delim;
    long line, record_line;
    GString *buf;          /* all fields of the current record, NUL-separated */
    GPtrArray *fields;     /* char* into buf, one per field of the current record */
};

csv_reader *csv_reader_new(const char *data, size_t len, char delimiter)
{
    csv_reader *r = g_malloc0_n(1, sizeof *r);
    r->data = data;
    r->len = len;
    r->delim = delimiter ? delimiter : ',';
    r->line = 1;
    r->buf = g_string_sized_new(256);
    r->fields = g_ptr_array_new();
    /* Skip a UTF-8 byte order mark. */
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
    return r;
}

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    g_string_free(r->buf, TRUE);
    g_ptr_array_free(r->fields, TRUE);
    g_free(r);
}

long csv_line(const csv_reader *r) { return r->record_line; }

int csv_next(csv_reader *r, char ***fields, int *n_fields, minca_err *err)
{
    if (r->pos >= r->len)
        return 0;
    g_string_truncate(r->buf, 0);
    r->record_line = r->line;
    GArray *starts = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize start = 0;
    g_array_append_val(starts, start);
    bool in_quotes = false, done = false;
    while (r->pos < r->len && !done) {
        char c = r->data[r->pos++];
        if (in_quotes) {
            if (c == '"') {
                if (r->pos < r->len && r->data[r->pos] == '"') {
                    g_string_append_c(r->buf, '"');
                    r->pos++;
                } else {
                    in_quotes = false;
                }
            } else {
                if (c == '\n')
                    r->line++;
                g_string_append_c(r->buf, c);
            }
            continue;
        }
        if (c == '"') {
            in_quotes = true;
        } else if (c == r->delim) {
            g_string_append_c(r->buf, '\0');
            start = r->buf->len;
            g_array_append_val(starts, start);
        } else if (c == '\r' && r->pos < r->len && r->data[r->pos] == '\n') {
            continue;
        } else if (c == '\n') {
            r->line++;
            done = true;
        } else {
            g_string_append_c(r->buf, c);
        }
    }
    if (in_quotes) {
        g_array_free(starts, TRUE);
        return minca_err_set(err, "line %ld: unterminated quoted field", r->record_line);
    }
    if (starts->len > INT_MAX) {
        g_array_free(starts, TRUE);
        return minca_err_set(err, "line %ld: too many fields", r->record_line);
    }
    g_ptr_array_set_size(r->fields, (gint)starts->len);
    for (guint i = 0; i < starts->len; i++)
        g_ptr_array_index(r->fields, i) = r->buf->str + g_array_index(starts, gsize, i);
    g_array_free(starts, TRUE);
    *fields = (char **)r->fields->pdata;
    *n_fields = (int)r->fields->len;
    return 1;
}

static char *fold_name(const char *s)
{
    return text_fold(s, TEXT_FOLD_ASCII | TEXT_FOLD_TRIM);
}

int csv_header_index(char **fields, int n_fields, const char *name)
{
    char *want = fold_name(name);
    int found = -1;
    for (int i = 0; i < n_fields && found < 0; i++) {
        char *have = fold_name(fields[i]);
        if (strcmp(have, want) == 0)
            found = i;
        g_free(have);
    }
    g_free(want);
    return found;
}
