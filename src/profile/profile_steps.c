/* profile: the normalisation steps of the DSL, as one table. A step is a name in a profile's
 * normalize lists (`upper`), or a one-key mapping whose value holds its arguments
 * (`{replace: {pattern: "[^A-Z0-9]", with: ""}}`). Each row gives the name (and an alias),
 * whether it takes arguments, how it reads them and how it rewrites a value. A new step is
 * one function (two with arguments) and one row here. */
#include "profile_internal.h"
#include "minca/core_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *step_strip(const pf_step *st, const char *s)
{
    (void)st;
    return g_strstrip(g_strdup(s));
}

static char *step_collapse(const pf_step *st, const char *s)
{
    (void)st;
    return pf_collapse_spaces(s);
}

static char *step_upper(const pf_step *st, const char *s)
{
    (void)st;
    return g_utf8_strup(s, -1);
}

static char *step_lower(const pf_step *st, const char *s)
{
    (void)st;
    return g_utf8_strdown(s, -1);
}

/* Decompose, drop combining marks; keeps Ñ -> N as staff expect in catalog keys. */
static char *step_remove_accents(const pf_step *st, const char *s)
{
    (void)st;
    if (!g_utf8_validate(s, -1, NULL))
        return g_strdup(s);
    char *folded = text_fold(s, TEXT_FOLD_KEEP_CASE);
    char *r = g_strdup(folded); /* the steps hand out GLib memory */
    g_free(folded);
    return r;
}

/* replace: {pattern: REGEX, with: TEXT} */
static int init_replace(pf_step *st, const GPtrArray *args, char *why, size_t whylen)
{
    for (guint i = 0; i + 1 < args->len; i += 2) {
        const char *k = g_ptr_array_index(args, i), *v = g_ptr_array_index(args, i + 1);
        if (!strcmp(k, "pattern")) {
            if (st->re)
                g_regex_unref(st->re);
            GError *ge = NULL;
            st->re = g_regex_new(v, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &ge);
            if (!st->re) {
                snprintf(why, whylen, "replace.pattern: invalid regular expression '%s': %s", v, ge->message);
                g_error_free(ge);
                return -1;
            }
        } else if (!strcmp(k, "with")) {
            g_free(st->with);
            st->with = g_strdup(v);
        } else {
            snprintf(why, whylen, "replace takes 'pattern' and 'with'");
            return -1;
        }
    }
    if (!st->re) {
        snprintf(why, whylen, "replace needs a pattern");
        return -1;
    }
    if (!st->with)
        st->with = g_strdup("");
    return 0;
}

static char *step_replace(const pf_step *st, const char *s)
{
    char *next = g_regex_replace(st->re, s, -1, 0, st->with, 0, NULL);
    return next ? next : g_strdup(s);
}

/* map: {FROM: TO, ...}, FROM compared folded */
static int init_map(pf_step *st, const GPtrArray *args, char *why, size_t whylen)
{
    (void)why;
    (void)whylen;
    st->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i + 1 < args->len; i += 2)
        g_hash_table_replace(st->map, docs_fold(g_ptr_array_index(args, i)),
                             g_strdup(g_ptr_array_index(args, i + 1)));
    return 0;
}

static char *step_map(const pf_step *st, const char *s)
{
    char *f = docs_fold(s);
    const char *to = g_hash_table_lookup(st->map, f);
    g_free(f);
    return g_strdup(to ? to : s);
}

static const pf_step_type step_types[] = {
    { "strip", "trim", NULL, step_strip },
    { "collapse_spaces", "collapse", NULL, step_collapse },
    { "upper", NULL, NULL, step_upper },
    { "lower", NULL, NULL, step_lower },
    { "remove_accents", "unaccent", NULL, step_remove_accents },
    { "replace", NULL, init_replace, step_replace },
    { "map", NULL, init_map, step_map },
};

const pf_step_type *pf_step_type_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof step_types / sizeof *step_types; i++)
        if (!strcmp(step_types[i].name, name) || (step_types[i].alias && !strcmp(step_types[i].alias, name)))
            return &step_types[i];
    return NULL;
}

char *pf_step_names(bool with_args)
{
    GString *out = g_string_new(NULL);
    for (size_t i = 0; i < sizeof step_types / sizeof *step_types; i++) {
        const pf_step_type *t = &step_types[i];
        if ((t->init != NULL) != with_args)
            continue;
        if (out->len)
            g_string_append(out, ", ");
        g_string_append_printf(out, with_args ? "{%s: ...}" : "%s", t->name);
    }
    return g_string_free(out, FALSE);
}

void pf_step_free(gpointer p)
{
    pf_step *s = p;
    if (!s)
        return;
    if (s->re)
        g_regex_unref(s->re);
    g_free(s->with);
    if (s->map)
        g_hash_table_destroy(s->map);
    g_free(s);
}

char *pf_apply_steps(GPtrArray *steps, char *s)
{
    if (!steps)
        return s;
    for (guint i = 0; i < steps->len; i++) {
        const pf_step *st = g_ptr_array_index(steps, i);
        char *next = st->type->apply(st, s);
        g_free(s);
        s = next;
    }
    return s;
}
