/* Export of a stored case: store -> export_case -> workbook -> blob + exports row. */
#include "minca/access.h"
#include "minca/config.h"
#include "minca/export.h"
#include "minca/export_case.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dup_or_null(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static export_decision map_decision(const char *d, bool *reviewed)
{
    *reviewed = strcmp(d, "accepted") == 0 || strcmp(d, "picked") == 0 || strcmp(d, "rejected") == 0;
    if (strcmp(d, "auto_accept") == 0)
        return EXPORT_DECISION_AUTO;
    if (strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0)
        return EXPORT_DECISION_NO_MATCH;
    return EXPORT_DECISION_REVIEW;
}

static json_t *parse_issues(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    return j ? j : json_array();
}

static int load_case(PGconn *c, long long insurer_id, const char *cot, export_case *ec, long long *case_id,
                     minca_err *err)
{
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *p[] = {ins, cot};
    PGresult *r = store_query(
        c, err,
        "SELECT k.id, k.cot, i.slug, k.client_name, k.rfc,"
        /* the broker: its profile's name, else who sent the request */
        "       coalesce(b.name, nullif(btrim(m.from_name), ''), m.from_addr),"
        "       to_char(" STORE_SQL_LOCAL("coalesce(m.sent_at, m.received_at, k.created_at)", "k.insurer_id") ", 'YYYY-MM-DD'),"
        "       k.coverage, k.validity_start::text, k.validity_end::text, k.payment_terms,"
        "       (SELECT cv.label || ' (' || cv.source_name || ')' FROM catalog_versions cv"
        "         WHERE cv.insurer_id = k.insurer_id AND cv.active),"
        "       i.name, k.uso,"
        "       nullif(concat_ws(' · ', nullif(k.contact->>'name', ''), nullif(k.contact->>'phone', ''),"
        "                        nullif(k.contact->>'email', '')), ''),"
        "       substring(m.body_text from '(?i)clave\\s+(?:de\\s+)?agente\\s*[:#.]?\\s*([A-Z0-9][A-Z0-9-]*)')"
        "  FROM cases k JOIN insurers i ON i.id = k.insurer_id LEFT JOIN messages m ON m.id = k.message_id"
        "  LEFT JOIN brokers b ON b.id = k.broker_id WHERE k.insurer_id = $1::bigint AND k.cot = $2",
        2, p);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return minca_err_set(err, "no case %s", cot);
    }
    *case_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    ec->cot = dup_or_null(r, 0, 1);
    ec->insurer = dup_or_null(r, 0, 2);
    ec->client_name = dup_or_null(r, 0, 3);
    ec->client_rfc = dup_or_null(r, 0, 4);
    ec->broker = dup_or_null(r, 0, 5);
    ec->received_date = dup_or_null(r, 0, 6);
    ec->coverage_package = dup_or_null(r, 0, 7);
    ec->vigencia_start = dup_or_null(r, 0, 8);
    ec->vigencia_end = dup_or_null(r, 0, 9);
    ec->payment_terms = dup_or_null(r, 0, 10);
    ec->currency = strdup("MXN");
    ec->catalog_version = dup_or_null(r, 0, 11);
    ec->exported_by = strdup(config_get()->user);
    ec->insurer_name = dup_or_null(r, 0, 12);
    ec->use = dup_or_null(r, 0, 13);
    ec->contact = dup_or_null(r, 0, 14);
    ec->agent = dup_or_null(r, 0, 15);
    PQclear(r);

    char cid[32];
    snprintf(cid, sizeof cid, "%lld", *case_id);
    const char *q[] = {cid};
    r = store_query(
        c, err,
        "SELECT v.source_sheet, v.source_row, v.raw_cells::text, v.inciso, v.marca, v.submarca, v.year, v.description,"
        "       v.vin, v.engine_number, v.plates, v.use, v.service, v.coverage, v.insured_amount, v.sum_basis,"
        "       v.issues::text, x.cvegs, e.descveh, e.marca, e.submarca, e.tipveh, x.year, x.confidence,"
        "       coalesce(x.decision, 'needs_review'), x.reviewed_by, a.filename,"
        "       (SELECT nullif(l.details->>'note', '') FROM audit_log l WHERE l.entity = 'vehicle_row'"
        "         AND l.entity_id = v.id::text AND l.action = 'review.note' ORDER BY l.id DESC LIMIT 1)"
        "  FROM vehicle_rows v LEFT JOIN matches x ON x.vehicle_row_id = v.id"
        "  LEFT JOIN attachments a ON a.id = v.attachment_id"
        "  LEFT JOIN LATERAL (SELECT ce.descveh, ce.marca, ce.submarca, ce.tipveh FROM catalog_entries ce"
        "                      WHERE ce.catalog_version_id = x.catalog_version_id AND ce.cvegs = x.cvegs"
        "                        AND ce.modelo = x.year LIMIT 1) e ON true"
        /* source order: attachment by attachment, each sheet in the order it was read, then
         * by inciso; the body's own table (no attachment) first */
        " WHERE v.case_id = $1::bigint"
        " ORDER BY a.ordinal NULLS FIRST, v.attachment_id NULLS FIRST,"
        "          min(v.id) OVER (PARTITION BY v.attachment_id, v.source_sheet),"
        "          v.inciso NULLS LAST, v.source_row, v.id",
        1, q);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        export_row *row = export_case_add_row(ec);
        vehicle_row *v = &row->vehicle;
        v->source_sheet = dup_or_null(r, i, 0);
        v->source_row = atoi(PQgetvalue(r, i, 1));
        v->raw_json = dup_or_null(r, i, 2);
        v->inciso = atoi(PQgetvalue(r, i, 3));
        v->marca = dup_or_null(r, i, 4);
        v->submarca = dup_or_null(r, i, 5);
        v->year = atoi(PQgetvalue(r, i, 6));
        v->description = dup_or_null(r, i, 7);
        v->vin = dup_or_null(r, i, 8);
        v->engine_number = dup_or_null(r, i, 9);
        v->plates = dup_or_null(r, i, 10);
        v->use = dup_or_null(r, i, 11);
        v->service = dup_or_null(r, i, 12);
        v->coverage = dup_or_null(r, i, 13);
        v->insured_amount = PQgetisnull(r, i, 14) ? -1 : strtod(PQgetvalue(r, i, 14), NULL);
        const char *basis = PQgetvalue(r, i, 15);
        v->sum_basis = strcmp(basis, "comercial") == 0   ? VEHICLE_SUM_COMERCIAL
                       : strcmp(basis, "factura") == 0   ? VEHICLE_SUM_FACTURA
                       : strcmp(basis, "convenido") == 0 ? VEHICLE_SUM_CONVENIDO
                                                         : VEHICLE_SUM_UNKNOWN;
        json_t *issues = parse_issues(PQgetvalue(r, i, 16));
        size_t k;
        json_t *is;
        json_array_foreach(issues, k, is) {
            vehicle_row_add_issue(v, json_string_value(json_object_get(is, "field")),
                                  json_string_value(json_object_get(is, "severity")), "%s",
                                  json_string_value(json_object_get(is, "message")) ?: "");
        }
        json_decref(issues);
        row->match.cvegs = dup_or_null(r, i, 17);
        row->match.description = dup_or_null(r, i, 18);
        row->match.brand = dup_or_null(r, i, 19);
        row->match.model = dup_or_null(r, i, 20);
        row->match.body = dup_or_null(r, i, 21);
        row->match.year = atoi(PQgetvalue(r, i, 22));
        row->match.confidence = PQgetisnull(r, i, 23) ? -1 : strtod(PQgetvalue(r, i, 23), NULL);
        row->match.decision = map_decision(PQgetvalue(r, i, 24), &row->match.reviewed);
        row->match.reviewer = dup_or_null(r, i, 25);
        row->source_file = dup_or_null(r, i, 26);
        row->match.note = dup_or_null(r, i, 27);
        row->premium = -1;   /* no rating source yet: Gcotiza computes the premium */
    }
    PQclear(r);
    return 0;
}

/* Records one exported file inside the caller's transaction (the case row is already locked,
 * so version is the next free one). */
static int store_export_file(PGconn *c, long long insurer_id, long long case_id, int version, const char *format,
                             const export_result *res, const char *path, bool forced, minca_err *err)
{
    char ins[32], cid[32], ver[16];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    snprintf(ver, sizeof ver, "%d", version);
    char sha[65];
    if (store_blob_put(c, res->data, res->len, sha, err) < 0)
        return -1;
    const char *p[] = {ins, cid, res->template_name, res->template_version, sha, path, forced ? "t" : "f",
                       config_get()->user, ver, format};
    return store_exec(c, err,
                      "INSERT INTO exports (insurer_id, case_id, version, template_name, template_version, sha256,"
                      " path, forced, exported_by, format)"
                      " VALUES ($1::bigint, $2::bigint, $9::int, $3, $4, $5, $6, $7::boolean, $8, $10)",
                      10, p);
}

/* A forced export never turns a case in error, or one without vehicles, into an exported one:
 * the files are stored, the case keeps its status. */
static int mark_exported(PGconn *c, long long insurer_id, long long case_id, int version, bool keep_status,
                         const export_case_outcome *out, bool forced, minca_err *err)
{
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {cid};
    if (!keep_status &&
        store_exec(c, err, "UPDATE cases SET status = 'exported', status_reason = NULL, updated_at = now() WHERE id = $1::bigint",
                   1, p) < 0)
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
 * suffix. Returns the malloc'd path of the empty file reserved. */
static char *reserve_default_path(const char *dir, const char *insurer, const char *cot, int version, const char *ext_name,
                                  minca_err *err)
{
    char *folder = core_path_join(dir, insurer && *insurer ? insurer : "default");
    if (core_mkdir_p(folder, 0755, err) < 0) {
        free(folder);
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
            minca_err_set(err, "cannot create %s: %s", candidate, strerror(errno));
            free(candidate);
            break;
        } else {
            free(candidate);
            if (n == 100)
                minca_err_set(err, "no free file name for %s in %s", name, folder);
        }
    }
    free(name);
    free(folder);
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
            return strdup(out_path);
        const char *slash = strrchr(out_path, '/'), *dot = strrchr(out_path, '.');
        size_t stem = (dot && (!slash || dot > slash + 1)) ? (size_t)(dot - out_path) : strlen(out_path);
        return core_strdup_printf("%.*s.%s", (int)stem, out_path, ext);
    }
    return reserve_default_path(dir ? dir : config_get()->export_dir, insurer, cot, version, ext, err);
}

int export_case_run(PGconn *c, long long insurer_id, const char *cot, const char *dir, const char *out_path,
                    const char *template_name, int formats, bool force, export_case_outcome *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (access_require(c, insurer_id, ACCESS_EXPORT, err) < 0)
        return -1;
    char insurer_template[128] = "";
    memset(out, 0, sizeof *out);
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
    char ins[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    const char *pc[] = {ins, cot};
    /* One transaction with the case row locked: concurrent exports of a case take turns, so
     * each gets its own version and its own file. */
    if (store_begin(c, err) < 0)
        goto done;
    PGresult *r = store_query(c, err, "SELECT id, status, coalesce(status_reason, ''),"
                                      "       (SELECT string_agg(s.key, ', ' ORDER BY s.key) FROM jsonb_each(suggested) s"
                                      "         WHERE s.value->'confirmed_by' IS NULL)"
                                      "  FROM cases WHERE insurer_id = $1::bigint AND cot = $2 FOR UPDATE", 2, pc);
    if (!r)
        goto done;
    if (PQntuples(r) == 0) {
        PQclear(r);
        minca_err_set(err, "no case %s", cot);
        goto done;
    }
    bool in_error = strcmp(PQgetvalue(r, 0, 1), "error") == 0;
    char reason[256];
    snprintf(reason, sizeof reason, "%s", PQgetvalue(r, 0, 2));
    char unconfirmed[256];
    snprintf(unconfirmed, sizeof unconfirmed, "%s", PQgetvalue(r, 0, 3));
    PQclear(r);
    if (unconfirmed[0] && !force) {
        minca_err_set(err, "case %s has fields suggested by the language model that nobody confirmed (%s); "
                           "check them and run 'minca case confirm %s', or export with --force", cot, unconfirmed, cot);
        goto done;
    }
    if (in_error && !force) {
        minca_err_set(err, "case %s is in error%s%s; fix it and read it again, or export with --force (the case "
                           "stays in error)", cot, reason[0] ? ": " : "", reason);
        goto done;
    }
    /* A statement of its own, after the lock: it sees the versions committed meanwhile. */
    r = store_query(c, err,
                    "SELECT coalesce(max(e.version), 0) + 1 FROM exports e JOIN cases k ON k.id = e.case_id"
                    " WHERE k.insurer_id = $1::bigint AND k.cot = $2",
                    2, pc);
    if (!r)
        goto done;
    int version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (load_case(c, insurer_id, cot, &ec, &case_id, err) < 0)
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
    /* No template asked for: the insurer's own (`minca insurer set SLUG export_template NAME`). */
    if (!template_name) {
        json_t *settings = store_insurer_settings(c, insurer_id, NULL);
        const char *t = json_string_value(json_object_get(settings, "export_template"));
        if (t && *t)
            snprintf(insurer_template, sizeof insurer_template, "%s", t);
        json_decref(settings);
        if (insurer_template[0])
            template_name = insurer_template;
    }
    if (path) {
        export_options opt = {.template_name = template_name, .out_path = path, .force = force};
        if (export_case_write(&ec, &opt, &res, err) < 0) {
            out->n_rows = res.n_rows;
            out->n_undecided = res.n_undecided;
            goto done;
        }
        written = true;
    }
    if (pdf_path) {
        export_options opt = {.out_path = pdf_path, .force = force};
        if (export_case_write_pdf(&ec, &opt, &pdf, err) < 0) {
            out->n_rows = pdf.n_rows;
            out->n_undecided = pdf.n_undecided;
            goto done;
        }
        pdf_written = true;
    }
    const export_result *any = path ? &res : &pdf;
    if (path) {
        snprintf(out->path, sizeof out->path, "%s", path);
        snprintf(out->sha256, sizeof out->sha256, "%s", res.sha256);
        snprintf(out->template_name, sizeof out->template_name, "%s", res.template_name ? res.template_name : "");
        snprintf(out->template_version, sizeof out->template_version, "%s",
                 res.template_version ? res.template_version : "");
    }
    if (pdf_path) {
        snprintf(out->pdf_path, sizeof out->pdf_path, "%s", pdf_path);
        snprintf(out->pdf_sha256, sizeof out->pdf_sha256, "%s", pdf.sha256);
        if (!path) {
            snprintf(out->template_name, sizeof out->template_name, "%s", pdf.template_name);
            snprintf(out->template_version, sizeof out->template_version, "%s", pdf.template_version);
        }
    }
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
    /* Quotes carry client data: readable by the service user and its group only. */
    if (path && chmod(path, 0640) != 0)
        log_warn("export: cannot restrict %s to its owner and group: %s", path, strerror(errno));
    if (pdf_path && chmod(pdf_path, 0640) != 0)
        log_warn("export: cannot restrict %s to its owner and group: %s", pdf_path, strerror(errno));
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
    free(path);
    free(pdf_path);
    return rc;
}
