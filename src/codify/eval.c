/* Evaluation over labeled files (data/eval/README.md): top-1, auto-accept rate and precision,
 * no-match behaviour, per file and per difficulty stratum. Only the four input columns are
 * given to the matcher; the label and difficulty columns are read for scoring only. */
#include "internal.h"

#include "minca/core_csv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CPU time of the calling thread: latency and throughput per core, whatever else runs. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool same_key(const char *a, const char *b)
{
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    return strcmp(a, b) == 0;
}

static void count_row(codify_eval_counts *c, bool positive, bool correct, codify_decision d)
{
    c->rows++;
    if (positive) {
        c->positives++;
        c->top1 += correct;
        if (d == CODIFY_AUTO_ACCEPT) {
            c->auto_n++;
            c->auto_ok += correct;
        } else if (d == CODIFY_NEEDS_REVIEW) {
            c->review++;
        } else {
            c->nomatch_on_pos++;
        }
    } else {
        c->negatives++;
        c->neg_auto += d == CODIFY_AUTO_ACCEPT;
        c->neg_nomatch += d == CODIFY_NO_MATCH;
    }
}

static void add_counts(codify_eval_counts *to, const codify_eval_counts *from)
{
    to->rows += from->rows;
    to->positives += from->positives;
    to->negatives += from->negatives;
    to->top1 += from->top1;
    to->auto_n += from->auto_n;
    to->auto_ok += from->auto_ok;
    to->review += from->review;
    to->nomatch_on_pos += from->nomatch_on_pos;
    to->neg_auto += from->neg_auto;
    to->neg_nomatch += from->neg_nomatch;
}

static void ratio(char *buf, size_t cap, long num, long den)
{
    if (den <= 0)
        snprintf(buf, cap, "%7s", "-");
    else
        snprintf(buf, cap, "%7.4f", (double)num / (double)den);
}

void codify_eval_print_counts(FILE *out_file, const char *label, const codify_eval_counts *c)
{
    FILE *out = out_file ? out_file : stdout;
    char top1[16], rate[16], prec[16], rev[16], nm[16], nauto[16], nnm[16];
    ratio(top1, sizeof top1, c->top1, c->positives);
    ratio(rate, sizeof rate, c->auto_n, c->positives);
    ratio(prec, sizeof prec, c->auto_ok, c->auto_n);
    ratio(rev, sizeof rev, c->review, c->positives);
    ratio(nm, sizeof nm, c->nomatch_on_pos, c->positives);
    ratio(nauto, sizeof nauto, c->neg_auto, c->negatives);
    ratio(nnm, sizeof nnm, c->neg_nomatch, c->negatives);
    fprintf(out, "  %-8s %6ld  %s  %s  %s  %s  %s  %6ld  %s  %s\n", label, c->rows, top1, rate, prec,
            rev, nm, c->negatives, nauto, nnm);
}

static void print_header(FILE *out)
{
    fprintf(out, "  %-8s %6s  %7s  %7s  %7s  %7s  %7s  %6s  %7s  %7s\n", "stratum", "rows", "top1",
            "auto", "auto_p", "review", "nomatch", "unmat", "un_auto", "un_nm");
}

/* How a top-1 miss happened, for the per-file breakdown. */
enum { MISS_NO_PROPOSAL, MISS_YEAR, MISS_VERSION, MISS_MODEL, MISS_BRAND, MISS__COUNT };
static const char *const MISS_NAME[MISS__COUNT] = {"no proposal", "right key, wrong year",
                                                   "another version of the model", "another model",
                                                   "another brand"};

typedef struct scored_row {
    double confidence;
    bool correct;
} scored_row;

static int cmp_conf_desc(const void *a, const void *b)
{
    double x = ((const scored_row *)a)->confidence, y = ((const scored_row *)b)->confidence;
    return (x < y) - (x > y);
}

static int miss_kind(const codify_index *idx, const codify_result *res, const char *exp, int exp_year)
{
    if (!res->cvegs[0])
        return MISS_NO_PROPOSAL;
    if (same_key(res->cvegs, exp))
        return MISS_YEAR;
    char padded[8];
    snprintf(padded, sizeof padded, "%05d", atoi(exp));
    int e = cx_find_entry(idx, padded, exp_year);
    if (e < 0)
        e = cx_find_entry(idx, exp, exp_year);
    int g = cx_find_entry(idx, res->cvegs, res->year);
    if (e < 0 || g < 0)
        return MISS_MODEL;
    const cx_entry *ee = &idx->entries[e], *ge = &idx->entries[g];
    if (ee->model == ge->model)
        return MISS_VERSION;
    return idx->models[ee->model].brand == idx->models[ge->model].brand ? MISS_MODEL : MISS_BRAND;
}

/* Reliability (share right among matchable rows with confidence >= c), the coverage a single
 * threshold could auto-accept at precision 0.995 (as tools/score.py computes it), and the
 * top-1 misses by kind, all and auto-accepted. */
static void print_reliability(FILE *out, GArray *rows, long positives, const long miss[MISS__COUNT],
                              const long auto_miss[MISS__COUNT])
{
    if (positives <= 0)
        return;
    scored_row *v = (scored_row *)rows->data;
    qsort(v, rows->len, sizeof *v, cmp_conf_desc);
    fprintf(out, "  reliability (share right among rows with confidence >= c):");
    static const double cuts[] = {0.90, 0.95, 0.99};
    for (size_t k = 0; k < G_N_ELEMENTS(cuts); k++) {
        long n = 0, ok = 0;
        for (guint i = 0; i < rows->len && v[i].confidence >= cuts[k]; i++) {
            n++;
            ok += v[i].correct;
        }
        if (n)
            fprintf(out, "  c>=%.2f %.4f of %ld", cuts[k], (double)ok / (double)n, n);
        else
            fprintf(out, "  c>=%.2f -", cuts[k]);
    }
    long good = 0, best = 0;
    for (guint i = 0; i < rows->len; i++) {
        good += v[i].correct;
        if ((double)good / (double)(i + 1) >= 0.995)
            best = (long)i + 1;
    }
    fprintf(out, "\n  coverage at precision 0.995: %.4f\n", (double)best / (double)positives);
    for (int pass = 0; pass < 2; pass++) {
        const long *m = pass ? auto_miss : miss;
        long total = 0;
        for (int k = 0; k < MISS__COUNT; k++)
            total += m[k];
        fprintf(out, "  %s: %ld", pass ? "auto-accepted misses" : "top-1 misses", total);
        for (int k = 0, shown = 0; k < MISS__COUNT; k++)
            if (m[k])
                fprintf(out, "%s%s %ld", shown++ ? ", " : " (", MISS_NAME[k], m[k]);
        fprintf(out, "%s\n", total ? ")" : "");
    }
}

/* The reliability table by confidence band: rows, share whose top proposal is right (a row
 * without one, or of a vehicle the catalog lacks, is wrong), mean confidence, and the
 * expected calibration error (the gaps weighted by rows). A band below the auto-accept
 * threshold holding 30 rows or more whose gap exceeds 0.05 is marked. */
static void print_bands(FILE *out, GArray *rows, double threshold)
{
    double edges[] = {0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0};
    enum { N_BANDS = G_N_ELEMENTS(edges) - 1 };
    if (threshold > 0.95 && threshold < 1.0)
        edges[6] = threshold;
    long n[N_BANDS] = {0}, right[N_BANDS] = {0};
    double conf[N_BANDS] = {0};
    const scored_row *v = (const scored_row *)rows->data;
    for (guint i = 0; i < rows->len; i++) {
        int b = 0;
        while (b + 1 < N_BANDS && v[i].confidence >= edges[b + 1])
            b++;
        n[b]++;
        right[b] += v[i].correct;
        conf[b] += v[i].confidence;
    }
    fprintf(out, "  bands: %-11s %6s  %7s  %7s  %7s\n", "confidence", "rows", "right", "mean", "gap");
    double ece = 0;
    for (int b = 0; b < N_BANDS; b++) {
        if (!n[b]) {
            fprintf(out, "         %.2f-%.2f   %6ld        -        -        -\n", edges[b], edges[b + 1], 0L);
            continue;
        }
        double acc = (double)right[b] / (double)n[b], mean = conf[b] / (double)n[b];
        double gap = acc - mean;
        ece += (double)n[b] / (double)rows->len * (gap < 0 ? -gap : gap);
        bool flag = edges[b + 1] <= threshold && n[b] >= 30 && (gap > 0.05 || gap < -0.05);
        fprintf(out, "         %.2f-%.2f   %6ld  %7.4f  %7.4f  %+7.4f%s\n", edges[b], edges[b + 1], n[b], acc,
                mean, gap, flag ? "  *" : "");
    }
    fprintf(out, "  expected calibration error (ECE): %.4f over %u rows\n", ece, rows->len);
}

static const char *field(char **f, int n, int i)
{
    return i >= 0 && i < n ? f[i] : "";
}

/* One row of the features file the fitting script reads: file, id, whether the top proposal
 * was right, the features, cap, divisor, score, class, confidence and decision. A row without a
 * proposal is written with div 0: confidence 0, never fitted. */
static void write_features(FILE *ff, const char *base, const char *id, bool top_right, codify_result *res)
{
    if (res->n_candidates == 0)
        res->features.div = 0;
    fprintf(ff, "%s,%s,%d", base, id, top_right ? 1 : 0);
    for (int k = 0; k < CODIFY_N_FEATURES; k++)
        fprintf(ff, ",%.6g", res->features.x[k]);
    fprintf(ff, ",%.6g,%d,%.6g,%s,%.6g,%s\n", res->features.cap, res->features.div, res->score,
            codify_calib_class_name(res->features.cls), res->confidence, codify_decision_name(res->decision));
}

/* One JSON line of the predictions file: id, key, year, confidence, decision. */
static void write_prediction(FILE *pf, const char *id, const codify_result *res)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(id));
    json_object_set_new(j, "cvegs", res->cvegs[0] ? json_string(res->cvegs) : json_null());
    json_object_set_new(j, "year", res->year ? json_integer(res->year) : json_null());
    json_object_set_new(j, "confidence", json_real(res->confidence));
    json_object_set_new(j, "decision", json_string(codify_decision_name(res->decision)));
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
    fprintf(pf, "%s\n", s);
    free(s);
    json_decref(j);
}

int codify_eval_file(const codify_index *idx, const char *path, const codify_eval_opts *o,
                     FILE *out_file, codify_eval_counts *total, minca_err *err)
{
    FILE *out = out_file ? out_file : stdout;
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(path, 256u << 20, &data, &len, err) != 0)
        return -1;
    csv_reader *r = csv_reader_new(data, len, ',');
    char **f;
    int nf;
    int rc = csv_next(r, &f, &nf, err);
    if (rc <= 0) {
        if (rc == 0)
            minca_err_set(err, "%s: empty file", path);
        csv_reader_free(r);
        g_free(data);
        return -1;
    }
    int c_id = csv_header_index(f, nf, "id"), c_marca = csv_header_index(f, nf, "marca");
    int c_sub = csv_header_index(f, nf, "submarca"), c_anio = csv_header_index(f, nf, "anio");
    int c_desc = csv_header_index(f, nf, "descripcion");
    int c_cvegs = csv_header_index(f, nf, "expected_cvegs"), c_year = csv_header_index(f, nf, "expected_year");
    int c_diff = csv_header_index(f, nf, "difficulty");
    if (c_desc < 0 || c_cvegs < 0 || c_year < 0) {
        csv_reader_free(r);
        g_free(data);
        return minca_err_set(err, "%s: needs columns descripcion, expected_cvegs, expected_year", path);
    }
    static const char *const strata[] = {"easy", "medium", "hard"};
    codify_eval_counts all = {0}, by[3] = {{0}};
    codify_options defaults;
    const codify_options *mo = o && o->match ? o->match : NULL;
    if (!mo) {
        codify_options_default(&defaults);
        mo = &defaults;
    }
    codify_result *res = g_new(codify_result, 1);
    GArray *scored = g_array_new(FALSE, FALSE, sizeof(scored_row));
    GArray *band_rows = g_array_new(FALSE, FALSE, sizeof(scored_row));   /* every row: top proposal right? */
    long miss[MISS__COUNT] = {0}, auto_miss[MISS__COUNT] = {0};
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    while ((rc = csv_next(r, &f, &nf, err)) == 1) {
        if (nf == 1 && f[0][0] == '\0')
            continue;
        codify_query q = {
            .marca = field(f, nf, c_marca),
            .submarca = field(f, nf, c_sub),
            .anio = codify_year_column(field(f, nf, c_anio)),
            .descripcion = field(f, nf, c_desc),
        };
        double t0 = cpu_seconds();
        codify_match(idx, &q, mo, res, NULL);
        double dt = cpu_seconds() - t0;
        if (o && o->latencies)
            g_array_append_val(o->latencies, dt);

        const char *exp = field(f, nf, c_cvegs);
        bool positive = exp[0] != '\0';
        bool correct = positive && res->cvegs[0] && same_key(res->cvegs, exp) &&
                       res->year == atoi(field(f, nf, c_year));
        /* for calibration: was the top candidate right, whatever the decision */
        bool top_right = positive && res->n_candidates > 0 && same_key(res->candidates[0].cvegs, exp) &&
                         res->candidates[0].year == atoi(field(f, nf, c_year));
        count_row(&all, positive, correct, res->decision);
        scored_row br = {res->confidence, top_right};
        g_array_append_val(band_rows, br);
        if (positive) {
            scored_row sr = {res->confidence, correct};
            g_array_append_val(scored, sr);
            if (!correct) {
                int k = miss_kind(idx, res, exp, atoi(field(f, nf, c_year)));
                miss[k]++;
                if (res->decision == CODIFY_AUTO_ACCEPT)
                    auto_miss[k]++;
            }
        }
        const char *diff = field(f, nf, c_diff);
        for (int s = 0; s < 3; s++)
            if (strcmp(diff, strata[s]) == 0)
                count_row(&by[s], positive, correct, res->decision);

        if (o && o->features_out && !res->corrected)
            write_features(o->features_out, base, field(f, nf, c_id), top_right, res);
        if (o && o->pred_out)
            write_prediction(o->pred_out, field(f, nf, c_id), res);
    }
    g_free(res);
    csv_reader_free(r);
    g_free(data);
    if (rc < 0) {
        g_array_free(scored, TRUE);
        g_array_free(band_rows, TRUE);
        return minca_err_prefix(err, "%s", path);
    }

    fprintf(out, "%s\n", base);
    print_header(out);
    codify_eval_print_counts(out, "all", &all);
    for (int s = 0; s < 3; s++)
        if (by[s].rows)
            codify_eval_print_counts(out, strata[s], &by[s]);
    print_reliability(out, scored, all.positives, miss, auto_miss);
    if (o && o->bands)
        print_bands(out, band_rows, mo->thresholds.auto_accept);
    g_array_free(scored, TRUE);
    g_array_free(band_rows, TRUE);
    if (total)
        add_counts(total, &all);
    return 0;
}
