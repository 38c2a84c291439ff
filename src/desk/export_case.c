/* Export of a stored case (a desk service): store -> export_case -> workbook -> blob + exports row. */
#include "minca/access.h"
#include "minca/core_config.h"
#include "minca/export.h"
#include "minca/desk_export_case.h"
#include "minca/store_export.h"
#include "minca/store_tariff.h"
#include "minca/store_vehicle.h"

#include <errno.h>
#include <glib.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static export_decision map_decision(const char *d, bool *reviewed)
{
    *reviewed = strcmp(d, "accepted") == 0 || strcmp(d, "picked") == 0 || strcmp(d, "rejected") == 0;
    if (strcmp(d, "auto_accept") == 0)
        return EXPORT_DECISION_AUTO;
    if (strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0)
        return EXPORT_DECISION_NO_MATCH;
    return EXPORT_DECISION_REVIEW;
}

/* One stored row into the export: the vehicle and the match strings move into the case. */
static int add_row(vehicle_row *v, store_match_read *m, void *user, minca_err *err)
{
    export_row *row = export_case_add_row(user);
    row->vehicle = *v;
    row->match.cvegs = m->cvegs;
    row->match.description = m->description;
    row->match.brand = m->brand;
    row->match.model = m->model;
    row->match.body = m->body;
    row->match.year = m->year;
    row->match.confidence = m->confidence;
    row->match.decision = map_decision(m->decision, &row->match.reviewed);
    row->match.reviewer = m->reviewer;
    row->match.note = m->note;
    row->source_file = m->source_file;
    row->premium = -1;   /* no rating source yet: Gcotiza computes the premium */
    g_free(m->decision);
    return 0;
}

int export_case_load(PGconn *c, long long insurer_id, const char *cot, export_case *ec, long long *case_id,
                     minca_err *err)
{
    store_export_header h;
    int found = store_export_header_get(c, insurer_id, cot, &h, err);
    if (found < 0)
        return -1;
    if (!found)
        return minca_err_set(err, "no case %s", cot);
    *case_id = h.case_id;
    ec->cot = h.cot;
    ec->insurer = h.insurer;
    ec->client_name = h.client_name;
    ec->client_rfc = h.client_rfc;
    ec->broker = h.broker;
    ec->received_date = h.received_date;
    ec->revision = h.revision;
    ec->coverage_package = h.coverage;
    ec->vigencia_start = h.vigencia_start;
    ec->vigencia_end = h.vigencia_end;
    ec->payment_terms = h.payment_terms;
    ec->currency = g_strdup("MXN");
    ec->catalog_version = h.catalog_version;
    ec->exported_by = g_strdup(config_get()->user);
    ec->insurer_name = h.insurer_name;
    ec->use = h.use;
    ec->contact = h.contact;
    ec->agent = h.agent;
    return store_vehicle_rows_for_export(c, *case_id, add_row, ec, err);
}

/* What the quote warns about, for the person who exported it. */
static void describe_warnings(const export_case *ec, const export_result *res, const char *rated,
                              export_case_outcome *out)
{
    GString *g = g_string_new(rated);
    if (res->vigencia_started) {
        char issued[16];
        export_case_issue_date(ec, issued);
        g_string_append_printf(g, "%sthe vigencia starts on %.10s, before the issue date %s", g->len ? "; " : "",
                               ec->vigencia_start, issued);
    }
    if (res->renumbered)
        g_string_append_printf(g, "%sincisos repeated across attachments were renumbered (%d files; see Incidencias)",
                               g->len ? "; " : "", res->n_spans);
    snprintf(out->warnings, sizeof out->warnings, "%s", g->str);
    g_string_free(g, TRUE);
}

/* Records one exported file inside the caller's transaction (the case row is already locked,
 * so version is the next free one). */
static int store_export_file(PGconn *c, long long insurer_id, long long case_id, int version, const char *format,
                             const export_result *res, const char *path, bool forced, minca_err *err)
{
    char sha[65];
    if (store_blob_put(c, res->data, res->len, sha, err) < 0)
        return -1;
    store_export_file_row f = {
        .insurer_id = insurer_id,
        .case_id = case_id,
        .version = version,
        .format = format,
        .template_name = res->template_name,
        .template_version = res->template_version,
        .sha256 = sha,
        .path = path,
        .forced = forced,
        .exported_by = config_get()->user,
    };
    return store_export_record(c, &f, err);
}

/* A forced export never turns a case in error, or one without vehicles, into an exported one:
 * the files are stored, the case keeps its status. */
static int mark_exported(PGconn *c, long long insurer_id, long long case_id, int version, bool keep_status,
                         const export_case_outcome *out, bool forced, minca_err *err)
{
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);   /* the audit entry's entity id */
    if (!keep_status && store_export_mark_case(c, case_id, err) < 0)
        return -1;
    json_t *details = json_pack("{s:s?, s:s?, s:i, s:s?, s:s?, s:b, s:b, s:s}", "path", out->path[0] ? out->path : NULL,
                                "pdf_path", out->pdf_path[0] ? out->pdf_path : NULL, "version", version, "sha256",
                                out->sha256[0] ? out->sha256 : NULL, "pdf_sha256",
                                out->pdf_sha256[0] ? out->pdf_sha256 : NULL, "forced", forced, "status_kept",
                                keep_status, "template", out->template_name);
    int rc = store_audit(c, insurer_id, config_get()->user, "export", "case", cid, details, err);
    json_decref(details);
    return rc;
}

/* <dir>/<insurer>/<COT>_vN.<ext>: COT numbers repeat across insurers (every prefix defaults to
 * COT), so each insurer has its own folder. The file is created exclusively: a workbook already
 * on disk (an earlier database, another process) is never overwritten; the name then gets a
 * suffix. Returns the g_malloc'd path of the empty file reserved. */
static char *reserve_default_path(const char *dir, const char *insurer, const char *cot, int version, const char *ext_name,
                                  minca_err *err)
{
    char *folder = core_path_join(dir, insurer && *insurer ? insurer : "default");
    if (core_mkdir_p(folder, 0755, err) < 0) {
        g_free(folder);
        return NULL;
    }
    char *name = export_default_filename_ext(cot, version, ext_name);
    char *dot = strrchr(name, '.');
    const char *ext = dot ? dot : "";
    int stem = dot ? (int)(dot - name) : (int)strlen(name);
    char *path = NULL;
    for (int n = 1; n <= 100 && !path; n++) {
        char file[300];
        if (n == 1)
            snprintf(file, sizeof file, "%s", name);
        else
            snprintf(file, sizeof file, "%.*s-%d%s", stem, name, n, ext);
        char *candidate = core_path_join(folder, file);
        int fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            close(fd);
            path = candidate;
        } else if (errno != EEXIST) {
            minca_err_set(err, "cannot create %s: %s (%s)", candidate, strerror(errno), core_errno_name(errno));
            g_free(candidate);
            break;
        } else {
            g_free(candidate);
            if (n == 100)
                minca_err_set(err, "no free file name for %s in %s", name, folder);
        }
    }
    g_free(name);
    g_free(folder);
    return path;
}

int export_format_parse(const char *text)
{
    if (!text)
        return -1;
    if (!strcmp(text, "xlsx"))
        return EXPORT_FORMAT_XLSX;
    if (!strcmp(text, "pdf"))
        return EXPORT_FORMAT_PDF;
    if (!strcmp(text, "both"))
        return EXPORT_FORMAT_BOTH;
    return -1;
}

/* --out FILE names the one file, or with both formats the pair FILE.xlsx and FILE.pdf (an
 * extension on FILE is replaced); without it the file is reserved in the insurer's folder. */
static char *file_path(const char *dir, const char *out_path, const char *insurer, const char *cot, int version,
                       int formats, const char *ext, minca_err *err)
{
    if (out_path) {
        if (formats != EXPORT_FORMAT_BOTH)
            return g_strdup(out_path);
        const char *slash = strrchr(out_path, '/'), *dot = strrchr(out_path, '.');
        size_t stem = (dot && (!slash || dot > slash + 1)) ? (size_t)(dot - out_path) : strlen(out_path);
        return core_strdup_printf("%.*s.%s", (int)stem, out_path, ext);
    }
    return reserve_default_path(dir ? dir : config_get()->export_dir, insurer, cot, version, ext, err);
}

/* Whether the locked case may not be exported without --force (err says why): fields the
 * language model suggested that nobody confirmed, or the case in error. */
static bool refused_unforced(const store_export_lock *lock, const char *cot, minca_err *err)
{
    if (lock->unconfirmed[0]) {
        minca_err_set(err, "case %s has fields suggested by the language model that nobody confirmed (%s); "
                           "check them and run 'minca case confirm %s', or export with --force", cot,
                      lock->unconfirmed, cot);
        return true;
    }
    if (lock->in_error) {
        minca_err_set(err, "case %s is in error%s%s; fix it and read it again, or export with --force (the case "
                           "stays in error)", cot, lock->reason[0] ? ": " : "", lock->reason);
        return true;
    }
    return false;
}

/* Quotes carry client data: a file written (NULL: none) readable by the service user and its group only. */
static void restrict_file(const char *path)
{
    if (path && chmod(path, 0640) != 0)
        log_warn("export: cannot restrict %s to its owner and group: %s", path, strerror(errno));
}

/* The insurer's settings on the case: its clock dates the quote, its legal name, logo and
 * validity; its own template (`minca insurer set SLUG export_template NAME`) into template. */
static void insurer_settings(PGconn *c, long long insurer_id, export_case *ec, char *template, size_t template_len)
{
    json_t *settings = store_insurer_settings(c, insurer_id, NULL);
    const char *tz = json_string_value(json_object_get(settings, "timezone"));
    if (tz && *tz)
        ec->timezone = g_strdup(tz);
    const char *legal = json_string_value(json_object_get(settings, "legal_name"));
    if (legal && *legal) {
        g_free(ec->insurer_name);
        ec->insurer_name = g_strdup(legal);
    }
    const char *logo = json_string_value(json_object_get(settings, "logo"));
    if (logo && *logo)
        ec->logo_path = g_strdup(logo);
    json_t *days = json_object_get(settings, "quote_validity_days");
    if (json_is_integer(days))
        ec->validity_days = (int)json_integer_value(days);
    const char *t = json_string_value(json_object_get(settings, "export_template"));
    if (t && *t)
        snprintf(template, template_len, "%s", t);
    json_decref(settings);
}

/* The insurer's active tariff prices the quote (without one it is exported unpriced), and the
 * premiums its rating system returned replace the tariff's prima neta; -1 with err set. */
static int price_with_tariff(PGconn *c, long long insurer_id, long long case_id, export_case *ec, char *warning,
                             size_t warning_len, minca_err *err)
{
    store_tariff_row tariff;
    int has_tariff = store_tariff_active(c, insurer_id, &tariff, err);
    if (has_tariff < 0)
        return -1;
    if (has_tariff) {
        char origin[64];
        snprintf(origin, sizeof origin, "tariff v%d", tariff.version);
        int prc = export_tariff_parse(tariff.body, strlen(tariff.body), origin, &ec->tariff, err);
        store_tariff_row_clear(&tariff);
        if (prc < 0)
            return -1;
        /* premiums the insurer's rating system returned replace the tariff's prima neta */
        if (export_rated_apply(c, case_id, ec, warning, warning_len, err) < 0)
            return -1;
    }
    return 0;
}

/* The files written and the template used, into the outcome. */
static void describe_files(const char *path, const export_result *res, const char *pdf_path, const export_result *pdf,
                           export_case_outcome *out)
{
    if (path) {
        snprintf(out->path, sizeof out->path, "%s", path);
        snprintf(out->sha256, sizeof out->sha256, "%s", res->sha256);
        snprintf(out->template_name, sizeof out->template_name, "%s", res->template_name ? res->template_name : "");
        snprintf(out->template_version, sizeof out->template_version, "%s",
                 res->template_version ? res->template_version : "");
    }
    if (pdf_path) {
        snprintf(out->pdf_path, sizeof out->pdf_path, "%s", pdf_path);
        snprintf(out->pdf_sha256, sizeof out->pdf_sha256, "%s", pdf->sha256);
        if (!path) {
            snprintf(out->template_name, sizeof out->template_name, "%s", pdf->template_name);
            snprintf(out->template_version, sizeof out->template_version, "%s", pdf->template_version);
        }
    }
}

/* The quote's total premium, referrals and imported units, into out->price. */
static void describe_price(const export_result *any, export_case_outcome *out)
{
    if (any->priced) {
        char total[48];
        export_money_cents(any->total_cents, total, sizeof total);
        if (any->n_referrals)
            snprintf(out->price, sizeof out->price, "prima total %s, %d referida%s", total, any->n_referrals,
                     any->n_referrals == 1 ? "" : "s");
        else
            snprintf(out->price, sizeof out->price, "prima total %s", total);
        if (any->n_imported) {
            size_t n = strlen(out->price);
            snprintf(out->price + n, sizeof out->price - n, " (prima neta of %d unit%s imported)", any->n_imported,
                     any->n_imported == 1 ? "" : "s");
        }
    }
}

int export_case_run(PGconn *c, long long insurer_id, const char *cot, const char *dir, const char *out_path,
                    const char *template_name, int formats, bool force, export_case_outcome *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (access_require(c, insurer_id, ACCESS_EXPORT, err) < 0)
        return -1;
    char insurer_template[128] = "", rated_warning[256] = "";
    double started = core_now_seconds();
    export_case ec;
    export_case_init(&ec);
    long long case_id = 0;
    int rc = -1;
    char *path = NULL, *pdf_path = NULL;
    bool written = false, pdf_written = false;
    export_result res, pdf;
    memset(&res, 0, sizeof res);
    memset(&pdf, 0, sizeof pdf);
    if (formats <= 0 || formats > EXPORT_FORMAT_BOTH)
        formats = EXPORT_FORMAT_XLSX;
    /* One transaction with the case row locked: concurrent exports of a case take turns, so
     * each gets its own version and its own file. */
    if (store_begin(c, err) < 0)
        goto done;
    store_export_lock lock;
    int found = store_export_lock_case(c, insurer_id, cot, &lock, err);
    if (found < 0)
        goto done;
    if (!found) {
        minca_err_set(err, "no case %s", cot);
        goto done;
    }
    bool in_error = lock.in_error;
    const char *unconfirmed = lock.unconfirmed;
    if (!force && refused_unforced(&lock, cot, err))
        goto done;
    int version = 0;
    if (store_export_next_version(c, insurer_id, cot, &version, err) < 0)
        goto done;
    if (export_case_load(c, insurer_id, cot, &ec, &case_id, err) < 0)
        goto done;
    ec.version = version;
    /* a file reserved in the insurer's folder is removed again if the export is not recorded */
    if ((formats & EXPORT_FORMAT_XLSX) &&
        !(path = file_path(dir, out_path, ec.insurer, cot, version, formats, "xlsx", err)))
        goto done;
    written = path && !out_path;
    if ((formats & EXPORT_FORMAT_PDF) &&
        !(pdf_path = file_path(dir, out_path, ec.insurer, cot, version, formats, "pdf", err)))
        goto done;
    pdf_written = pdf_path && !out_path;
    /* The insurer's clock dates the quote; no template asked for: the insurer's own
     * (`minca insurer set SLUG export_template NAME`). */
    insurer_settings(c, insurer_id, &ec, insurer_template, sizeof insurer_template);
    /* the insurer's active tariff prices the quote; without one it is exported unpriced */
    if (price_with_tariff(c, insurer_id, case_id, &ec, rated_warning, sizeof rated_warning, err) < 0)
        goto done;
    if (!template_name && insurer_template[0])
        template_name = insurer_template;
    if (path) {
        export_options opt = {.template_name = template_name, .out_path = path, .force = force};
        if (export_case_write(&ec, &opt, &res, err) < 0) {
            out->n_rows = res.n_rows;
            out->n_undecided = res.n_undecided;
            out->refused = res.refused;
            goto done;
        }
        written = true;
    }
    if (pdf_path) {
        export_options opt = {.out_path = pdf_path, .force = force};
        if (export_case_write_pdf(&ec, &opt, &pdf, err) < 0) {
            out->n_rows = pdf.n_rows;
            out->n_undecided = pdf.n_undecided;
            out->refused = pdf.refused;
            goto done;
        }
        pdf_written = true;
    }
    const export_result *any = path ? &res : &pdf;
    describe_files(path, &res, pdf_path, &pdf, out);
    out->status_kept = in_error || ec.n_rows == 0;
    /* forced: --force overrode a rule of the workbook, or the case is in error */
    bool forced = any->overridden || in_error || unconfirmed[0];
    if ((path && store_export_file(c, insurer_id, case_id, version, "xlsx", &res, path, forced, err) < 0) ||
        (pdf_path && store_export_file(c, insurer_id, case_id, version, "pdf", &pdf, pdf_path, forced, err) < 0) ||
        mark_exported(c, insurer_id, case_id, version, out->status_kept, out, forced, err) < 0 ||
        store_commit(c, err) < 0)
        goto done;
    out->version = version;
    out->n_rows = any->n_rows;
    out->n_undecided = any->n_undecided;
    out->n_missing = any->n_missing;
    out->forced = forced;
    describe_warnings(&ec, any, rated_warning, out);
    describe_price(any, out);
    restrict_file(path);
    restrict_file(pdf_path);
    rc = 0;
done:
    if (rc < 0) {
        store_rollback(c);
        /* not recorded: do not leave a file that no export row describes */
        if (written)
            unlink(path);
        if (pdf_written)
            unlink(pdf_path);
    }
    out->seconds = core_now_seconds() - started;
    export_result_clear(&res);
    export_result_clear(&pdf);
    export_case_clear(&ec);
    g_free(path);
    g_free(pdf_path);
    return rc;
}
