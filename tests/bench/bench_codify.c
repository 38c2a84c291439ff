/* Codifier benchmark: index build time and descriptions per second on one core, beside the
 * reference baseline measured in the same process: a plain TF-IDF character-trigram nearest
 * neighbour over "MARCA SUBMARCA DESCVEH", blocked by model year.
 *
 * Catalog: $MINCA_SHARED/data/catalog/catver_qualitas.csv (or ../shared next to the source
 * tree); without it the demo catalog samples/catalog/demo_catver.csv. Queries: the labeled
 * dev files of the shared eval set (top-1 is printed for both engines), else the demo
 * catalog's own rows with the brand written in lower case. Times are CPU time of the
 * benchmark thread (one core), so other load on the host does not distort them. */
#include "minca/codify.h"
#include "minca/core_csv.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_query {
    char *marca, *submarca, *desc, *exp_cvegs;
    int anio, exp_year;
} bench_query;

/* ---- baseline: TF-IDF character trigrams, blocked by year ------------------------------ */

#define TRI_BITS 18
#define TRI_MASK ((1u << TRI_BITS) - 1)
#define YEAR_MIN 1950
#define YEAR_MAX 2040

typedef struct posting {
    uint32_t row;
    float w;
} posting;

typedef struct baseline {
    size_t n_rows;
    const codify_entry *rows;
    float *idf;                              /* per bucket */
    GHashTable *year_postings[YEAR_MAX - YEAR_MIN + 1];   /* bucket -> GArray of posting */
    float *acc;
    uint32_t *touched;
} baseline;

typedef struct tri {
    uint32_t bucket;
    float w;
} tri;

static size_t trigrams(const char *text, tri *out, size_t cap)
{
    char norm[CODIFY_MAX_INPUT + 3];
    norm[0] = ' ';
    size_t n = codify_normalize(text, norm + 1, sizeof norm - 2) + 1;
    norm[n++] = ' ';
    norm[n] = '\0';
    size_t k = 0;
    for (size_t i = 0; i + 3 <= n; i++) {
        uint32_t h = 2166136261u;
        for (int j = 0; j < 3; j++)
            h = (h ^ (unsigned char)norm[i + j]) * 16777619u;
        h &= TRI_MASK;
        size_t m = 0;
        while (m < k && out[m].bucket != h)
            m++;
        if (m < k) {
            out[m].w += 1;
        } else if (k < cap) {
            out[k].bucket = h;
            out[k].w = 1;
            k++;
        }
    }
    return k;
}

static void free_garray(gpointer p) { g_array_unref(p); }

static baseline *baseline_build(const codify_entry *rows, size_t n)
{
    baseline *b = g_new0(baseline, 1);
    b->n_rows = n;
    b->rows = rows;
    b->idf = g_new0(float, 1u << TRI_BITS);
    b->acc = g_new0(float, n ? n : 1);
    b->touched = g_new0(uint32_t, n ? n : 1);
    tri *t = g_new(tri, 1024);
    tri **row_tris = g_new0(tri *, n);
    size_t *row_n = g_new0(size_t, n);
    for (size_t i = 0; i < n; i++) {
        char *text = g_strdup_printf("%s %s %s", rows[i].marca, rows[i].submarca, rows[i].descveh);
        row_n[i] = trigrams(text, t, 1024);
        g_free(text);
        row_tris[i] = g_memdup2(t, row_n[i] * sizeof(tri));
        for (size_t k = 0; k < row_n[i]; k++)
            b->idf[t[k].bucket] += 1;
    }
    for (size_t v = 0; v < (1u << TRI_BITS); v++)
        b->idf[v] = b->idf[v] > 0 ? (float)log((double)n / b->idf[v]) + 1.0f : 0.0f;
    for (size_t i = 0; i < n; i++) {
        int y = rows[i].modelo - YEAR_MIN;
        if (y < 0 || y > YEAR_MAX - YEAR_MIN)
            continue;
        if (!b->year_postings[y])
            b->year_postings[y] = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_garray);
        double norm = 0;
        for (size_t k = 0; k < row_n[i]; k++) {
            row_tris[i][k].w *= b->idf[row_tris[i][k].bucket];
            norm += (double)row_tris[i][k].w * row_tris[i][k].w;
        }
        norm = sqrt(norm);
        for (size_t k = 0; k < row_n[i]; k++) {
            gpointer key = GUINT_TO_POINTER(row_tris[i][k].bucket + 1);
            GArray *arr = g_hash_table_lookup(b->year_postings[y], key);
            if (!arr) {
                arr = g_array_new(FALSE, FALSE, sizeof(posting));
                g_hash_table_insert(b->year_postings[y], key, arr);
            }
            posting p = {(uint32_t)i, norm > 0 ? (float)(row_tris[i][k].w / norm) : 0};
            g_array_append_val(arr, p);
        }
        g_free(row_tris[i]);
    }
    g_free(row_tris);
    g_free(row_n);
    g_free(t);
    return b;
}

static void baseline_free(baseline *b)
{
    for (int y = 0; y <= YEAR_MAX - YEAR_MIN; y++)
        if (b->year_postings[y])
            g_hash_table_destroy(b->year_postings[y]);
    g_free(b->idf);
    g_free(b->acc);
    g_free(b->touched);
    g_free(b);
}

/* Year: the anio column, else the last 4-digit 19xx/20xx number in the text. */
static int baseline_year(const bench_query *q)
{
    if (q->anio)
        return q->anio;
    int year = 0;
    for (const char *p = q->desc; *p; p++)
        if ((p == q->desc || !g_ascii_isdigit(p[-1])) && g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) &&
            g_ascii_isdigit(p[2]) && g_ascii_isdigit(p[3]) && !g_ascii_isdigit(p[4])) {
            int v = atoi(p);
            if (v >= 1990 && v <= 2030)
                year = v;
        }
    return year;
}

static int baseline_query(baseline *b, const bench_query *q)
{
    tri t[1024];
    char *text = g_strdup_printf("%s %s %s", q->marca, q->submarca, q->desc);
    size_t n = trigrams(text, t, 1024);
    g_free(text);
    int year = baseline_year(q);
    int y0 = year ? year - YEAR_MIN : 0, y1 = year ? year - YEAR_MIN : YEAR_MAX - YEAR_MIN;
    if (y0 < 0 || y1 > YEAR_MAX - YEAR_MIN)
        return -1;
    size_t n_touched = 0;
    for (int y = y0; y <= y1; y++) {
        if (!b->year_postings[y])
            continue;
        for (size_t k = 0; k < n; k++) {
            GArray *arr = g_hash_table_lookup(b->year_postings[y], GUINT_TO_POINTER(t[k].bucket + 1));
            if (!arr)
                continue;
            float qw = t[k].w * b->idf[t[k].bucket];
            for (guint i = 0; i < arr->len; i++) {
                posting *p = &g_array_index(arr, posting, i);
                if (b->acc[p->row] == 0)
                    b->touched[n_touched++] = p->row;
                b->acc[p->row] += qw * p->w;
            }
        }
    }
    int best = -1;
    float best_s = 0;
    for (size_t i = 0; i < n_touched; i++) {
        uint32_t r = b->touched[i];
        if (b->acc[r] > best_s) {
            best_s = b->acc[r];
            best = (int)r;
        }
        b->acc[r] = 0;
    }
    return best;
}

/* CPU time of this thread: the figures are per core, independent of other load on the host. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- inputs ----------------------------------------------------------------------------- */

static char *shared_dir(void)
{
    const char *env = getenv("MINCA_SHARED");
    const char *src = getenv("MINCA_SRC");
    char *d = env && *env ? g_strdup(env) : g_strdup_printf("%s/../shared", src && *src ? src : ".");
    char *cat = g_strdup_printf("%s/data/catalog/catver_qualitas.csv", d);
    bool ok = g_file_test(cat, G_FILE_TEST_EXISTS);
    g_free(cat);
    if (!ok) {
        g_free(d);
        return NULL;
    }
    return d;
}

static void load_queries(const char *path, GArray *out)
{
    char *data = NULL;
    size_t len = 0;
    minca_err err = {0};
    if (core_read_file(path, 64u << 20, &data, &len, &err) != 0) {
        fprintf(stderr, "bench_codify: %s\n", err.msg);
        return;
    }
    csv_reader *r = csv_reader_new(data, len, ',');
    char **f;
    int nf;
    if (csv_next(r, &f, &nf, &err) == 1) {
        int cm = csv_header_index(f, nf, "marca"), cs = csv_header_index(f, nf, "submarca");
        int ca = csv_header_index(f, nf, "anio"), cd = csv_header_index(f, nf, "descripcion");
        int cc = csv_header_index(f, nf, "expected_cvegs"), cy = csv_header_index(f, nf, "expected_year");
#define F(i) ((i) >= 0 && (i) < nf ? f[i] : "")
        while (csv_next(r, &f, &nf, &err) == 1) {
            bench_query q = {g_strdup(F(cm)), g_strdup(F(cs)), g_strdup(F(cd)), g_strdup(F(cc)),
                             atoi(F(ca)), atoi(F(cy))};
            g_array_append_val(out, q);
        }
#undef F
    }
    csv_reader_free(r);
    g_free(data);
}

static bool same_key(const char *a, const char *b)
{
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    return *a && strcmp(a, b) == 0;
}

int main(void)
{
    const char *src = getenv("MINCA_SRC");
    if (!src || !*src)
        src = ".";
    char *shared = shared_dir();
    char *catalog = shared ? g_strdup_printf("%s/data/catalog/catver_qualitas.csv", shared)
                           : g_strdup_printf("%s/samples/catalog/demo_catver.csv", src);
    char *aliases = g_strdup_printf("%s/data/codify", src);
    minca_err err = {0};
    codify_catalog cat;
    codify_aliases *al = NULL;
    if (codify_catalog_load_csv(catalog, &cat, &err) != 0 || codify_aliases_load_dir(aliases, &al, &err) != 0) {
        fprintf(stderr, "bench_codify: %s\n", err.msg);
        return 1;
    }
    printf("catalog: %s (%zu rows)%s\n", catalog, cat.n_entries, shared ? "" : "  [shared data absent: demo catalog]");

    /* index build: best of 3 */
    double build_s = 1e9, base_build_s = 1e9;
    codify_index *idx = NULL;
    for (int i = 0; i < 3; i++) {
        double t0 = cpu_seconds();
        codify_index *x = codify_index_build(cat.entries, cat.n_entries, al, &err);
        double dt = cpu_seconds() - t0;
        if (!x) {
            fprintf(stderr, "bench_codify: %s\n", err.msg);
            return 1;
        }
        build_s = dt < build_s ? dt : build_s;
        if (idx)
            codify_index_free(idx);
        idx = x;
    }
    baseline *base = NULL;
    for (int i = 0; i < 3; i++) {
        double t0 = cpu_seconds();
        baseline *x = baseline_build(cat.entries, cat.n_entries);
        double dt = cpu_seconds() - t0;
        base_build_s = dt < base_build_s ? dt : base_build_s;
        if (base)
            baseline_free(base);
        base = x;
    }

    GArray *qs = g_array_new(FALSE, FALSE, sizeof(bench_query));
    if (shared) {
        static const char *const files[] = {"dev_broker.csv", "dev_broker_hard.csv", "dev_cross_hdi.csv",
                                            "dev_cross_chubb.csv", "dev_nomatch.csv"};
        for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
            char *p = g_strdup_printf("%s/data/eval/%s", shared, files[i]);
            load_queries(p, qs);
            g_free(p);
        }
    } else {
        for (size_t i = 0; i < cat.n_entries; i++) {
            const codify_entry *e = &cat.entries[i];
            bench_query q = {g_ascii_strdown(e->marca, -1), g_strdup(e->submarca), g_strdup(e->descveh),
                             g_strdup(e->cvegs), e->modelo, e->modelo};
            g_array_append_val(qs, q);
        }
    }
    if (qs->len == 0) {
        fprintf(stderr, "bench_codify: no queries\n");
        return 1;
    }

    /* throughput, one thread; repeat the query set until at least ~1 s has passed */
    codify_options o;
    codify_options_default(&o);
    codify_result *res = g_new(codify_result, 1);
    long right = 0, base_right = 0, labeled = 0;
    for (guint i = 0; i < qs->len; i++) {
        bench_query *q = &g_array_index(qs, bench_query, i);
        codify_query cq = {q->marca, q->submarca, q->anio, q->desc, NULL, NULL};
        codify_match(idx, &cq, &o, res, NULL);
        int b = baseline_query(base, q);
        if (q->exp_cvegs[0]) {
            labeled++;
            right += same_key(res->cvegs, q->exp_cvegs) && res->year == q->exp_year;
            base_right += b >= 0 && same_key(cat.entries[b].cvegs, q->exp_cvegs) && cat.entries[b].modelo == q->exp_year;
        }
    }
    /* two ways the codifier runs: the compact answer (`codify --json`, batch scoring) and
     * with every candidate explained (the pipeline, the review desk) */
    double rate = 0, rate_explained = 0;
    for (int mode = 0; mode < 2; mode++) {
        o.explain = mode == 1;
        long n = 0;
        double t0 = cpu_seconds(), dt = 0;
        while (dt < 1.0) {
            for (guint i = 0; i < qs->len; i++) {
                bench_query *q = &g_array_index(qs, bench_query, i);
                codify_query cq = {q->marca, q->submarca, q->anio, q->desc, NULL, NULL};
                codify_match(idx, &cq, &o, res, NULL);
            }
            n += qs->len;
            dt = cpu_seconds() - t0;
        }
        *(mode ? &rate_explained : &rate) = n / dt;
    }
    double t0;
    long bn = 0;
    t0 = cpu_seconds();
    double bdt = 0;
    while (bdt < 1.0) {
        for (guint i = 0; i < qs->len; i++)
            baseline_query(base, &g_array_index(qs, bench_query, i));
        bn += qs->len;
        bdt = cpu_seconds() - t0;
    }
    double base_rate = bn / bdt;

    printf("%-34s %12s %12s %8s\n", "", "codifier", "baseline", "ratio");
    printf("%-34s %12.3f %12.3f %8.2f\n", "index build (s)", build_s, base_build_s, build_s / base_build_s);
    printf("%-34s %12.0f %12.0f %8.2f\n", "descriptions/s (one core)", rate, base_rate, rate / base_rate);
    printf("%-34s %12.0f %12.0f %8.2f\n", "  with every candidate explained", rate_explained, base_rate,
           rate_explained / base_rate);
    if (labeled)
        printf("%-34s %12.4f %12.4f\n", "top-1 (key and year, labeled rows)", (double)right / labeled,
               (double)base_right / labeled);
    printf("queries: %u%s\n", qs->len, shared ? " (dev_broker, dev_broker_hard, dev_cross_hdi, dev_cross_chubb, dev_nomatch)" : " (demo catalog rows)");

    for (guint i = 0; i < qs->len; i++) {
        bench_query *q = &g_array_index(qs, bench_query, i);
        g_free(q->marca);
        g_free(q->submarca);
        g_free(q->desc);
        g_free(q->exp_cvegs);
    }
    g_array_free(qs, TRUE);
    g_free(res);
    baseline_free(base);
    codify_index_free(idx);
    codify_aliases_free(al);
    codify_catalog_free(&cat);
    g_free(catalog);
    g_free(aliases);
    g_free(shared);
    return 0;
}
