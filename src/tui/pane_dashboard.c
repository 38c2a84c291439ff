/* Dashboard pane: how the desk is doing, drawn. A summary line, the clock (time to quote p50
 * and p90 as `minca report` counts it, over the cases of the last 30 days, and the cases past
 * due now), the codifier's decisions by
 * day as stacked bars (accepted / to review / no key), the codifier's confidence histogram,
 * sparklines of the queue depth and the throughput per minute, and the slowest brokers.
 *
 * Charts use block characters (█ ▓ ░, ▁..█) on a UTF-8 terminal and plain ASCII (# + . and
 * _.-=*#) otherwise or with MINCA_TUI_ASCII=1. The layout fits 80x24 and grows with the
 * window: more days, wider bars, longer sparklines, more brokers. */
#include "minca/core_config.h"
#include "minca/store_tui.h"
#include "minca/core_text.h"
#include "minca/tui.h"

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DASH_MAX_DAYS 60
#define DASH_MAX_MINUTES 240
#define DASH_MAX_BROKERS 12
#define DASH_QUOTE_DAYS 30

typedef struct dashboard {
    json_t *summary, *days, *confidence, *minutes, *brokers, *clock;
    bool ascii;
} dashboard;

typedef struct glyphs {
    const char *full[3];     /* stacked bar segments: auto, review, no match */
    const char *spark[8];    /* sparkline levels, lowest first */
    const char *hist;        /* histogram bar */
} glyphs;

static const glyphs utf8_glyphs = {
    {"█", "▓", "░"}, {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"}, "█"};
static const glyphs ascii_glyphs = {{"#", "+", "."}, {"_", "_", ".", "-", "=", "*", "#", "#"}, "#"};

static int dash_open(tui_view *v)
{
    dashboard *d = g_malloc0_n(1, sizeof *d);
    if (!d)
        return -1;
    const char *codeset = nl_langinfo(CODESET);
    d->ascii = config_get()->tui_ascii || !codeset || strcmp(codeset, "UTF-8") != 0;
    v->priv = d;
    return 0;
}

static void dash_clear(dashboard *d)
{
    json_decref(d->summary);
    json_decref(d->days);
    json_decref(d->confidence);
    json_decref(d->minutes);
    json_decref(d->brokers);
    json_decref(d->clock);
    d->summary = d->days = d->confidence = d->minutes = d->brokers = d->clock = NULL;
}

static void dash_close(tui_view *v)
{
    dash_clear(v->priv);
    g_free(v->priv);
}

static void dash_refresh(tui_view *v)
{
    dashboard *d = v->priv;
    dash_clear(d);
    PGconn *c = tui_app_db(v->app);
    long long ins = tui_app_insurer_id(v->app);
    if (!c || !ins)
        return;
    minca_err err = {0};
    d->summary = store_tui_dashboard_summary(c, ins, &err);
    d->days = d->summary ? store_tui_dashboard_days(c, ins, DASH_MAX_DAYS, &err) : NULL;
    d->confidence = d->days ? store_tui_dashboard_confidence(c, ins, &err) : NULL;
    d->minutes = d->confidence ? store_tui_dashboard_minutes(c, DASH_MAX_MINUTES, &err) : NULL;
    d->brokers = d->minutes ? store_tui_dashboard_slow_brokers(c, ins, DASH_MAX_BROKERS, &err) : NULL;
    if (d->brokers) {
        char since[32];
        time_t t = time(NULL) - (time_t)DASH_QUOTE_DAYS * 86400;
        struct tm tm;
        strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        d->clock = store_report_quote_clock(c, ins, since, &err);
        if (!d->clock) {
            json_decref(d->brokers);
            d->brokers = NULL;
        }
    }
    if (!d->brokers) {
        tui_app_message(v->app, TUI_EL_ERROR, "dashboard: %s", err.msg);
        dash_clear(d);
    }
}

static long long ival(json_t *o, const char *key)
{
    json_t *x = json_object_get(o, key);
    return json_is_integer(x) ? (long long)json_integer_value(x) : (long long)json_number_value(x);
}

static void put(WINDOW *w, int y, int x, int width, tui_elem el, const char *text)
{
    if (width <= 0)
        return;
    wattrset(w, tui_theme_attr(el));
    tui_text_put(w, y, x, width, text, false);
    wattrset(w, A_NORMAL);
}

static void repeat(WINDOW *w, int y, int x, int n, const char *glyph)
{
    wmove(w, y, x);
    for (int i = 0; i < n; i++)
        waddstr(w, glyph);
}

static void human_seconds(double s, char *out, size_t n)
{
    if (s < 120)
        snprintf(out, n, "%.0f s", s);
    else if (s < 7200)
        snprintf(out, n, "%.0f min", s / 60);
    else if (s < 172800)
        snprintf(out, n, "%.1f h", s / 3600);
    else
        snprintf(out, n, "%.1f d", s / 86400);
}

/* Stacked bars, one line per day (the newest at the bottom). */
static void draw_days(dashboard *d, const glyphs *g, WINDOW *w, int y, int x, int h, int width)
{
    put(w, y, x, width, TUI_EL_HEADER, "Decisions by day (codifier, vehicle rows)");
    char legend[128];
    snprintf(legend, sizeof legend, "%s accepted  %s to review  %s no key", g->full[0], g->full[1], g->full[2]);
    put(w, y + 1, x, width, TUI_EL_DIM, legend);
    int lines = h - 2;
    int n = (int)json_array_size(d->days);
    if (lines <= 0 || n == 0)
        return;
    int first = n > lines ? n - lines : 0;
    long long max = 1;
    for (int i = first; i < n; i++) {
        json_t *o = json_array_get(d->days, (size_t)i);
        long long t = ival(o, "auto") + ival(o, "review") + ival(o, "no_match");
        if (t > max)
            max = t;
    }
    int barw = width - 6 - 8;   /* "MM-DD " and the total */
    if (barw < 4)
        return;
    for (int i = first; i < n; i++) {
        json_t *o = json_array_get(d->days, (size_t)i);
        int row = y + 2 + (i - first);
        long long part[3] = {ival(o, "auto"), ival(o, "review"), ival(o, "no_match")};
        long long total = part[0] + part[1] + part[2];
        put(w, row, x, 6, TUI_EL_DIM, json_string_value(json_object_get(o, "day")));
        int cx = x + 6, used = 0;
        int full = (int)llround((double)total * barw / (double)max);
        for (int k = 0; k < 3; k++) {
            int seg = k == 2 ? full - used : (int)llround((double)part[k] * barw / (double)max);
            if (seg > full - used)
                seg = full - used;
            if (seg <= 0 && part[k] > 0 && used < barw)
                seg = 1;   /* a small share stays visible */
            if (seg <= 0)
                continue;
            wattrset(w, tui_theme_attr(k == 0 ? TUI_EL_OK : k == 1 ? TUI_EL_WARN : TUI_EL_ERROR));
            repeat(w, row, cx, seg, g->full[k]);
            cx += seg;
            used += seg;
        }
        wattrset(w, A_NORMAL);
        char num[32];
        snprintf(num, sizeof num, " %lld", total);
        put(w, row, cx, x + width - cx, TUI_EL_NORMAL, num);
    }
}

/* Horizontal histogram: the buckets below 0.5 folded into one line. */
static void draw_confidence(dashboard *d, const glyphs *g, WINDOW *w, int y, int x, int h, int width)
{
    put(w, y, x, width, TUI_EL_HEADER, "Confidence (codifier proposals)");
    long long n[32];
    char label[32][16];
    int m = 0;
    double lo = 0;
    long long low = 0;
    size_t i;
    json_t *o;
    json_array_foreach(d->confidence, i, o) {
        double b = json_number_value(json_object_get(o, "bound"));
        long long c = ival(o, "n");
        if (b <= 0.5) {
            low += c;
            lo = b;
            continue;
        }
        if (m == 0) {
            snprintf(label[m], sizeof label[m], "< %.2g", lo);
            n[m++] = low;
        }
        if (m < 32) {
            snprintf(label[m], sizeof label[m], "<=%.2f", b);
            n[m++] = c;
        }
    }
    int lines = h - 1;
    if (m > lines && lines > 0) {   /* a short window: the highest buckets matter most */
        memmove(n, n + (m - lines), sizeof n[0] * (size_t)lines);
        memmove(label, label + (m - lines), sizeof label[0] * (size_t)lines);
        m = lines;
    }
    long long max = 1;
    for (int k = 0; k < m; k++)
        if (n[k] > max)
            max = n[k];
    int barw = width - 7 - 8;
    for (int k = 0; k < m && barw > 2; k++) {
        int row = y + 1 + k;
        put(w, row, x, 7, TUI_EL_DIM, label[k]);
        int len = (int)llround((double)n[k] * barw / (double)max);
        if (len == 0 && n[k] > 0)
            len = 1;
        wattrset(w, tui_theme_attr(TUI_EL_OK));
        repeat(w, row, x + 7, len, g->hist);
        wattrset(w, A_NORMAL);
        char num[32];
        snprintf(num, sizeof num, " %lld", n[k]);
        put(w, row, x + 7 + len, width - 7 - len, TUI_EL_NORMAL, num);
    }
}

/* label, the last `width` values as a sparkline, and the latest / the peak. */
static void draw_spark(dashboard *d, const glyphs *g, WINDOW *w, int y, int x, int width, const char *label,
                       const char *key)
{
    int lw = 22, tail = 16;
    put(w, y, x, lw, TUI_EL_HEADER, label);
    int n = (int)json_array_size(d->minutes);
    int sw = width - lw - tail;
    if (sw < 4 || n == 0)
        return;
    int first = n > sw ? n - sw : 0;
    long long max = 0, last = 0;
    for (int i = first; i < n; i++) {
        long long v = ival(json_array_get(d->minutes, (size_t)i), key);
        if (v > max)
            max = v;
        last = v;
    }
    wattrset(w, tui_theme_attr(TUI_EL_OK));
    wmove(w, y, x + lw);
    for (int i = first; i < n; i++) {
        long long v = ival(json_array_get(d->minutes, (size_t)i), key);
        int level = max > 0 ? (int)((double)v * 7 / (double)max + 0.5) : 0;
        waddstr(w, v == 0 ? (d->ascii ? " " : g->spark[0]) : g->spark[level < 1 ? 1 : level]);
    }
    wattrset(w, A_NORMAL);
    char num[48];
    snprintf(num, sizeof num, " now %lld max %lld", last, max);
    put(w, y, x + lw + (n - first), tail, TUI_EL_DIM, num);
}

static void draw_brokers(dashboard *d, WINDOW *w, int y, int x, int h, int width)
{
    put(w, y, x, width, TUI_EL_HEADER, "Slowest brokers (median email to ready, 30 days)");
    size_t i;
    json_t *o;
    json_array_foreach(d->brokers, i, o) {
        if ((int)i >= h - 1)
            break;
        char line[256], t[32];
        human_seconds(json_number_value(json_object_get(o, "median_seconds")), t, sizeof t);
        int namew = width - 38 > 12 ? width - 38 : 12;
        snprintf(line, sizeof line, " %10s  %4lld case(s) %4lld waiting", t, ival(o, "cases"), ival(o, "waiting"));
        char name[256];
        text_fit_width(json_string_value(json_object_get(o, "broker")), namew, false, name, sizeof name);
        put(w, y + 1 + (int)i, x, namew, TUI_EL_NORMAL, name);
        put(w, y + 1 + (int)i, x + namew, width - namew, TUI_EL_NORMAL, line);
    }
}

/* Time to quote p50 / p90 (the cases of the last DASH_QUOTE_DAYS days) and the cases past due. */
static void draw_clock(dashboard *d, json_t *summary, WINDOW *w, int y, int width)
{
    json_t *q = json_array_get(d->clock, 0);
    char p50[32] = "—", p90[32] = "—", line[256];
    if (json_is_number(json_object_get(q, "p50_seconds_to_quote")))
        human_seconds(json_number_value(json_object_get(q, "p50_seconds_to_quote")), p50, sizeof p50);
    if (json_is_number(json_object_get(q, "p90_seconds_to_quote")))
        human_seconds(json_number_value(json_object_get(q, "p90_seconds_to_quote")), p90, sizeof p90);
    snprintf(line, sizeof line, " Time to quote (%d days): p50 %s  p90 %s  (%lld quoted)", DASH_QUOTE_DAYS, p50, p90,
             ival(q, "cases_quoted"));
    put(w, y, 0, width, TUI_EL_NORMAL, line);
    int used = text_display_width(line);
    long long late = ival(summary, "past_due");
    snprintf(line, sizeof line, "   %lld past due", late);
    put(w, y, used, width - used, late > 0 ? TUI_EL_ERROR : TUI_EL_OK, line);
}

static void dash_draw(tui_view *v, WINDOW *w, int h, int width)
{
    dashboard *d = v->priv;
    werase(w);
    if (!d->brokers) {
        put(w, 1, 2, width - 4, TUI_EL_HINT, "The dashboard has no data: the database is not reachable (r reloads).");
        return;
    }
    const glyphs *g = d->ascii ? &ascii_glyphs : &utf8_glyphs;
    json_t *s = json_array_get(d->summary, 0);
    char line[256];
    snprintf(line, sizeof line, " Today: %lld case(s) opened   now: %lld in review, %lld ready   live workers: %lld",
             ival(s, "opened_today"), ival(s, "in_review"), ival(s, "ready"), ival(s, "workers"));
    put(w, 0, 0, width, TUI_EL_TITLE, line);
    draw_clock(d, s, w, 1, width);
    /* Heights: charts take what the sparklines (2 lines) and the brokers (at least 4) leave. */
    int brokers_h = h >= 40 ? 8 : 5;
    int charts_h = h - 1 - 1 - 2 - 1 - brokers_h;
    if (charts_h < 6) {
        brokers_h = 2;
        charts_h = h - 6;
    }
    int left_w = width * 3 / 5;
    draw_days(d, g, w, 2, 1, charts_h, left_w - 2);
    draw_confidence(d, g, w, 2, left_w + 1, charts_h, width - left_w - 2);
    int sy = 2 + charts_h;
    draw_spark(d, g, w, sy, 1, width - 2, "Queue depth (per min)", "depth");
    draw_spark(d, g, w, sy + 1, 1, width - 2, "Throughput (jobs/min)", "done");
    draw_brokers(d, w, sy + 3, 1, h - sy - 3, width - 2);
}

const tui_view_ops tui_pane_dashboard_ops = {
    .name = "dashboard",
    .title = "Dashboard",
    .open = dash_open,
    .close = dash_close,
    .refresh = dash_refresh,
    .draw = dash_draw,
};
