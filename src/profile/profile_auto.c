/* profile: automatic column mapping (header synonyms + value sniffing) and draft profiles. */
#include "profile_internal.h"
#include "minca/core_vehicle.h"
#include "minca/core_config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_ROWS 200
#define F_MODELO PF_COUNT   /* pseudo-field: "MODELO" is the model year or the model line */

typedef struct synonym {
    char *folded;
    int field;              /* profile_field or F_MODELO */
    double conf;
} synonym;

/* The vocabulary of data/profile/columns.txt: header synonyms (Spanish broker vocabulary,
 * typos and truncations included, folded: lower case, no accents, punctuation as spaces) and
 * the words that tell what values are. Loaded once. */
typedef struct auto_vocab {
    GArray *synonyms;       /* synonym */
    GPtrArray *brands, *coverage, *uses;   /* folded words */
} auto_vocab;

static void vocab_line(auto_vocab *v, const char *path, int lineno, char *line)
{
    char *sp = strchr(line, ' ');
    if (!sp)
        goto bad;
    *sp = '\0';
    char *rest = g_strstrip(sp + 1);
    if (!strcmp(line, "header")) {
        char *eq = strrchr(rest, '=');
        if (!eq)
            goto bad;
        *eq = '\0';
        char **rhs = g_strsplit(g_strstrip(eq + 1), " ", 2);
        int field = rhs[0] && !strcmp(rhs[0], "modelo") ? F_MODELO : (int)profile_field_from_name(rhs[0]);
        char *end = NULL;
        double conf = rhs[0] && rhs[1] ? g_ascii_strtod(rhs[1], &end) : -1;
        bool ok = field != PF_NONE && end && !*g_strstrip(end) && conf > 0 && conf <= 1;
        g_strfreev(rhs);
        if (!ok)
            goto bad;
        synonym syn = { docs_fold(g_strstrip(rest)), field, conf };
        g_array_append_val(v->synonyms, syn);
        return;
    }
    GPtrArray *list = !strcmp(line, "brand") ? v->brands : !strcmp(line, "coverage") ? v->coverage
                    : !strcmp(line, "use") ? v->uses : NULL;
    if (!list)
        goto bad;
    g_ptr_array_add(list, docs_fold(rest));
    return;
bad:
    log_warn("%s:%d: not a rule (header PHRASE = FIELD CONFIDENCE | brand | coverage | use WORD)", path, lineno);
}

static gpointer vocab_load(gpointer unused)
{
    (void)unused;
    auto_vocab *v = g_new0(auto_vocab, 1);
    v->synonyms = g_array_new(FALSE, FALSE, sizeof(synonym));
    v->brands = g_ptr_array_new();
    v->coverage = g_ptr_array_new();
    v->uses = g_ptr_array_new();
    const minca_config *cfg = config_get();
    char *path = g_build_filename(cfg && cfg->data_dir ? cfg->data_dir : "data", "profile", "columns.txt", NULL);
    char *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(path, &text, NULL, &ge)) {
        log_warn("column vocabulary %s not read (%s): automatic mapping goes by the values alone",
                 path, ge->message);
        g_error_free(ge);
        g_free(path);
        return v;
    }
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (*l && *l != '#')
            vocab_line(v, path, i + 1, l);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return v;
}

static const auto_vocab *vocab(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, vocab_load, NULL);
}

static bool in_words(const char *folded, const GPtrArray *words)
{
    for (guint i = 0; i < words->len; i++)
        if (!strcmp(folded, g_ptr_array_index(words, i)))
            return true;
    return false;
}

static bool has_word(const char *folded, const char *word)
{
    size_t n = strlen(word);
    if (!n)
        return false;
    for (const char *p = strstr(folded, word); p; p = strstr(p + 1, word)) {
        if ((p == folded || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return true;
    }
    return false;
}

/* s without its spaces (g_free). */
static char *compact_spaces(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++)
        if (*s != ' ')
            g_string_append_c(out, *s);
    return g_string_free(out, FALSE);
}

/* Whether `compact` (no spaces) is `folded` without its spaces. */
static bool same_compact(const char *compact, const char *folded)
{
    for (; *folded; folded++) {
        if (*folded == ' ')
            continue;
        if (*compact++ != *folded)
            return false;
    }
    return *compact == '\0';
}

/* Header guess: field (or F_MODELO / PF_NONE), confidence, reason. */
static int header_guess(const char *header, double *conf, char *reason, size_t rlen)
{
    char *f = docs_fold(header);
    int best = PF_NONE;
    size_t best_len = 0;
    double best_conf = 0;
    const char *how = "";
    const char *syn_text = "";
    if (!g_ascii_isalnum(*f)) {
        g_free(f);
        const char *h = header;
        while (*h == ' ')
            h++;
        if (*h == '#') {
            *conf = 0.85;
            snprintf(reason, rlen, "header '#' is the item number");
            return PF_INCISO;
        }
        return PF_NONE;
    }
    size_t flen = strlen(f);
    char *fc = compact_spaces(f);
    const GArray *synonyms = vocab()->synonyms;
    for (guint i = 0; i < synonyms->len; i++) {
        const synonym *s = &g_array_index(synonyms, synonym, i);
        size_t n = strlen(s->folded);
        double c = 0;
        const char *kind = NULL;
        if (strcmp(f, s->folded) == 0) {
            c = s->conf;
            kind = "is";
            n += 1000;   /* exact beats everything */
        } else if (strchr(f, ' ') && same_compact(fc, s->folded)) {
            c = s->conf * 0.9;   /* OCR spaced its letters out: `SU MA ASEG U RADA` */
            kind = "read without its spaces is";
            n += 500;
        } else if (flen >= 5 && n > flen && strncmp(s->folded, f, flen) == 0) {
            c = s->conf * 0.9;
            kind = "looks like a truncated";
        } else if (has_word(f, s->folded)) {
            c = s->conf * 0.8;
            kind = "contains";
        }
        if (kind && n > best_len) {
            best_len = n;
            best = s->field;
            best_conf = c;
            how = kind;
            syn_text = s->folded;
        }
    }
    g_free(f);
    g_free(fc);
    if (best == PF_NONE)
        return PF_NONE;
    *conf = best_conf;
    if (best == F_MODELO)
        snprintf(reason, rlen, "header '%s' %s 'modelo' (model year or model line)", header, how);
    else
        snprintf(reason, rlen, "header '%s' %s '%s', a synonym of %s", header, how, syn_text,
                 profile_field_name((profile_field)best));
    return best;
}

typedef struct colstats {
    int n, year, vin_shape, vin_valid, plate, money, seq_int, brand, coverage, use, long_text;
    double prev_int;
    bool ascending;
} colstats;

static bool is_brand(const char *folded)
{
    const GPtrArray *brands = vocab()->brands;
    for (guint i = 0; i < brands->len; i++) {
        const char *b = g_ptr_array_index(brands, i);
        size_t n = strlen(b);
        if (n && strncmp(folded, b, n) == 0 && (folded[n] == '\0' || folded[n] == ' '))
            return true;
    }
    return false;
}

static bool is_coverage(const char *folded)
{
    const GPtrArray *words = vocab()->coverage;
    for (guint i = 0; i < words->len; i++)
        if (has_word(folded, g_ptr_array_index(words, i)))
            return true;
    return false;
}

static void sniff_value(colstats *st, const docs_cell *cell)
{
    const char *t = cell->text;
    while (*t == ' ')
        t++;
    if (!*t)
        return;
    st->n++;
    int y;
    if (profile_parse_year(t, &y) && vehicle_year_plausible(y) && strlen(t) <= 6)
        st->year++;
    char *clean = profile_vin_clean(t);
    if (strlen(clean) == 17) {
        bool alnum = true;
        for (char *p = clean; *p && alnum; p++)
            alnum = g_ascii_isalnum(*p);
        if (alnum)
            st->vin_shape++;
        if (profile_vin_check_digit(clean))
            st->vin_valid++;
    }
    g_free(clean);
    if (cell->type == DOCS_CELL_TEXT && profile_looks_plate(t) && strlen(t) < 17)
        st->plate++;
    double m;
    char *f = docs_fold(t);
    if (strstr(f, "valor comercial") || strstr(f, "valor factura"))
        st->money++;
    char *end;
    double v = g_ascii_strtod(t, &end);
    bool plain_number = end != t && *end == '\0';
    if (cell->type == DOCS_CELL_NUMBER || plain_number) {
        double num = cell->type == DOCS_CELL_NUMBER ? cell->number : v;
        if (num >= 5000 && (num > VEHICLE_YEAR_MAX || !vehicle_year_plausible((int)num)))
            st->money++;
    } else if (strpbrk(t, "$,") && profile_parse_money(t, &m) && m >= 1000) {
        st->money++;
    }
    if (plain_number && v == floor(v) && v >= 0 && v < 100000) {
        st->seq_int++;
        if (st->n > 1 && v < st->prev_int)
            st->ascending = false;
        st->prev_int = v;
    }
    if (is_brand(f))
        st->brand++;
    if (is_coverage(f))
        st->coverage++;
    if (in_words(f, vocab()->uses))
        st->use++;
    int words = 0;
    bool letters = false;
    for (char *p = f; *p; p++) {
        if (*p == ' ')
            words++;
        if (g_ascii_isalpha(*p))
            letters = true;
    }
    if (words >= 2 && letters)
        st->long_text++;
    g_free(f);
}

/* Value guess from the statistics. */
static int value_guess(const colstats *st, double *conf, char *reason, size_t rlen)
{
    if (st->n == 0)
        return PF_NONE;
    double n = st->n;
#define SHARE(x) ((x) / n)
    if (SHARE(st->vin_valid) >= 0.5 || SHARE(st->vin_shape) >= 0.8) {
        *conf = SHARE(st->vin_valid) >= 0.5 ? 0.95 : 0.8;
        snprintf(reason, rlen, "%.0f%% of values are 17-character VINs (%.0f%% with a valid check digit)",
                 100 * SHARE(st->vin_shape), 100 * SHARE(st->vin_valid));
        return PF_VIN;
    }
    if (SHARE(st->year) >= 0.9) {
        *conf = 0.9;
        snprintf(reason, rlen, "%.0f%% of values are 4-digit model years", 100 * SHARE(st->year));
        return PF_YEAR;
    }
    if (SHARE(st->coverage) >= 0.8) {
        *conf = 0.8;
        snprintf(reason, rlen, "%.0f%% of values are coverage packages (AMPLIA, LIMITADA, RC)",
                 100 * SHARE(st->coverage));
        return PF_COVERAGE;
    }
    if (SHARE(st->use) >= 0.8) {
        *conf = 0.75;
        snprintf(reason, rlen, "%.0f%% of values are vehicle uses (CARGA, PARTICULAR, ...)",
                 100 * SHARE(st->use));
        return PF_USE;
    }
    if (SHARE(st->money) >= 0.8) {
        *conf = 0.7;
        snprintf(reason, rlen, "%.0f%% of values are amounts of money or VALOR COMERCIAL",
                 100 * SHARE(st->money));
        return PF_INSURED_AMOUNT;
    }
    if (SHARE(st->brand) >= 0.7 && SHARE(st->long_text) < 0.5) {
        *conf = 0.75;
        snprintf(reason, rlen, "%.0f%% of values are vehicle brands", 100 * SHARE(st->brand));
        return PF_MARCA;
    }
    if (SHARE(st->plate) >= 0.7) {
        *conf = 0.6;
        snprintf(reason, rlen, "%.0f%% of values look like plates", 100 * SHARE(st->plate));
        return PF_PLATES;
    }
    if (SHARE(st->seq_int) >= 0.9 && st->ascending) {
        *conf = 0.55;
        snprintf(reason, rlen, "ascending whole numbers (an item number)");
        return PF_INCISO;
    }
    if (SHARE(st->long_text) >= 0.7) {
        *conf = 0.5;
        snprintf(reason, rlen, "%.0f%% of values are multi-word text", 100 * SHARE(st->long_text));
        return PF_DESCRIPTION;
    }
#undef SHARE
    return PF_NONE;
}

int pf_auto_header_known(const char *header, void *unused)
{
    (void)unused;
    double conf;
    char reason[200];
    int h = header_guess(header, &conf, reason, sizeof reason);
    return h != PF_NONE && h != PF_IGNORE;
}

/* A column's header guess: by its field-name part ("MARCA" under the group "VEHÍCULO"); when
 * that names nothing, by the whole band ("VEHÍCULO / ...") with less confidence. */
static int column_guess(const docs_table *table, int c, double *conf, char *reason, size_t rlen)
{
    const char *name = table->names ? table->names[c] : table->headers[c];
    int h = header_guess(name, conf, reason, rlen);
    if (h != PF_NONE || !table->groups || !table->groups[c][0])
        return h;
    h = header_guess(table->headers[c], conf, reason, rlen);
    if (h != PF_NONE)
        *conf *= 0.8;
    return h;
}

/* Of two columns read as the same field, the visible one serves it before a hidden one; then
 * the more confident one, then the first. */
static bool column_wins(const docs_table *table, const profile_column *cols, int c, int d)
{
    bool hc = table->hidden_cols && table->hidden_cols[c], hd = table->hidden_cols && table->hidden_cols[d];
    if (hc != hd)
        return hd;
    if (cols[c].confidence != cols[d].confidence)
        return cols[c].confidence > cols[d].confidence;
    return c < d;
}

int profile_auto_map(docs_book *book, docs_table *table, profile_column **cols_out, int *n_out,
                     minca_err *err)
{
    return pf_auto_map_detail(book, table, cols_out, NULL, n_out, err);
}

int pf_auto_map_detail(docs_book *book, docs_table *table, profile_column **cols_out,
                       pf_auto_col **detail_out, int *n_out, minca_err *err)
{
    int n = table->n_cols;
    colstats *st = g_malloc0_n((size_t)(n ? n : 1), sizeof *st);
    for (int c = 0; c < n; c++)
        st[c].ascending = true;
    if (docs_table_open(book, table, err) != 0) {
        g_free(st);
        return -1;
    }
    const docs_row *row;
    int rc = 0, sampled = 0;
    while (sampled < SAMPLE_ROWS && (rc = docs_table_next(book, table, &row, err)) == 1) {
        sampled++;
        for (int c = 0; c < n && c < row->n_cells; c++)
            sniff_value(&st[c], &row->cells[c]);
    }
    if (sampled < SAMPLE_ROWS && rc < 0) {
        g_free(st);
        return -1;
    }
    profile_column *cols = g_malloc0_n((size_t)(n ? n : 1), sizeof *cols);
    pf_auto_col *detail = g_malloc0_n((size_t)(n ? n : 1), sizeof *detail);
    for (int c = 0; c < n; c++) {
        char hr[200] = "", vr[200] = "", reason[420];
        double hc = 0, vc = 0;
        int h = column_guess(table, c, &hc, hr, sizeof hr);
        int v = value_guess(&st[c], &vc, vr, sizeof vr);
        detail[c].header_field = h == F_MODELO ? PF_NONE : (profile_field)h;
        detail[c].value_field = (profile_field)v;
        detail[c].value_conf = v == PF_NONE ? 0 : vc;
        detail[c].n_values = st[c].n;
        int field = PF_IGNORE;
        double conf = 0.3;
        double year_share = st[c].n ? (double)st[c].year / st[c].n : 0;
        if (h == F_MODELO) {
            if (v == PF_YEAR || year_share >= 0.6) {
                field = PF_YEAR;
                conf = v == PF_YEAR ? 0.9 : 0.75;
                snprintf(reason, sizeof reason, "%s; %.0f%% of values are 4-digit model years, so it "
                         "is the model year", hr, 100 * year_share);
            } else {
                field = PF_SUBMARCA;
                conf = 0.6;
                snprintf(reason, sizeof reason, "%s; values are not years, so it is the model line", hr);
            }
        } else if (h != PF_NONE && v != PF_NONE &&
                   (h == v || (h == PF_VERSION && v == PF_DESCRIPTION) ||
                    (h == PF_SUBMARCA && v == PF_MARCA))) {
            field = h;
            conf = fmin(0.99, fmax(hc, vc) + 0.05);
            snprintf(reason, sizeof reason, "%s; %s", hr, vr);
        } else if (h != PF_NONE && v != PF_NONE) {
            /* Disagreement: strong value evidence (VINs, years) overrides a weak header. */
            bool strong_value = (v == PF_VIN && vc >= 0.95) || (v == PF_YEAR && h != PF_INCISO && hc < 0.9);
            if (h == PF_IGNORE || !strong_value) {
                field = h;
                conf = h == PF_IGNORE ? hc : fmax(0.4, hc - 0.15);
                snprintf(reason, sizeof reason, "%s (values suggest %s: %s)", hr,
                         profile_field_name((profile_field)v), vr);
            } else {
                field = v;
                conf = fmax(0.5, vc - 0.15);
                snprintf(reason, sizeof reason, "%s, but %s", hr, vr);
            }
        } else if (h != PF_NONE) {
            field = h;
            conf = st[c].n == 0 ? hc * 0.85 : hc;
            snprintf(reason, sizeof reason, "%s%s", hr, st[c].n == 0 ? " (column empty in the sample)" : "");
        } else if (v != PF_NONE) {
            field = v;
            conf = vc;
            snprintf(reason, sizeof reason, "unknown header '%s'; %s", table->headers[c], vr);
        } else {
            snprintf(reason, sizeof reason, "no synonym for header '%s' and no recognisable values",
                     table->headers[c]);
        }
        if (table->hidden_cols && table->hidden_cols[c]) {
            size_t l = strlen(reason);
            snprintf(reason + l, sizeof reason - l, " [hidden column]");
        }
        cols[c].col = c;
        cols[c].header = g_strdup(table->headers[c]);
        cols[c].field = (profile_field)field;
        cols[c].confidence = conf;
        cols[c].reason = g_strdup(reason);
    }
    /* One column per field: the most confident keeps it. */
    for (int c = 0; c < n; c++) {
        if (cols[c].field == PF_IGNORE)
            continue;
        for (int d = 0; d < n; d++) {
            if (d == c || cols[d].field != cols[c].field)
                continue;
            int loser = column_wins(table, cols, c, d) ? d : c;
            int winner = loser == c ? d : c;
            bool hidden_lost = table->hidden_cols && table->hidden_cols[loser] && !table->hidden_cols[winner];
            char *r = g_strdup_printf(hidden_lost ? "%s; also looked like %s but the visible column '%s' serves it"
                                                  : "%s; also looked like %s but column '%s' fits better",
                                      cols[loser].reason, profile_field_name(cols[loser].field),
                                      cols[winner].header);
            g_free(cols[loser].reason);
            cols[loser].reason = g_strdup(r);
            g_free(r);
            cols[loser].field = PF_IGNORE;
            cols[loser].confidence = 0.3;
        }
    }
    g_free(st);
    *cols_out = cols;
    if (detail_out)
        *detail_out = detail;
    else
        g_free(detail);
    *n_out = n;
    return 0;
}

/* ---- draft YAML ---- */

/* Characters YAML does not allow literally: C0 / C1 controls, DEL, BOM, non-characters. */
static bool yaml_unprintable(gunichar c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xFEFF || c >= 0xFFFE ||
           (c >= 0xD800 && c <= 0xDFFF);
}

static void yaml_quote(GString *out, const char *s)
{
    char *valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", (char)c);
        else if (c < 0x100 && yaml_unprintable(c))
            g_string_append_printf(out, "\\x%02x", (unsigned)c);
        else if (yaml_unprintable(c))
            g_string_append_printf(out, "\\u%04x", (unsigned)(c & 0xFFFF));
        else
            g_string_append_unichar(out, c);
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

/* Text safe inside a YAML comment: one line, no unprintable characters. */
static char *comment_text(const char *s)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    GString *out = g_string_new(NULL);
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (yaml_unprintable(c) || c == 0x85 || c == 0x2028 || c == 0x2029)
            g_string_append_c(out, c == '\t' ? ' ' : '?');
        else
            g_string_append_unichar(out, c);
    }
    g_free(valid);
    return g_string_free(out, FALSE);
}

static char *regex_escape_anchor(const char *s)
{
    char *esc = g_regex_escape_string(s, -1);
    char *r = g_strdup_printf("^%s$", esc);
    g_free(esc);
    return r;
}

static char *derive_name(const char *name, const char *domain, const char *filename)
{
    const char *src = name && *name ? name : domain && *domain ? domain : filename ? filename : "broker";
    if (!(name && *name) && domain && *domain) {
        /* first label of the domain */
        const char *dot = strchr(domain, '.');
        char *label = dot ? g_strndup(domain, (gsize)(dot - domain)) : g_strdup(domain);
        char *f = docs_fold(label);
        g_free(label);
        for (char *p = f; *p; p++)
            if (*p == ' ')
                *p = '-';
        return f;
    }
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    char *stem = g_strdup(base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem && !(name && *name))
        *dot = '\0';
    char *f = docs_fold(stem);
    g_free(stem);
    for (char *p = f; *p; p++)
        if (*p == ' ')
            *p = '_';
    if (!*f) {
        g_free(f);
        f = g_strdup("broker");
    }
    return f;
}

/* The draft's head comment: the file, its format, sheet, encoding, header row and data rows. */
static void append_source(GString *y, docs_book *book, const docs_table *t, const char *filename_hint, long rows)
{
    docs_format fmt = docs_book_format(book);
    bool sheets = docs_format_has_sheets(fmt);
    g_string_append_printf(y, "# Draft broker profile written by `minca profile suggest`.\n");
    char *src_name = comment_text(filename_hint && *filename_hint ? filename_hint : "attachment");
    char *sheet_name = comment_text(t->sheet_name);
    g_string_append_printf(y, "# Source: %s (%s", src_name, docs_format_name(fmt));
    if (sheets)
        g_string_append_printf(y, ", sheet '%s'", sheet_name);
    g_free(src_name);
    g_free(sheet_name);
    if (fmt == DOCS_FMT_CSV)
        g_string_append_printf(y, ", %s, delimiter '%s'", docs_book_encoding(book),
                               docs_book_delimiter(book) == '\t' ? "\\t" : (char[]){ docs_book_delimiter(book), 0 });
    if (fmt == DOCS_FMT_PDF)   /* rows are the printed table's data rows */
        g_string_append_printf(y, ", %ld data rows", rows);
    else
        g_string_append_printf(y, ", header on row %ld, %ld data rows", t->header_row, rows);
    if (t->stop_row)
        g_string_append_printf(y, ", totals on row %ld", t->stop_row);
    g_string_append(y, ").\n# Review every mapping below; the confidence and the reason follow each one.\n");
}

/* The detect rules: the sender's domain, up to four confident headers, the sheet's name. */
static void append_detect(GString *y, docs_book *book, const docs_table *t, const char *domain,
                          const profile_column *cols, int n)
{
    bool sheets = docs_format_has_sheets(docs_book_format(book));
    if (domain && *domain) {
        g_string_append(y, "  sender_domains: [");
        yaml_quote(y, domain);
        g_string_append(y, "]\n");
    }
    int req = 0;
    g_string_append(y, "  required_headers: [");
    for (int c = 0; c < n && req < 4; c++) {
        if (cols[c].field == PF_IGNORE || cols[c].confidence < 0.8 || !cols[c].header[0])
            continue;
        if (req++)
            g_string_append(y, ", ");
        yaml_quote(y, cols[c].header);
    }
    g_string_append(y, "]\n");
    if (sheets && docs_sheet_count(book) > 1) {
        char *re = regex_escape_anchor(t->sheet_name);
        g_string_append(y, "  sheet_name: ");
        yaml_quote(y, re);
        g_string_append_printf(y, "   # the vehicles are on this sheet (of %d)\n", docs_sheet_count(book));
        g_free(re);
    }
}

/* The mapping of each named column with its confidence and reason; have[field] set for each. */
static void append_mapping(GString *y, const profile_column *cols, int n, bool have[PF_COUNT])
{
    size_t width = 0;
    for (int c = 0; c < n; c++)
        width = MAX(width, strlen(cols[c].header) + 2);
    for (int c = 0; c < n; c++) {
        if (!cols[c].header[0])
            continue;
        have[cols[c].field] = true;
        GString *line = g_string_new("  ");
        GString *key = g_string_new(NULL);
        yaml_quote(key, cols[c].header);
        if (key->len > 1000)   /* YAML limits implicit keys to 1024 characters */
            g_string_append_printf(line, "? %s\n  : %s", key->str, profile_field_name(cols[c].field));
        else
            g_string_append_printf(line, "%s: %s", key->str, profile_field_name(cols[c].field));
        g_string_free(key, TRUE);
        while (line->len < width + 22)
            g_string_append_c(line, ' ');
        char *why = comment_text(cols[c].reason);
        g_string_append_printf(line, " # %.2f %s\n", cols[c].confidence, why);
        g_free(why);
        g_string_append(y, line->str);
        g_string_free(line, TRUE);
    }
}

/* The normalize, parse, compute and validate rules the mapped fields (have) call for. */
static void append_rules(GString *y, const bool have[PF_COUNT])
{
    g_string_append(y, "\nnormalize:\n  all: [strip, collapse_spaces]\n");
    if (have[PF_VIN])
        g_string_append(y, "  vin: [upper, {replace: {pattern: \"[^A-Z0-9]\", with: \"\"}}]\n");
    if (have[PF_COVERAGE])
        g_string_append(y, "  coverage: [upper, remove_accents]\n");
    if (have[PF_USE])
        g_string_append(y, "  use: [upper, remove_accents]\n");
    g_string_append(y, "\nparse:\n");
    if (have[PF_YEAR])
        g_string_append(y, "  year: year\n");
    if (have[PF_INSURED_AMOUNT])
        g_string_append(y, "  insured_amount: money     # \"$ 450,000.00\", 450000, VALOR COMERCIAL\n");
    if (have[PF_VIN])
        g_string_append(y, "  vin: vin\n");
    if (have[PF_INCISO])
        g_string_append(y, "  inciso: int\n");
    GString *tmpl = g_string_new(NULL);
    const profile_field parts[] = { PF_MARCA, PF_SUBMARCA, PF_VERSION, PF_DESCRIPTION };
    for (size_t i = 0; i < 4; i++)
        if (have[parts[i]])
            g_string_append_printf(tmpl, "%s{%s}", tmpl->len ? " " : "", profile_field_name(parts[i]));
    if (tmpl->len)
        g_string_append_printf(y, "\ncompute:\n  description: \"%s\"\n", tmpl->str);
    g_string_free(tmpl, TRUE);
    g_string_append(y, "\nvalidate:\n");
    GDateTime *now = g_date_time_new_now_local();
    g_string_append_printf(y, "  year: {required: true, min: 1950, max: %d}\n",
                           g_date_time_get_year(now) + 2);
    g_date_time_unref(now);
    g_string_append(y, "  description: {required: true}\n");
    if (have[PF_VIN])
        g_string_append(y, "  vin: {check_digit: true, pattern: \"^[A-HJ-NPR-Z0-9]{17}$\"}\n");
    if (have[PF_COVERAGE])
        g_string_append(y, "  coverage: {enum: [AMPLIA, LIMITADA, RC, BASICA]}\n");
    g_string_append(y, "\non_error: warn   # warn | skip_row | fail\n");
}

int profile_suggest_book(docs_book *book, const char *filename_hint, const char *name,
                         const char *domain, char **yaml, minca_err *err)
{
    *yaml = NULL;
    docs_table t;
    if (docs_table_find(book, NULL, &t, err) != 0)
        return -1;
    profile_column *cols = NULL;
    int n = 0;
    if (profile_auto_map(book, &t, &cols, &n, err) != 0) {
        docs_table_clear(&t);
        return -1;
    }
    /* count data rows for the header comment */
    long rows = 0;
    const docs_row *row;
    if (docs_table_open(book, &t, err) == 0)
        while (docs_table_next(book, &t, &row, err) == 1)
            rows++;
    char *pname = derive_name(name, domain, filename_hint);
    GString *y = g_string_new(NULL);
    append_source(y, book, &t, filename_hint, rows);
    g_string_append(y, "name: ");
    bool plain = g_ascii_isalnum(pname[0]);
    for (const char *q = pname; *q && plain; q++)
        plain = g_ascii_isalnum(*q) || *q == '-' || *q == '_';
    if (plain)
        g_string_append(y, pname);
    else
        yaml_quote(y, pname);
    g_string_append(y, "\nversion: 1\ndescription: ");
    /* The broker's display name is not in the file: the domain stands in until staff type it. */
    yaml_quote(y, domain && *domain ? domain : pname);
    g_string_append(y, "   # the broker's name as staff know it (shown as the broker)\n\ndetect:\n");
    append_detect(y, book, &t, domain, cols, n);
    g_string_append(y, "\nmapping:\n");
    bool have[PF_COUNT] = { 0 };
    append_mapping(y, cols, n, have);
    append_rules(y, have);
    *yaml = g_strdup(y->str);
    g_string_free(y, TRUE);
    g_free(pname);
    profile_columns_free(cols, n);
    docs_table_clear(&t);
    return 0;
}

int profile_suggest(const void *data, size_t len, const char *filename_hint, const char *name,
                    const char *domain, const docs_limits *lim, char **yaml, minca_err *err)
{
    docs_book *book;
    if (docs_open(data, len, filename_hint, lim, &book, err) != 0)
        return -1;
    int rc = profile_suggest_book(book, filename_hint, name, domain, yaml, err);
    docs_close(book);
    return rc;
}
