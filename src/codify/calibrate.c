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
 * development files of data/eval with catver_qualitas.csv; `minca eval --features FILE`
 * writes the training rows. Refit after changing the scoring.
 *
 * The script first holds each file out (fit on the others, measure on it). At the shipped
 * auto-accept threshold 0.99 the held-out figures were: broker 0.968 of rows auto-accepted
 * at precision 1.000, broker text as it really arrives (typos, junk) 0.883 at 0.998, Chubb
 * catalog text 0.679 at 0.999, HDI catalog text 0.927 at 0.999; no unmatchable row was
 * auto-accepted. Precision matters more than rate: the threshold stays where every held-out
 * file keeps precision >= 0.995 with room to spare. */
#include "internal.h"

#include <math.h>

/* fitted constants: see the comment above */
static const double COEF[CODIFY_N_FEATURES] = {
    -7.7310, 2.3051, 0.7057, 2.5664, 1.0875, 0.0045, 1.3465, 3.6628, 0.0000, -1.0031, 2.6679, 0.8130, -1.6569, -1.2214, 0.5477, 2.2901, -1.5893, -0.3322, 0.3324, -3.0520, 0.0592, -2.1301,
};

const codify_thresholds CODIFY_DEFAULT_THRESHOLDS = {
    .auto_accept = 0.99,
    .no_match = 0.20,
};

double codify_confidence(const codify_features *f)
{
    double z = 0;
    for (int i = 0; i < CODIFY_N_FEATURES; i++)
        z += COEF[i] * f->x[i];
    if (z > 30)
        z = 30;
    if (z < -30)
        z = -30;
    return 1.0 / (1.0 + exp(-z));
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
    if (!al || al->calib_score->len < 2)
        return score;
    const double *x = (const double *)al->calib_score->data, *y = (const double *)al->calib_conf->data;
    guint n = al->calib_score->len;
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
