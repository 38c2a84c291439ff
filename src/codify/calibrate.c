/* Confidence model and decision.
 *
 * The confidence is a logistic function of the features computed in match.c
 * (codify_features): the ranking (bias, top score, margin to the runner-up, catalog-side and
 * query-side coverage of the top entry, conflicting attributes, model evidence level, brand
 * agreement, year known, log block size, top score and margin under a second scoring that
 * weighs the catalog side more), what the query leaves unexplained (share of its weight in
 * words no entry of the block accounts for, how many such words, share of the top entry's
 * evidence that comes from typo readings), and what tells the top entry from the best entry
 * of another key (the query's net support for the words only one of them has, whether the
 * query says nothing that tells them apart, the margin stated attributes give, how much of
 * that support is fuzzy, whether the brand or model was read through a typo, whether there
 * is a runner-up, and how much of the runner-up's own words the query supports).
 *
 * The coefficients were fitted by scripts/fit-codify-calibration.py (L2-regularised logistic
 * regression on whether the top proposal is right, every file weighted equally) over the
 * development files of data/eval with catver_qualitas.csv and their rewrites into forms no
 * development file shows (scripts/make-codify-variants.py, seed 1); `minca eval --features
 * FILE` writes the training rows. Refit after changing the scoring.
 *
 * calibration.txt carries the same coefficients by name (%feature NAME COEF) and they are used
 * in place of the built-in ones (data/codify/score_coef.inc, written by the same script) when
 * present, so a calibration fitted without some rows can be tried
 * with the shipping code (scripts/codify-heldout-bands.py); the built-in ones are the score
 * for an alias directory without them.
 *
 * The score is not yet the confidence: codify_match caps it (coin flips, contradicted brand
 * or VIN year), shares it among the years a version repeats in when no year is known, and maps
 * it through data/codify/calibration.txt, which the same script fits on scores of rows the
 * model was not fitted on (each group of files held out in turn), so that in every band of
 * confidence the share of proposals right matches the confidence. A proposal the query
 * contradicts (brand or VIN year) goes through the map of its class (%class contradicted):
 * one share, as such rows are few, fitted apart so they neither borrow the confidence of
 * their capped score nor pull down the bin of sound proposals at that score. A coin flip (the
 * text says none of the words that tell the proposal from the best entry of another key: the
 * abbreviated, noisy text of broker lists) has a map of its own (%class coin_flip): the map of
 * all proposals moved by one amount in log-odds fitted on the coin flips (bins of their own
 * mixed the unmatchable file's low scores with broker text, and a held-out group of a few
 * dozen fell into one bin). A score below the auto-accept threshold 0.99 never maps to it or
 * above. Held out (scripts/codify-heldout-bands.py), auto-accept precision was 0.9987 (Chubb
 * catalog text) to 1.0000 on every file and its rewrites, the expected calibration error
 * 0.0014-0.0118; of the bands below the threshold holding 30 rows or more only one was off
 * by over 0.05 (rewrites of Chubb's catalog text, 0.80-0.90: 31 rows, all right, at 0.86);
 * no unmatchable row was auto-accepted. */
#include "internal.h"

#include <math.h>

/* fitted constants (see the comment above), by name from the data file the fitting script
 * writes; every feature must be given once */
static const double COEF[CODIFY_N_FEATURES] = {
#define CODIFY_COEF(name, coef) [CODIFY_F_##name] = (coef),
#include "../../data/codify/score_coef.inc"
#undef CODIFY_COEF
};
enum {
    COEF_GIVEN = 0
#define CODIFY_COEF(name, coef) +1
#include "../../data/codify/score_coef.inc"
#undef CODIFY_COEF
};
_Static_assert((int)COEF_GIVEN == (int)CODIFY_N_FEATURES, "score_coef.inc: one coefficient per feature");

const codify_thresholds CODIFY_DEFAULT_THRESHOLDS = {
    .auto_accept = 0.99,
    .no_match = 0.20,
};

static const char *const FEATURE_NAME[CODIFY_N_FEATURES] = {
#define X(name, computation) #name,
    CODIFY_FEATURE_LIST(X)
#undef X
};

const char *codify_feature_name(int i)
{
    return i >= 0 && i < CODIFY_N_FEATURES ? FEATURE_NAME[i] : NULL;
}

const char *codify_calib_class_name(codify_calib_class c)
{
    switch (c) {
    case CODIFY_CALIB_ALL: return "all";
    case CODIFY_CALIB_CONTRADICTED: return "contradicted";
    case CODIFY_CALIB_COIN_FLIP: return "coin_flip";
    case CODIFY_CALIB__COUNT: break;
    }
    return "?";
}

static double logistic(const double *coef, const codify_features *f)
{
    double z = 0;
    for (int i = 0; i < CODIFY_N_FEATURES; i++)
        z += coef[i] * f->x[i];
    if (z > 30)
        z = 30;
    if (z < -30)
        z = -30;
    return 1.0 / (1.0 + exp(-z));
}

double codify_confidence(const codify_features *f)
{
    return logistic(COEF, f);
}

double codify_score(const codify_aliases *al, const codify_features *f)
{
    return logistic(al && al->has_coef ? al->coef : COEF, f);
}

codify_decision codify_decide(double confidence, bool has_proposal, const codify_thresholds *t)
{
    const codify_thresholds *th = t ? t : &CODIFY_DEFAULT_THRESHOLDS;
    if (!has_proposal || confidence < th->no_match)
        return CODIFY_NO_MATCH;
    if (confidence >= th->auto_accept)
        return CODIFY_AUTO_ACCEPT;
    return CODIFY_NEEDS_REVIEW;
}

double codify_calibrate(const codify_aliases *al, double score)
{
    return codify_calibrate_class(al, CODIFY_CALIB_ALL, score);
}

double codify_calibrate_class(const codify_aliases *al, codify_calib_class cls, double score)
{
    if (!al)
        return score;
    if ((unsigned)cls >= CODIFY_CALIB__COUNT || al->calib_score[cls]->len == 0)
        cls = CODIFY_CALIB_ALL;
    const GArray *xs = al->calib_score[cls], *ys = al->calib_conf[cls];
    if (xs->len == 1)
        return g_array_index(ys, double, 0);   /* one knot: one share for the class */
    if (xs->len < 2)
        return score;
    const double *x = (const double *)xs->data, *y = (const double *)ys->data;
    guint n = xs->len;
    if (score <= x[0])
        return y[0];
    if (score >= x[n - 1])
        return y[n - 1];
    guint lo = 0, hi = n - 1;   /* x[lo] < score <= x[hi] */
    while (hi - lo > 1) {
        guint mid = (lo + hi) / 2;
        if (x[mid] < score)
            lo = mid;
        else
            hi = mid;
    }
    double t = (score - x[lo]) / (x[hi] - x[lo]);
    return y[lo] + t * (y[hi] - y[lo]);
}
