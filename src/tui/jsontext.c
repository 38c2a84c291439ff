/* JSON as readable text for detail screens: nested objects indented, flat objects and arrays
 * of scalars on one line ("col: 0, field: inciso"), so an extraction report reads like a
 * summary rather than a blob. */
#include "minca/tui.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

static bool is_scalar(json_t *v) { return !json_is_object(v) && !json_is_array(v); }

static void append_scalar(GString *out, json_t *v)
{
    if (json_is_string(v))
        g_string_append(out, json_string_value(v));
    else if (json_is_integer(v))
        g_string_append_printf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        g_string_append_printf(out, "%.4g", json_real_value(v));
    else if (json_is_true(v))
        g_string_append(out, "yes");
    else if (json_is_false(v))
        g_string_append(out, "no");
    else
        g_string_append(out, "—");
}

/* True when every member is a scalar (then the value fits on one line). */
static bool is_flat(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) if (!is_scalar(m)) return false;
        return true;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) if (!is_scalar(m)) return false;
        return true;
    }
    return true;
}

static void append_flat(GString *out, json_t *v)
{
    if (is_scalar(v)) {
        append_scalar(out, v);
        return;
    }
    bool first = true;
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            if (json_is_null(m))
                continue;
            g_string_append_printf(out, "%s%s: ", first ? "" : ", ", k);
            append_scalar(out, m);
            first = false;
        }
    } else {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
            g_string_append(out, first ? "" : ", ");
            append_scalar(out, m);
            first = false;
        }
    }
    if (first)
        g_string_append(out, json_is_array(v) ? "none" : "—");
}

static void append_value(GString *out, json_t *v, int indent)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            if (json_is_null(m))
                continue;
            g_string_append_printf(out, "%*s%s:", indent, "", k);
            if (is_flat(m) && !(json_is_object(m) && json_object_size(m) > 4)) {
                g_string_append_c(out, ' ');
                append_flat(out, m);
                g_string_append_c(out, '\n');
            } else {
                g_string_append_c(out, '\n');
                append_value(out, m, indent + 2);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) {
            g_string_append_printf(out, "%*s- ", indent, "");
            if (is_flat(m)) {
                append_flat(out, m);
                g_string_append_c(out, '\n');
            } else {
                g_string_append_c(out, '\n');
                append_value(out, m, indent + 2);
            }
        }
    } else {
        g_string_append_printf(out, "%*s", indent, "");
        append_scalar(out, v);
        g_string_append_c(out, '\n');
    }
}

char *tui_json_text(json_t *v, int indent)
{
    GString *out = g_string_new(NULL);
    if (v)
        append_value(out, v, indent);
    char *text = g_strdup(out->str);
    g_string_free(out, TRUE);
    return text;
}
