/* export tariff: a per-insurer tariff kept as data (YAML, samples/tariff/demo.yaml documents
 * it) and the pricing of a case with it, in whole cents. */
#include "minca/export.h"
#include "minca/core_text.h"

#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_COV EXPORT_TARIFF_MAX_COVERAGES
#define BP 10000LL            /* factors and rates are kept in ten-thousandths */

typedef struct cov_def {
    char *key, *name, *limit;
} cov_def;

typedef struct type_def {
    char *name;
    GPtrArray *words;         /* folded body words */
} type_def;

typedef struct band_def {
    char *label;
    int lo, hi;
} band_def;

typedef struct factor_def {
    char *key;                /* folded */
    long long bp;
} factor_def;

typedef struct pay_def {
    char *name;
    int receipts;
    long long bp;
} pay_def;

typedef struct pkg_def {
    char *name;
    char *deductible[MAX_COV];
    bool has[MAX_COV];
    long long *base;          /* [type][band][coverage] cents; -1 when absent */
} pkg_def;

struct export_tariff {
    char *name, *currency, *default_use;
    bool demo;
    long long iva_bp, derecho_cents, minimum_cents;
    GArray *payment, *types, *bands, *use, *state, *packages;
    cov_def cov[MAX_COV];
    int n_cov;
};

typedef struct yaml_ctx {
    yaml_document_t doc;
    const char *origin;
    minca_err *err;
} yaml_ctx;

/* ---- reading the file --------------------------------------------------------------------- */

static int at(yaml_ctx *y, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int at(yaml_ctx *y, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n)
        return minca_err_set(y->err, "%s:%zu:%zu: %s", y->origin, n->start_mark.line + 1, n->start_mark.column + 1,
                             msg);
    return minca_err_set(y->err, "%s: %s", y->origin, msg);
}

static yaml_node_t *node(yaml_ctx *y, int i)
{
    return yaml_document_get_node(&y->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
    return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *get(yaml_ctx *y, const yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(y, p->key));
        if (k && !strcmp(k, key))
            return node(y, p->value);
    }
    return NULL;
}

static char *fold(const char *s)
{
    return text_fold(s ? s : "", TEXT_FOLD_LOWER | TEXT_FOLD_WORDS | TEXT_FOLD_TRIM);
}

/* "5200", "5200.5", "5200.00" -> cents; more than `decimals` decimals or anything else: -1. */
static long long parse_fixed(const char *v, int decimals)
{
    if (!v || !*v)
        return -1;
    long long whole = 0, frac = 0;
    int nd = 0;
    const char *p = v;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (*p - '0');
        if (whole > 100000000000LL)
            return -1;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++nd > decimals)
                return -1;
            frac = frac * 10 + (*p - '0');
        }
    }
    if (*p)
        return -1;
    for (; nd < decimals; nd++)
        frac *= 10;
    long long scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    return whole * scale + frac;
}

static int want_amount(yaml_ctx *y, const yaml_node_t *n, const char *what, long long *out)
{
    *out = parse_fixed(scalar(n), 2);
    if (*out < 0)
        return at(y, n, "%s must be an amount with at most two decimals, not '%s'", what,
                  scalar(n) ? scalar(n) : "(not a value)");
    return 0;
}

static int want_factor(yaml_ctx *y, const yaml_node_t *n, const char *what, long long *out)
{
    *out = parse_fixed(scalar(n), 4);
    if (*out < 0)
        return at(y, n, "%s must be a decimal with at most four decimals, not '%s'", what,
                  scalar(n) ? scalar(n) : "(not a value)");
    return 0;
}

static int want_map(yaml_ctx *y, const yaml_node_t *n, const char *what)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return at(y, n, "'%s' must be a mapping", what);
    return 0;
}

#define EACH_PAIR(y, map, p) for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start; p < (map)->data.mapping.pairs.top; p++)

static int cov_index(const export_tariff *t, const char *key)
{
    for (int i = 0; key && i < t->n_cov; i++)
        if (!g_ascii_strcasecmp(t->cov[i].key, key))
            return i;
    return -1;
}

static int find_named(GArray *a, size_t elem, size_t name_off, const char *name, bool folded)
{
    char *f = folded ? fold(name) : NULL;
    int found = -1;
    for (guint i = 0; i < a->len && found < 0; i++) {
        const char *n = *(char **)((char *)a->data + i * elem + name_off);
        if (folded ? !strcmp(n, f) : !strcmp(n, name))
            found = (int)i;
    }
    g_free(f);
    return found;
}

static int read_factors(yaml_ctx *y, const yaml_node_t *map, const char *what, GArray *out)
{
    if (want_map(y, map, what) < 0)
        return -1;
    EACH_PAIR(y, map, p) {
        factor_def f = {.key = fold(scalar(node(y, p->key)))};
        g_array_append_val(out, f);
        if (want_factor(y, node(y, p->value), what, &g_array_index(out, factor_def, out->len - 1).bp) < 0)
            return -1;
    }
    return 0;
}

static int read_top(yaml_ctx *y, export_tariff *t, const yaml_node_t *root)
{
    const char *name = scalar(get(y, root, "name"));
    if (core_str_empty(name))
        return at(y, root, "the tariff has no name");
    t->name = g_strdup(name);
    t->currency = g_strdup(scalar(get(y, root, "currency")) ? scalar(get(y, root, "currency")) : "MXN");
    const char *du = scalar(get(y, root, "default_use"));
    t->default_use = du ? fold(du) : NULL;
    const char *demo = scalar(get(y, root, "demo"));
    t->demo = demo && (!strcmp(demo, "true") || !strcmp(demo, "yes"));
    if (want_factor(y, get(y, root, "iva"), "iva", &t->iva_bp) < 0 ||
        want_amount(y, get(y, root, "derecho_poliza"), "derecho_poliza", &t->derecho_cents) < 0 ||
        want_amount(y, get(y, root, "minimum_premium"), "minimum_premium", &t->minimum_cents) < 0)
        return -1;
    const yaml_node_t *pay = get(y, root, "payment");
    if (want_map(y, pay, "payment") < 0)
        return -1;
    EACH_PAIR(y, pay, p) {
        const yaml_node_t *v = node(y, p->value);
        pay_def d = {.name = g_ascii_strup(scalar(node(y, p->key)) ? scalar(node(y, p->key)) : "", -1)};
        g_array_append_val(t->payment, d);
        pay_def *dp = &g_array_index(t->payment, pay_def, t->payment->len - 1);
        long long n;
        if (want_map(y, v, "payment") < 0 || want_factor(y, get(y, v, "recargo"), "recargo", &dp->bp) < 0)
            return -1;
        n = parse_fixed(scalar(get(y, v, "receipts")), 0);
        if (n < 1 || n > EXPORT_TARIFF_MAX_RECEIPTS)
            return at(y, v, "receipts of %s must be 1 to %d", dp->name, EXPORT_TARIFF_MAX_RECEIPTS);
        dp->receipts = (int)n;
    }
    return 0;
}

static int read_types_bands(yaml_ctx *y, export_tariff *t, const yaml_node_t *root)
{
    const yaml_node_t *types = get(y, root, "vehicle_types"), *bands = get(y, root, "age_bands");
    if (want_map(y, types, "vehicle_types") < 0 || want_map(y, bands, "age_bands") < 0)
        return -1;
    EACH_PAIR(y, types, p) {
        const yaml_node_t *list = node(y, p->value);
        if (!list || list->type != YAML_SEQUENCE_NODE)
            return at(y, list, "a vehicle type lists body words: [SEDAN, SUV]");
        type_def d = {.name = g_strdup(scalar(node(y, p->key))), .words = g_ptr_array_new_with_free_func(g_free)};
        for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++)
            g_ptr_array_add(d.words, fold(scalar(node(y, *it))));
        g_array_append_val(t->types, d);
    }
    EACH_PAIR(y, bands, p) {
        const yaml_node_t *v = node(y, p->value);
        band_def d = {.label = g_strdup(scalar(node(y, p->key)))};
        g_array_append_val(t->bands, d);
        if (!v || v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.top - v->data.sequence.items.start != 2)
            return at(y, v, "an age band is [FROM, TO] in years");
        long long lo = parse_fixed(scalar(node(y, v->data.sequence.items.start[0])), 0);
        long long hi = parse_fixed(scalar(node(y, v->data.sequence.items.start[1])), 0);
        if (lo < 0 || hi < lo || hi > 200)
            return at(y, v, "an age band is [FROM, TO] in years, FROM <= TO");
        g_array_index(t->bands, band_def, t->bands->len - 1).lo = (int)lo;
        g_array_index(t->bands, band_def, t->bands->len - 1).hi = (int)hi;
    }
    if (!t->types->len || !t->bands->len)
        return at(y, root, "the tariff needs vehicle_types and age_bands");
    return 0;
}

static int read_coverages(yaml_ctx *y, export_tariff *t, const yaml_node_t *root)
{
    const yaml_node_t *covs = get(y, root, "coverages");
    if (want_map(y, covs, "coverages") < 0)
        return -1;
    EACH_PAIR(y, covs, p) {
        if (t->n_cov == MAX_COV)
            return at(y, node(y, p->key), "at most %d coverages", MAX_COV);
        const yaml_node_t *v = node(y, p->value);
        const char *name = scalar(get(y, v, "name")), *limit = scalar(get(y, v, "limit"));
        if (!name || !limit)
            return at(y, v, "a coverage has a name and a limit");
        cov_def *c = &t->cov[t->n_cov++];
        c->key = g_strdup(scalar(node(y, p->key)));
        c->name = g_strdup(name);
        long long cents = parse_fixed(limit, 2);
        if (cents >= 0) {
            char m[48];
            export_money_cents(cents, m, sizeof m);
            c->limit = g_strdup(m);
        } else {
            c->limit = g_strdup(limit);
        }
    }
    return 0;
}

static int read_package(yaml_ctx *y, export_tariff *t, const char *name, const yaml_node_t *v)
{
    pkg_def d = {.name = g_ascii_strup(name, -1)};
    size_t cells = (size_t)t->types->len * t->bands->len * MAX_COV;
    d.base = g_new(long long, cells);
    for (size_t i = 0; i < cells; i++)
        d.base[i] = -1;
    g_array_append_val(t->packages, d);
    pkg_def *pk = &g_array_index(t->packages, pkg_def, t->packages->len - 1);
    const yaml_node_t *ded = get(y, v, "deductibles"), *base = get(y, v, "base");
    if (want_map(y, ded, "deductibles") < 0 || want_map(y, base, "base") < 0)
        return -1;
    EACH_PAIR(y, ded, p) {
        int ci = cov_index(t, scalar(node(y, p->key)));
        if (ci < 0)
            return at(y, node(y, p->key), "unknown coverage '%s'", scalar(node(y, p->key)));
        pk->deductible[ci] = g_strdup(scalar(node(y, p->value)) ? scalar(node(y, p->value)) : "");
        pk->has[ci] = true;
    }
    EACH_PAIR(y, base, p) {
        int ti = find_named(t->types, sizeof(type_def), offsetof(type_def, name), scalar(node(y, p->key)), false);
        if (ti < 0)
            return at(y, node(y, p->key), "unknown vehicle type '%s'", scalar(node(y, p->key)));
        const yaml_node_t *by_band = node(y, p->value);
        if (want_map(y, by_band, "base") < 0)
            return -1;
        EACH_PAIR(y, by_band, q) {
            int bi = find_named(t->bands, sizeof(band_def), offsetof(band_def, label), scalar(node(y, q->key)), false);
            if (bi < 0)
                return at(y, node(y, q->key), "unknown age band '%s'", scalar(node(y, q->key)));
            const yaml_node_t *rates = node(y, q->value);
            if (want_map(y, rates, "base") < 0)
                return -1;
            EACH_PAIR(y, rates, r) {
                int ci = cov_index(t, scalar(node(y, r->key)));
                if (ci < 0)
                    return at(y, node(y, r->key), "unknown coverage '%s'", scalar(node(y, r->key)));
                if (!pk->has[ci])
                    return at(y, node(y, r->key), "coverage %s has no deductible in package %s", t->cov[ci].key,
                              pk->name);
                long long *cell = &pk->base[((size_t)ti * t->bands->len + (size_t)bi) * MAX_COV + (size_t)ci];
                if (want_amount(y, node(y, r->value), "a base rate", cell) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

int export_tariff_parse(const char *text, size_t len, const char *origin, export_tariff **out, minca_err *err)
{
    *out = NULL;
    yaml_ctx y = {.origin = origin ? origin : "tariff", .err = err};
    if (len > (size_t)4 << 20)
        return minca_err_set(err, "%s: a tariff file is at most 4 MB", y.origin);
    if (!g_utf8_validate(text, (gssize)len, NULL))
        return minca_err_set(err, "%s: not valid UTF-8", y.origin);
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &y.doc)) {
        minca_err_set(err, "%s:%zu:%zu: %s", y.origin, parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                      parser.problem ? parser.problem : "YAML syntax error");
        yaml_parser_delete(&parser);
        return -1;
    }
    yaml_parser_delete(&parser);
    export_tariff *t = g_new0(export_tariff, 1);
    t->payment = g_array_new(FALSE, TRUE, sizeof(pay_def));
    t->types = g_array_new(FALSE, TRUE, sizeof(type_def));
    t->bands = g_array_new(FALSE, TRUE, sizeof(band_def));
    t->use = g_array_new(FALSE, TRUE, sizeof(factor_def));
    t->state = g_array_new(FALSE, TRUE, sizeof(factor_def));
    t->packages = g_array_new(FALSE, TRUE, sizeof(pkg_def));
    int rc = -1;
    const yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    if (want_map(&y, root, "the tariff") < 0 || read_top(&y, t, root) < 0 || read_types_bands(&y, t, root) < 0 ||
        read_factors(&y, get(&y, root, "use"), "use", t->use) < 0 ||
        read_factors(&y, get(&y, root, "state"), "state", t->state) < 0 || read_coverages(&y, t, root) < 0)
        goto done;
    const yaml_node_t *pk = get(&y, root, "packages");
    if (want_map(&y, pk, "packages") < 0)
        goto done;
    EACH_PAIR(&y, pk, p) {
        if (read_package(&y, t, scalar(node(&y, p->key)) ? scalar(node(&y, p->key)) : "", node(&y, p->value)) < 0)
            goto done;
    }
    if (!t->packages->len) {
        at(&y, pk, "the tariff has no packages");
        goto done;
    }
    rc = 0;
done:
    yaml_document_delete(&y.doc);
    if (rc < 0)
        export_tariff_free(t);
    else
        *out = t;
    return rc;
}

void export_tariff_free(export_tariff *t)
{
    if (!t)
        return;
    for (guint i = 0; i < t->payment->len; i++)
        g_free(g_array_index(t->payment, pay_def, i).name);
    for (guint i = 0; i < t->types->len; i++) {
        g_free(g_array_index(t->types, type_def, i).name);
        if (g_array_index(t->types, type_def, i).words)
            g_ptr_array_free(g_array_index(t->types, type_def, i).words, TRUE);
    }
    for (guint i = 0; i < t->bands->len; i++)
        g_free(g_array_index(t->bands, band_def, i).label);
    for (guint i = 0; i < t->use->len; i++)
        g_free(g_array_index(t->use, factor_def, i).key);
    for (guint i = 0; i < t->state->len; i++)
        g_free(g_array_index(t->state, factor_def, i).key);
    for (guint i = 0; i < t->packages->len; i++) {
        pkg_def *p = &g_array_index(t->packages, pkg_def, i);
        g_free(p->name);
        g_free(p->base);
        for (int k = 0; k < MAX_COV; k++)
            g_free(p->deductible[k]);
    }
    for (int i = 0; i < t->n_cov; i++) {
        g_free(t->cov[i].key);
        g_free(t->cov[i].name);
        g_free(t->cov[i].limit);
    }
    g_array_free(t->payment, TRUE);
    g_array_free(t->types, TRUE);
    g_array_free(t->bands, TRUE);
    g_array_free(t->use, TRUE);
    g_array_free(t->state, TRUE);
    g_array_free(t->packages, TRUE);
    g_free(t->name);
    g_free(t->currency);
    g_free(t->default_use);
    g_free(t);
}

const char *export_tariff_name(const export_tariff *t)
{
    return t ? t->name : NULL;
}

bool export_tariff_is_demo(const export_tariff *t)
{
    return t && t->demo;
}

static const pkg_def *find_package(const export_tariff *t, const char *name)
{
    if (core_str_empty(name))
        return NULL;
    char *f = fold(name);
    const pkg_def *found = NULL;
    for (guint i = 0; i < t->packages->len && !found; i++) {
        char *g = fold(g_array_index(t->packages, pkg_def, i).name);
        if (!strcmp(f, g))
            found = &g_array_index(t->packages, pkg_def, i);
        g_free(g);
    }
    g_free(f);
    return found;
}

int export_tariff_package_coverages(const export_tariff *t, const char *package, export_tariff_coverage *out, int max)
{
    const pkg_def *p = t ? find_package(t, package) : NULL;
    int n = 0;
    for (int i = 0; p && i < t->n_cov && n < max; i++)
        if (p->has[i])
            out[n++] = (export_tariff_coverage){t->cov[i].key, t->cov[i].name, t->cov[i].limit, p->deductible[i]};
    return n;
}

/* ---- pricing ------------------------------------------------------------------------------ */

/* a * b / 10000, rounded half up (a, b >= 0) */
static long long apply_bp(long long a, long long bp)
{
    return (a * bp + BP / 2) / BP;
}

/* true when the folded text holds the folded word as whole words */
static bool has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    if (!n)
        return false;
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        bool start = p == text || !g_ascii_isalnum(p[-1]);
        bool end = !g_ascii_isalnum(p[n]);
        if (start && end)
            return true;
    }
    return false;
}

static int vehicle_type(const export_tariff *t, const export_row *row)
{
    const char *sources[] = {row->match.body, row->match.description, row->vehicle.description};
    for (size_t s = 0; s < G_N_ELEMENTS(sources); s++) {
        if (core_str_empty(sources[s]))
            continue;
        char *f = fold(sources[s]);
        int found = -1;
        for (guint i = 0; i < t->types->len && found < 0; i++) {
            GPtrArray *w = g_array_index(t->types, type_def, i).words;
            for (guint k = 0; k < w->len && found < 0; k++)
                if (has_word(f, g_ptr_array_index(w, k)))
                    found = (int)i;
        }
        g_free(f);
        if (found >= 0)
            return found;
    }
    return -1;
}

static const factor_def *find_factor(GArray *a, const char *key)
{
    char *f = fold(key);
    const factor_def *found = NULL;
    for (guint i = 0; i < a->len && !found; i++)
        if (!strcmp(g_array_index(a, factor_def, i).key, f))
            found = &g_array_index(a, factor_def, i);
    g_free(f);
    return found;
}

static void price_unit(const export_tariff *t, const export_case *c, const export_row *row, int issue_year,
                       export_unit_price *u)
{
    memset(u, 0, sizeof *u);
    const char *pkg_name = !core_str_empty(row->vehicle.coverage) && find_package(t, row->vehicle.coverage)
                               ? row->vehicle.coverage
                               : c->coverage_package;
    const pkg_def *pkg = find_package(t, pkg_name);
    if (core_str_empty(row->match.cvegs)) {
        snprintf(u->referral, sizeof u->referral, "sin clave de catálogo");
        return;
    }
    if (!pkg) {
        snprintf(u->referral, sizeof u->referral, "paquete %s fuera de la tarifa", pkg_name ? pkg_name : "no indicado");
        return;
    }
    int ti = vehicle_type(t, row);
    if (ti < 0) {
        snprintf(u->referral, sizeof u->referral, "tipo de vehículo (%s) fuera de la tarifa",
                 core_str_empty(row->match.body) ? "carrocería no indicada" : row->match.body);
        return;
    }
    int year = row->match.year > 0 ? row->match.year : row->vehicle.year;
    if (year <= 0) {
        snprintf(u->referral, sizeof u->referral, "año modelo no indicado");
        return;
    }
    int age = issue_year - year < 0 && issue_year - year >= -1 ? 0 : issue_year - year;
    int bi = -1;
    for (guint i = 0; i < t->bands->len && bi < 0; i++)
        if (age >= g_array_index(t->bands, band_def, i).lo && age <= g_array_index(t->bands, band_def, i).hi)
            bi = (int)i;
    if (bi < 0) {
        snprintf(u->referral, sizeof u->referral, "antigüedad de %d años fuera de la tarifa", age);
        return;
    }
    const char *use = !core_str_empty(row->vehicle.use) ? row->vehicle.use : c->use;
    const factor_def *uf = !core_str_empty(use) ? find_factor(t->use, use) : NULL;
    if (!uf && core_str_empty(use) && t->default_use)
        uf = find_factor(t->use, t->default_use);
    if (!uf) {
        snprintf(u->referral, sizeof u->referral, "uso %s fuera de la tarifa", core_str_empty(use) ? "no indicado" : use);
        return;
    }
    const factor_def *sf = find_factor(t->state, "*");
    long long state_bp = sf ? sf->bp : BP;
    u->type = g_array_index(t->types, type_def, ti).name;
    u->band = g_array_index(t->bands, band_def, bi).label;
    for (int ci = 0; ci < t->n_cov; ci++) {
        if (!pkg->has[ci])
            continue;
        long long base = pkg->base[((size_t)ti * t->bands->len + (size_t)bi) * MAX_COV + (size_t)ci];
        if (base < 0) {
            snprintf(u->referral, sizeof u->referral, "%s sin tarifa para %s %s", t->cov[ci].key, u->type, u->band);
            u->n_coverages = 0;
            u->neta_cents = 0;
            return;
        }
        long long cents = apply_bp(apply_bp(base, uf->bp), state_bp);
        u->cents[u->n_coverages++] = cents;
        u->neta_cents += cents;
    }
    if (u->neta_cents < t->minimum_cents) {
        u->minimum_cents = t->minimum_cents - u->neta_cents;
        u->neta_cents = t->minimum_cents;
    }
    u->priced = true;
}

static void split(long long total, int n, long long *first, long long *next)
{
    *next = total / n;
    *first = total - *next * (n - 1);
}

int export_quote_price(const export_tariff *t, const export_case *c, export_quote *q, minca_err *err)
{
    memset(q, 0, sizeof *q);
    char *freq = fold(c->payment_terms);
    const pay_def *pay = NULL;
    for (guint i = 0; i < t->payment->len && !pay; i++) {
        char *f = fold(g_array_index(t->payment, pay_def, i).name);
        if (!strcmp(f, freq))
            pay = &g_array_index(t->payment, pay_def, i);
        g_free(f);
    }
    g_free(freq);
    if (!pay)
        return minca_err_set(err, "forma de pago '%s' fuera de la tarifa",
                             core_str_empty(c->payment_terms) ? "no indicada" : c->payment_terms);
    const pkg_def *pkg = find_package(t, c->coverage_package);
    if (!pkg)
        return minca_err_set(err, "paquete '%s' fuera de la tarifa",
                             core_str_empty(c->coverage_package) ? "no indicado" : c->coverage_package);
    char issued[16];
    export_case_issue_date(c, issued);
    int issue_year = atoi(issued);
    q->tariff_name = g_strdup(t->name);
    q->demo = t->demo;
    q->package = g_strdup(pkg->name);
    q->frequency = g_strdup(pay->name);
    q->n_coverages = export_tariff_package_coverages(t, pkg->name, q->coverages, MAX_COV);
    q->n_units = c->n_rows;
    q->units = g_new0(export_unit_price, c->n_rows > 0 ? c->n_rows : 1);
    q->source = c->rated_source ? g_strdup(c->rated_source) : NULL;
    for (int i = 0; i < c->n_rows; i++) {
        export_unit_price *u = &q->units[i];
        if (c->rated_source && c->rows[i].rated_cents >= 0) {   /* the insurer's own figure */
            memset(u, 0, sizeof *u);
            u->priced = true;
            u->neta_cents = c->rows[i].rated_cents;
            q->n_priced++;
            q->n_imported++;
            q->neta += u->neta_cents;
            continue;
        }
        price_unit(t, c, &c->rows[i], issue_year, u);
        if (!u->priced) {
            q->n_referrals++;
            continue;
        }
        q->n_priced++;
        q->neta += u->neta_cents;
        q->minimum_total += u->minimum_cents;
        /* a row priced under its own package adds to the case package's coverages it shares */
        const char *own = !core_str_empty(c->rows[i].vehicle.coverage) && find_package(t, c->rows[i].vehicle.coverage)
                              ? c->rows[i].vehicle.coverage
                              : c->coverage_package;
        export_tariff_coverage covs[MAX_COV];
        int n = export_tariff_package_coverages(t, own, covs, MAX_COV);
        for (int k = 0; k < n; k++)
            for (int j = 0; j < q->n_coverages; j++)
                if (!strcmp(covs[k].key, q->coverages[j].key))
                    q->coverage_totals[j] += u->cents[k];
    }
    q->recargo_bp = (int)pay->bp;
    q->iva_bp = (int)t->iva_bp;
    q->recargo = apply_bp(q->neta, pay->bp);
    q->derecho = q->n_priced ? t->derecho_cents : 0;
    q->iva = apply_bp(q->neta + q->recargo + q->derecho, t->iva_bp);
    q->total = q->neta + q->recargo + q->derecho + q->iva;
    q->n_receipts = pay->receipts;
    long long f[3], nx[3];
    split(q->neta, pay->receipts, &f[0], &nx[0]);
    split(q->recargo, pay->receipts, &f[1], &nx[1]);
    split(q->iva, pay->receipts, &f[2], &nx[2]);
    for (int r = 0; r < pay->receipts; r++) {
        export_receipt *rc = &q->receipts[r];
        rc->neta = r ? nx[0] : f[0];
        rc->recargo = r ? nx[1] : f[1];
        rc->iva = r ? nx[2] : f[2];
        rc->derecho = r ? 0 : q->derecho;
        rc->total = rc->neta + rc->recargo + rc->iva + rc->derecho;
    }
    return 0;
}

void export_quote_clear(export_quote *q)
{
    if (!q)
        return;
    g_free(q->tariff_name);
    g_free(q->package);
    g_free(q->frequency);
    g_free(q->source);
    g_free(q->units);
    memset(q, 0, sizeof *q);
}

void export_money_cents(long long cents, char *out, size_t n)
{
    bool neg = cents < 0;
    unsigned long long v = neg ? (unsigned long long)(-cents) : (unsigned long long)cents;
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", v / 100);
    GString *g = g_string_new(neg ? "-$" : "$");
    int len = (int)strlen(digits);
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            g_string_append_c(g, ',');
        g_string_append_c(g, digits[i]);
    }
    g_string_append_printf(g, ".%02llu", v % 100);
    snprintf(out, n, "%s", g->str);
    g_string_free(g, TRUE);
}
