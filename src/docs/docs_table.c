/* docs: table detection. Finds the sheet and header row of a vehicle list among title, logo
 * and blank rows, then streams its data rows until a TOTAL row or the end of the sheet. */
#include "docs_internal.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_ROWS 60        /* rows of each sheet examined for a header */
#define FOLLOW_ROWS 10      /* rows after a candidate header examined for data */

/* Header words of vehicle lists (folded). A header containing one as a whole word scores. */
static const char *const vocab[] = {
    "marca", "submarca", "sub marca", "modelo", "ano", "anio", "year", "version", "descripcion",
    "serie", "niv", "vin", "placas", "placa", "motor", "tipo", "linea", "uso", "cobertura",
    "paquete", "suma asegurada", "valor", "inciso", "unidad", "vehiculo", "chasis", "economico",
    "servicio", "armadora", "auto", "clave",
};

static bool has_word(const char *folded, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = strstr(folded, word); p; p = strstr(p + 1, word)) {
        bool start = p == folded || p[-1] == ' ';
        bool end = p[n] == '\0' || p[n] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

static int vocab_hits(const char *folded)
{
    for (size_t i = 0; i < sizeof vocab / sizeof *vocab; i++)
        if (has_word(folded, vocab[i]))
            return 1;
    return 0;
}

int docs_header_vocab_count(const char *folded)
{
    int n = 0;
    for (size_t i = 0; i < sizeof vocab / sizeof *vocab; i++)
        n += has_word(folded, vocab[i]);
    return n;
}

typedef struct win_row {
    long row;
    int n;
    char **text;          /* trimmed */
    docs_cell_type *type;
    bool *hidden;         /* column hidden */
} win_row;

static void win_free(GPtrArray *win)
{
    for (guint i = 0; i < win->len; i++) {
        win_row *r = g_ptr_array_index(win, i);
        for (int c = 0; c < r->n; c++)
            g_free(r->text[c]);
        g_free(r->text);
        g_free(r->type);
        g_free(r->hidden);
        g_free(r);
    }
    g_ptr_array_free(win, TRUE);
}

static int read_window(docs_book *book, int sheet, GPtrArray **out, minca_err *err)
{
    *out = g_ptr_array_new();
    if (docs_sheet_open(book, sheet, err) != 0)
        return -1;
    const docs_row *row;
    int rc = 0;
    while ((*out)->len < SCAN_ROWS + FOLLOW_ROWS && (rc = docs_sheet_next(book, &row, err)) == 1) {
        win_row *w = g_new0(win_row, 1);
        w->row = row->row;
        w->n = row->n_cells;
        w->text = g_new0(char *, w->n ? w->n : 1);
        w->type = g_new0(docs_cell_type, w->n ? w->n : 1);
        w->hidden = g_new0(bool, w->n ? w->n : 1);
        for (int c = 0; c < w->n; c++) {
            w->hidden[c] = (row->cells[c].flags & DOCS_CELL_HIDDEN_COL) != 0;
            w->text[c] = g_strstrip(g_strdup(row->cells[c].text));
            w->type[c] = w->text[c][0] ? row->cells[c].type : DOCS_CELL_EMPTY;
        }
        g_ptr_array_add(*out, w);
    }
    return rc < 0 ? -1 : 0;
}

static bool looks_numeric(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isdigit(*p) && *p != '.' && *p != ',' && *p != '$' && *p != ' ' && *p != '-')
            return false;
    return true;
}

static int non_empty(const win_row *r, int max_col)
{
    int n = 0;
    for (int c = 0; c < r->n && c < max_col; c++)
        n += r->type[c] != DOCS_CELL_EMPTY;
    return n;
}

static bool matches_required(const win_row *r, const docs_table_hint *hint)
{
    if (!hint || hint->n_required == 0)
        return true;
    for (int k = 0; k < hint->n_required; k++) {
        char *want = docs_fold(hint->required_headers[k]);
        bool found = false;
        for (int c = 0; c < r->n && !found; c++) {
            char *have = docs_fold(r->text[c]);
            found = strcmp(have, want) == 0;
            free(have);
        }
        free(want);
        if (!found)
            return false;
    }
    return true;
}

/* Score of window row i as a header; -1 when it cannot be one. */
static int header_score(GPtrArray *win, guint i, const docs_table_hint *hint)
{
    win_row *r = g_ptr_array_index(win, i);
    int text = 0, vocab_n = 0, extra = 0, numbers = 0, last_col = 0;
    for (int c = 0; c < r->n; c++) {
        if (r->type[c] == DOCS_CELL_EMPTY)
            continue;
        last_col = c + 1;
        if (r->type[c] != DOCS_CELL_TEXT || looks_numeric(r->text[c]) || strlen(r->text[c]) > 60) {
            numbers++;
            continue;
        }
        text++;
        char *f = docs_fold(r->text[c]);
        vocab_n += vocab_hits(f);
        if (hint && hint->header_score)
            extra += hint->header_score(r->text[c], hint->user) > 0;
        free(f);
    }
    if (text < 2 || numbers > text)
        return -1;
    int data = 0;
    for (guint j = i + 1; j < win->len && j <= i + FOLLOW_ROWS; j++) {
        win_row *d = g_ptr_array_index(win, j);
        if (non_empty(d, last_col) >= 2 && non_empty(d, last_col) * 3 >= text)
            data++;
    }
    if (vocab_n < 2 && !(text >= 3 && data >= 1))
        return -1;
    int score = vocab_n * 6 + extra * 6 + text * 2 + data;
    if (!matches_required(r, hint))
        score -= 1000;
    return score;
}

static bool sheet_name_ok(const char *name, const docs_table_hint *hint)
{
    if (!hint || !hint->sheet_pattern || !*hint->sheet_pattern)
        return true;
    GError *ge = NULL;
    GRegex *re = g_regex_new(hint->sheet_pattern, G_REGEX_CASELESS, 0, &ge);
    if (!re) {
        g_error_free(ge);
        return true;
    }
    bool ok = g_regex_match(re, name, 0, NULL);
    g_regex_unref(re);
    return ok;
}

static void fill_table(docs_table *t, docs_book *book, int sheet, const win_row *h, int score)
{
    t->sheet = sheet;
    t->sheet_name = strdup(docs_sheet_name(book, sheet));
    t->header_row = h->row;
    /* columns up to the last non-empty header */
    int n = h->n;
    while (n > 0 && h->type[n - 1] == DOCS_CELL_EMPTY)
        n--;
    t->n_cols = n;
    size_t cnt = n > 0 ? (size_t)n : 1;
    t->headers = calloc(cnt, sizeof *t->headers);
    t->hidden_cols = calloc(cnt, sizeof *t->hidden_cols);
    for (int c = 0; c < n; c++) {
        t->headers[c] = strdup(h->text[c]);
        t->hidden_cols[c] = h->hidden[c];
    }
    t->score = score;
}

int docs_table_find(docs_book *book, const docs_table_hint *hint, docs_table *table,
                    minca_err *err)
{
    memset(table, 0, sizeof *table);
    int best_sheet = -1, best_score = -1;
    long best_row = 0;
    int sheets = docs_sheet_count(book);
    for (int s = 0; s < sheets; s++) {
        if (!sheet_name_ok(docs_sheet_name(book, s), hint))
            continue;
        GPtrArray *win;
        if (read_window(book, s, &win, err) != 0) {
            win_free(win);
            return -1;
        }
        for (guint i = 0; i < win->len && i < SCAN_ROWS; i++) {
            win_row *r = g_ptr_array_index(win, i);
            int sc;
            if (hint && hint->header_row > 0)
                sc = r->row == hint->header_row ? 1000 : -1;
            else
                sc = header_score(win, i, hint);
            if (sc < 0)
                continue;
            if (docs_sheet_hidden(book, s))
                sc -= 500;
            if (sc > best_score) {
                best_score = sc;
                best_sheet = s;
                best_row = r->row;
            }
        }
        win_free(win);
    }
    if (best_sheet < 0) {
        const char *name = book->name[0] ? book->name : "attachment";
        if (hint && hint->sheet_pattern && *hint->sheet_pattern)
            return minca_err_set(err, "%s: no sheet matching '%s' holds a vehicle table", name,
                                 hint->sheet_pattern);
        return minca_err_set(err, "%s: no vehicle table found (no header row with columns such "
                                  "as MARCA, MODELO, AÑO, SERIE in the first %d rows of any sheet)",
                             name, SCAN_ROWS);
    }
    /* Re-read the chosen header row in full. */
    GPtrArray *win;
    if (read_window(book, best_sheet, &win, err) != 0) {
        win_free(win);
        return -1;
    }
    for (guint i = 0; i < win->len; i++) {
        win_row *r = g_ptr_array_index(win, i);
        if (r->row == best_row) {
            fill_table(table, book, best_sheet, r, best_score);
            break;
        }
    }
    win_free(win);
    return 0;
}

int docs_table_open(docs_book *book, docs_table *table, minca_err *err)
{
    table->stopped = false;
    table->stop_row = 0;
    if (docs_sheet_open(book, table->sheet, err) != 0)
        return -1;
    return 0;
}

static bool is_total_row(const docs_row *row, int n_cols)
{
    int filled = 0;
    const char *first = NULL;
    for (int c = 0; c < row->n_cells; c++) {
        const char *t = row->cells[c].text;
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        filled++;
        if (!first && row->cells[c].type == DOCS_CELL_TEXT)
            first = t;
    }
    if (!first)
        return false;
    char *f = docs_fold(first);
    bool total = g_str_has_prefix(f, "total") || g_str_has_prefix(f, "gran total") ||
                 g_str_has_prefix(f, "suma total") || g_str_has_prefix(f, "sumas") ||
                 strcmp(f, "suma") == 0;
    free(f);
    return total && filled <= (n_cols > 4 ? n_cols / 2 : 2);
}

int docs_table_next(docs_book *book, docs_table *table, const docs_row **row, minca_err *err)
{
    *row = NULL;
    if (table->stopped)
        return 0;
    const docs_row *r;
    int rc;
    while ((rc = docs_sheet_next(book, &r, err)) == 1) {
        if (r->row <= table->header_row || docs_row_is_blank(r))
            continue;
        if (is_total_row(r, table->n_cols)) {
            table->stopped = true;
            table->stop_row = r->row;
            return 0;
        }
        *row = r;
        return 1;
    }
    if (rc == 0)
        table->stopped = true;
    return rc;
}

void docs_table_clear(docs_table *table)
{
    if (!table)
        return;
    for (int c = 0; c < table->n_cols; c++)
        free(table->headers[c]);
    free(table->headers);
    free(table->hidden_cols);
    free(table->sheet_name);
    memset(table, 0, sizeof *table);
}
