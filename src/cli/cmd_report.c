/* minca report: the business report for the back-office lead. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/store.h"
#include "minca/store_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_WIZARD_BROKERS 10

static int report_run(int argc, char **argv);

CLI_COMMAND(report_command, {
    .name = "report",
    .summary = "business report: cases, codifier rates and precision, time to ready, reviewers",
    .usage = "usage: minca report [--insurer SLUG] [--since DATE] [--by day|week|broker|user] [--json|--csv]\n\n"
             "Cases opened / ready / exported, vehicles, the codifier's auto-accept, review and no-match\n"
             "rates, the share of auto-accepted rows a reviewer later changed (the codifier's precision\n"
             "in production), the median time from email to ready, rows reviewed per person per hour\n"
             "(over the clock hours in which the person decided something) and the brokers whose\n"
             "lists most often needed the profile wizard. --since takes a date (YYYY-MM-DD) or a\n"
             "timestamp; the default is all time. --by splits the figures by the day or ISO week the\n"
             "case was opened, by broker, or lists them per reviewer. --csv prints the rows of the\n"
             "split (the totals without --by).\n",
    .run = report_run,
})

static void print_csv_cell(json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        bool quote = strpbrk(s, ",\"\n\r") != NULL;
        if (quote) {
            putchar('"');
            for (; *s; s++) {
                if (*s == '"')
                    putchar('"');
                putchar(*s);
            }
            putchar('"');
        } else {
            fputs(s, stdout);
        }
    } else if (json_is_integer(v)) {
        printf("%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        printf("%.4f", json_real_value(v));
    }
}

static void print_csv(json_t *rows)
{
    json_t *first = json_array_get(rows, 0);
    if (!first)
        return;
    const char *key;
    json_t *v;
    bool sep = false;
    json_object_foreach(first, key, v) {
        printf("%s%s", sep ? "," : "", key);
        sep = true;
    }
    putchar('\n');
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        sep = false;
        json_object_foreach(first, key, v) {
            if (sep)
                putchar(',');
            print_csv_cell(json_object_get(row, key));
            sep = true;
        }
        putchar('\n');
    }
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

static const char *pct(json_t *o, const char *key)
{
    static char bufs[8][32];
    static int next;
    char *b = bufs[next++ % 8];
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        snprintf(b, 32, "—");
    else
        snprintf(b, 32, "%.1f %%", json_number_value(v) * 100);
    return b;
}

static const char *duration_in(json_t *o, const char *key, char b[32])
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return "—";
    double s = json_number_value(v);
    if (s < 120)
        snprintf(b, 32, "%.0f s", s);
    else if (s < 7200)
        snprintf(b, 32, "%.0f min", s / 60);
    else if (s < 172800)
        snprintf(b, 32, "%.1f h", s / 3600);
    else
        snprintf(b, 32, "%.1f days", s / 86400);
    return b;
}

static const char *duration(json_t *o, const char *key)
{
    static char b[32];
    return duration_in(o, key, b);
}

/* A second duration in the same printf. */
static const char *duration_b(json_t *o, const char *key)
{
    static char b[32];
    return duration_in(o, key, b);
}

static void print_text(json_t *out)
{
    json_t *t = json_object_get(out, "totals");
    const char *since = json_string_value(json_object_get(out, "since"));
    printf("Report for %s, %s\n\n", json_string_value(json_object_get(out, "insurer")),
           since ? since : "all time");
    printf("  cases opened        %8.0f\n  cases ready         %8.0f\n  cases exported      %8.0f\n",
           num(t, "cases_opened"), num(t, "cases_ready"), num(t, "cases_exported"));
    printf("  vehicles            %8.0f\n", num(t, "vehicles"));
    printf("  auto-accepted       %8s   (%0.f rows)\n", pct(t, "auto_accept_rate"), num(t, "auto_accepted"));
    printf("  sent to review      %8s   (%0.f rows)\n", pct(t, "review_rate"), num(t, "sent_to_review"));
    printf("  no match            %8s   (%0.f rows)\n", pct(t, "no_match_rate"), num(t, "no_match"));
    printf("  auto-accepted rows a reviewer changed  %s (%0.f rows)\n", pct(t, "auto_accepted_changed_rate"),
           num(t, "auto_accepted_changed"));
    printf("  median email to ready                  %s\n", duration(t, "median_seconds_to_ready"));
    printf("  email to quote sent, p50 / p90         %s / %s   (%0.f cases quoted)\n",
           duration(t, "p50_seconds_to_quote"), duration_b(t, "p90_seconds_to_quote"), num(t, "cases_quoted"));
    printf("  cases past due now                     %0.f\n", num(t, "cases_past_due"));
    json_t *rph = json_object_get(out, "rows_reviewed_per_person_hour");
    if (json_is_number(rph))
        printf("  rows reviewed per person per hour      %.1f\n", json_number_value(rph));
    else
        printf("  rows reviewed per person per hour      —\n");
    json_t *groups = json_object_get(out, "groups");
    const char *by = json_string_value(json_object_get(out, "by"));
    size_t i;
    json_t *g;
    if (groups && by && strcmp(by, "user") != 0) {
        printf("\n  %-28s %6s %6s %8s %8s %8s %8s %8s %8s %10s\n", by, "cases", "ready", "exported", "vehicles", "auto",
               "review", "no match", "changed", "to ready");
        json_array_foreach(groups, i, g)
            printf("  %s %6.0f %6.0f %8.0f %8.0f %8s %8s %8s %8s %10s\n",
                   cli_fit(json_string_value(json_object_get(g, "group")), 28), num(g, "cases_opened"),
                   num(g, "cases_ready"), num(g, "cases_exported"), num(g, "vehicles"), pct(g, "auto_accept_rate"),
                   pct(g, "review_rate"), pct(g, "no_match_rate"), pct(g, "auto_accepted_changed_rate"),
                   duration(g, "median_seconds_to_ready"));
    }
    json_t *rev = json_object_get(out, "reviewers");
    if (json_array_size(rev)) {
        printf("\n  %-28s %9s %8s %12s %9s\n", "reviewer", "decisions", "rows", "active hours", "rows/hour");
        json_array_foreach(rev, i, g)
            printf("  %s %9.0f %8.0f %12.0f %9.1f\n", cli_fit(json_string_value(json_object_get(g, "user")), 28),
                   num(g, "decisions"), num(g, "rows_reviewed"), num(g, "active_hours"), num(g, "rows_per_hour"));
    }
    json_t *wb = json_object_get(out, "wizard_brokers");
    if (json_array_size(wb)) {
        printf("\n  %-36s %6s %14s %8s\n", "brokers needing the wizard", "cases", "needed wizard", "share");
        json_array_foreach(wb, i, g)
            printf("  %s %6.0f %14.0f %8s\n", cli_fit(json_string_value(json_object_get(g, "broker")), 36),
                   num(g, "cases"), num(g, "needed_wizard"), pct(g, "share"));
    }
}

static int report_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer, *since = NULL, *by = NULL;
    bool json = false, csv = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
            since = argv[++i];
        else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
            by = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--csv") == 0)
            csv = true;
        else
            return cli_usage_error(&report_command, "unknown argument '%s'", argv[i]);
    }
    if (by && strcmp(by, "day") != 0 && strcmp(by, "week") != 0 && strcmp(by, "broker") != 0 && strcmp(by, "user") != 0)
        return cli_usage_error(&report_command, "--by takes day, week, broker or user, not '%s'", by);
    if (json && csv)
        return cli_usage_error(&report_command, "choose --json or --csv");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca report: %s\n", err.msg);
        return 1;
    }
    int status = 1;
    json_t *out = NULL, *totals = NULL, *groups = NULL, *reviewers = NULL, *brokers = NULL;
    store_insurer ins;
    int found = store_insurer_find(c, insurer, &ins, &err);
    if (found <= 0) {
        fprintf(stderr, "minca report: %s\n", found == 0 ? cli_unknown_insurer(c, insurer) : err.msg);
        goto done;
    }
    if (access_require(c, ins.id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca report: %s\n", err.msg);
        goto done;
    }
    if (since) {   /* a clear message for a bad date rather than the server's */
        if (store_report_since_check(c, since, &err) < 0) {
            fprintf(stderr, "minca report: --since '%s' is not a date (YYYY-MM-DD)\n", since);
            goto done;
        }
    }
    totals = store_report_groups(c, ins.id, since, "all", &err);
    if (totals && by && strcmp(by, "user") != 0)
        groups = store_report_groups(c, ins.id, since, by, &err);
    store_report_reviewer_list people = {0};
    store_report_wizard_broker_list wizard = {0};
    if (totals && store_report_reviewers(c, ins.id, since, &people, &err) == 0)
        reviewers = store_report_reviewer_list_json(&people);
    if (reviewers && store_report_wizard_brokers(c, ins.id, since, REPORT_WIZARD_BROKERS, &wizard, &err) == 0)
        brokers = store_report_wizard_broker_list_json(&wizard);
    store_report_wizard_broker_list_clear(&wizard);
    double decisions = 0, hours = 0;
    for (size_t i = 0; i < people.n; i++) {
        decisions += (double)people.items[i].decisions;
        hours += (double)people.items[i].active_hours;
    }
    store_report_reviewer_list_clear(&people);
    if (!totals || !reviewers || !brokers || (by && strcmp(by, "user") != 0 && !groups)) {
        fprintf(stderr, "minca report: %s\n", err.msg);
        goto done;
    }
    json_t *t = json_array_get(totals, 0);
    t = t ? json_incref(t)
          : json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "cases_opened", 0, "cases_ready", 0,
                      "cases_exported", 0, "cases_needing_profile", 0, "vehicles", 0, "auto_accepted", 0,
                      "sent_to_review", 0, "no_match", 0, "auto_accepted_changed", 0);
    json_object_del(t, "group");
    out = json_pack("{s:s, s:s?, s:s?, s:o}", "insurer", ins.slug, "since", since, "by", by, "totals", t);
    json_object_set_new(out, "rows_reviewed_per_person_hour", hours > 0 ? json_real((double)(long)(decisions / hours * 10 + 0.5) / 10) : json_null());
    if (by)
        json_object_set(out, "groups", strcmp(by, "user") == 0 ? reviewers : groups);
    json_object_set(out, "reviewers", reviewers);
    json_object_set(out, "wizard_brokers", brokers);
    if (json) {
        char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        puts(text);
        free(text);
    } else if (csv) {
        json_t *rows = by ? json_object_get(out, "groups") : NULL;
        if (rows) {
            print_csv(rows);
        } else {
            json_t *one = json_array();
            json_array_append(one, t);
            print_csv(one);
            json_decref(one);
        }
    } else {
        print_text(out);
    }
    status = 0;
done:
    json_decref(out);
    json_decref(totals);
    json_decref(groups);
    json_decref(reviewers);
    json_decref(brokers);
    PQfinish(c);
    return status;
}
