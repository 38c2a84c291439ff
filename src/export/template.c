/* export templates: the workbook layout (columns, types, formats, sources) as YAML data. */
#include "export_internal.h"
#include "minca/core_config.h"
#include "minca/core_text.h"

#include <errno.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

const export_field *export_field_find(const char *source)
{
    if (!source)
        return NULL;
    if (strncmp(source, "coverage.", 9) == 0)
        return export_valid_slug(source + 9) ? &export_coverage_field : NULL;
    for (size_t i = 0; i < export_n_fields; i++)
        if (strcmp(export_fields[i].name, source) == 0)
            return &export_fields[i];
    return NULL;
}

const char *export_field_names(void)
{
    static char names[2048];
    static gsize ready;
    if (g_once_init_enter(&ready)) {
        size_t off = 0;
        for (size_t i = 0; i < export_n_fields; i++)
            off += (size_t)snprintf(names + off, sizeof names - off, "%s, ", export_fields[i].name);
        snprintf(names + off, sizeof names - off, "coverage.<key>");
        g_once_init_leave(&ready, 1);
    }
    return names;
}

bool export_valid_slug(const char *s)
{
    if (!s || !*s || strlen(s) > 64 || *s == '.' || *s == '-')
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* ---- YAML document helpers ---------------------------------------------------------------- */

typedef struct yaml_ctx {
    yaml_document_t doc;
    const char *path;
    minca_err *err;
} yaml_ctx;

static int at(yaml_ctx *y, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int at(yaml_ctx *y, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node)
        return minca_err_set(y->err, "%s:%zu:%zu: %s", y->path, node->start_mark.line + 1,
                             node->start_mark.column + 1, msg);
    return minca_err_set(y->err, "%s: %s", y->path, msg);
}

static int yaml_open(yaml_ctx *y, const char *path, minca_err *err)
{
    y->path = path;
    y->err = err;
    FILE *f = fopen(path, "rb");
    if (!f)
        return minca_err_set(err, "cannot read %s: %s", path, strerror(errno));
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    if (!yaml_parser_load(&parser, &y->doc)) {
        rc = minca_err_set(err, "%s:%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
                           parser.problem_mark.column + 1,
                           parser.problem ? parser.problem : "YAML syntax error",
                           parser.context ? " " : "", parser.context ? parser.context : "");
    } else if (!yaml_document_get_root_node(&y->doc)) {
        yaml_document_delete(&y->doc);
        rc = minca_err_set(err, "%s: empty document", path);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

static yaml_node_t *node_at(yaml_ctx *y, int index)
{
    return yaml_document_get_node(&y->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
    return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

static int want_scalar(yaml_ctx *y, const yaml_node_t *n, const char *key, const char **out)
{
    *out = scalar(n);
    if (!*out)
        return at(y, n, "'%s' must be a single value", key);
    return 0;
}

static int want_text(yaml_ctx *y, const yaml_node_t *n, const char *key, char **slot)
{
    const char *v;
    if (want_scalar(y, n, key, &v) < 0)
        return -1;
    if (!g_utf8_validate(v, -1, NULL))
        return at(y, n, "'%s' is not valid UTF-8", key);
    if (core_str_empty(v))
        return at(y, n, "'%s' is empty", key);
    g_free(*slot);
    *slot = g_strdup(v);
    return 0;
}

static int parse_bool(yaml_ctx *y, const yaml_node_t *n, const char *key, bool *out)
{
    const char *v;
    if (want_scalar(y, n, key, &v) < 0)
        return -1;
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
        *out = false;
    else
        return at(y, n, "'%s' must be true or false, not '%s'", key, v);
    return 0;
}

/* Parses a plain number, or a percentage "5%" as 0.05. */
static bool parse_number(const char *v, double *out)
{
    if (!v || !*v)
        return false;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || errno)
        return false;
    if (*end == '%') {
        d /= 100.0;
        end++;
    }
    while (*end == ' ')
        end++;
    if (*end)
        return false;
    *out = d;
    return true;
}

/* ---- templates ---------------------------------------------------------------------------- */

static const char *type_names[] = {"text", "integer", "money", "percent", "date"};

void export_template_free(export_template *tpl)
{
    if (!tpl)
        return;
    for (int i = 0; i < tpl->n_columns; i++) {
        export_column *c = &tpl->columns[i];
        g_free(c->header);
        g_free(c->num_format);
        g_free(c->source);
        g_free(c->fallback);
    }
    g_free(tpl->columns);
    g_free(tpl->name);
    g_free(tpl->version);
    g_free(tpl->path);
    g_free(tpl->sheet);
    g_free(tpl);
}

static bool source_fits(export_col_type type, export_field_kind kind)
{
    switch (type) {
    case EXPORT_COL_TEXT:
        return true;
    case EXPORT_COL_INTEGER:
    case EXPORT_COL_MONEY:
    case EXPORT_COL_PERCENT:
        return kind == FIELD_NUMBER || kind == FIELD_INT || kind == FIELD_COVERAGE;
    case EXPORT_COL_DATE:
        return kind == FIELD_DATE || kind == FIELD_DATETIME;
    }
    return false;
}

static int check_source(yaml_ctx *y, const yaml_node_t *n, const char *key, const char *source,
                        export_col_type type)
{
    const export_field *f = export_field_find(source);
    if (!f)
        return at(y, n, "unknown %s '%s' (known: %s)", key, source, export_field_names());
    if (!source_fits(type, f->kind))
        return at(y, n, "%s '%s' cannot fill a %s column", key, source, type_names[type]);
    return 0;
}

static int parse_column(yaml_ctx *y, yaml_node_t *map, int index, export_column *col)
{
    if (map->type != YAML_MAPPING_NODE)
        return at(y, map, "column %d must be a mapping (header, type, width, format, source)",
                  index + 1);
    col->line = (int)map->start_mark.line + 1;
    col->width = 12;
    yaml_node_t *type_node = NULL, *source_node = NULL, *fallback_node = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(y, p->key), *v = node_at(y, p->value);
        const char *key = scalar(k);
        if (!key)
            return at(y, k, "column %d: keys must be plain words", index + 1);
        if (!strcmp(key, "header")) {
            if (want_text(y, v, key, &col->header) < 0)
                return -1;
            if (g_utf8_strlen(col->header, -1) > 255)
                return at(y, v, "header is longer than 255 characters");
        } else if (!strcmp(key, "type")) {
            type_node = v;
        } else if (!strcmp(key, "width")) {
            const char *w;
            if (want_scalar(y, v, key, &w) < 0)
                return -1;
            if (!parse_number(w, &col->width) || col->width <= 0 || col->width > 255)
                return at(y, v, "width must be a number between 1 and 255, not '%s'", w);
        } else if (!strcmp(key, "format")) {
            if (want_text(y, v, key, &col->num_format) < 0)
                return -1;
        } else if (!strcmp(key, "source")) {
            if (want_text(y, v, key, &col->source) < 0)
                return -1;
            source_node = v;
        } else if (!strcmp(key, "fallback")) {
            if (want_text(y, v, key, &col->fallback) < 0)
                return -1;
            fallback_node = v;
        } else if (!strcmp(key, "color_scale")) {
            if (parse_bool(y, v, key, &col->color_scale) < 0)
                return -1;
        } else if (!strcmp(key, "print")) {
            bool printed = true;
            if (parse_bool(y, v, key, &printed) < 0)
                return -1;
            col->no_print = !printed;
        } else {
            return at(y, k, "column %d: unknown key '%s' (header, type, width, format, source, "
                            "fallback, color_scale, print)",
                      index + 1, key);
        }
    }
    if (!col->header)
        return at(y, map, "column %d has no header", index + 1);
    if (!type_node)
        return at(y, map, "column '%s' has no type", col->header);
    const char *t;
    if (want_scalar(y, type_node, "type", &t) < 0)
        return -1;
    size_t ti = 0;
    while (ti < sizeof type_names / sizeof type_names[0] && strcmp(type_names[ti], t) != 0)
        ti++;
    if (ti == sizeof type_names / sizeof type_names[0])
        return at(y, type_node, "unknown column type '%s' (text, integer, money, percent, date)",
                  t);
    col->type = (export_col_type)ti;
    if (!col->source)
        return at(y, map, "column '%s' has no source", col->header);
    if (check_source(y, source_node, "source", col->source, col->type) < 0)
        return -1;
    if (col->fallback && check_source(y, fallback_node, "fallback", col->fallback, col->type) < 0)
        return -1;
    if (col->color_scale && col->type == EXPORT_COL_TEXT)
        return at(y, map, "column '%s': color_scale needs a numeric column", col->header);
    return 0;
}

/* print: {scale: 100, min_scale: 55, repeat_columns: 2}: the main sheet's printed columns at
 * the largest scale up to `scale` that fits them one page wide; below min_scale, at min_scale
 * on pages of whole columns, the first repeat_columns columns on every page. */
static int parse_print(yaml_ctx *y, yaml_node_t *map, export_template *tpl)
{
    if (map->type != YAML_MAPPING_NODE)
        return at(y, map, "print must be a mapping (scale, repeat_columns)");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(y, p->key), *v = node_at(y, p->value);
        const char *key = scalar(k), *val;
        double d;
        if (!key)
            return at(y, k, "print: keys must be plain words");
        if (want_scalar(y, v, key, &val) < 0)
            return -1;
        if (!strcmp(key, "scale")) {
            if (!parse_number(val, &d) || d < 10 || d > 400 || d != (int)d)
                return at(y, v, "print scale must be a whole percentage between 10 and 400, not '%s'",
                          val);
            tpl->print_scale = (int)d;
        } else if (!strcmp(key, "min_scale")) {
            if (!parse_number(val, &d) || d < 10 || d > 400 || d != (int)d)
                return at(y, v, "print min_scale must be a whole percentage between 10 and 400, not '%s'",
                          val);
            tpl->print_min_scale = (int)d;
        } else if (!strcmp(key, "repeat_columns")) {
            if (!parse_number(val, &d) || d < 0 || d > 10 || d != (int)d)
                return at(y, v, "print repeat_columns must be a count between 0 and 10, not '%s'",
                          val);
            tpl->print_repeat_columns = (int)d;
        } else {
            return at(y, k, "print: unknown key '%s' (scale, min_scale, repeat_columns)", key);
        }
    }
    return 0;
}

static int check_sheet_name(yaml_ctx *y, const yaml_node_t *n, const char *name)
{
    if (g_utf8_strlen(name, -1) > 31)
        return at(y, n, "sheet name '%s' is longer than 31 characters", name);
    if (strpbrk(name, "[]:*?/\\"))
        return at(y, n, "sheet name '%s' contains one of [ ] : * ? / \\", name);
    if (name[0] == '\'' || name[strlen(name) - 1] == '\'')
        return at(y, n, "sheet name '%s' starts or ends with an apostrophe", name);
    if (!g_ascii_strcasecmp(name, "Resumen") || !g_ascii_strcasecmp(name, "Incidencias") ||
        !g_ascii_strcasecmp(name, "Cliente"))
        return at(y, n, "sheet name '%s' is reserved for the summary sheets", name);
    return 0;
}

int export_template_load(const char *path, export_template **out, minca_err *err)
{
    *out = NULL;
    yaml_ctx y;
    if (yaml_open(&y, path, err) < 0)
        return -1;
    int rc = -1;
    export_template *tpl = g_malloc0_n(1, sizeof *tpl);
    tpl->path = g_strdup(path);
    yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    yaml_node_t *columns = NULL, *sheet_node = NULL;
    if (root->type != YAML_MAPPING_NODE) {
        at(&y, root, "a template is a mapping with name, version, sheet and columns");
        goto done;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(&y, p->key), *v = node_at(&y, p->value);
        const char *key = scalar(k);
        if (!key) {
            at(&y, k, "keys must be plain words");
            goto done;
        }
        if (!strcmp(key, "name")) {
            if (want_text(&y, v, key, &tpl->name) < 0)
                goto done;
        } else if (!strcmp(key, "version")) {
            if (want_text(&y, v, key, &tpl->version) < 0)
                goto done;
        } else if (!strcmp(key, "sheet")) {
            if (want_text(&y, v, key, &tpl->sheet) < 0)
                goto done;
            sheet_node = v;
        } else if (!strcmp(key, "description")) {
            /* for people reading the file */
        } else if (!strcmp(key, "columns")) {
            columns = v;
        } else if (!strcmp(key, "print")) {
            if (parse_print(&y, v, tpl) < 0)
                goto done;
        } else {
            at(&y, k, "unknown key '%s' (name, version, description, sheet, print, columns)", key);
            goto done;
        }
    }
    if (!tpl->name || !tpl->version || !tpl->sheet || !columns) {
        at(&y, root, "missing %s", !tpl->name ? "name" : !tpl->version ? "version"
                                   : !tpl->sheet  ? "sheet" : "columns");
        goto done;
    }
    if (check_sheet_name(&y, sheet_node, tpl->sheet) < 0)
        goto done;
    if (columns->type != YAML_SEQUENCE_NODE) {
        at(&y, columns, "columns must be a list");
        goto done;
    }
    int n = (int)(columns->data.sequence.items.top - columns->data.sequence.items.start);
    if (n == 0 || n > 16384) {
        at(&y, columns, "a template needs between 1 and 16384 columns, not %d", n);
        goto done;
    }
    tpl->columns = g_malloc0_n((size_t)n, sizeof *tpl->columns);
    for (int i = 0; i < n; i++) {
        yaml_node_t *cn = node_at(&y, columns->data.sequence.items.start[i]);
        tpl->n_columns = i + 1;
        if (parse_column(&y, cn, i, &tpl->columns[i]) < 0)
            goto done;
        for (int j = 0; j < i; j++)
            if (!strcmp(tpl->columns[j].header, tpl->columns[i].header)) {
                at(&y, cn, "header '%s' appears twice (also on line %d)", tpl->columns[i].header,
                   tpl->columns[j].line);
                goto done;
            }
        if (i > 0 && !tpl->columns[i].no_print && tpl->columns[i - 1].no_print) {
            at(&y, cn, "column '%s' is printed but follows one that is not ('%s'): the columns that say "
                       "print: false come last", tpl->columns[i].header, tpl->columns[i - 1].header);
            goto done;
        }
        if (!tpl->columns[i].no_print)
            tpl->n_printed = i + 1;
    }
    if (tpl->print_min_scale == 0)
        tpl->print_min_scale = tpl->print_scale;
    if (tpl->print_scale && tpl->print_min_scale > tpl->print_scale) {
        at(&y, root, "print min_scale (%d) is above scale (%d)", tpl->print_min_scale, tpl->print_scale);
        goto done;
    }
    if (tpl->n_printed == 0) {
        at(&y, columns, "every column says print: false: nothing would be printed");
        goto done;
    }
    *out = tpl;
    tpl = NULL;
    rc = 0;
done:
    export_template_free(tpl);
    yaml_document_delete(&y.doc);
    return rc;
}

int export_template_resolve(const char *share_dir, const char *insurer, const char *name,
                            char **path, minca_err *err)
{
    *path = NULL;
    if (!name || !*name)
        name = "gcotiza_v1";
    size_t nl = strlen(name);
    if (strchr(name, '/') || (nl > 5 && !strcmp(name + nl - 5, ".yaml"))) {
        if (!core_file_exists(name))
            return minca_err_set(err, "template file %s does not exist", name);
        *path = g_strdup(name);
        return 0;
    }
    if (!export_valid_slug(name))
        return minca_err_set(err, "invalid template name '%s'", name);
    if (!share_dir)
        share_dir = config_share_dir();
    if (insurer && *insurer) {
        if (!export_valid_slug(insurer))
            return minca_err_set(err, "invalid insurer slug '%s'", insurer);
        char *p = core_strdup_printf("%s/templates/%s/%s.yaml", share_dir, insurer, name);
        if (core_file_exists(p)) {
            *path = p;
            return 0;
        }
        g_free(p);
    }
    char *p = core_strdup_printf("%s/templates/%s.yaml", share_dir, name);
    if (!core_file_exists(p)) {
        minca_err_set(err, "no template '%s' (looked for %s%s%s)", name, p,
                      insurer && *insurer ? " and the insurer's folder " : "",
                      insurer && *insurer ? insurer : "");
        g_free(p);
        return -1;
    }
    *path = p;
    return 0;
}

/* ---- coverage packages -------------------------------------------------------------------- */

void export_coverage_free(export_coverage *cov)
{
    if (!cov)
        return;
    for (int i = 0; i < cov->n_packages; i++) {
        export_coverage_package *p = &cov->packages[i];
        for (int j = 0; j < p->n_values; j++) {
            g_free(p->values[j].key);
            g_free(p->values[j].text);
        }
        g_free(p->values);
        g_free(p->name);
        g_free(p->description);
    }
    g_free(cov->packages);
    g_free(cov->path);
    g_free(cov);
}

static int parse_package_values(yaml_ctx *y, yaml_node_t *map, export_coverage_package *pkg)
{
    if (map->type != YAML_MAPPING_NODE)
        return at(y, map, "package %s: values must be a mapping of coverage key -> value",
                  pkg->name);
    int n = (int)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    pkg->values = g_malloc0_n((size_t)(n ? n : 1), sizeof *pkg->values);
    for (int i = 0; i < n; i++) {
        yaml_node_pair_t *p = &map->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(y, p->key), *v = node_at(y, p->value);
        const char *key = scalar(k), *val = scalar(v);
        if (!key || !export_valid_slug(key))
            return at(y, k, "package %s: coverage keys are words like ded_dm_pp", pkg->name);
        if (!val)
            return at(y, v, "package %s: %s must be a single value", pkg->name, key);
        for (int j = 0; j < pkg->n_values; j++)
            if (!strcmp(pkg->values[j].key, key))
                return at(y, k, "package %s: %s appears twice", pkg->name, key);
        export_coverage_value *cv = &pkg->values[pkg->n_values++];
        cv->key = g_strdup(key);
        bool plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (!(plain && parse_number(val, &cv->number))) {
            if (!g_utf8_validate(val, -1, NULL))
                return at(y, v, "package %s: %s is not valid UTF-8", pkg->name, key);
            cv->text = g_strdup(val);
        }
    }
    return 0;
}

int export_coverage_load(const char *path, export_coverage **out, minca_err *err)
{
    *out = NULL;
    yaml_ctx y;
    if (yaml_open(&y, path, err) < 0)
        return -1;
    int rc = -1;
    export_coverage *cov = g_malloc0_n(1, sizeof *cov);
    cov->path = g_strdup(path);
    yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    yaml_node_t *packages = NULL;
    if (root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             p < root->data.mapping.pairs.top; p++) {
            const char *key = scalar(node_at(&y, p->key));
            if (key && !strcmp(key, "packages"))
                packages = node_at(&y, p->value);
        }
    if (!packages || packages->type != YAML_MAPPING_NODE) {
        at(&y, packages ? packages : root, "expected 'packages:' mapping package name -> values");
        goto done;
    }
    int n = (int)(packages->data.mapping.pairs.top - packages->data.mapping.pairs.start);
    cov->packages = g_malloc0_n((size_t)(n ? n : 1), sizeof *cov->packages);
    for (int i = 0; i < n; i++) {
        yaml_node_pair_t *p = &packages->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(&y, p->key), *v = node_at(&y, p->value);
        const char *name = scalar(k);
        if (!name || core_str_empty(name)) {
            at(&y, k, "package names are words like AMPLIA");
            goto done;
        }
        export_coverage_package *pkg = &cov->packages[cov->n_packages++];
        pkg->name = g_ascii_strup(name, -1);
        if (export_coverage_find(cov, name) != pkg) {
            at(&y, k, "package %s appears twice", pkg->name);
            goto done;
        }
        if (v->type != YAML_MAPPING_NODE) {
            at(&y, v, "package %s must be a mapping with description and values", pkg->name);
            goto done;
        }
        yaml_node_t *values = NULL;
        for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top;
             q++) {
            yaml_node_t *qk = node_at(&y, q->key), *qv = node_at(&y, q->value);
            const char *key = scalar(qk);
            if (key && !strcmp(key, "description")) {
                if (want_text(&y, qv, key, &pkg->description) < 0)
                    goto done;
            } else if (key && !strcmp(key, "values")) {
                values = qv;
            } else {
                at(&y, qk, "package %s: unknown key '%s' (description, values)", pkg->name,
                   key ? key : "?");
                goto done;
            }
        }
        if (!values) {
            at(&y, v, "package %s has no values", pkg->name);
            goto done;
        }
        if (parse_package_values(&y, values, pkg) < 0)
            goto done;
    }
    if (cov->n_packages == 0) {
        at(&y, packages, "no packages defined");
        goto done;
    }
    *out = cov;
    cov = NULL;
    rc = 0;
done:
    export_coverage_free(cov);
    yaml_document_delete(&y.doc);
    return rc;
}

/* Upper-cased, accents removed: "Básica" and "BASICA" name the same package. */
static char *fold_name(const char *s)
{
    return text_fold(s, TEXT_FOLD_UPPER | TEXT_FOLD_TRIM);
}

const export_coverage_package *export_coverage_find(const export_coverage *cov, const char *name)
{
    if (!cov || !name)
        return NULL;
    char *want = fold_name(name);
    const export_coverage_package *found = NULL;
    for (int i = 0; i < cov->n_packages && !found; i++) {
        char *have = fold_name(cov->packages[i].name);
        if (!strcmp(have, want))
            found = &cov->packages[i];
        g_free(have);
    }
    g_free(want);
    return found;
}

char *export_coverage_resolve(const char *share_dir, const char *insurer)
{
    if (!share_dir)
        share_dir = config_share_dir();
    if (insurer && *insurer && export_valid_slug(insurer)) {
        char *p = core_strdup_printf("%s/templates/%s/coverage_packages.yaml", share_dir, insurer);
        if (core_file_exists(p))
            return p;
        g_free(p);
    }
    return core_strdup_printf("%s/templates/coverage_packages.yaml", share_dir);
}
