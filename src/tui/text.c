/* UTF-8 text measured in terminal columns: fitting into table cells, wrapping, folding for
 * case- and accent-insensitive matching. The store gives UTF-8 whatever the locale, so the
 * text is decoded here with GLib and measured with wcwidth() (what ncurses itself uses). */
#include "minca/tui.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* Decodes one character at s (n bytes left). *adv receives the bytes used; invalid input
 * yields U+FFFD-like '?' for one byte. Control characters become a space. */
static gunichar next_char(const char *s, size_t n, size_t *adv)
{
    gunichar c = g_utf8_get_char_validated(s, (gssize)n);
    if (c == (gunichar)-1 || c == (gunichar)-2) {
        *adv = 1;
        return '?';
    }
    *adv = (size_t)(g_utf8_next_char(s) - s);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        return ' ';
    return c;
}

static int char_width(gunichar c)
{
    int w = wcwidth((wchar_t)c);
    if (w >= 0)
        return w;
    /* Locale without the character (not UTF-8, or unassigned): best guess from GLib. */
    if (g_unichar_iszerowidth(c))
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

int tui_text_width(const char *utf8)
{
    if (!utf8)
        return 0;
    int width = 0;
    size_t n = strlen(utf8), adv;
    for (size_t i = 0; i < n; i += adv)
        width += char_width(next_char(utf8 + i, n - i, &adv));
    return width;
}

/* Appends the UTF-8 encoding of c when it fits (keeping room for the NUL). */
static bool put_char(char *out, size_t outsz, size_t *pos, gunichar c)
{
    char enc[8];
    int len = g_unichar_to_utf8(c, enc);
    if (*pos + (size_t)len + 1 > outsz)
        return false;
    memcpy(out + *pos, enc, (size_t)len);
    *pos += (size_t)len;
    return true;
}

size_t tui_text_fit(const char *utf8, int width, bool right_align, char *out, size_t outsz)
{
    if (!outsz)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    if (!utf8)
        utf8 = "";
    int total = tui_text_width(utf8);
    bool truncate = total > width;
    int budget = truncate ? width - 1 : width; /* one column for the ellipsis */
    size_t pos = 0;
    int used = 0;
    if (!truncate && right_align)
        for (; used < width - total; used++)
            if (!put_char(out, outsz, &pos, ' '))
                goto done;
    size_t n = strlen(utf8), adv;
    int text_cols = 0;
    for (size_t i = 0; i < n; i += adv) {
        gunichar c = next_char(utf8 + i, n - i, &adv);
        int cw = char_width(c);
        if (text_cols + cw > budget)
            break;
        if (!put_char(out, outsz, &pos, c))
            goto done;
        text_cols += cw;
    }
    used += text_cols;
    if (truncate) {
        if (!put_char(out, outsz, &pos, 0x2026)) /* … */
            goto done;
        used++;
    }
    while (used < width && put_char(out, outsz, &pos, ' '))
        used++;
done:
    out[pos] = '\0';
    return pos;
}

void tui_text_put(WINDOW *w, int y, int x, int width, const char *utf8, bool right_align)
{
    if (width <= 0)
        return;
    size_t sz = (size_t)width * 4 + 8;
    char stackbuf[1024];
    char *buf = sz <= sizeof stackbuf ? stackbuf : malloc(sz);
    if (!buf)
        return;
    tui_text_fit(utf8, width, right_align, buf, sz);
    mvwaddstr(w, y, x, buf);
    if (buf != stackbuf)
        free(buf);
}

void tui_text_when(const char *iso, char *out, size_t outsz)
{
    if (!iso)
        iso = "";
    int y, mo, d, h, mi;
    if (sscanf(iso, "%4d-%2d-%2d %2d:%2d", &y, &mo, &d, &h, &mi) != 5) {
        snprintf(out, outsz, "%s", iso);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (y == tm.tm_year + 1900)
        snprintf(out, outsz, "%02d-%02d %02d:%02d", mo, d, h, mi);
    else
        snprintf(out, outsz, "%04d-%02d-%02d", y, mo, d);
}

char *tui_text_fold(const char *utf8)
{
    if (!utf8)
        return strdup("");
    /* Make it valid first: GLib's normaliser wants valid UTF-8. */
    gchar *valid = g_utf8_make_valid(utf8, -1);
    gchar *nfd = g_utf8_normalize(valid, -1, G_NORMALIZE_NFD);
    g_free(valid);
    if (!nfd)
        return strdup("");
    GString *bare = g_string_sized_new(strlen(nfd));
    for (const gchar *p = nfd; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(c);
        if (t == G_UNICODE_NON_SPACING_MARK || t == G_UNICODE_SPACING_MARK || t == G_UNICODE_ENCLOSING_MARK)
            continue;
        g_string_append_unichar(bare, c);
    }
    g_free(nfd);
    gchar *folded = g_utf8_casefold(bare->str, (gssize)bare->len);
    g_string_free(bare, TRUE);
    char *out = strdup(folded);
    g_free(folded);
    return out;
}

/* Emits s[0..len) as a malloc'd line. */
static void emit(const char *s, size_t len, void (*fn)(char *, void *), void *user)
{
    char *line = malloc(len + 1);
    if (!line)
        return;
    memcpy(line, s, len);
    line[len] = '\0';
    fn(line, user);
}

/* Wraps one paragraph (no newline inside). */
static void wrap_paragraph(const char *s, size_t n, int width, void (*fn)(char *, void *), void *user)
{
    if (n == 0) {
        emit("", 0, fn, user);
        return;
    }
    size_t start = 0;
    while (start < n) {
        int cols = 0;
        size_t i = start, last_space = (size_t)-1, adv;
        while (i < n) {
            gunichar c = next_char(s + i, n - i, &adv);
            int cw = c == '\t' ? 1 : char_width(c);
            if (cols + cw > width)
                break;
            if (c == ' ')
                last_space = i;
            cols += cw;
            i += adv;
        }
        if (i >= n) {
            emit(s + start, n - start, fn, user);
            return;
        }
        size_t end = (last_space != (size_t)-1 && last_space > start) ? last_space : i;
        if (end == start) /* a character wider than the line: take it anyway */
            next_char(s + start, n - start, &adv), end = start + adv;
        emit(s + start, end - start, fn, user);
        start = end;
        while (start < n && s[start] == ' ')
            start++;
    }
}

void tui_text_wrap(const char *utf8, int width, void (*fn)(char *line, void *user), void *user)
{
    if (!utf8)
        return;
    if (width < 1)
        width = 1;
    const char *p = utf8;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && p[n - 1] == '\r')
            n--;
        wrap_paragraph(p, n, width, fn, user);
        if (!nl)
            break;
        p = nl + 1;
        if (!*p)
            break;
    }
}

const char *tui_json_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        return json_string_value(v);
    return "";
}

long long tui_json_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_real(v))
        return (long long)json_real_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

void tui_text_rule(WINDOW *w, int y, int x, int width)
{
    if (width <= 0)
        return;
    GString *line = g_string_sized_new((gsize)width * 3);
    for (int i = 0; i < width; i++)
        g_string_append(line, "─");
    mvwaddstr(w, y, x, line->str);
    g_string_free(line, TRUE);
}

static bool has_word(gchar **words, const char *w)
{
    for (; *words; words++)
        if (g_ascii_strcasecmp(*words, w) == 0)
            return true;
    return false;
}

char *tui_text_distinct(const char *text, const char *const *others, int n)
{
    gchar **words = g_strsplit_set(text ? text : "", " \t", -1);
    gchar **other_words[n > 0 ? n : 1];
    for (int i = 0; i < n; i++)
        other_words[i] = g_strsplit_set(others[i] ? others[i] : "", " \t", -1);
    GString *distinct = g_string_new(NULL), *common = g_string_new(NULL);
    for (gchar **w = words; *w; w++) {
        if (!**w)
            continue;
        bool shared = n > 0;
        for (int i = 0; i < n && shared; i++)
            shared = has_word(other_words[i], *w);
        GString *to = shared ? common : distinct;
        g_string_append_printf(to, "%s%s", to->len ? " " : "", *w);
    }
    char *out = distinct->len && common->len ? core_strdup_printf("%s · %s", distinct->str, common->str)
                                             : strdup(text ? text : "");
    g_string_free(distinct, TRUE);
    g_string_free(common, TRUE);
    for (int i = 0; i < n; i++)
        g_strfreev(other_words[i]);
    g_strfreev(words);
    return out;
}
