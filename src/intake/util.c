/* Small helpers for intake: UTF-8 repair, charset conversion, filename sanitising, string
 * vectors. Accent folding is core's (minca/core_text.h). */
#include "intake_internal.h"

#include <ctype.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gpointer gmime_init_once(gpointer unused)
{
    (void)unused;
    g_mime_init();
    xmlInitParser();   /* libxml2 must be initialised once before parsing from several threads */
    return NULL;
}

void intake_gmime_init(void)
{
    static GOnce once = G_ONCE_INIT;
    g_once(&once, gmime_init_once, NULL);
}

/* Windows-1252 code points for bytes 0x80..0x9F; 0 marks bytes the code page leaves undefined. */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static gunichar cp1252_char(unsigned char b)
{
    if (b < 0x80)
        return b;
    if (b < 0xA0)
        return cp1252_c1[b - 0x80] ? cp1252_c1[b - 0x80] : 0xFFFD;
    return b;
}

char *intake_utf8_repair(const char *data, size_t len, bool *repaired)
{
    bool changed = false;
    GString *out = g_string_sized_new(len + 1);
    const char *p = data, *end = data + len;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == 0) {
            g_string_append(out, "\xEF\xBF\xBD");
            changed = true;
            p++;
            continue;
        }
        if (c < 0x80) {
            g_string_append_c(out, (char)c);
            p++;
            continue;
        }
        gunichar u = g_utf8_get_char_validated(p, (gssize)(end - p));
        if (u == (gunichar)-1 || u == (gunichar)-2) {
            g_string_append_unichar(out, cp1252_char(c));
            changed = true;
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
    }
    if (repaired)
        *repaired = changed;
    char *s = g_strdup(out->str);
    g_string_free(out, TRUE);
    return s;
}

static bool charset_is_utf8(const char *cs)
{
    return g_ascii_strcasecmp(cs, "utf-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0 ||
           g_ascii_strcasecmp(cs, "us-ascii") == 0 || g_ascii_strcasecmp(cs, "ascii") == 0;
}

char *intake_to_utf8(const char *data, size_t len, const char *charset, char **note)
{
    if (note)
        *note = NULL;
    if (!data)
        return g_strdup("");
    bool repaired = false;
    if (!charset || !*charset || charset_is_utf8(charset)) {
        char *s = intake_utf8_repair(data, len, &repaired);
        if (repaired && note)
            *note = core_strdup_printf("text declared as %s had invalid bytes; read them as Windows-1252",
                                       charset && *charset ? charset : "(no charset)");
        return s;
    }
    intake_gmime_init();   /* GMime's charset table (a name looked up before it is set up leaks) */
    const char *iconv_name = g_mime_charset_iconv_name(charset);
    /* Mailers label Windows-1252 text as ISO-8859-1; 1252 is a superset for printable text. */
    if (g_ascii_strcasecmp(iconv_name, "iso-8859-1") == 0 || g_ascii_strcasecmp(iconv_name, "latin1") == 0 ||
        g_ascii_strcasecmp(iconv_name, "iso8859-1") == 0)
        iconv_name = "WINDOWS-1252";
    gsize written = 0;
    GError *gerr = NULL;
    char *conv = g_convert(data, (gssize)len, "UTF-8", iconv_name, NULL, &written, &gerr);
    if (conv) {
        char *s = intake_utf8_repair(conv, written, &repaired);
        g_free(conv);
        return s;
    }
    if (note)
        *note = core_strdup_printf("cannot convert text from charset %s (%s); read as UTF-8/Windows-1252",
                                   charset, gerr ? gerr->message : "unknown error");
    g_clear_error(&gerr);
    return intake_utf8_repair(data, len, NULL);
}

char *intake_sanitize_filename(const char *name)
{
    if (!name)
        return NULL;
    char *u = intake_utf8_repair(name, strlen(name), NULL);
    GString *out = g_string_new(NULL);
    for (const char *p = u; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '/' || c == '\\') {
            g_string_append_c(out, '_');
        } else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0xFFFD ||
                   c == 0x202E || c == 0x202D || c == 0x200E || c == 0x200F) {
            continue;   /* control and bidi-override characters */
        } else if (c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|') {
            g_string_append_c(out, '_');
        } else {
            g_string_append_unichar(out, c);
        }
    }
    g_free(u);
    /* No leading dots or blanks (no hidden files, no "..") and no trailing dots or blanks. */
    size_t start = 0;
    while (start < out->len && (out->str[start] == '.' || out->str[start] == ' ' || out->str[start] == '_'))
        start++;
    g_string_erase(out, 0, (gssize)start);
    while (out->len && (out->str[out->len - 1] == '.' || out->str[out->len - 1] == ' '))
        g_string_truncate(out, out->len - 1);
    /* At most 200 bytes, cut on a character boundary. */
    if (out->len > 200) {
        const char *cut = g_utf8_find_prev_char(out->str, out->str + 200);
        while (cut && cut > out->str && (size_t)(g_utf8_next_char(cut) - out->str) > 200)
            cut = g_utf8_find_prev_char(out->str, cut);
        g_string_truncate(out, cut ? (size_t)(g_utf8_next_char(cut) - out->str) : 0);
    }
    char *res = out->len ? g_strdup(out->str) : NULL;
    g_string_free(out, TRUE);
    return res;
}

void intake_strv_push(char ***v, size_t *n, char *owned)
{
    if (!owned)
        return;
    *v = g_realloc_n(*v, *n + 1, sizeof **v);
    (*v)[(*n)++] = owned;
}

void intake_strv_pushf(char ***v, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *fixed = intake_utf8_repair(s, strlen(s), NULL);
    g_free(s);
    if (intake_strv_contains(*v, *n, fixed)) {
        g_free(fixed);
        return;
    }
    intake_strv_push(v, n, fixed);
}

bool intake_strv_contains(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

void intake_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g_free(v[i]);
    g_free(v);
}

json_t *intake_json_strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}
