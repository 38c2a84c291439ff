/* minca insurer list | show [SLUG] | set SLUG KEY VALUE: per-insurer settings, audited. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/store.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int insurer_run(int argc, char **argv);

CLI_COMMAND(insurer_command, {
    .name = "insurer",
    .summary = "per-insurer settings: codifier thresholds, export template, name, time zone",
    .usage = "usage: minca insurer list\n"
             "       minca insurer show [SLUG] [--json]\n"
             "       minca insurer set SLUG KEY VALUE\n"
             "       minca insurer unset SLUG KEY\n\n"
             "KEY is one of:\n"
             "  auto_accept       codifier confidence at or above which a key is accepted (0..1)\n"
             "  no_match          confidence below which a row has no key (0..1, below auto_accept)\n"
             "  export_template   the workbook template exports use when --template is not given\n"
             "  timezone          the insurer's clock (default America/Mexico_City)\n"
             "  corrections_per_broker  true: reviewer corrections apply per broker\n"
             "  legal_name        the insurer's legal name, printed on its quotes (never the slug)\n"
             "  logo              a PNG file printed on the quote's pages (an absolute path)\n"
             "  quote_validity_days  how many days a quote holds (default 30)\n"
             "  turnaround_hours  hours a case has until it is due (default 24)\n"
             "  business_hours    HH:MM-HH:MM: the turnaround counts only these hours (default: every hour)\n"
             "  business_days     ISO weekdays worked, comma-separated (1 = Monday; default 1,2,3,4,5)\n"
             "  holidays          days off, comma-separated YYYY-MM-DD\n"
             "  reviewers         logins new cases are assigned to in turn, comma-separated\n"
             "  assign            round_robin (new cases go to the reviewers in turn) or none\n"
             "set and unset need the admin role for the insurer; each change is audited with the old\n"
             "and the new value. show needs the viewer role.\n",
    .run = insurer_run,
})

typedef enum {
    KIND_FRACTION, KIND_NAME, KIND_BOOL, KIND_ZONE, KIND_TEXT, KIND_FILE, KIND_DAYS,
    KIND_HOURS, KIND_SPAN, KIND_WEEKDAYS, KIND_DATES, KIND_LOGINS, KIND_ASSIGN,
} setting_kind;

static const struct setting_def {
    const char *key;
    setting_kind kind;
} settings[] = {
    {"auto_accept", KIND_FRACTION},
    {"no_match", KIND_FRACTION},
    {"export_template", KIND_NAME},
    {"timezone", KIND_ZONE},
    {"corrections_per_broker", KIND_BOOL},
    {"legal_name", KIND_TEXT},
    {"logo", KIND_FILE},
    {"quote_validity_days", KIND_DAYS},
    {"turnaround_hours", KIND_HOURS},
    {"business_hours", KIND_SPAN},
    {"business_days", KIND_WEEKDAYS},
    {"holidays", KIND_DATES},
    {"reviewers", KIND_LOGINS},
    {"assign", KIND_ASSIGN},
};

/* A comma-separated list, each item checked by item (NULL: refused) and turned into JSON. */
static json_t *parse_list(const struct setting_def *def, const char *text, json_t *(*item)(const char *),
                          const char *what, minca_err *err)
{
    json_t *arr = json_array();
    gchar **parts = g_strsplit(text, ",", 400);
    for (gchar **p = parts; *p; p++) {
        char *one = g_strstrip(*p);
        json_t *v = *one ? item(one) : NULL;
        if (!v) {
            minca_err_set(err, "%s takes %s separated by commas; '%.40s' is not one", def->key, what, one);
            json_decref(arr);
            arr = NULL;
            break;
        }
        json_array_append_new(arr, v);
    }
    g_strfreev(parts);
    if (arr && json_array_size(arr) == 0) {
        minca_err_set(err, "%s needs at least one of %s", def->key, what);
        json_decref(arr);
        arr = NULL;
    }
    return arr;
}

static json_t *weekday_item(const char *s)
{
    return strlen(s) == 1 && s[0] >= '1' && s[0] <= '7' ? json_integer(s[0] - '0') : NULL;
}

static json_t *date_item(const char *s)
{
    bool ok = strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    for (int i = 0; ok && i < 10; i++)
        ok = i == 4 || i == 7 || g_ascii_isdigit(s[i]);
    ok = ok && g_date_valid_dmy((GDateDay)atoi(s + 8), (GDateMonth)atoi(s + 5), (GDateYear)atoi(s));
    return ok ? json_string(s) : NULL;
}

static json_t *login_item(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return NULL;
    return strlen(s) <= 63 ? json_string(s) : NULL;
}

static bool clock_ok(const char *s, int *minutes)
{
    int h = 0, m = 0;
    char tail = 0;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
        return false;
    *minutes = h * 60 + m;
    return true;
}

static const struct setting_def *find_setting(const char *key)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* The value as stored: thresholds as numbers checked against their range. */
static json_t *parse_value(const struct setting_def *def, const char *text, minca_err *err)
{
    if (def->kind == KIND_FRACTION) {
        char *end = NULL;
        double v = strtod(text, &end);
        if (!end || *end || end == text || v < 0 || v > 1) {
            minca_err_set(err, "%s takes a number between 0 and 1, not '%s'", def->key, text);
            return NULL;
        }
        return json_real(v);
    }
    if (def->kind == KIND_BOOL) {
        if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
            return json_boolean(text[0] == 't');
        minca_err_set(err, "%s takes true or false, not '%s'", def->key, text);
        return NULL;
    }
    if (def->kind == KIND_TEXT) {
        if (!*text || strlen(text) > 200 || !g_utf8_validate(text, -1, NULL)) {
            minca_err_set(err, "%s takes a text of 1 to 200 characters", def->key);
            return NULL;
        }
        return json_string(text);
    }
    if (def->kind == KIND_FILE) {
        unsigned char head[8] = {0};
        FILE *f = text[0] == '/' ? fopen(text, "rb") : NULL;
        size_t n = f ? fread(head, 1, sizeof head, f) : 0;
        if (f)
            fclose(f);
        if (n != sizeof head || memcmp(head, "\x89PNG\r\n\x1a\n", 8) != 0) {
            minca_err_set(err, "%s takes the absolute path of a readable PNG file, not '%s'", def->key, text);
            return NULL;
        }
        return json_string(text);
    }
    if (def->kind == KIND_DAYS) {
        char *end = NULL;
        long v = strtol(text, &end, 10);
        if (!end || *end || end == text || v < 1 || v > 365) {
            minca_err_set(err, "%s takes a number of days from 1 to 365, not '%s'", def->key, text);
            return NULL;
        }
        return json_integer(v);
    }
    if (def->kind == KIND_HOURS) {
        char *end = NULL;
        long v = strtol(text, &end, 10);
        if (!end || *end || end == text || v < 1 || v > 720) {
            minca_err_set(err, "%s takes a number of hours from 1 to 720, not '%s'", def->key, text);
            return NULL;
        }
        return json_integer(v);
    }
    if (def->kind == KIND_SPAN) {
        gchar **ends = g_strsplit(text, "-", 3);
        int a = 0, b = 0;
        bool ok = g_strv_length(ends) == 2 && clock_ok(g_strstrip(ends[0]), &a) && clock_ok(g_strstrip(ends[1]), &b) &&
                  a < b;
        g_strfreev(ends);
        if (!ok) {
            minca_err_set(err, "%s takes the working hours as HH:MM-HH:MM (the end after the start), not '%s'",
                          def->key, text);
            return NULL;
        }
        return json_string(text);
    }
    if (def->kind == KIND_WEEKDAYS)
        return parse_list(def, text, weekday_item, "ISO weekdays (1 = Monday .. 7 = Sunday)", err);
    if (def->kind == KIND_DATES)
        return parse_list(def, text, date_item, "dates YYYY-MM-DD", err);
    if (def->kind == KIND_LOGINS)
        return parse_list(def, text, login_item, "login names", err);
    if (def->kind == KIND_ASSIGN) {
        if (strcmp(text, "round_robin") == 0 || strcmp(text, "none") == 0)
            return json_string(text);
        minca_err_set(err, "%s takes round_robin or none, not '%s'", def->key, text);
        return NULL;
    }
    if (def->kind == KIND_ZONE) {
        GTimeZone *tz = strlen(text) <= 100 ? g_time_zone_new_identifier(text) : NULL;
        if (!tz) {
            minca_err_set(err, "%s takes an IANA time zone such as America/Mexico_City, not '%s'", def->key, text);
            return NULL;
        }
        g_time_zone_unref(tz);
        return json_string(text);
    }
    if (!*text || strlen(text) > 100 || strpbrk(text, "/\\") || strstr(text, "..")) {
        minca_err_set(err, "%s takes a plain name, not '%s'", def->key, text);
        return NULL;
    }
    return json_string(text);
}

/* The thresholds must keep no_match below auto_accept. */
static int check_thresholds(json_t *current, const char *key, json_t *value, minca_err *err)
{
    if (!value || (strcmp(key, "auto_accept") != 0 && strcmp(key, "no_match") != 0))
        return 0;
    json_t *a = strcmp(key, "auto_accept") == 0 ? value : json_object_get(current, "auto_accept");
    json_t *n = strcmp(key, "no_match") == 0 ? value : json_object_get(current, "no_match");
    if (json_is_number(a) && json_is_number(n) && json_number_value(n) >= json_number_value(a))
        return minca_err_set(err, "no_match (%g) must stay below auto_accept (%g)", json_number_value(n),
                             json_number_value(a));
    return 0;
}

/* A setting's value for the audit entry: text as written (0.97, not its binary double), null
 * when unset. */

static int show(PGconn *c, const char *slug, bool json, minca_err *err)
{
    store_insurer ins;
    int found = store_insurer_find(c, slug, &ins, err);
    if (found <= 0)
        return found == 0 ? minca_err_set(err, "no insurer %s", slug) : -1;
    if (access_require(c, ins.id, ACCESS_READ, err) < 0)
        return -1;
    json_t *s = store_insurer_settings(c, ins.id, err);
    if (!s)
        return -1;
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "slug", ins.slug, "name", ins.name, "cot_prefix", ins.cot_prefix,
                              "settings", s);
        char *t = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(t);
        free(t);
        json_decref(o);
    } else {
        printf("%s  %s  (COT prefix %s)\n", ins.slug, ins.name, ins.cot_prefix);
        for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
            json_t *v = json_object_get(s, settings[i].key);
            char *t = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;
            printf("  %-24s %s\n", settings[i].key, t ? t : "(default)");
            free(t);
        }
        const char *key;
        json_t *v;
        json_object_foreach(s, key, v) {
            if (find_setting(key))
                continue;
            char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
            printf("  %-24s %s\n", key, t);
            free(t);
        }
    }
    json_decref(s);
    return 0;
}

static int set(PGconn *c, const char *slug, const char *key, const char *text, minca_err *err)
{
    const struct setting_def *def = find_setting(key);
    if (!def)
        return minca_err_set(err, "unknown setting '%s' (see minca help insurer)", key);
    store_insurer ins;
    int found = store_insurer_find(c, slug, &ins, err);
    if (found <= 0)
        return found == 0 ? minca_err_set(err, "no insurer %s", slug) : -1;
    if (access_require(c, ins.id, ACCESS_SET_INSURER, err) < 0)
        return -1;
    json_t *value = text ? parse_value(def, text, err) : NULL;
    if (text && !value)
        return -1;
    json_t *current = store_insurer_settings(c, ins.id, err), *old = NULL;
    int rc = -1;
    if (!current || check_thresholds(current, key, value, err) < 0)
        goto done;
    if (store_begin(c, err) < 0)
        goto done;
    if (store_insurer_setting_set(c, ins.id, key, value, config_get()->user, &old, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto done;
    }
    char *o = json_dumps(old, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)),
         *n = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;
    printf("%s: %s = %s (was %s)\n", ins.slug, key, n ? n : "(default)", json_is_null(old) ? "(default)" : o);
    free(o);
    free(n);
    rc = 0;
done:
    json_decref(value);
    json_decref(current);
    json_decref(old);
    return rc;
}

static int insurer_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&insurer_command, "missing action");
    bool json = argc > 2 && strcmp(argv[argc - 1], "--json") == 0;
    if (json)
        argc--;
    const char *action = argv[1];
    minca_err err = {0};
    int rc = 0;
    if (strcmp(action, "set") == 0 && argc != 5)
        return cli_usage_error(&insurer_command, "set needs SLUG KEY VALUE");
    if (strcmp(action, "unset") == 0 && argc != 4)
        return cli_usage_error(&insurer_command, "unset needs SLUG KEY");
    PGconn *c = store_open(&err);
    if (!c)
        rc = -1;
    else if (strcmp(action, "show") == 0)
        rc = show(c, argc > 2 ? argv[2] : config_get()->insurer, json, &err);
    else if (strcmp(action, "set") == 0)
        rc = set(c, argv[2], argv[3], argv[4], &err);
    else if (strcmp(action, "unset") == 0)
        rc = set(c, argv[2], argv[3], NULL, &err);
    else if (strcmp(action, "list") == 0) {
        store_insurer_row_list list;
        if (store_insurer_list(c, &list, &err) < 0)
            rc = -1;
        for (size_t i = 0; i < list.n; i++) {
            access_role r = access_role_for(list.items[i].id);
            if (r == ACCESS_NONE)
                continue;
            printf("%-16s %-32s %s\n", list.items[i].slug, cli_fit(list.items[i].name, 32), access_role_name(r));
        }
        store_insurer_row_list_clear(&list);
    } else {
        PQfinish(c);
        return cli_usage_error(&insurer_command, "unknown action '%s'", action);
    }
    if (rc < 0)
        fprintf(stderr, "minca insurer: %s\n", err.msg);
    PQfinish(c);
    return rc < 0 ? 1 : 0;
}
