/* UTF-8 folding (accents and case) and display width. The per-character mapping lives in
 * text_unaccent_char() and text_fold_ascii_char(); every fold below is a loop over them. Text is
 * decoded with GLib whatever the locale and measured with wcwidth() (what ncurses uses). */
#include "minca/core_text.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Base letters of U+00C0..U+00FF (the Spanish accents and their neighbours), the same as their
 * canonical decomposition gives; a space where there is none (Æ, Ð, ×, Ø, Þ, ß, ...). */
static const char latin1_base[64 + 1] =
    "AAAAAA CEEEEIIII NOOOOO  UUUUY  "
    "aaaaaa ceeeeiiii nooooo  uuuuy y";

uint32_t text_unaccent_char(uint32_t c)
{
    if (c < 0x80)
        return c;
    if (c >= 0xC0 && c <= 0xFF) {
        char b = latin1_base[c - 0xC0];
        return b == ' ' ? c : (uint32_t)b;
    }
    if (g_unichar_ismark(c))
        return 0;
    gunichar d[8];
    gsize n = g_unichar_fully_decompose(c, FALSE, d, G_N_ELEMENTS(d));
    if (n == 0 || n > G_N_ELEMENTS(d))
        return c;
    for (gsize i = 1; i < n; i++)
        if (!g_unichar_ismark(d[i]))
            return c; /* not a letter with accents (Hangul syllables and the like) */
    return d[0];
}

char text_fold_ascii_char(uint32_t c)
{
    uint32_t b = text_unaccent_char(c);
    if (b == 0)
        return 0;
    if (b < 0x80)
        return (char)b;
    switch (c) {
    case 0xBA: case 0xB0: return 'o'; /* Nº, N° */
    case 0xAA: return 'a';
    default: break;
    }
    switch (g_unichar_type(c)) {
    case G_UNICODE_SPACE_SEPARATOR: return ' ';
    case G_UNICODE_DASH_PUNCTUATION: return '-';
    default: return 0;
    }
}

static uint32_t fold_case(uint32_t c, unsigned flags)
{
    if (flags & TEXT_FOLD_KEEP_CASE)
        return c;
    if (c < 0x80)
        return (uint32_t)((flags & TEXT_FOLD_UPPER) ? g_ascii_toupper((gchar)c) : g_ascii_tolower((gchar)c));
    return (flags & TEXT_FOLD_UPPER) ? g_unichar_toupper(c) : g_unichar_tolower(c);
}

/* One character folded as flags ask; 0 when it is dropped. */
static uint32_t fold_one(uint32_t c, unsigned flags)
{
    uint32_t b;
    if (flags & TEXT_FOLD_ASCII) {
        if (c >= 0x80 && g_unichar_ismark(c))
            return 0;
        char a = text_fold_ascii_char(c);
        b = a ? (uint32_t)(unsigned char)a : '?';
    } else {
        b = text_unaccent_char(c);
        if (!b)
            return 0;
    }
    return fold_case(b, flags);
}

static bool is_word_char(uint32_t c)
{
    return c < 0x80 ? g_ascii_isalnum((gchar)c) : g_unichar_isalnum(c);
}

char *text_fold(const char *utf8, unsigned flags)
{
    if (!utf8)
        return g_strdup("");
    char *valid = NULL;
    const char *s = utf8;
    if (!g_utf8_validate(utf8, -1, NULL))
        s = valid = g_utf8_make_valid(utf8, -1);
    GString *out = g_string_sized_new(strlen(s));
    bool gap = false;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        uint32_t c = fold_one(g_utf8_get_char(p), flags);
        if (!c)
            continue;
        if (flags & TEXT_FOLD_WORDS) {
            if (!is_word_char(c)) {
                gap = true;
                continue;
            }
            if (gap && out->len)
                g_string_append_c(out, ' ');
            gap = false;
        }
        if (c < 0x80)
            g_string_append_c(out, (char)c);
        else
            g_string_append_unichar(out, c);
    }
    g_free(valid);
    const char *start = out->str;
    size_t len = out->len;
    if (flags & TEXT_FOLD_TRIM) {
        while (len && g_ascii_isspace(*start))
            start++, len--;
        while (len && g_ascii_isspace(start[len - 1]))
            len--;
    }
    char *r = g_strndup(start, len);
    g_string_free(out, TRUE);
    return r;
}

char *text_fold_offsets(const char *s, size_t **offsets)
{
    if (offsets)
        *offsets = NULL;
    if (!s)
        s = "";
    size_t len = strlen(s);
    char *out = g_malloc(len + 1);
    size_t *off = g_malloc((len + 1) * sizeof *off);
    if (!out || !off) {
        g_free(out);
        g_free(off);
        return NULL;
    }
    size_t n = 0;
    const char *p = s;
    while (*p) {
        const char *next = g_utf8_next_char(p);
        gunichar c = g_utf8_get_char_validated(p, -1);
        char a;
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            a = '?';
            next = p + 1;
        } else if (c >= 0x80 && g_unichar_ismark(c)) {
            p = next;
            continue;
        } else {
            a = text_fold_ascii_char(c);
            a = a ? g_ascii_tolower(a) : '?';
        }
        out[n] = a;
        off[n] = (size_t)(p - s);
        n++;
        p = next;
    }
    out[n] = '\0';
    off[n] = len;
    if (offsets)
        *offsets = off;
    else
        g_free(off);
    return out;
}

size_t text_fold_ascii_upper(const char *in, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    size_t o = 0;
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii) {
        for (size_t i = 0; i < len && o + 1 < cap; i++)
            out[o++] = in[i] == '\0' ? ' ' : g_ascii_toupper(in[i]);
        out[o] = '\0';
        return o;
    }
    char *valid = NULL;
    const char *p = in;
    const char *end = in + len;
    if (!g_utf8_validate(in, (gssize)len, NULL)) {
        valid = g_utf8_make_valid(in, (gssize)len);
        p = valid;
        end = valid + strlen(valid);
    }
    for (; p < end && *p && o + 1 < cap; p = g_utf8_next_char(p)) {
        unsigned char b = (unsigned char)*p;
        if (b < 0x80) {
            out[o++] = g_ascii_toupper((char)b);
            continue;
        }
        uint32_t base = text_unaccent_char(g_utf8_get_char(p));
        if (base == 0)
            continue; /* a combining mark: "E" + U+0301 folds like "É" */
        out[o++] = base < 0x80 && g_ascii_isalpha((gchar)base) ? g_ascii_toupper((gchar)base) : ' ';
    }
    out[o] = '\0';
    g_free(valid);
    return o;
}

/* ---- display width ---- */

uint32_t text_display_char(const char *s, size_t n, size_t *adv)
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

int text_char_width(uint32_t c)
{
    int w = wcwidth((wchar_t)c);
    if (w >= 0)
        return w;
    /* Locale without the character (not UTF-8, or unassigned): best guess from GLib. */
    if (g_unichar_iszerowidth(c))
        return 0;
    return g_unichar_iswide(c) ? 2 : 1;
}

int text_display_width(const char *utf8)
{
    if (!utf8)
        return 0;
    int width = 0;
    size_t n = strlen(utf8), adv;
    for (size_t i = 0; i < n; i += adv)
        width += text_char_width(text_display_char(utf8 + i, n - i, &adv));
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

size_t text_fit_width(const char *utf8, int width, bool right_align, char *out, size_t outsz)
{
    if (!outsz)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    if (!utf8)
        utf8 = "";
    int total = text_display_width(utf8);
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
        gunichar c = text_display_char(utf8 + i, n - i, &adv);
        int cw = text_char_width(c);
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

/* ---- control characters made visible ------------------------------------------------------ */

/* True for a character a terminal acts on rather than shows: C0 and DEL, C1 (U+0080..U+009F),
 * the line and paragraph separators, and the bidirectional overrides and isolates that reorder
 * what is shown. */
static bool is_terminal_control(uint32_t c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

size_t text_visible_append(GString *out, const char *s, size_t len, const char *keep, bool final)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            if ((b < 0x20 || b == 0x7F) && !(b && keep && strchr(keep, b))) {
                static const char named[] = {'\a', 'a', '\b', 'b', '\t', 't', '\n', 'n', '\v', 'v', '\f', 'f', '\r', 'r', 0x1B, 'e'};
                const char *n = NULL;
                for (size_t k = 0; k < sizeof named && b; k += 2)
                    if ((unsigned char)named[k] == b)
                        n = &named[k + 1];
                if (n)
                    g_string_append_printf(out, "\\%c", *n);
                else
                    g_string_append_printf(out, "\\x%02x", b);
            } else {
                g_string_append_c(out, (char)b);
            }
            i++;
            continue;
        }
        gunichar c = g_utf8_get_char_validated(s + i, (gssize)(len - i));
        if (c == (gunichar)-2 && !final)
            break;   /* a character cut at the end of the chunk: the caller sends it again */
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_printf(out, "\\x%02x", b);   /* not UTF-8: a terminal may read it as C1 */
            i++;
            continue;
        }
        const char *next = g_utf8_next_char(s + i);
        if (is_terminal_control(c))
            g_string_append_printf(out, "\\u%04x", (unsigned)c);
        else
            g_string_append_len(out, s + i, next - (s + i));
        i = (size_t)(next - s);
    }
    return i;
}

char *text_visible(const char *s)
{
    GString *out = g_string_new(NULL);
    if (s)
        text_visible_append(out, s, strlen(s), NULL, true);
    return g_string_free(out, FALSE);
}

char *text_visible_lines(const char *s)
{
    GString *out = g_string_new(NULL);
    if (s)
        text_visible_append(out, s, strlen(s), "\n\t", true);
    return g_string_free(out, FALSE);
}
