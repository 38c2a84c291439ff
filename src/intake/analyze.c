/* Pre-analysis of a broker's email body (Spanish): client, RFC, contact, coverage, payment
 * terms, vigencia, uso and loss history, plus the requirements that are missing.
 *
 * The text is cut into sections, newest first: the part above the quoted history, the quoted
 * history, then each forwarded message. Each field is taken from the first section that
 * states it; inside a section a "Label: value" line beats a free-text sentence. Matching
 * runs on an accent-free lower-case copy of each line (text_fold_offsets) and values are cut from
 * the original text, so accents and Ñ survive. */
#include "intake_internal.h"
#include "minca/core_config.h"
#include "minca/core_text.h"

#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    char *orig;
    char *fold;
    size_t *off;   /* fold index → byte offset in orig */
} line;

typedef struct section {
    line *lines;
    size_t n;
} section;

typedef struct sections {
    section *s;
    size_t n;
} sections;

/* ------------------------------------------------------------------ text → lines --- */

/* The section of the lines an array holds (moved: the array is freed). */
static section section_of(GArray *lines)
{
    section s = {0};
    s.lines = g_array_steal(lines, &s.n);
    g_array_free(lines, TRUE);
    return s;
}

static void section_add_line(GArray *lines, const char *start, size_t len)
{
    line l;
    l.orig = g_strndup(start, len);
    for (char *p = l.orig; *p; p++)
        if (*p == '\t')
            *p = ' ';
    l.fold = text_fold_offsets(l.orig, &l.off);
    g_array_append_val(lines, l);
}

static section split_lines(const char *text)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(line));
    const char *p = text;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        size_t l = len;
        if (l && p[l - 1] == '\r')
            l--;
        section_add_line(lines, p, l);
        p = e ? e + 1 : NULL;
    }
    return section_of(lines);
}

static void section_free(section *s)
{
    for (size_t i = 0; i < s->n; i++) {
        g_free(s->lines[i].orig);
        g_free(s->lines[i].fold);
        g_free(s->lines[i].off);
    }
    g_free(s->lines);
    s->lines = NULL;
    s->n = 0;
}

static const char *skip_ws(const char *f)
{
    while (*f == ' ' || *f == '\t')
        f++;
    return f;
}

static bool starts(const char *f, const char *prefix)
{
    return strncmp(f, prefix, strlen(prefix)) == 0;
}

/* Where the quoted history begins (index of the first line of it), or n. */
static size_t quote_start(const section *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *f = skip_ws(s->lines[i].fold);
        if (starts(f, "__________") || starts(f, "-----original message") ||
            starts(f, "----- original message") || starts(f, "-----mensaje original") ||
            starts(f, "----- mensaje original") || starts(f, "---------- forwarded message") ||
            starts(f, "---------- mensaje reenviado") || starts(f, "-------- mensaje original") ||
            starts(f, "begin forwarded message") || starts(f, "inicio del mensaje reenviado"))
            return i;
        if (f[0] == '>')
            return i;
        size_t fl = strlen(f);
        if ((starts(f, "el ") && fl > 9 && strcmp(f + fl - 9, "escribio:") == 0) ||
            (starts(f, "on ") && fl > 6 && strcmp(f + fl - 6, "wrote:") == 0))
            return i;
        /* Gmail wraps a long "El ..., X <x@y> escribió:" over two lines. */
        if ((starts(f, "el ") || starts(f, "on ")) && i + 1 < s->n) {
            const char *g = s->lines[i + 1].fold;
            size_t gl = strlen(g);
            while (gl && g[gl - 1] == ' ')
                gl--;
            if ((gl >= 9 && strncmp(g + gl - 9, "escribio:", 9) == 0) || (gl >= 6 && strncmp(g + gl - 6, "wrote:", 6) == 0))
                return i;
        }
        if (starts(f, "de:") || starts(f, "from:")) {
            for (size_t j = i + 1; j < s->n && j <= i + 4; j++) {
                const char *g = skip_ws(s->lines[j].fold);
                if (starts(g, "enviado") || starts(g, "sent:") || starts(g, "fecha:") || starts(g, "date:") ||
                    starts(g, "para:") || starts(g, "to:"))
                    return i;
            }
        }
    }
    return s->n;
}

/* Appends the text's two sections (GArray of section): above the quoted history, and the history. */
static void add_text_sections(GArray *out, const char *text)
{
    if (!text || !*text)
        return;
    section all = split_lines(text);
    size_t q = quote_start(&all);
    size_t cut = q < all.n ? q : all.n;
    GArray *newest = g_array_new(FALSE, FALSE, sizeof(line)), *history = g_array_new(FALSE, FALSE, sizeof(line));
    g_array_append_vals(newest, all.lines, (guint)cut);
    g_array_append_vals(history, all.lines + cut, (guint)(all.n - cut));
    g_free(all.lines);
    section two[2] = {section_of(newest), section_of(history)};
    g_array_append_vals(out, two, 2);
}

/* The sections an array holds (moved: the array is freed). */
static sections sections_of(GArray *all)
{
    sections ss = {0};
    ss.s = g_array_steal(all, &ss.n);
    g_array_free(all, TRUE);
    return ss;
}

static void add_message_sections(GArray *out, const intake_message *m)
{
    char *text = intake_message_text(m);
    add_text_sections(out, text);
    g_free(text);
    for (size_t i = 0; i < m->n_forwarded; i++)
        add_message_sections(out, m->forwarded[i]);
}

static void sections_free(sections *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        section_free(&ss->s[i]);
    g_free(ss->s);
}

/* ------------------------------------------------------------------ small helpers --- */

static bool is_wordc(char c)
{
    return isalnum((unsigned char)c) || c == '?';
}

/* First occurrence of word w in f with word boundaries, or NULL. */
static const char *find_word(const char *f, const char *w)
{
    size_t wl = strlen(w);
    for (const char *p = strstr(f, w); p; p = strstr(p + 1, w)) {
        bool left = p == f || !is_wordc(p[-1]);
        bool right = !is_wordc(p[wl]) || !is_wordc(w[wl - 1]);
        if (left && right)
            return p;
    }
    return NULL;
}

/* Trimmed copy of orig between fold indexes [fs, fe). */
static char *orig_sub(const line *l, size_t fs, size_t fe)
{
    size_t a = l->off[fs], b = l->off[fe];
    while (a < b && (l->orig[a] == ' ' || l->orig[a] == '\t'))
        a++;
    while (b > a && (l->orig[b - 1] == ' ' || l->orig[b - 1] == '\t'))
        b--;
    if (b <= a)
        return NULL;
    return g_strndup(l->orig + a, b - a);
}

static void strip_trailing(char *s, const char *chars)
{
    if (!s)
        return;
    size_t n = strlen(s);
    while (n && strchr(chars, s[n - 1]))
        s[--n] = '\0';
}

/* "Label: value" lines. The label is normalised (bullets, dots and extra blanks removed)
 * into lab; *vstart is the fold index of the value. */
static bool split_label(const line *l, char *lab, size_t labsz, size_t *vstart)
{
    const char *f = l->fold;
    size_t i = 0;
    while (f[i] == ' ' || f[i] == '-' || f[i] == '*' || f[i] == '?' || f[i] == '>')
        i++;
    const char *colon = strchr(f + i, ':');
    if (!colon || colon - (f + i) > 60 || colon == f + i)
        return false;
    size_t k = 0;
    bool space = false;
    for (const char *p = f + i; p < colon && k + 1 < labsz; p++) {
        if (*p == '.' || *p == '*' || *p == '(' || *p == ')')
            continue;
        if (*p == ' ') {
            space = k > 0;
            continue;
        }
        if (space && k + 2 < labsz)
            lab[k++] = ' ';
        space = false;
        lab[k++] = *p;
    }
    lab[k] = '\0';
    *vstart = (size_t)(colon - f) + 1;
    return k > 0;
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static const char *const LAB_CLIENT[] = {"razon social", "cliente", "contratante", "asegurado", "nombre del cliente",
    "nombre o razon social", "razon social del cliente", "empresa", "prospecto", "nombre del asegurado",
    "nombre / razon social", "cliente / razon social", "denominacion", "denominacion o razon social", NULL};
static const char *const LAB_RFC[] = {"rfc", "rfc del cliente", "registro federal de contribuyentes", "rfc cliente", NULL};
static const char *const LAB_CONTACT[] = {"contacto", "contacto del cliente", "persona de contacto", "atencion",
    "atn", "attn", "contacto cliente", "nombre de contacto", "contacto con el cliente", NULL};
static const char *const LAB_COVERAGE[] = {"cobertura", "cobertura solicitada", "paquete", "tipo de cobertura",
    "paquete de cobertura", "plan", "coberturas", "cobertura requerida", NULL};
static const char *const LAB_PAYMENT[] = {"forma de pago", "forma pago", "pago", "periodicidad de pago",
    "frecuencia de pago", "esquema de pago", "forma de pago solicitada", "periodicidad", NULL};
static const char *const LAB_VIGENCIA[] = {"vigencia", "vigencia solicitada", "periodo de vigencia", "vigencia de la poliza",
    "periodo", NULL};
static const char *const LAB_VIG_START[] = {"inicio de vigencia", "inicio vigencia", "fecha de inicio", "inicio", NULL};
static const char *const LAB_VIG_END[] = {"fin de vigencia", "fin vigencia", "fecha de fin", "termino de vigencia", NULL};
static const char *const LAB_EMAIL[] = {"correo", "email", "e-mail", "correo electronico", "mail", "correo del contacto", NULL};
static const char *const LAB_PHONE[] = {"telefono del contacto", "tel contacto", "telefono de contacto", NULL};

/* ------------------------------------------------------------------ normalisers --- */

static const char *norm_coverage(const char *fold)
{
    if (strstr(fold, "amplia") || strstr(fold, "amplio"))
        return "AMPLIA";
    if (strstr(fold, "limitad"))
        return "LIMITADA";
    if (strstr(fold, "responsabilidad civil") || strstr(fold, "danos a terceros") || find_word(fold, "rc") ||
        strstr(fold, "terceros"))
        return "RC";
    return NULL;
}

static const char *norm_payment(const char *fold)
{
    if (strstr(fold, "semestral"))
        return "SEMESTRAL";
    if (strstr(fold, "trimestral"))
        return "TRIMESTRAL";
    if (strstr(fold, "mensual"))
        return "MENSUAL";
    if (strstr(fold, "anual") || strstr(fold, "contado") || strstr(fold, "pago unico"))
        return "ANUAL";
    return NULL;
}

/* The vehicle-use vocabulary (data/intake/uso.txt): phrases and the use each means, the
 * words that make a label a use label, and the cue words of running text. Loaded once; when
 * the file cannot be read the four basic uses stand in and a warning is logged. */
typedef struct uso_vocab {
    GPtrArray *phrases;   /* folded phrase (char*) */
    GPtrArray *uses;      /* its use, same index */
    GPtrArray *labels;    /* folded words */
    GPtrArray *not_labels;   /* folded words: a label holding one is about something else */
    GPtrArray *cues;      /* folded words */
} uso_vocab;

static const char USO_FALLBACK[] = "carga = CARGA\nparticular = PARTICULAR\ncomercial = COMERCIAL\n"
                                   "personal = PERSONAL\nlabel uso\ncue uso\n";

static char *fold_plain(const char *s)
{
    char *f = text_fold_offsets(s, NULL);
    g_strstrip(f);
    return f;
}

static void uso_vocab_parse(uso_vocab *v, const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *line = g_strstrip(*l);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq) {
            *eq = '\0';
            g_ptr_array_add(v->phrases, fold_plain(line));
            g_ptr_array_add(v->uses, g_strdup(g_strstrip(eq + 1)));
        } else if (g_str_has_prefix(line, "label ")) {
            g_ptr_array_add(v->labels, fold_plain(line + 6));
        } else if (g_str_has_prefix(line, "notlabel ")) {
            g_ptr_array_add(v->not_labels, fold_plain(line + 9));
        } else if (g_str_has_prefix(line, "cue ")) {
            g_ptr_array_add(v->cues, fold_plain(line + 4));
        }
    }
    g_strfreev(lines);
}

static gpointer uso_vocab_load(gpointer unused)
{
    (void)unused;
    uso_vocab *v = g_new0(uso_vocab, 1);
    v->phrases = g_ptr_array_new();
    v->uses = g_ptr_array_new();
    v->labels = g_ptr_array_new();
    v->not_labels = g_ptr_array_new();
    v->cues = g_ptr_array_new();
    const minca_config *cfg = config_get();
    char *path = g_build_filename(cfg && cfg->data_dir ? cfg->data_dir : "data", "intake", "uso.txt", NULL);
    char *text = NULL;
    GError *ge = NULL;
    if (g_file_get_contents(path, &text, NULL, &ge)) {
        uso_vocab_parse(v, text);
        g_free(text);
    } else {
        log_warn("vehicle-use vocabulary %s not read (%s); using the four basic uses", path, ge->message);
        g_error_free(ge);
        uso_vocab_parse(v, USO_FALLBACK);
    }
    g_free(path);
    return v;
}

static const uso_vocab *uso_vocab_get(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, uso_vocab_load, NULL);
}

static bool has_any_word(const char *fold, const GPtrArray *words)
{
    for (guint i = 0; i < words->len; i++)
        if (find_word(fold, g_ptr_array_index(words, i)))
            return true;
    return false;
}

/* The use named first in fold (the longest phrase where several start at the same place);
 * *distinct counts the different uses named. */
static const char *uso_in(const char *fold, int *distinct)
{
    const uso_vocab *v = uso_vocab_get();
    const char *best = NULL, *best_at = NULL, *named[8];
    size_t best_len = 0;
    int n = 0;
    for (guint i = 0; i < v->phrases->len; i++) {
        const char *ph = g_ptr_array_index(v->phrases, i), *use = g_ptr_array_index(v->uses, i);
        const char *at = *ph ? find_word(fold, ph) : NULL;
        if (!at)
            continue;
        if (!best || at < best_at || (at == best_at && strlen(ph) > best_len)) {
            best = use;
            best_at = at;
            best_len = strlen(ph);
        }
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(named[k], use) == 0;
        if (!seen && n < 8)
            named[n++] = use;
    }
    if (distinct)
        *distinct = n;
    return best;
}

static const char *norm_uso(const char *fold)
{
    return uso_in(fold, NULL);
}

static int uso_count(const char *fold)
{
    int n = 0;
    uso_in(fold, &n);
    return n;
}

static bool uso_label(const char *lab)
{
    return has_any_word(lab, uso_vocab_get()->labels) && !has_any_word(lab, uso_vocab_get()->not_labels);
}

/* ------------------------------------------------------------------ dates --- */

typedef struct ymd {
    int y, m, d;
} ymd;

static int month_of(const char *f, size_t *len)
{
    static const struct { const char *p; int m; } mon[] = {
        {"ene", 1}, {"jan", 1}, {"feb", 2}, {"mar", 3}, {"abr", 4}, {"apr", 4}, {"may", 5}, {"jun", 6},
        {"jul", 7}, {"ago", 8}, {"aug", 8}, {"sep", 9}, {"set", 9}, {"oct", 10}, {"nov", 11}, {"dic", 12},
        {"dec", 12}};
    for (size_t i = 0; i < G_N_ELEMENTS(mon); i++)
        if (strncmp(f, mon[i].p, 3) == 0) {
            size_t k = 3;
            while (isalpha((unsigned char)f[k]))
                k++;
            *len = k;
            return mon[i].m;
        }
    return 0;
}

static size_t read_num(const char *f, int *v, size_t maxdig)
{
    size_t k = 0;
    int n = 0;
    while (isdigit((unsigned char)f[k]) && k < maxdig + 1) {
        n = n * 10 + (f[k] - '0');
        k++;
    }
    if (k > maxdig)
        return 0;
    *v = n;
    return k;
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
           g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
}

/* Finds dates in folded text: dd/mm/yyyy, dd-mm-yy, yyyy-mm-dd, 01-nov-2025,
 * "15 de diciembre de 2025", "1o. de diciembre 2025". Dates without a year are ignored. */
static size_t parse_dates(const char *f, ymd *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; f[i] && n < max; i++) {
        if (!isdigit((unsigned char)f[i]) || (i > 0 && isalnum((unsigned char)f[i - 1])))
            continue;
        int a = 0, b = 0, c = 0;
        size_t k = read_num(f + i, &a, 4);
        if (!k)
            continue;
        size_t j = i + k;
        if (k == 4 && (f[j] == '-' || f[j] == '/')) {
            size_t k2 = read_num(f + j + 1, &b, 2);
            if (k2 && f[j + 1 + k2] == f[j]) {
                size_t k3 = read_num(f + j + 2 + k2, &c, 2);
                if (k3 && valid_ymd(a, b, c)) {
                    out[n++] = (ymd){a, b, c};
                    i = j + 2 + k2 + k3 - 1;
                }
            }
            continue;
        }
        if (k > 2)
            continue;
        if ((f[j] == '/' || f[j] == '-' || f[j] == '.') && isdigit((unsigned char)f[j + 1])) {
            size_t k2 = read_num(f + j + 1, &b, 2);
            char sep = f[j];
            if (k2 && f[j + 1 + k2] == sep) {
                size_t k3 = read_num(f + j + 2 + k2, &c, 4);
                if (k3 == 2)
                    c += 2000;
                if ((k3 == 2 || k3 == 4) && valid_ymd(c, b, a)) {
                    out[n++] = (ymd){c, b, a};
                    i = j + 2 + k2 + k3 - 1;
                }
            }
            continue;
        }
        /* Day followed by a month name. */
        size_t p = j;
        if (f[p] == 'o' && !isalpha((unsigned char)f[p + 1]))
            p++;   /* "1o." */
        else if (f[p] == 'r' && f[p + 1] == 'o')
            p += 2;   /* "1ro" */
        if (f[p] == '.')
            p++;
        while (f[p] == ' ' || f[p] == '-' || f[p] == '/')
            p++;
        if (starts(f + p, "de "))
            p += 3;
        size_t ml = 0;
        int m = month_of(f + p, &ml);
        if (!m)
            continue;
        p += ml;
        if (f[p] == '.')
            p++;
        while (f[p] == ' ' || f[p] == '-' || f[p] == '/' || f[p] == ',')
            p++;
        if (starts(f + p, "de "))
            p += 3;
        else if (starts(f + p, "del "))
            p += 4;
        size_t ky = read_num(f + p, &c, 4);
        if (ky == 2)
            c += 2000;
        if ((ky == 4 || ky == 2) && valid_ymd(c, m, a)) {
            out[n++] = (ymd){c, m, a};
            i = p + ky - 1;
        }
    }
    return n;
}

static char *ymd_str(ymd d)
{
    return core_strdup_printf("%04d-%02d-%02d", d.y, d.m, d.d);
}

static ymd add_year(ymd d)
{
    GDate g;
    g_date_clear(&g, 1);
    g_date_set_dmy(&g, (GDateDay)d.d, (GDateMonth)d.m, (GDateYear)d.y);
    g_date_add_years(&g, 1);
    return (ymd){g_date_get_year(&g), g_date_get_month(&g), g_date_get_day(&g)};
}

/* ------------------------------------------------------------------ field parsers --- */

typedef struct result {
    intake_analysis *a;
} result;

static void note(intake_analysis *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(intake_analysis *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    intake_strv_pushf(&a->notes, &a->n_notes, "%s", s);
    g_free(s);
}

/* RFC candidate in orig starting at byte offset `at`: letters, digits, &, Ñ, '-', ' ', '.'. */
static bool rfc_from(const char *orig, size_t at, char **norm, char **raw)
{
    const char *p = orig + at;
    while (*p == ' ' || *p == ':' || *p == '.' || *p == '\t' || *p == '-')
        p++;
    /* Collect up to 13 significant characters, remembering where each ends. */
    gunichar sig[14];
    const char *ends[14];
    int ns = 0;
    const char *q = p;
    while (*q && ns < 13) {
        gunichar c = g_utf8_get_char_validated(q, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2)
            break;
        const char *nx = g_utf8_next_char(q);
        if (c == '-' || c == ' ' || c == '.') {
            if (nx[0] == ' ' || nx[0] == '-')   /* two separators in a row end the token */
                break;
            q = nx;
            continue;
        }
        gunichar up = g_unichar_toupper(c);
        if (!((up >= 'A' && up <= 'Z') || (up >= '0' && up <= '9') || up == '&' || up == 0xD1))
            break;
        sig[ns] = up;
        ends[ns] = nx;
        ns++;
        q = nx;
    }
    for (int len = 13; len >= 12; len--) {
        if (ns < len)
            continue;
        GString *s = g_string_new(NULL);
        for (int i = 0; i < len; i++)
            g_string_append_unichar(s, sig[i]);
        if (intake_rfc_shape_ok(s->str)) {
            /* A 12-character match followed by more letters or digits is not a token. */
            bool glued = false;
            gunichar after = g_utf8_get_char_validated(ends[len - 1], -1);
            if (after != (gunichar)-1 && after != (gunichar)-2 && g_unichar_isalnum(after))
                glued = true;
            if (!glued) {
                *norm = g_string_free(s, FALSE);
                char *r = g_strndup(p, (size_t)(ends[len - 1] - p));
                *raw = r;
                char *tmp = g_strdup(*norm);
                g_free(*norm);
                *norm = tmp;
                return true;
            }
        }
        g_string_free(s, TRUE);
    }
    return false;
}

/* A labelled RFC that does not have the SAT shape is kept (flagged invalid) rather than lost:
 * the first token of the value, separators removed. */
static bool malformed_rfc(const char *value, intake_analysis *a)
{
    const char *p = value;
    while (*p == ' ' || *p == ':' || *p == '.' || *p == '\t')
        p++;
    const char *e = p;
    while (*e && *e != ' ' && *e != ',' && *e != ';' && *e != '(' && *e != '/')
        e++;
    if (e == p || e - p > 20)
        return false;
    char *raw = g_strndup(p, (size_t)(e - p));
    strip_trailing(raw, ".");
    GString *n = g_string_new(NULL);
    for (const char *q = raw; *q; q = g_utf8_next_char(q)) {
        gunichar c = g_utf8_get_char(q);
        if (c != '-' && c != '.' && c != '_')
            g_string_append_unichar(n, g_unichar_toupper(c));
    }
    glong len = g_utf8_strlen(n->str, -1);
    bool has_digit = strpbrk(n->str, "0123456789") != NULL;
    if (len < 9 || len > 15 || !has_digit) {
        g_string_free(n, TRUE);
        g_free(raw);
        return false;
    }
    a->rfc_raw = raw;
    a->rfc = g_string_free(n, FALSE);
    char *copy = g_strdup(a->rfc);
    g_free(a->rfc);
    a->rfc = copy;
    note(a, "RFC \"%s\" does not have the SAT shape (3 or 4 letters, YYMMDD, 3 characters)", a->rfc_raw);
    return true;
}

/* Last resort: an unlabelled token anywhere that passes the full check, digit included. */
static bool bare_rfc(const section *s, intake_analysis *a)
{
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        for (size_t k = 0; l->fold[k]; k++) {
            if (k > 0 && (isalnum((unsigned char)l->fold[k - 1]) || l->fold[k - 1] == '?' || l->fold[k - 1] == '&'))
                continue;
            if (!isalpha((unsigned char)l->fold[k]) && l->fold[k] != '?' && l->fold[k] != '&')
                continue;
            char *norm = NULL, *raw = NULL;
            if (rfc_from(l->orig, l->off[k], &norm, &raw) && intake_rfc_valid(norm)) {
                a->rfc = norm;
                a->rfc_raw = raw;
                note(a, "RFC %s found without a label", norm);
                return true;
            }
            g_free(norm);
            g_free(raw);
        }
    }
    return false;
}

static bool find_rfc(const section *s, bool labelled, intake_analysis *a)
{
    char lab[96];
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        size_t vs;
        if (labelled) {
            if (!split_label(l, lab, sizeof lab, &vs) || !in_list(lab, LAB_RFC))
                continue;
            if (rfc_from(l->orig, l->off[vs], &a->rfc, &a->rfc_raw))
                return true;
            if (malformed_rfc(l->orig + l->off[vs], a))
                return true;
            continue;
        }
        for (const char *f = l->fold; *f;) {
            const char *w = find_word(f, "rfc");
            const char *w2 = strstr(f, "r.f.c");
            if (w2 && (!w || w2 < w))
                w = w2;
            if (!w)
                break;
            size_t at = (size_t)(w - l->fold) + (w == w2 ? 5 : 3);
            if (rfc_from(l->orig, l->off[at], &a->rfc, &a->rfc_raw))
                return true;
            f = w + 3;
        }
    }
    return false;
}

static char *cut_client(const line *l, size_t vs)
{
    const char *f = l->fold + vs;
    size_t end = strlen(l->fold);
    static const char *const stops[] = {", con rfc", " con rfc", ", con r.f.c", ", rfc", ", dedicad", ", con giro",
                                        ", con domicilio", NULL};
    for (size_t i = 0; stops[i]; i++) {
        const char *p = strstr(f, stops[i]);
        if (p && (size_t)(p - l->fold) < end)
            end = (size_t)(p - l->fold);
    }
    char *v = orig_sub(l, vs, end);
    return v;
}

static bool find_client(const section *s, bool labelled, intake_analysis *a)
{
    char lab[96];
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        size_t vs;
        if (labelled) {
            if (split_label(l, lab, sizeof lab, &vs) && in_list(lab, LAB_CLIENT)) {
                char *v = cut_client(l, vs);
                if (v) {
                    a->client_name = v;
                    return true;
                }
            }
            continue;
        }
        static const char *const intro[] = {"el cliente es ", "nuestro cliente es ", "la empresa es ",
                                            "el asegurado es ", "el prospecto es ", NULL};
        for (size_t k = 0; intro[k]; k++) {
            const char *p = strstr(l->fold, intro[k]);
            if (!p)
                continue;
            char *v = cut_client(l, (size_t)(p - l->fold) + strlen(intro[k]));
            if (v) {
                /* A sentence ends at ". " or at the line end. */
                strip_trailing(v, " ");
                a->client_name = v;
                return true;
            }
        }
    }
    return false;
}

static char *email_in(const char *orig)
{
    const char *at = strchr(orig, '@');
    if (!at)
        return NULL;
    const char *b = at, *e = at + 1;
    while (b > orig && (isalnum((unsigned char)b[-1]) || strchr("._%+-", b[-1])))
        b--;
    while (*e && (isalnum((unsigned char)*e) || *e == '.' || *e == '-'))
        e++;
    while (e > at + 1 && e[-1] == '.')
        e--;
    if (b == at || e == at + 1 || !memchr(at, '.', (size_t)(e - at)))
        return NULL;
    char *r = g_strndup(b, (size_t)(e - b));
    for (char *p = r; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return r;
}

/* A phone number starting at fold index `from`: digits, blanks, ( ) - + and dots, 8+ digits. */
static char *phone_from(const line *l, size_t from)
{
    const char *f = l->fold;
    size_t i = from;
    while (f[i] && !isdigit((unsigned char)f[i]) && f[i] != '(' && f[i] != '+') {
        if (isalpha((unsigned char)f[i]) && i > from + 3)
            return NULL;
        i++;
    }
    size_t s = i, e = i;
    int digits = 0;
    while (f[e] && (isdigit((unsigned char)f[e]) || strchr(" ()-+.", f[e]))) {
        if (isdigit((unsigned char)f[e]))
            digits++;
        e++;
    }
    if (digits < 8 || digits > 15)
        return NULL;
    char *v = orig_sub(l, s, e);
    strip_trailing(v, " .-(");
    return v;
}

static void parse_contact_value(const line *l, size_t vs, intake_analysis *a)
{
    const char *f = l->fold;
    size_t end = strlen(f);
    size_t name_end = end;
    static const char *const stops[] = {" / ", "/", "  ", " tel", ",tel", "tel.", " cel", "(", ",", " - ", " correo",
                                        " email", " e-mail", "@", " ext", NULL};
    for (size_t i = 0; stops[i]; i++) {
        const char *p = strstr(f + vs, stops[i]);
        if (p && (size_t)(p - f) < name_end)
            name_end = (size_t)(p - f);
    }
    if (!a->contact_name) {
        char *name = orig_sub(l, vs, name_end);
        strip_trailing(name, " .,;:-/");
        if (name && *name && strchr(name, '@') == NULL)
            a->contact_name = name;
        else
            g_free(name);
    }
    if (!a->contact_phone) {
        const char *t = NULL;
        static const char *const tel[] = {"tel", "cel", "telefono", "movil", "whatsapp", NULL};
        for (size_t i = 0; tel[i] && !t; i++) {
            const char *p = f + vs;
            while ((p = strstr(p, tel[i])) != NULL) {
                if (p == f || !isalpha((unsigned char)p[-1])) {
                    t = p;
                    break;
                }
                p++;
            }
        }
        if (t)
            a->contact_phone = phone_from(l, (size_t)(t - f));
        else
            a->contact_phone = phone_from(l, name_end);
    }
    if (!a->contact_email)
        a->contact_email = email_in(l->orig + l->off[vs]);
}

static bool find_contact(const section *s, bool labelled, intake_analysis *a)
{
    char lab[96];
    bool found = false;
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        size_t vs;
        if (labelled) {
            if (!split_label(l, lab, sizeof lab, &vs))
                continue;
            if (in_list(lab, LAB_CONTACT)) {
                parse_contact_value(l, vs, a);
                found = true;
            } else if (found && in_list(lab, LAB_EMAIL) && !a->contact_email) {
                a->contact_email = email_in(l->orig + l->off[vs]);
            } else if (in_list(lab, LAB_PHONE) && !a->contact_phone) {
                a->contact_phone = phone_from(l, vs);
            }
            continue;
        }
        static const char *const intro[] = {"persona de contacto es ", "el contacto es ", "contacto es ",
                                            "la contacto es ", "atencion a ", "con atencion a ", NULL};
        for (size_t k = 0; intro[k] && !found; k++) {
            const char *p = strstr(l->fold, intro[k]);
            if (!p)
                continue;
            parse_contact_value(l, (size_t)(p - l->fold) + strlen(intro[k]), a);
            found = true;
        }
        if (found)
            break;
    }
    return found;
}

static char *value_until(const line *l, size_t vs, const char *const *stops)
{
    const char *f = l->fold;
    size_t end = strlen(f);
    for (size_t i = 0; stops && stops[i]; i++) {
        const char *p = strstr(f + vs, stops[i]);
        if (p && (size_t)(p - f) < end)
            end = (size_t)(p - f);
    }
    char *v = orig_sub(l, vs, end);
    strip_trailing(v, " .,;:");
    return v;
}

/* The value folded and classified by norm: a static code, or NULL when it names nothing
 * norm knows. */
static const char *classify(const char *v, const char *(*norm)(const char *fold))
{
    char *fv = v ? text_fold_offsets(v, NULL) : NULL;
    const char *c = fv ? norm(fv) : NULL;
    g_free(fv);
    return c;
}

/* A field written as "Label: value" with one of labels, classified by norm into *code and
 * *raw. A value norm does not know is noted (what names the field in the note). */
static bool find_labelled(const section *s, const char *const *labels, const char *(*norm)(const char *fold),
                          const char *what, const char **code, char **raw, intake_analysis *a)
{
    char lab[96];
    for (size_t i = 0; i < s->n; i++) {
        size_t vs;
        if (!split_label(&s->lines[i], lab, sizeof lab, &vs) || !in_list(lab, labels))
            continue;
        char *v = value_until(&s->lines[i], vs, NULL);
        const char *c = classify(v, norm);
        if (c) {
            *code = c;
            *raw = v;
            return true;
        }
        if (v)
            note(a, "%s \"%s\" not recognised", what, v);
        g_free(v);
    }
    return false;
}

/* The value after `key` in free text (up to one of stops), when norm classifies it and it is
 * shorter than max_len. */
static bool find_after(const line *l, const char *at, const char *key, const char *const *stops,
                       const char *(*norm)(const char *fold), size_t max_len, const char **code, char **raw)
{
    char *v = value_until(l, (size_t)(at - l->fold) + strlen(key), stops);
    const char *c = classify(v, norm);
    if (c && v && strlen(v) < max_len) {
        *code = c;
        *raw = v;
        return true;
    }
    g_free(v);
    return false;
}

static bool find_coverage(const section *s, bool labelled, intake_analysis *a)
{
    if (labelled)
        return find_labelled(s, LAB_COVERAGE, norm_coverage, "coverage", &a->coverage, &a->coverage_raw, a);
    static const char *const stops[] = {" con vigencia", " con una vigencia", ", vigencia", "; ", ". ", ", forma", NULL};
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        const char *f = l->fold;
        for (const char *p = find_word(f, "cobertura"); p; p = find_word(p + 1, "cobertura"))
            if (find_after(l, p, "cobertura", stops, norm_coverage, 60, &a->coverage, &a->coverage_raw))
                return true;
        if (strstr(f, "responsabilidad civil") && (strstr(f, "cotiz") || strstr(f, "requier") || strstr(f, "solicit"))) {
            a->coverage = "RC";
            a->coverage_raw = g_strdup("responsabilidad civil");
            return true;
        }
    }
    return false;
}

static bool find_payment(const section *s, bool labelled, intake_analysis *a)
{
    if (labelled)
        return find_labelled(s, LAB_PAYMENT, norm_payment, "payment terms", &a->payment_terms, &a->payment_terms_raw, a);
    static const char *const stops[] = {". ", "; ", ", vigencia", ", con ", NULL};
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        const char *p = strstr(l->fold, "forma de pago");
        if (p && find_after(l, p, "forma de pago", stops, norm_payment, SIZE_MAX, &a->payment_terms, &a->payment_terms_raw))
            return true;
    }
    return false;
}

static bool set_vigencia_from(const char *fold_value, intake_analysis *a)
{
    ymd d[4];
    size_t n = parse_dates(fold_value, d, 4);
    if (n == 0)
        return false;
    a->vigencia_start = ymd_str(d[0]);
    if (n >= 2) {
        a->vigencia_end = ymd_str(d[1]);
        if (strcmp(a->vigencia_end, a->vigencia_start) <= 0)
            note(a, "vigencia ends (%s) before it starts (%s)", a->vigencia_end, a->vigencia_start);
    } else if (strstr(fold_value, "anual") || strstr(fold_value, "un ano") || strstr(fold_value, "12 meses") ||
               strstr(fold_value, "a partir") || strstr(fold_value, "desde")) {
        a->vigencia_end = ymd_str(add_year(d[0]));
        a->vigencia_end_implicit = true;
        note(a, "vigencia end computed as one year after the start");
    } else {
        note(a, "vigencia without an end date");
    }
    return true;
}

static bool find_vigencia(const section *s, bool labelled, intake_analysis *a)
{
    char lab[96];
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        size_t vs;
        if (labelled) {
            if (!split_label(l, lab, sizeof lab, &vs))
                continue;
            if (in_list(lab, LAB_VIGENCIA) && set_vigencia_from(l->fold + vs, a))
                return true;
            if (in_list(lab, LAB_VIG_START)) {
                ymd d[2];
                if (parse_dates(l->fold + vs, d, 1) == 1) {
                    a->vigencia_start = ymd_str(d[0]);
                    for (size_t j = i + 1; j < s->n && j <= i + 3; j++) {
                        size_t vs2;
                        if (split_label(&s->lines[j], lab, sizeof lab, &vs2) && in_list(lab, LAB_VIG_END) &&
                            parse_dates(s->lines[j].fold + vs2, d, 1) == 1)
                            a->vigencia_end = ymd_str(d[0]);
                    }
                    return true;
                }
            }
            continue;
        }
        const char *p = find_word(l->fold, "vigencia");
        if (p && set_vigencia_from(p, a))
            return true;
    }
    return false;
}

/* The stated use in the broker's words, kept whether or not the vocabulary knows them: a
 * stated use is never dropped. */
static void keep_uso_words(intake_analysis *a, const char *orig, const char *use)
{
    size_t n = strlen(orig);
    char *w = g_strstrip(g_utf8_make_valid(orig, (gssize)(n > 200 ? 200 : n)));
    if (*w && !a->uso_raw) {
        a->uso_raw = g_strdup(w);
        if (!use)
            note(a, "use stated as \"%s\": no use of the vocabulary fits; kept as written", w);
    }
    g_free(w);
}

static bool find_uso(const section *s, bool labelled, intake_analysis *a, bool *ambiguous)
{
    char lab[96];
    const char *seen = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        size_t vs;
        if (labelled) {
            if (split_label(l, lab, sizeof lab, &vs) && uso_label(lab)) {
                const char *u = norm_uso(l->fold + vs);
                keep_uso_words(a, l->orig + l->off[vs], u);
                if (u && uso_count(l->fold + vs) > 1) {
                    *ambiguous = true;
                    note(a, "several uses stated (\"%s\"); uso left empty", l->orig + l->off[vs]);
                    return true;
                }
                if (u) {
                    a->uso = u;
                    return true;
                }
            }
            continue;
        }
        const GPtrArray *cues = uso_vocab_get()->cues;
        for (guint c = 0; c < cues->len; c++) {
            const char *cue = g_ptr_array_index(cues, c);
            for (const char *p = find_word(l->fold, cue); p; p = find_word(p + 1, cue)) {
                char window[48];
                snprintf(window, sizeof window, "%s", p + strlen(cue));
                const char *u = norm_uso(window);
                if (!u)
                    continue;
                if (seen && strcmp(seen, u) != 0) {
                    *ambiguous = true;
                    note(a, "several uses stated (%s, %s); uso left empty", seen, u);
                    return true;
                }
                seen = u;
            }
        }
    }
    if (seen) {
        a->uso = seen;
        return true;
    }
    return false;
}

static bool find_loss(const section *s, intake_analysis *a)
{
    for (size_t i = 0; i < s->n; i++) {
        const line *l = &s->lines[i];
        const char *p = strstr(l->fold, "siniestralidad");
        if (!p)
            p = strstr(l->fold, "sin siniestros");
        if (!p)
            p = strstr(l->fold, "no ha tenido siniestros");
        if (!p)
            continue;
        size_t st = (size_t)(p - l->fold);
        /* Start at the sentence that holds the word. */
        while (st > 0 && l->fold[st - 1] != '.' && l->fold[st - 1] != ':' && !(l->fold[st - 1] == '-' && st == 1))
            st--;
        char *v = orig_sub(l, st, strlen(l->fold));
        if (v && *v == '-') {
            char *t = g_strdup(v + 1 + strspn(v + 1, " "));
            g_free(v);
            v = t;
        }
        if (v) {
            a->loss_history = v;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ vehicles --- */

static bool text_has_vehicle_rows(const char *text)
{
    if (!text)
        return false;
    int rows = 0;
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int tabs = 0;
        for (size_t i = 0; i < len; i++)
            if (p[i] == '\t')
                tabs++;
        if (tabs >= 3)
            rows++;
        p = e ? e + 1 : NULL;
    }
    return rows >= 2;
}

static bool html_has_vehicle_table(const char *html)
{
    if (!html)
        return false;
    intake_html_tables *t = NULL;
    if (intake_html_tables_parse(html, strlen(html), &t, NULL) != 0)
        return false;
    bool found = false;
    for (size_t i = 0; i < t->n_tables && !found; i++) {
        size_t wide = 0;
        for (size_t r = 0; r < t->tables[i].n_rows; r++) {
            size_t filled = 0;
            for (size_t c = 0; c < t->tables[i].rows[r].n_cells; c++)
                if (*t->tables[i].rows[r].cells[c])
                    filled++;
            if (filled >= 4)
                wide++;
        }
        found = wide >= 2;
    }
    intake_html_tables_free(t);
    return found;
}

static bool message_has_vehicle_source(const intake_message *m)
{
    for (size_t i = 0; i < m->n_attachments; i++)
        if (m->attachments[i].role == INTAKE_ROLE_FLEET_LIST)
            return true;
    if (html_has_vehicle_table(m->html_body) || text_has_vehicle_rows(m->text_body))
        return true;
    for (size_t i = 0; i < m->n_forwarded; i++)
        if (message_has_vehicle_source(m->forwarded[i]))
            return true;
    return false;
}

/* ------------------------------------------------------------------ driver --- */

static void run_fields(const sections *ss, intake_analysis *a)
{
    for (size_t i = 0; i < ss->n; i++)
        if (find_client(&ss->s[i], true, a) || find_client(&ss->s[i], false, a))
            break;
    for (size_t i = 0; i < ss->n; i++)
        if (find_rfc(&ss->s[i], true, a) || find_rfc(&ss->s[i], false, a))
            break;
    for (size_t i = 0; i < ss->n && !a->rfc; i++)
        bare_rfc(&ss->s[i], a);
    for (size_t i = 0; i < ss->n; i++)
        if (find_contact(&ss->s[i], true, a) || find_contact(&ss->s[i], false, a))
            break;
    for (size_t i = 0; i < ss->n; i++)
        if (find_coverage(&ss->s[i], true, a) || find_coverage(&ss->s[i], false, a))
            break;
    for (size_t i = 0; i < ss->n; i++)
        if (find_payment(&ss->s[i], true, a) || find_payment(&ss->s[i], false, a))
            break;
    for (size_t i = 0; i < ss->n; i++)
        if (find_vigencia(&ss->s[i], true, a) || find_vigencia(&ss->s[i], false, a))
            break;
    bool ambiguous = false;
    for (size_t i = 0; i < ss->n; i++)
        if (find_uso(&ss->s[i], true, a, &ambiguous) || find_uso(&ss->s[i], false, a, &ambiguous))
            break;
    for (size_t i = 0; i < ss->n; i++)
        if (find_loss(&ss->s[i], a))
            break;
    if (a->rfc) {
        a->rfc_valid = intake_rfc_valid(a->rfc);
        if (!a->rfc_valid)
            note(a, "RFC %s fails the check digit", a->rfc);
    }
    if (ss->n >= 2) {
        /* Say so when the quoted history stated a different vigencia: the newest one is kept. */
        for (size_t i = 1; i < ss->n && a->vigencia_start; i++) {
            intake_analysis h = {0};
            if ((find_vigencia(&ss->s[i], true, &h) || find_vigencia(&ss->s[i], false, &h)) && h.vigencia_start &&
                strcmp(h.vigencia_start, a->vigencia_start) != 0)
                note(a, "an older message in the thread states vigencia from %s; the newest (%s) is used",
                     h.vigencia_start, a->vigencia_start);
            g_free(h.vigencia_start);
            g_free(h.vigencia_end);
            intake_strv_free(h.notes, h.n_notes);
            if (h.vigencia_start)
                break;
        }
    }
}

static void fill_missing(intake_analysis *a)
{
    if (!a->client_name)
        intake_strv_pushf(&a->missing, &a->n_missing, "client_name");
    if (!a->rfc)
        intake_strv_pushf(&a->missing, &a->n_missing, "rfc");
    else if (!a->rfc_valid)
        intake_strv_pushf(&a->missing, &a->n_missing, "rfc_invalid");
    if (!a->vigencia_start)
        intake_strv_pushf(&a->missing, &a->n_missing, "vigencia");
    if (!a->coverage)
        intake_strv_pushf(&a->missing, &a->n_missing, "coverage");
    if (!a->payment_terms)
        intake_strv_pushf(&a->missing, &a->n_missing, "payment_terms");
    if (!a->has_vehicle_source)
        intake_strv_pushf(&a->missing, &a->n_missing, "vehicle_list");
}

int intake_analyze(const intake_message *msg, intake_analysis **out, minca_err *err)
{
    *out = NULL;
    if (!msg)
        return minca_err_set(err, "no message to analyse");
    intake_analysis *a = g_malloc0_n(1, sizeof *a);
    if (!a)
        return minca_err_set(err, "out of memory");
    GArray *all = g_array_new(FALSE, FALSE, sizeof(section));
    add_message_sections(all, msg);
    sections ss = sections_of(all);
    run_fields(&ss, a);
    sections_free(&ss);
    /* A forwarded client's own email: its author is the contact when the body names none. */
    for (size_t i = 0; i < msg->n_forwarded; i++) {
        const intake_message *fw = msg->forwarded[i];
        if (!fw->from_addr || (msg->sender_domain && fw->sender_domain &&
                               strcmp(msg->sender_domain, fw->sender_domain) == 0))
            continue;
        bool used = false;
        if (!a->contact_name && fw->from_name) {
            a->contact_name = g_strdup(fw->from_name);
            used = true;
        }
        if (!a->contact_email) {
            a->contact_email = g_strdup(fw->from_addr);
            used = true;
        }
        if (!a->contact_phone && fw->text_body) {
            section s = split_lines(fw->text_body);
            for (size_t j = 0; j < s.n && !a->contact_phone; j++) {
                const char *t = find_word(s.lines[j].fold, "tel");
                if (t)
                    a->contact_phone = phone_from(&s.lines[j], (size_t)(t - s.lines[j].fold));
            }
            section_free(&s);
            used = used || a->contact_phone;
        }
        if (used)
            note(a, "contact taken from the forwarded message of %s", fw->from_addr);
        break;
    }
    a->has_vehicle_source = message_has_vehicle_source(msg);
    fill_missing(a);
    *out = a;
    return 0;
}

int intake_analyze_text(const char *text, intake_analysis **out, minca_err *err)
{
    *out = NULL;
    intake_analysis *a = g_malloc0_n(1, sizeof *a);
    if (!a)
        return minca_err_set(err, "out of memory");
    if (text) {
        char *clean = intake_utf8_repair(text, strlen(text), NULL);
        GArray *all = g_array_new(FALSE, FALSE, sizeof(section));
        add_text_sections(all, clean);
        sections ss = sections_of(all);
        run_fields(&ss, a);
        sections_free(&ss);
        a->has_vehicle_source = text_has_vehicle_rows(clean);
        g_free(clean);
    }
    fill_missing(a);
    *out = a;
    return 0;
}

void intake_analysis_note(intake_analysis *a, const char *text)
{
    if (a && text)
        intake_strv_pushf(&a->notes, &a->n_notes, "%s", text);
}

void intake_analysis_refill_missing(intake_analysis *a)
{
    intake_strv_free(a->missing, a->n_missing);
    a->missing = NULL;
    a->n_missing = 0;
    fill_missing(a);
}

void intake_analysis_add_missing(intake_analysis *a, const char *code)
{
    intake_strv_pushf(&a->missing, &a->n_missing, "%s", code);
}

void intake_analysis_free(intake_analysis *a)
{
    if (!a)
        return;
    g_free(a->client_name); g_free(a->rfc); g_free(a->rfc_raw);
    g_free(a->contact_name); g_free(a->contact_phone); g_free(a->contact_email);
    g_free(a->coverage_raw); g_free(a->payment_terms_raw); g_free(a->uso_raw);
    g_free(a->vigencia_start); g_free(a->vigencia_end);
    g_free(a->loss_history);
    intake_strv_free(a->missing, a->n_missing);
    intake_strv_free(a->notes, a->n_notes);
    g_free(a);
}

static json_t *js(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *intake_analysis_to_json(const intake_analysis *a)
{
    json_t *o = json_object();
    json_object_set_new(o, "client_name", js(a->client_name));
    json_object_set_new(o, "rfc", js(a->rfc));
    json_object_set_new(o, "rfc_raw", js(a->rfc_raw));
    json_object_set_new(o, "rfc_valid", json_boolean(a->rfc_valid));
    json_t *c = json_object();
    json_object_set_new(c, "name", js(a->contact_name));
    json_object_set_new(c, "phone", js(a->contact_phone));
    json_object_set_new(c, "email", js(a->contact_email));
    json_object_set_new(o, "contact", c);
    json_object_set_new(o, "coverage", js(a->coverage));
    json_object_set_new(o, "coverage_raw", js(a->coverage_raw));
    json_object_set_new(o, "payment_terms", js(a->payment_terms));
    json_object_set_new(o, "payment_terms_raw", js(a->payment_terms_raw));
    json_object_set_new(o, "vigencia_start", js(a->vigencia_start));
    json_object_set_new(o, "vigencia_end", js(a->vigencia_end));
    json_object_set_new(o, "vigencia_end_implicit", json_boolean(a->vigencia_end_implicit));
    json_object_set_new(o, "uso", js(a->uso));
    json_object_set_new(o, "uso_raw", js(a->uso_raw));
    json_object_set_new(o, "loss_history", js(a->loss_history));
    json_object_set_new(o, "has_vehicle_source", json_boolean(a->has_vehicle_source));
    json_object_set_new(o, "missing", intake_json_strv(a->missing, a->n_missing));
    json_object_set_new(o, "notes", intake_json_strv(a->notes, a->n_notes));
    return o;
}
