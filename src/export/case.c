/* export case: the input of an export and the decision rules. */
#include "minca/export.h"

#include <ctype.h>
#include <stddef.h>
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
    if (!c->row_store)
        c->row_store = g_array_sized_new(FALSE, TRUE, sizeof(export_row), 64);
    /* GLib's GArray ends the process when memory (or the size) runs out; the new row is zeroed */
    g_array_set_size(c->row_store, c->row_store->len + 1);
    c->rows = (export_row *)(void *)c->row_store->data;
    c->n_rows = (int)c->row_store->len;
    export_row *row = &c->rows[c->n_rows - 1];
    vehicle_row_init(&row->vehicle);
    row->premium = -1;
    row->rated_cents = -1;
    row->match.confidence = -1;
    row->match.decision = EXPORT_DECISION_NO_MATCH;
    return row;
}

static void match_clear(export_match *m)
{
    g_free(m->cvegs);
    g_free(m->description);
    g_free(m->brand);
    g_free(m->model);
    g_free(m->body);
    g_free(m->reviewer);
    g_free(m->note);
}

void export_case_clear(export_case *c)
{
    for (int i = 0; i < c->n_rows; i++) {
        vehicle_row_clear(&c->rows[i].vehicle);
        match_clear(&c->rows[i].match);
        g_free(c->rows[i].source_file);
    }
    if (c->row_store)
        g_array_free(c->row_store, TRUE);
    g_free(c->cot);
    g_free(c->insurer);
    g_free(c->client_name);
    g_free(c->client_rfc);
    g_free(c->broker);
    g_free(c->agent);
    g_free(c->contact);
    g_free(c->insurer_name);
    g_free(c->logo_path);
    g_free(c->received_date);
    g_free(c->coverage_package);
    g_free(c->vigencia_start);
    g_free(c->vigencia_end);
    g_free(c->use);
    g_free(c->payment_terms);
    g_free(c->currency);
    g_free(c->catalog_version);
    g_free(c->exported_by);
    g_free(c->timezone);
    export_tariff_free(c->tariff);
    g_free(c->rated_source);
    export_case_init(c);
}

bool export_row_decided(const export_row *row)
{
    if (core_str_empty(row->match.cvegs))
        return row->match.reviewed && row->match.decision == EXPORT_DECISION_NO_MATCH;
    return row->match.decision == EXPORT_DECISION_AUTO || row->match.reviewed;
}

/* What a quote needs from the request, in the order Incidencias lists it. */
static const struct requirement {
    const char *label;
    size_t offset;            /* of the case's string field */
    const char *sentence;
} requirements[] = {
    {"nombre del cliente", offsetof(export_case, client_name),
     "La solicitud no indica el nombre o la razón social del cliente; se requiere para emitir la "
     "cotización"},
    {"RFC", offsetof(export_case, client_rfc),
     "La solicitud no indica el RFC del cliente; se requiere para emitir la cotización"},
    {"cobertura", offsetof(export_case, coverage_package),
     "La solicitud no indica la cobertura (paquete AMPLIA, LIMITADA o RC); se requiere para emitir "
     "la cotización; las columnas de deducibles y límites quedan vacías"},
    {"vigencia", offsetof(export_case, vigencia_start),
     "La solicitud no indica la vigencia (fecha de inicio); se requiere para emitir la cotización"},
    {"forma de pago", offsetof(export_case, payment_terms),
     "La solicitud no indica la forma de pago; se requiere para emitir la cotización"},
};

int export_case_missing(const export_case *c, const char **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < sizeof requirements / sizeof requirements[0]; i++) {
        const char *value = *(char *const *)((const char *)c + requirements[i].offset);
        if (core_str_empty(value) && n < max)
            out[n++] = requirements[i].label;
    }
    return n;
}

const char *export_missing_sentence(const char *label)
{
    for (size_t i = 0; label && i < sizeof requirements / sizeof requirements[0]; i++)
        if (!strcmp(requirements[i].label, label))
            return requirements[i].sentence;
    return "La solicitud no indica un dato requerido";
}

int export_case_local_time(const export_case *c, time_t t, struct tm *out, minca_err *err)
{
    const char *zone = core_str_empty(c->timezone) ? EXPORT_DEFAULT_TIMEZONE : c->timezone;
    GTimeZone *tz = g_time_zone_new_identifier(zone);
    if (!tz)
        return minca_err_set(err, "case %s: the insurer's time zone '%s' is unknown (an IANA name such as %s)",
                             c->cot ? c->cot : "?", zone, EXPORT_DEFAULT_TIMEZONE);
    GDateTime *utc = g_date_time_new_from_unix_utc(t ? (gint64)t : (gint64)time(NULL));
    GDateTime *local = g_date_time_to_timezone(utc, tz);
    memset(out, 0, sizeof *out);
    out->tm_year = g_date_time_get_year(local) - 1900;
    out->tm_mon = g_date_time_get_month(local) - 1;
    out->tm_mday = g_date_time_get_day_of_month(local);
    out->tm_hour = g_date_time_get_hour(local);
    out->tm_min = g_date_time_get_minute(local);
    out->tm_sec = g_date_time_get_second(local);
    out->tm_wday = g_date_time_get_day_of_week(local) % 7;
    out->tm_yday = g_date_time_get_day_of_year(local) - 1;
    out->tm_isdst = -1;
    g_date_time_unref(local);
    g_date_time_unref(utc);
    g_time_zone_unref(tz);
    return 0;
}

void export_case_issue_date(const export_case *c, char out[16])
{
    struct tm tm;
    minca_err err = {0};
    if (export_case_local_time(c, c->exported_at, &tm, &err) < 0) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 16, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

bool export_vigencia_started(const export_case *c)
{
    int y, m, d;
    if (core_str_empty(c->vigencia_start) || sscanf(c->vigencia_start, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return false;
    char start[16], issued[16];
    snprintf(start, sizeof start, "%04d-%02d-%02d", y, m, d);
    export_case_issue_date(c, issued);
    return issued[0] && strcmp(start, issued) < 0;
}

const char *export_case_insurer_label(const export_case *c)
{
    if (core_str_empty(c->insurer_name) || (c->insurer && !g_ascii_strcasecmp(c->insurer_name, c->insurer)))
        return "ASEGURADORA (razón social sin configurar)";
    return c->insurer_name;
}

void export_case_valid_until(const export_case *c, char out[16])
{
    char issued[16];
    export_case_issue_date(c, issued);
    int y, m, d;
    if (sscanf(issued, "%4d-%2d-%2d", &y, &m, &d) != 3 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y)) {
        out[0] = '\0';
        return;
    }
    GDate *g = g_date_new_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y);
    g_date_add_days(g, (guint)(c->validity_days > 0 ? c->validity_days : 30));
    snprintf(out, 16, "%02d/%02d/%04d", g_date_get_day(g) % 100, (int)g_date_get_month(g) % 100,
             g_date_get_year(g) % 10000);
    g_date_free(g);
}

bool export_row_commercial(const export_row *row)
{
    return row->vehicle.insured_amount < 0 && row->vehicle.sum_basis == VEHICLE_SUM_COMERCIAL;
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
        } else if (export_row_commercial(row)) {
            res->n_commercial++;
        }
        res->n_unidentified += export_row_unidentified(row);
    }
}

bool export_row_unidentified(const export_row *row)
{
    return core_str_empty(row->vehicle.vin) && core_str_empty(row->vehicle.plates);
}

/* The rows' file spans, in case order. */
static void find_spans(const export_case *c, export_result *res)
{
    GArray *spans = g_array_new(FALSE, TRUE, sizeof(export_span));   /* new spans zeroed */
    for (int i = 0; i < c->n_rows; i++) {
        const char *f = c->rows[i].source_file;
        export_span *last = spans->len ? &g_array_index(spans, export_span, spans->len - 1) : NULL;
        if (!last || g_strcmp0(last->file, f) != 0) {
            g_array_set_size(spans, spans->len + 1);
            last = &g_array_index(spans, export_span, spans->len - 1);
            last->file = f;
            last->first_row = i;
        }
        last->n_rows++;
    }
    gsize n = 0;
    g_free(res->spans);
    res->spans = g_array_steal(spans, &n);
    res->n_spans = (int)n;
    g_array_free(spans, TRUE);
}

static bool all_unique(const int *inciso, int n)
{
    GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        if (inciso[i] <= 0 || g_hash_table_contains(seen, GINT_TO_POINTER(inciso[i])))
            ok = false;
        else
            g_hash_table_add(seen, GINT_TO_POINTER(inciso[i]));
    }
    g_hash_table_destroy(seen);
    return ok;
}

/* The incisos as the files give them when they are unique; else each file after the first
 * continues the numbering (its own numbers shifted past the previous file's highest); when
 * that still repeats (a file numbers twice), the case is numbered 1..n in order. */
static void number_incisos(const export_case *c, export_result *res)
{
    int n = c->n_rows > 0 ? c->n_rows : 0;
    res->inciso = g_new0(int, (gsize)n + 1);
    for (int i = 0; i < n; i++)
        res->inciso[i] = c->rows[i].vehicle.inciso;
    find_spans(c, res);
    if (!all_unique(res->inciso, n)) {
        res->renumbered = true;
        int offset = 0;
        for (int s = 0; s < res->n_spans; s++) {
            const export_span *sp = &res->spans[s];
            int high = offset;
            for (int k = 0; k < sp->n_rows; k++) {
                int own = c->rows[sp->first_row + k].vehicle.inciso;
                int v = offset + (own > 0 ? own : k + 1);
                res->inciso[sp->first_row + k] = v;
                high = v > high ? v : high;
            }
            offset = high;
        }
        if (!all_unique(res->inciso, n))
            for (int i = 0; i < n; i++)
                res->inciso[i] = i + 1;
    }
    for (int s = 0; s < res->n_spans; s++) {
        export_span *sp = &res->spans[s];
        sp->first = sp->last = res->inciso[sp->first_row];
        sp->src_first = sp->src_last = c->rows[sp->first_row].vehicle.inciso;
        for (int k = 0; k < sp->n_rows; k++) {
            int v = res->inciso[sp->first_row + k], own = c->rows[sp->first_row + k].vehicle.inciso;
            sp->first = v < sp->first ? v : sp->first;
            sp->last = v > sp->last ? v : sp->last;
            sp->src_first = own < sp->src_first ? own : sp->src_first;
            sp->src_last = own > sp->src_last ? own : sp->src_last;
        }
    }
}

char *export_span_note(const export_result *res, int s)
{
    const export_span *sp = &res->spans[s];
    GString *g = g_string_new(NULL);
    g_string_append_printf(g, "Incisos %d a %d: unidades de ", sp->first, sp->last);
    if (sp->file)
        g_string_append_printf(g, "«%s»", sp->file);
    else
        g_string_append(g, "la tabla del correo");
    if (sp->src_first > 0 && (sp->src_first != sp->first || sp->src_last != sp->last))
        g_string_append_printf(g, " (en el archivo, incisos %d a %d)", sp->src_first, sp->src_last);
    else if (sp->src_first <= 0 && res->renumbered)
        g_string_append(g, " (el archivo no los numera)");
    char *out = core_strdup_printf("%s", g->str);
    g_string_free(g, TRUE);
    return out;
}

int export_check_rules(const export_case *c, bool force, export_result *res, minca_err *err)
{
    if (core_str_empty(c->cot))
        return minca_err_set(err, "the case has no COT number");
    struct tm now;
    if (export_case_local_time(c, c->exported_at, &now, err) < 0)
        return -1;
    count_rows(c, res);
    number_incisos(c, res);
    res->vigencia_started = export_vigencia_started(c);
    const char *missing[EXPORT_MAX_MISSING];
    res->n_missing = export_case_missing(c, missing, EXPORT_MAX_MISSING);
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
        g_free(tmp);
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
            g_free(tmp);
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    fchmod(fd, 0644);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        minca_err_set(err, "cannot write %s: %s (%s)", path, strerror(errno), core_errno_name(errno));
        unlink(tmp);
        g_free(tmp);
        return -1;
    }
    g_free(tmp);
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
    char *safe = g_malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n && j < 120; i++) {
        unsigned char ch = (unsigned char)base[i];
        safe[j++] = (isalnum(ch) || ch == '-' || ch == '_') ? (char)ch : '_';
    }
    safe[j] = '\0';
    char *name = version > 0 ? core_strdup_printf("%s_v%d.%s", safe, version, ext)
                             : core_strdup_printf("%s.%s", safe, ext);
    g_free(safe);
    return name;
}

void export_result_clear(export_result *res)
{
    if (!res)
        return;
    g_free(res->data);
    g_free(res->path);
    g_free(res->template_name);
    g_free(res->template_version);
    g_free(res->template_path);
    g_free(res->inciso);
    g_free(res->spans);
    memset(res, 0, sizeof *res);
}
