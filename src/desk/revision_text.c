/* The difference between two revisions of a case's list, as the desk and the CLI show it. */
#include "minca/desk_review.h"

#include <glib.h>
#include <stdlib.h>

static const char *s_of(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void unit_line(GString *out, const char *indent, const char *mark, const json_t *u)
{
    g_string_append_printf(out, "%s%s inciso %s  %s %s", indent, mark, *s_of(u, "inciso") ? s_of(u, "inciso") : "?",
                           s_of(u, "description"), s_of(u, "year"));
    if (*s_of(u, "vin"))
        g_string_append_printf(out, "  VIN %s", s_of(u, "vin"));
    else if (*s_of(u, "plates"))
        g_string_append_printf(out, "  placas %s", s_of(u, "plates"));
    g_string_append_c(out, '\n');
}

char *review_revision_summary(const json_t *diff, const char *indent)
{
    GString *out = g_string_new(NULL);
    if (!json_is_object(diff) || !json_object_get(diff, "added"))
        return g_string_free(out, FALSE);
    json_t *added = json_object_get(diff, "added"), *removed = json_object_get(diff, "removed"),
           *changed = json_object_get(diff, "changed");
    g_string_append_printf(out, "%s%zu added, %zu removed, %zu changed, %lld read the same (their decisions kept)\n",
                           indent, json_array_size(added), json_array_size(removed), json_array_size(changed),
                           (long long)json_integer_value(json_object_get(diff, "kept")));
    size_t i, j;
    json_t *u, *ch;
    json_array_foreach(added, i, u) unit_line(out, indent, "+", u);
    json_array_foreach(removed, i, u) unit_line(out, indent, "-", u);
    json_array_foreach(changed, i, u) {
        unit_line(out, indent, "~", u);
        json_array_foreach(json_object_get(u, "changes"), j, ch)
            g_string_append_printf(out, "%s    %s: %s -> %s\n", indent, s_of(ch, "field"),
                                   *s_of(ch, "from") ? s_of(ch, "from") : "(empty)",
                                   *s_of(ch, "to") ? s_of(ch, "to") : "(empty)");
    }
    return g_string_free(out, FALSE);
}
