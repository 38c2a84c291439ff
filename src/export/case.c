/* export case: the input of an export and the decision rules. */
#include "minca/export.h"

#include <ctype.h>
#include <errno.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void export_case_init(export_case *c)
{
    memset(c, 0, sizeof *c);
}

export_row *export_case_add_row(export_case *c)
{
    if (c->n_rows == c->cap_rows) {
        if (c->cap_rows > INT_MAX / 2)
            abort();
        int cap = c->cap_rows ? c->cap_rows * 2 : 64;
        export_row *rows = reallocarray(c->rows, (size_t)cap, sizeof *rows);
        if (!rows)
            abort();
        c->rows = rows;
        c->cap_rows = cap;
    }
    export_row *row = &c->rows[c->n_rows++];
    memset(row, 0, sizeof *row);
    vehicle_row_init(&row->vehicle);
    row->premium = -1;
    row->match.confidence = -1;
    row->match.decision = EXPORT_DECISION_NO_MATCH;
    return row;
}

static void match_clear(export_match *m)
{
    free(m->cvegs);
    free(m->description);
    free(m->brand);
    free(m->model);
    free(m->body);
    free(m->reviewer);
    free(m->note);
}

void export_case_clear(export_case *c)
{
    for (int i = 0; i < c->n_rows; i++) {
        vehicle_row_clear(&c->rows[i].vehicle);
        match_clear(&c->rows[i].match);
        free(c->rows[i].source_file);
    }
    free(c->rows);
    free(c->cot);
    free(c->insurer);
    free(c->client_name);
    free(c->client_rfc);
    free(c->broker);
    free(c->agent);
    free(c->contact);
    free(c->insurer_name);
    free(c->received_date);
    free(c->coverage_package);
    free(c->vigencia_start);
    free(c->vigencia_end);
    free(c->use);
    free(c->payment_terms);
    free(c->currency);
    free(c->catalog_version);
    free(c->exported_by);
    export_case_init(c);
}

bool export_row_decided(const export_row *row)
{
    if (core_str_empty(row->match.cvegs))
        return row->match.reviewed && row->match.decision == EXPORT_DECISION_NO_MATCH;
    return row->match.decision == EXPORT_DECISION_AUTO || row->match.reviewed;
}

int export_case_missing(const export_case *c, const char **out, int max)
{
    int n = 0;
    if (core_str_empty(c->coverage_package) && n < max)
        out[n++] = "cobertura";
    if (core_str_empty(c->vigencia_start) && n < max)
        out[n++] = "vigencia";
    if (core_str_empty(c->payment_terms) && n < max)
        out[n++] = "forma de pago";
    return n;
}

const export_coverage_package *export_row_package(const export_coverage *cov,
                                                  const export_case *c, const export_row *row)
{
    if (!cov)
        return NULL;
    const export_coverage_package *own = core_str_empty(row->vehicle.coverage)
                                             ? NULL
                                             : export_coverage_find(cov, row->vehicle.coverage);
    return own ? own : export_coverage_find(cov, c->coverage_package);
}

static void count_rows(const export_case *c, export_result *res)
{
    res->n_rows = c->n_rows;
    for (int i = 0; i < c->n_rows; i++) {
        const export_row *row = &c->rows[i];
        const export_match *m = &row->match;
        if (core_str_empty(m->cvegs))
            res->n_no_match++;
        else if (m->decision == EXPORT_DECISION_AUTO && !m->reviewed)
            res->n_auto++;
        else if (!m->reviewed)
            res->n_review++;
        res->n_reviewed += m->reviewed;
        if (export_row_decided(row))
            res->n_decided++;
        else
            res->n_undecided++;
        if (row->vehicle.insured_amount >= 0) {
            res->fleet_sum += row->vehicle.insured_amount;
            res->n_with_sum++;
        }
    }
}

int export_check_rules(const export_case *c, bool force, export_result *res, minca_err *err)
{
    if (core_str_empty(c->cot))
        return minca_err_set(err, "the case has no COT number");
    count_rows(c, res);
    const char *missing[4];
    res->n_missing = export_case_missing(c, missing, 4);
    bool blocked = c->n_rows == 0 || res->n_undecided > 0 || res->n_missing > 0;
    if (!blocked)
        return 0;
    if (force) {
        res->overridden = true;
        return 0;
    }
    res->refused = true;
    if (c->n_rows == 0)
        return minca_err_set(err, "case %s has no vehicles; export with --force to write an "
                                  "empty quote", c->cot);
    GString *why = g_string_new(NULL);
    if (res->n_undecided > 0) {
        int pending = 0;
        for (int i = 0; i < c->n_rows; i++)
            if (!export_row_decided(&c->rows[i]) && !core_str_empty(c->rows[i].match.cvegs))
                pending++;
        g_string_append_printf(why, "%d of %d vehicles have no decided key (%d awaiting review, "
                                    "%d without a key)",
                               res->n_undecided, c->n_rows, pending, res->n_undecided - pending);
    }
    if (res->n_missing > 0) {
        g_string_append_printf(why, "%sthe request lacks ", why->len ? "; " : "");
        for (int i = 0; i < res->n_missing; i++)
            g_string_append_printf(why, "%s%s", i ? ", " : "", missing[i]);
    }
    minca_err_set(err, "case %s: %s; complete the case or export with --force to mark them",
                  c->cot, why->str);
    g_string_free(why, TRUE);
    return -1;
}

int export_write_file(const char *path, const void *data, size_t len, minca_err *err)
{
    char *tmp = core_strdup_printf("%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(errno), core_errno_name(errno));
        free(tmp);
        return -1;
    }
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(errno), core_errno_name(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    fchmod(fd, 0644);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(errno), core_errno_name(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int export_decision_parse(const char *text)
{
    if (!text)
        return -1;
    if (!strcasecmp(text, "auto") || !strcasecmp(text, "automatico"))
        return EXPORT_DECISION_AUTO;
    if (!strcasecmp(text, "review") || !strcasecmp(text, "revision"))
        return EXPORT_DECISION_REVIEW;
    if (!strcasecmp(text, "no_match") || !strcasecmp(text, "sin_coincidencia"))
        return EXPORT_DECISION_NO_MATCH;
    return -1;
}

int export_match_set_status(export_match *m, const char *status)
{
    static const struct {
        const char *status;
        export_decision decision;
        bool reviewed;
    } map[] = {
        {"auto_accept", EXPORT_DECISION_AUTO, false},
        {"needs_review", EXPORT_DECISION_REVIEW, false},
        {"no_match", EXPORT_DECISION_NO_MATCH, false},
        {"accepted", EXPORT_DECISION_REVIEW, true},
        {"picked", EXPORT_DECISION_REVIEW, true},
        {"rejected", EXPORT_DECISION_NO_MATCH, true},
    };
    for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(status, map[i].status)) {
            m->decision = map[i].decision;
            m->reviewed = map[i].reviewed;
            return 0;
        }
    int d = export_decision_parse(status);
    if (d < 0)
        return -1;
    m->decision = (export_decision)d;
    return 0;
}

const char *export_decision_name(export_decision d)
{
    switch (d) {
    case EXPORT_DECISION_AUTO: return "auto";
    case EXPORT_DECISION_REVIEW: return "review";
    case EXPORT_DECISION_NO_MATCH: return "no_match";
    }
    return "no_match";
}

char *export_default_filename(const char *cot, int version)
{
    return export_default_filename_ext(cot, version, "xlsx");
}

char *export_default_filename_ext(const char *cot, int version, const char *ext)
{
    const char *base = (cot && *cot) ? cot : "cotizacion";
    size_t n = strlen(base);
    char *safe = malloc(n + 1);
    if (!safe)
        abort();
    size_t j = 0;
    for (size_t i = 0; i < n && j < 120; i++) {
        unsigned char ch = (unsigned char)base[i];
        safe[j++] = (isalnum(ch) || ch == '-' || ch == '_') ? (char)ch : '_';
    }
    safe[j] = '\0';
    char *name = version > 0 ? core_strdup_printf("%s_v%d.%s", safe, version, ext)
                             : core_strdup_printf("%s.%s", safe, ext);
    free(safe);
    return name;
}

void export_result_clear(export_result *res)
{
    if (!res)
        return;
    free(res->data);
    free(res->path);
    free(res->template_name);
    free(res->template_version);
    free(res->template_path);
    memset(res, 0, sizeof *res);
}
