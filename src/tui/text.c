/* UTF-8 text on the screen: drawing fitted cells and rules, wrapping, compact times. Measuring
 * and folding live in core (minca/core_text.h). */
#include "minca/tui.h"
#include "minca/core_text.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void tui_text_put(WINDOW *w, int y, int x, int width, const char *utf8, bool right_align)
{
    if (width <= 0)
        return;
    size_t sz = (size_t)width * 4 + 8;
    char stackbuf[1024];
    char *buf = sz <= sizeof stackbuf ? stackbuf : g_malloc(sz);
    if (!buf)
        return;
    text_fit_width(utf8, width, right_align, buf, sz);
    mvwaddstr(w, y, x, buf);
    if (buf != stackbuf)
        g_free(buf);
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

/* Emits s[0..len) as a g_malloc'd line. */
static void emit(const char *s, size_t len, void (*fn)(char *, void *), void *user)
{
    char *line = g_malloc(len + 1);
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
            gunichar c = text_display_char(s + i, n - i, &adv);
            int cw = c == '\t' ? 1 : text_char_width(c);
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
            text_display_char(s + start, n - start, &adv), end = start + adv;
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
                                             : g_strdup(text ? text : "");
    g_string_free(distinct, TRUE);
    g_string_free(common, TRUE);
    for (int i = 0; i < n; i++)
        g_strfreev(other_words[i]);
    g_strfreev(words);
    return out;
}
