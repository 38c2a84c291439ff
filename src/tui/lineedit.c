/* A one-line editor for prompts (the `/` filter; later `:` commands and notes). Editing is
 * at the end of the line: type, Backspace, C-w (word), C-u (all), Enter, Esc. */
#include "minca/tui.h"

#include <glib.h>
#include <string.h>

void tui_line_reset(tui_line *l, const char *initial)
{
    l->len = 0;
    l->buf[0] = '\0';
    if (initial) {
        size_t n = strlen(initial);
        if (n >= sizeof l->buf)
            n = sizeof l->buf - 1;
        /* Never cut a UTF-8 sequence in half. */
        while (n && (initial[n] & 0xC0) == 0x80)
            n--;
        memcpy(l->buf, initial, n);
        l->len = n;
        l->buf[n] = '\0';
    }
}

static bool delete_char(tui_line *l)
{
    if (!l->len)
        return false;
    const char *prev = g_utf8_find_prev_char(l->buf, l->buf + l->len);
    l->len = prev ? (size_t)(prev - l->buf) : 0;
    l->buf[l->len] = '\0';
    return true;
}

static bool delete_word(tui_line *l)
{
    bool changed = false;
    while (l->len && l->buf[l->len - 1] == ' ')
        changed |= delete_char(l);
    while (l->len && l->buf[l->len - 1] != ' ')
        changed |= delete_char(l);
    return changed;
}

tui_line_result tui_line_key(tui_line *l, tui_key key, bool *changed)
{
    *changed = false;
    switch (key) {
    case '\n':
    case '\r':
    case TUI_FN(KEY_ENTER):
        return TUI_LINE_ACCEPT;
    case 27: /* Esc */
    case 0x07: /* C-g */
        return TUI_LINE_CANCEL;
    case 0x08: /* C-h */
    case 0x7f:
    case TUI_FN(KEY_BACKSPACE):
        *changed = delete_char(l);
        return TUI_LINE_EDITING;
    case 0x17: /* C-w */
        *changed = delete_word(l);
        return TUI_LINE_EDITING;
    case 0x15: /* C-u */
        *changed = l->len > 0;
        tui_line_reset(l, NULL);
        return TUI_LINE_EDITING;
    default:
        break;
    }
    if (key < 0x20 || key >= TUI_FN(0) || key == 0x7f)
        return TUI_LINE_EDITING;
    char enc[8];
    int n = g_unichar_to_utf8((gunichar)key, enc);
    if (l->len + (size_t)n + 1 > sizeof l->buf)
        return TUI_LINE_EDITING;
    memcpy(l->buf + l->len, enc, (size_t)n);
    l->len += (size_t)n;
    l->buf[l->len] = '\0';
    *changed = true;
    return TUI_LINE_EDITING;
}
