/* intake_forwarded_senders: who wrote the emails a message forwards. A forwarded message/rfc822
 * part names its author in its own From; a forward written inline ("RV:", "Fwd:") names it
 * only in the header block Outlook or Gmail put in the body:
 *
 *   ---------- Forwarded message ---------        De: Ana Ruiz <ana@corredor.mx>
 *   From: Ana Ruiz <ana@corredor.mx>              Enviado el: lunes, 6 de octubre de 2025 9:14
 *   Date: Mon, Oct 6, 2025 at 9:14 AM             Para: Cotizaciones <cotiza@aseguradora.mx>
 *   Subject: Cotización flotilla                  Asunto: Cotización flotilla
 *
 * The vocabulary (subject prefixes, block markers, labels) is data/intake/forward.txt. */
#include "intake_internal.h"
#include "minca/core_config.h"
#include "minca/core_text.h"

#include <glib.h>
#include <string.h>

typedef struct forward_vocab {
    GPtrArray *subjects, *markers, *froms, *fields;   /* folded strings */
} forward_vocab;

static const char FORWARD_FALLBACK[] =
    "subject fw:\nsubject fwd:\nsubject rv:\nsubject reenviado:\n"
    "marker ---------- forwarded message\nmarker ---------- mensaje reenviado\n"
    "marker begin forwarded message\nmarker -----original message\nmarker -----mensaje original\n"
    "from from:\nfrom de:\n"
    "field sent:\nfield enviado:\nfield date:\nfield fecha:\nfield to:\nfield para:\nfield subject:\nfield asunto:\n";

static void vocab_parse(forward_vocab *v, const char *text)
{
    char **lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (!*l || *l == '#')
            continue;
        char *sp = strchr(l, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        char *value = text_fold(g_strstrip(sp + 1), TEXT_FOLD_LOWER | TEXT_FOLD_TRIM);
        GPtrArray *dst = strcmp(l, "subject") == 0 ? v->subjects
                         : strcmp(l, "marker") == 0 ? v->markers
                         : strcmp(l, "from") == 0   ? v->froms
                         : strcmp(l, "field") == 0  ? v->fields
                                                    : NULL;
        if (dst && *value)
            g_ptr_array_add(dst, value);
        else
            g_free(value);
    }
    g_strfreev(lines);
}

static gpointer vocab_load(gpointer unused)
{
    (void)unused;
    forward_vocab *v = g_new0(forward_vocab, 1);
    v->subjects = g_ptr_array_new();
    v->markers = g_ptr_array_new();
    v->froms = g_ptr_array_new();
    v->fields = g_ptr_array_new();
    const minca_config *cfg = config_get();
    char *path = g_build_filename(cfg && cfg->data_dir ? cfg->data_dir : "data", "intake", "forward.txt", NULL);
    char *text = NULL;
    GError *ge = NULL;
    if (g_file_get_contents(path, &text, NULL, &ge)) {
        vocab_parse(v, text);
        g_free(text);
    } else {
        log_warn("forward vocabulary %s not read (%s); using the common English and Spanish forms", path,
                 ge->message);
        g_error_free(ge);
        vocab_parse(v, FORWARD_FALLBACK);
    }
    g_free(path);
    return v;
}

static const forward_vocab *vocab_get(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, vocab_load, NULL);
}

/* The folded line without quoting ('>'), emphasis ('*') and white space in front. */
static const char *line_start(const char *f)
{
    while (*f == ' ' || *f == '>' || *f == '*' || *f == '\t')
        f++;
    return f;
}

/* The label of list that f starts with (its length), or 0. */
static size_t starts_with_any(const char *f, const GPtrArray *list)
{
    for (guint i = 0; i < list->len; i++) {
        const char *w = g_ptr_array_index(list, i);
        size_t n = strlen(w);
        if (strncmp(f, w, n) == 0)
            return n;
    }
    return 0;
}

static bool addr_char(char c)
{
    return g_ascii_isalnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

/* The first email address in s ("Name <a@b.mx>", "Name [mailto:a@b.mx]", "a@b.mx"), lower
 * case, or NULL. */
static char *first_address(const char *s)
{
    const char *at = strchr(s, '@');
    while (at) {
        const char *b = at, *e = at + 1;
        while (b > s && addr_char(b[-1]))
            b--;
        while (*e && (addr_char(*e)) )
            e++;
        while (e > at + 1 && (e[-1] == '.' || e[-1] == '-'))
            e--;
        if (b < at && e > at + 1 && memchr(at + 1, '.', (size_t)(e - at - 1))) {
            char *r = g_ascii_strdown(b, e - b);
            if (g_str_has_prefix(r, "mailto:")) {
                char *t = g_strdup(r + 7);
                g_free(r);
                r = t;
            }
            return r;
        }
        at = strchr(at + 1, '@');
    }
    return NULL;
}

static void push_unique(GPtrArray *out, char *addr)
{
    for (guint i = 0; i < out->len; i++)
        if (strcmp(g_ptr_array_index(out, i), addr) == 0) {
            g_free(addr);
            return;
        }
    g_ptr_array_add(out, addr);
}

/* From lines of header blocks in text, in order. A from line counts when a block marker is just
 * above it, or another header field of the block follows within four lines. */
static void scan_text(const forward_vocab *v, const char *text, GPtrArray *out)
{
    if (!text)
        return;
    char **lines = g_strsplit(text, "\n", 20000);
    size_t n = g_strv_length(lines);
    char **fold = g_new0(char *, n + 1);
    for (size_t i = 0; i < n; i++)
        fold[i] = text_fold(lines[i], TEXT_FOLD_LOWER | TEXT_FOLD_TRIM);
    bool after_marker = false;
    for (size_t i = 0; i < n; i++) {
        const char *f = line_start(fold[i]);
        if (!*f)
            continue;
        if (starts_with_any(f, v->markers)) {
            after_marker = true;
            continue;
        }
        size_t label = starts_with_any(f, v->froms);
        if (label) {
            bool block = after_marker;
            for (size_t j = i + 1; j < n && j <= i + 4 && !block; j++)
                block = starts_with_any(line_start(fold[j]), v->fields) > 0;
            char *addr = block ? first_address(lines[i]) : NULL;
            if (addr)
                push_unique(out, addr);
        }
        after_marker = false;
    }
    for (size_t i = 0; i < n; i++)
        g_free(fold[i]);
    g_free(fold);
    g_strfreev(lines);
}

static bool subject_is_forward(const forward_vocab *v, const char *subject)
{
    if (!subject)
        return false;
    char *f = text_fold(subject, TEXT_FOLD_LOWER | TEXT_FOLD_TRIM);
    /* "RE: RV: ..." and "[EXT] Fwd: ...": look at each prefix in turn. */
    bool yes = false;
    for (const char *p = f; *p && !yes && p - f < 80; p++) {
        if (p == f || p[-1] == ' ' || p[-1] == ']' || p[-1] == ':')
            yes = starts_with_any(p, v->subjects) > 0;
    }
    g_free(f);
    return yes;
}

static bool has_marker(const forward_vocab *v, const char *text)
{
    if (!text)
        return false;
    char *f = text_fold(text, TEXT_FOLD_LOWER);
    bool yes = false;
    for (guint i = 0; i < v->markers->len && !yes; i++)
        yes = strstr(f, g_ptr_array_index(v->markers, i)) != NULL;
    g_free(f);
    return yes;
}

static void collect(const forward_vocab *v, const intake_message *m, GPtrArray *out, int depth)
{
    if (depth > 8)
        return;
    char *text = intake_message_text(m);
    if (text && (subject_is_forward(v, m->subject) || has_marker(v, text)))
        scan_text(v, text, out);
    g_free(text);
    for (size_t i = 0; i < m->n_forwarded; i++) {
        const intake_message *fw = m->forwarded[i];
        if (fw->from_addr)
            push_unique(out, g_strdup(fw->from_addr));
        collect(v, fw, out, depth + 1);
    }
}

char **intake_forwarded_senders(const intake_message *msg, size_t *n)
{
    *n = 0;
    if (!msg)
        return NULL;
    GPtrArray *out = g_ptr_array_new();
    collect(vocab_get(), msg, out, 0);
    /* The forwarder's own address is not the author of what it forwards. */
    for (guint i = 0; i < out->len;) {
        if (msg->from_addr && strcmp(g_ptr_array_index(out, i), msg->from_addr) == 0)
            g_free(g_ptr_array_steal_index(out, i));
        else
            i++;
    }
    *n = out->len;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}
