/* profile: loading the YAML DSL (libyaml document API). Every error names a line and column. */
#include "profile_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct loader {
    yaml_document_t *doc;
    const char *origin;
    minca_err *err;
} loader;

static int at(loader *L, yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int at(loader *L, yaml_node_t *n, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return minca_err_set(L->err, "%s: line %zu, column %zu: %s", L->origin,
                             n->start_mark.line + 1, n->start_mark.column + 1, msg);
    return minca_err_set(L->err, "%s: %s", L->origin, msg);
}

static yaml_node_t *node(loader *L, int id) { return yaml_document_get_node(L->doc, id); }

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Scalar text or an error "expected text". */
static int want_scalar(loader *L, yaml_node_t *n, const char *what, const char **out)
{
    *out = scalar(n);
    if (!*out)
        return at(L, n, "%s must be a single value", what);
    return 0;
}

static int want_int(loader *L, yaml_node_t *n, const char *what, long *out)
{
    const char *s;
    if (want_scalar(L, n, what, &s) != 0)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end)
        return at(L, n, "%s must be a whole number, not '%s'", what, s);
    *out = v;
    return 0;
}

static int want_double(loader *L, yaml_node_t *n, const char *what, double *out)
{
    const char *s;
    if (want_scalar(L, n, what, &s) != 0)
        return -1;
    char *end;
    double v = g_ascii_strtod(s, &end);
    if (end == s || *end)
        return at(L, n, "%s must be a number, not '%s'", what, s);
    *out = v;
    return 0;
}

static int want_bool(loader *L, yaml_node_t *n, const char *what, bool *out)
{
    const char *s;
    if (want_scalar(L, n, what, &s) != 0)
        return -1;
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0"))
        *out = false;
    else
        return at(L, n, "%s must be true or false, not '%s'", what, s);
    return 0;
}

/* A list of scalars, or one scalar taken as a one-element list. */
static int want_strings(loader *L, yaml_node_t *n, const char *what, GPtrArray *out, bool lower)
{
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = scalar(n);
        g_ptr_array_add(out, lower ? g_ascii_strdown(s, -1) : g_strdup(s));
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return at(L, n, "%s must be a list", what);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *item = node(L, *it);
        const char *s;
        if (want_scalar(L, item, what, &s) != 0)
            return -1;
        g_ptr_array_add(out, lower ? g_ascii_strdown(s, -1) : g_strdup(s));
    }
    return 0;
}

static int want_regex(loader *L, yaml_node_t *n, const char *what, GRegex **out)
{
    const char *s;
    if (want_scalar(L, n, what, &s) != 0)
        return -1;
    GError *ge = NULL;
    *out = g_regex_new(s, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &ge);
    if (!*out) {
        int rc = at(L, n, "%s: invalid regular expression '%s': %s", what, s, ge->message);
        g_error_free(ge);
        return rc;
    }
    return 0;
}

static int want_field(loader *L, yaml_node_t *n, profile_field *out, bool allow_ignore)
{
    const char *s;
    if (want_scalar(L, n, "field", &s) != 0)
        return -1;
    profile_field f = profile_field_from_name(s);
    if (f == PF_NONE || (!allow_ignore && f == PF_IGNORE)) {
        GString *known = g_string_new(NULL);
        for (int i = 0; i < PF_COUNT; i++)
            if (i != PF_IGNORE || allow_ignore)
                g_string_append_printf(known, "%s%s", known->len ? ", " : "", pf_fields[i].name);
        at(L, n, "unknown canonical field '%s' (%s)", s, known->str);
        g_string_free(known, TRUE);
        return -1;
    }
    *out = f;
    return 0;
}

#define FOR_PAIRS(L, n, K_, V_)                                                                \
    for (yaml_node_pair_t *pair_ = (n)->data.mapping.pairs.start;                              \
         pair_ < (n)->data.mapping.pairs.top &&                                               \
         ((K_) = node(L, pair_->key), (V_) = node(L, pair_->value)) != NULL;                   \
         pair_++)

static int want_mapping(loader *L, yaml_node_t *n, const char *what)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return at(L, n, "%s must be a mapping (key: value lines)", what);
    return 0;
}

static int unknown_step(loader *L, yaml_node_t *n, const char *name)
{
    char *plain = pf_step_names(false), *with_args = pf_step_names(true);
    int rc = at(L, n, "unknown normalize step '%s' (%s, %s)", name, plain, with_args);
    g_free(plain);
    g_free(with_args);
    return rc;
}

/* A step: its name alone, or {name: {key: value, ...}} for a step with arguments. */
static int load_step(loader *L, yaml_node_t *n, GPtrArray *steps)
{
    if (n->type == YAML_SCALAR_NODE) {
        const pf_step_type *t = pf_step_type_named(scalar(n));
        if (!t)
            return unknown_step(L, n, scalar(n));
        if (t->init)
            return at(L, n, "normalize step '%s' needs its arguments ({%s: ...})", t->name, t->name);
        pf_step *st = g_new0(pf_step, 1);
        st->type = t;
        g_ptr_array_add(steps, st);
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
        return at(L, n, "a normalize step is a name or a one-key mapping ({replace: ...} or {map: ...})");
    yaml_node_t *k, *v;
    FOR_PAIRS(L, n, k, v) {
        const char *key = scalar(k);
        const pf_step_type *t = pf_step_type_named(key);
        if (!t || !t->init) {
            if (t)
                return at(L, k, "normalize step '%s' takes no arguments", t->name);
            char *with_args = pf_step_names(true);
            int rc = at(L, k, "unknown normalize step '%s' (%s)", key ? key : "?", with_args);
            g_free(with_args);
            return rc;
        }
        if (want_mapping(L, v, key) != 0)
            return -1;
        GPtrArray *args = g_ptr_array_new();
        yaml_node_t *k2, *v2;
        int rc = 0;
        FOR_PAIRS(L, v, k2, v2) {
            const char *kk, *vv;
            char what[64];
            snprintf(what, sizeof what, "%s key", t->name);
            if (want_scalar(L, k2, what, &kk) != 0) {
                rc = -1;
                break;
            }
            snprintf(what, sizeof what, "%s.%s", t->name, kk);
            if (want_scalar(L, v2, what, &vv) != 0) {
                rc = -1;
                break;
            }
            g_ptr_array_add(args, (gpointer)kk);
            g_ptr_array_add(args, (gpointer)vv);
        }
        pf_step *st = g_new0(pf_step, 1);
        st->type = t;
        char why[400] = "";
        if (rc == 0 && t->init(st, args, why, sizeof why) != 0)
            rc = at(L, v, "%s", why);
        g_ptr_array_free(args, TRUE);
        if (rc != 0) {
            pf_step_free(st);
            return -1;
        }
        g_ptr_array_add(steps, st);
    }
    return 0;
}

static int load_steps(loader *L, yaml_node_t *n, GPtrArray **out)
{
    if (!*out)
        *out = g_ptr_array_new_with_free_func(pf_step_free);
    if (n->type != YAML_SEQUENCE_NODE)
        return load_step(L, n, *out);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
        if (load_step(L, node(L, *it), *out) != 0)
            return -1;
    return 0;
}

static int want_policy(loader *L, yaml_node_t *n, profile_policy *out)
{
    const char *s;
    if (want_scalar(L, n, "on_error", &s) != 0)
        return -1;
    if (!strcmp(s, "warn"))
        *out = PROFILE_ON_ERROR_WARN;
    else if (!strcmp(s, "skip_row") || !strcmp(s, "skip"))
        *out = PROFILE_ON_ERROR_SKIP_ROW;
    else if (!strcmp(s, "fail"))
        *out = PROFILE_ON_ERROR_FAIL;
    else
        return at(L, n, "on_error must be warn, skip_row or fail, not '%s'", s);
    return 0;
}

static int load_rule(loader *L, yaml_node_t *n, pf_rule *r)
{
    if (want_mapping(L, n, "a validate rule") != 0)
        return -1;
    r->present = true;
    yaml_node_t *k, *v;
    FOR_PAIRS(L, n, k, v) {
        const char *key = scalar(k);
        if (!key)
            return at(L, k, "rule keys must be names");
        if (!strcmp(key, "required")) {
            if (want_bool(L, v, "required", &r->required) != 0)
                return -1;
        } else if (!strcmp(key, "min")) {
            r->has_min = true;
            if (want_double(L, v, "min", &r->min) != 0)
                return -1;
        } else if (!strcmp(key, "max")) {
            r->has_max = true;
            if (want_double(L, v, "max", &r->max) != 0)
                return -1;
        } else if (!strcmp(key, "enum")) {
            GPtrArray *vals = g_ptr_array_new();
            if (want_strings(L, v, "enum", vals, false) != 0) {
                g_ptr_array_set_free_func(vals, g_free);
                g_ptr_array_free(vals, TRUE);
                return -1;
            }
            if (r->enum_vals)
                g_strfreev(r->enum_vals);
            for (guint i = 0; i < vals->len; i++) {
                char *f = docs_fold(g_ptr_array_index(vals, i));
                g_free(g_ptr_array_index(vals, i));
                vals->pdata[i] = g_strdup(f);
                g_free(f);
            }
            g_ptr_array_add(vals, NULL);
            r->enum_vals = (char **)g_ptr_array_free(vals, FALSE);
        } else if (!strcmp(key, "pattern")) {
            if (r->pattern)
                g_regex_unref(r->pattern);
            r->pattern = NULL;
            if (want_regex(L, v, "pattern", &r->pattern) != 0)
                return -1;
        } else if (!strcmp(key, "check_digit")) {
            if (want_bool(L, v, "check_digit", &r->check_digit) != 0)
                return -1;
        } else if (!strcmp(key, "on_error")) {
            r->has_policy = true;
            if (want_policy(L, v, &r->policy) != 0)
                return -1;
        } else {
            return at(L, k, "unknown rule '%s' (required, min, max, enum, pattern, check_digit, "
                            "on_error)", key);
        }
    }
    return 0;
}

static int want_parse_kind(loader *L, yaml_node_t *n, parse_kind *out)
{
    const char *s;
    if (want_scalar(L, n, "parse type", &s) != 0)
        return -1;
    static const struct { const char *name; parse_kind k; } kinds[] = {
        { "text", PARSE_TEXT }, { "year", PARSE_YEAR }, { "money", PARSE_MONEY },
        { "date", PARSE_DATE }, { "percent", PARSE_PERCENT }, { "vin", PARSE_VIN },
        { "int", PARSE_INT }, { "integer", PARSE_INT },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(s, kinds[i].name)) {
            *out = kinds[i].k;
            return 0;
        }
    return at(L, n, "unknown parse type '%s' (text, year, money, date, percent, vin, int)", s);
}

/* An empty value ("section:" with nothing under it, ~ or null). */
static bool is_null(yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*s || !strcmp(s, "~") || !strcmp(s, "null"));
}

/* ---- sections: one loader each ---- */

static int load_name(loader *L, yaml_node_t *v, profile *p)
{
    const char *s;
    if (want_scalar(L, v, "name", &s) != 0)
        return -1;
    g_free(p->name);
    p->name = g_strdup(s);
    return 0;
}

static int load_description(loader *L, yaml_node_t *v, profile *p)
{
    const char *s;
    if (want_scalar(L, v, "description", &s) != 0)
        return -1;
    g_free(p->description);
    p->description = g_strdup(s);
    return 0;
}

static int load_version(loader *L, yaml_node_t *v, profile *p)
{
    long ver;
    if (want_int(L, v, "version", &ver) != 0)
        return -1;
    p->version = (int)ver;
    return 0;
}

static int load_detect(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "detect") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        const char *kk = scalar(k2);
        if (kk && (!strcmp(kk, "sender_domains") || !strcmp(kk, "domains"))) {
            if (want_strings(L, v2, "sender_domains", p->domains, true) != 0)
                return -1;
        } else if (kk && !strcmp(kk, "required_headers")) {
            if (want_strings(L, v2, "required_headers", p->required_headers, false) != 0)
                return -1;
        } else if (kk && !strcmp(kk, "sheet_name")) {
            GRegex *re;
            if (want_regex(L, v2, "sheet_name", &re) != 0)
                return -1;
            g_regex_unref(re);
            g_free(p->detect_sheet);
            p->detect_sheet = g_strdup(scalar(v2));
        } else {
            return at(L, k2, "unknown detect rule '%s' (sender_domains, required_headers, "
                             "sheet_name)", kk ? kk : "?");
        }
    }
    return 0;
}

static int load_table(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "table") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        const char *kk = scalar(k2);
        if (kk && !strcmp(kk, "sheet")) {
            GRegex *re;
            if (want_regex(L, v2, "table.sheet", &re) != 0)
                return -1;
            g_regex_unref(re);
            g_free(p->table_sheet);
            p->table_sheet = g_strdup(scalar(v2));
        } else if (kk && !strcmp(kk, "header_row")) {
            if (want_int(L, v2, "header_row", &p->header_row) != 0)
                return -1;
            if (p->header_row < 1 || p->header_row > 100000)
                return at(L, v2, "header_row must be between 1 and 100000");
        } else {
            return at(L, k2, "unknown table setting '%s' (sheet, header_row)", kk ? kk : "?");
        }
    }
    return 0;
}

static int load_mapping(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "mapping") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        const char *header;
        if (want_scalar(L, k2, "a source header", &header) != 0)
            return -1;
        pf_map m = { 0 };
        if (want_field(L, v2, &m.field, true) != 0)
            return -1;
        m.header = g_strdup(header);
        m.folded = docs_fold(header);
        g_array_append_val(p->map, m);
    }
    return 0;
}

static int load_normalize(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "normalize") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        const char *kk = scalar(k2);
        if (kk && !strcmp(kk, "all")) {
            if (load_steps(L, v2, &p->norm_all) != 0)
                return -1;
            continue;
        }
        profile_field f;
        if (want_field(L, k2, &f, false) != 0)
            return -1;
        if (load_steps(L, v2, &p->norm[f]) != 0)
            return -1;
    }
    return 0;
}

static int load_parse(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "parse") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        profile_field f;
        if (want_field(L, k2, &f, false) != 0 || want_parse_kind(L, v2, &p->parse[f]) != 0)
            return -1;
    }
    return 0;
}

static int load_compute(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "compute") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        profile_field f;
        const char *tmpl;
        if (want_field(L, k2, &f, false) != 0 || want_scalar(L, v2, "a template", &tmpl) != 0)
            return -1;
        /* braces must balance */
        int depth = 0;
        for (const char *c = tmpl; *c; c++) {
            depth += *c == '{' ? 1 : *c == '}' ? -1 : 0;
            if (depth < 0 || depth > 1)
                return at(L, v2, "unbalanced braces in template '%s'", tmpl);
        }
        if (depth)
            return at(L, v2, "unbalanced braces in template '%s'", tmpl);
        g_free(p->compute[f]);
        p->compute[f] = g_strdup(tmpl);
    }
    return 0;
}

static int load_defaults(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "defaults") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        profile_field f;
        const char *val;
        if (want_field(L, k2, &f, false) != 0 || want_scalar(L, v2, "a default", &val) != 0)
            return -1;
        g_free(p->defaults[f]);
        p->defaults[f] = g_strdup(val);
    }
    return 0;
}

static int load_validate(loader *L, yaml_node_t *v, profile *p)
{
    if (want_mapping(L, v, "validate") != 0)
        return -1;
    yaml_node_t *k2, *v2;
    FOR_PAIRS(L, v, k2, v2) {
        profile_field f;
        if (want_field(L, k2, &f, false) != 0 || load_rule(L, v2, &p->rules[f]) != 0)
            return -1;
    }
    return 0;
}

static int load_on_error(loader *L, yaml_node_t *v, profile *p)
{
    return want_policy(L, v, &p->on_error);
}

/* The top-level keys of a profile; a section may be left empty ("mapping:" alone). */
static const struct {
    const char *key;
    int (*load)(loader *L, yaml_node_t *v, profile *p);
    bool section;
} top_keys[] = {
    {"name", load_name, false},
    {"version", load_version, false},
    {"description", load_description, true},
    {"detect", load_detect, true},
    {"table", load_table, true},
    {"mapping", load_mapping, true},
    {"normalize", load_normalize, true},
    {"parse", load_parse, true},
    {"compute", load_compute, true},
    {"defaults", load_defaults, true},
    {"validate", load_validate, true},
    {"on_error", load_on_error, false},
};

static int load_root(loader *L, yaml_node_t *root, profile *p)
{
    if (want_mapping(L, root, "a profile") != 0)
        return -1;
    bool have_mapping = false;
    yaml_node_t *k, *v;
    FOR_PAIRS(L, root, k, v) {
        const char *key = scalar(k);
        if (!key)
            return at(L, k, "top-level keys must be names");
        size_t i = 0;
        while (i < G_N_ELEMENTS(top_keys) && strcmp(key, top_keys[i].key) != 0)
            i++;
        if (i == G_N_ELEMENTS(top_keys))
            return at(L, k, "unknown section '%s' (name, version, description, detect, table, "
                            "mapping, normalize, parse, compute, defaults, validate, on_error)", key);
        have_mapping |= !strcmp(key, "mapping");
        if (top_keys[i].section && is_null(v))
            continue;   /* an empty section */
        if (top_keys[i].load(L, v, p) != 0)
            return -1;
    }
    if (!have_mapping)
        return at(L, root, "the profile has no 'mapping' section");
    return 0;
}

static profile *profile_alloc(void)
{
    profile *p = g_new0(profile, 1);
    p->version = 1;
    p->domains = g_ptr_array_new_with_free_func(g_free);
    p->required_headers = g_ptr_array_new_with_free_func(g_free);
    p->map = g_array_new(FALSE, TRUE, sizeof(pf_map));
    return p;
}

void profile_free(profile *p)
{
    if (!p)
        return;
    g_free(p->name);
    g_free(p->description);
    g_free(p->text);
    g_ptr_array_free(p->domains, TRUE);
    g_ptr_array_free(p->required_headers, TRUE);
    g_free(p->detect_sheet);
    g_free(p->table_sheet);
    for (guint i = 0; i < p->map->len; i++) {
        pf_map *m = &g_array_index(p->map, pf_map, i);
        g_free(m->header);
        g_free(m->folded);
    }
    g_array_free(p->map, TRUE);
    if (p->norm_all)
        g_ptr_array_free(p->norm_all, TRUE);
    for (int f = 0; f < PF_COUNT; f++) {
        if (p->norm[f])
            g_ptr_array_free(p->norm[f], TRUE);
        g_free(p->compute[f]);
        g_free(p->defaults[f]);
        if (p->rules[f].enum_vals)
            g_strfreev(p->rules[f].enum_vals);
        if (p->rules[f].pattern)
            g_regex_unref(p->rules[f].pattern);
    }
    g_free(p);
}

int profile_load_string(const char *yaml, size_t len, const char *origin, profile **out,
                        minca_err *err)
{
    *out = NULL;
    if (!origin)
        origin = "profile";
    if (len > (1u << 20))
        return minca_err_set(err, "%s: profile text is larger than 1 MiB", origin);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return minca_err_set(err, "%s: cannot start the YAML parser", origin);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        int rc = minca_err_set(err, "%s: line %zu, column %zu: %s%s%s", origin,
                               parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                               parser.problem ? parser.problem : "YAML syntax error",
                               parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_parser_delete(&parser);
    loader L = { &doc, origin, err };
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    profile *p = profile_alloc();
    int rc = root ? load_root(&L, root, p) : minca_err_set(err, "%s: the profile is empty", origin);
    yaml_document_delete(&doc);
    if (rc != 0) {
        profile_free(p);
        return -1;
    }
    p->text = g_strndup(yaml, len);
    if (!p->name) {
        /* name from the origin's file stem */
        const char *base = strrchr(origin, '/');
        base = base ? base + 1 : origin;
        char *stem = g_strdup(base);
        char *dot = strrchr(stem, '.');
        if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
            *dot = '\0';
        p->name = stem;
    }
    *out = p;
    return 0;
}

int profile_load_file(const char *path, profile **out, minca_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(path, 1u << 20, &data, &len, err) != 0)
        return -1;
    int rc = profile_load_string(data, len, path, out, err);
    g_free(data);
    return rc;
}

const char *profile_name(const profile *p) { return p->name; }
const char *profile_description(const profile *p) { return p->description ? p->description : ""; }
int profile_version(const profile *p) { return p->version; }
const char *profile_text(const profile *p) { return p->text ? p->text : ""; }

int profile_domains(const profile *p, const char *const **domains)
{
    *domains = (const char *const *)p->domains->pdata;
    return (int)p->domains->len;
}
