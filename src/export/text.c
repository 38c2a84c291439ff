/* export text cleaning: what goes into a cell must never make a spreadsheet program "repair"
 * the workbook, and must read back as the staff typed it. */
#include "minca/export.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* OOXML reads "_xHHHH_" in a string as an escaped character; a literal one must have its
 * underscore escaped as "_x005F_" to survive. */
static bool is_ooxml_escape(const char *p)
{
    return p[0] == '_' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2]) && is_hex(p[3]) &&
           is_hex(p[4]) && is_hex(p[5]) && p[6] == '_';
}

static bool is_blank(gunichar ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == 0xA0;
}

static size_t utf16_units(gunichar ch)
{
    return ch > 0xFFFF ? 2 : 1;
}

static bool all_plain_ascii(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x7F || (c < 0x20 && c != '\t' && c != '\n') || c == '_')
            return false;
    }
    return true;
}

char *export_text_clean(const char *text, size_t max_units, int *flags)
{
    int fl = 0;
    if (flags)
        *flags = 0;
    if (!text)
        return NULL;
    if (max_units == 0 || max_units > EXPORT_CELL_MAX_CHARS)
        max_units = EXPORT_CELL_MAX_CHARS;

    size_t len = strlen(text);
    char *valid = NULL, *norm = NULL;
    const char *src = text;
    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        valid = g_utf8_make_valid(text, (gssize)len);
        src = valid;
        fl |= EXPORT_TEXT_REPAIRED;
    }

    GString *out;
    if (all_plain_ascii(src)) {
        out = g_string_new(src);
    } else {
        norm = g_utf8_normalize(src, -1, G_NORMALIZE_DEFAULT_COMPOSE);
        if (norm)
            src = norm;
        out = g_string_sized_new(strlen(src) + 16);
        for (const char *p = src; *p; p = g_utf8_next_char(p)) {
            gunichar ch = g_utf8_get_char(p);
            if (ch == '\r') {
                if (p[1] == '\n')
                    continue;
                ch = '\n';
            } else if ((ch < 0x20 && ch != '\t' && ch != '\n') || (ch >= 0x7F && ch <= 0x9F)) {
                ch = ' ';
                fl |= EXPORT_TEXT_CONTROLS;
            } else if (ch == 0xFFFE || ch == 0xFFFF) {
                ch = 0xFFFD;
                fl |= EXPORT_TEXT_REPAIRED;
            } else if (ch == '_' && is_ooxml_escape(p)) {
                g_string_append(out, "_x005F");
            }
            g_string_append_unichar(out, ch);
        }
    }

    /* trim leading and trailing blanks */
    const char *start = out->str;
    while (*start && is_blank(g_utf8_get_char(start)))
        start = g_utf8_next_char(start);
    const char *end = out->str + out->len;
    while (end > start) {
        const char *prev = g_utf8_prev_char(end);
        if (!is_blank(g_utf8_get_char(prev)))
            break;
        end = prev;
    }

    /* cut at the cell limit, keeping room for the ellipsis that says so */
    size_t units = 0;
    const char *cut = NULL;
    for (const char *p = start; p < end; p = g_utf8_next_char(p)) {
        size_t u = utf16_units(g_utf8_get_char(p));
        if (!cut && units + u > max_units - 1)
            cut = p;
        units += u;
        if (units > max_units)
            break;
    }
    char *result;
    if (units > max_units) {
        size_t keep = (size_t)(cut - start);
        result = g_malloc(keep + 4);
        memcpy(result, start, keep);
        memcpy(result + keep, "\xE2\x80\xA6", 4); /* "…" and the NUL */
        fl |= EXPORT_TEXT_TRUNCATED;
    } else {
        size_t keep = (size_t)(end - start);
        result = g_malloc(keep + 1);
        memcpy(result, start, keep);
        result[keep] = '\0';
    }
    g_string_free(out, TRUE);
    g_free(valid);
    g_free(norm);
    if (flags)
        *flags = fl;
    return result;
}
