/* Pipeline step: a case's attachments (and tables in the message body) -> vehicle rows.
 * The broker's saved profile is used when the sender's domain is known; otherwise the
 * profiles' detect rules pick one (a profile of another broker is only a hint: the case is
 * flagged too), and failing that the columns are mapped automatically and the case is flagged
 * so staff can save a profile for the broker. */
#include "minca/config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/profile.h"
#include "minca/steps.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct profile_set {
    profile **items;
    long long *db_ids;      /* broker_profiles.id, 0 for shipped files */
    int n;
} profile_set;

static void profile_set_add(profile_set *s, profile *p, long long db_id)
{
    s->items = realloc(s->items, sizeof *s->items * (size_t)(s->n + 1));
    s->db_ids = realloc(s->db_ids, sizeof *s->db_ids * (size_t)(s->n + 1));
    s->items[s->n] = p;
    s->db_ids[s->n++] = db_id;
}

static void profile_set_free(profile_set *s)
{
    for (int i = 0; i < s->n; i++)
        profile_free(s->items[i]);
    free(s->items);
    free(s->db_ids);
}

/* Active profiles stored for the insurer first (they win over shipped files of the same
 * name), then the shipped profiles/ directory. A profile that fails to load is logged. */
static int load_profiles(PGconn *c, long long insurer_id, profile_set *s, minca_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    PGresult *r = store_query(c, err,
                              "SELECT id, name, version, yaml FROM broker_profiles"
                              " WHERE insurer_id = $1::bigint AND active ORDER BY name",
                              1, p);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        char origin[300];
        snprintf(origin, sizeof origin, "db:%s v%s", PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
        profile *pr = NULL;
        minca_err perr = {0};
        const char *yaml = PQgetvalue(r, i, 3);
        if (profile_load_string(yaml, strlen(yaml), origin, &pr, &perr) == 0)
            profile_set_add(s, pr, strtoll(PQgetvalue(r, i, 0), NULL, 10));
        else
            log_warn("stored profile %s does not load: %s", origin, perr.msg);
    }
    PQclear(r);
    char **names = NULL;
    int n = 0;
    minca_err derr = {0};
    if (profile_dir_list(profile_dir(), &names, &n, &derr) == 0) {
        for (int i = 0; i < n; i++) {
            bool shadowed = false;
            for (int k = 0; k < s->n; k++)
                if (strcmp(profile_name(s->items[k]), names[i]) == 0)
                    shadowed = true;
            profile *pr = NULL;
            minca_err perr = {0};
            if (shadowed)
                continue;
            if (profile_dir_load(profile_dir(), names[i], &pr, &perr) == 0)
                profile_set_add(s, pr, 0);
            else
                log_warn("profile %s does not load: %s", names[i], perr.msg);
        }
        profile_names_free(names);
    }
    return 0;
}

/* The row's issues as JSON, plus amount_issue when the amount cannot be stored. */
static char *issues_json(const vehicle_row *v, const char *amount_issue)
{
    json_t *arr = json_array();
    for (int i = 0; i < v->n_issues; i++)
        json_array_append_new(arr, json_pack("{s:s?, s:s, s:s}", "field", v->issues[i].field, "severity",
                                             v->issues[i].severity, "message", v->issues[i].message));
    if (amount_issue)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "field", "insured_amount", "severity", "warn",
                                             "message", amount_issue));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

/* Vehicle rows go to the database in chunks (one statement per ROW_CHUNK rows) as the reader
 * streams them, so neither the process nor the job's transaction holds a whole fleet list;
 * the caps on rows per attachment and per case, and on the time spent reading, are checked
 * row by row. */
#define ROW_CHUNK 500

typedef struct row_sink {
    PGconn *c;
    char ins[32], cid[32];
    const char *attachment_id;   /* NULL: a table of the message body */
    const char *sheet_override;
    json_t *pending;             /* rows read, not yet inserted */
    int n_read;                  /* rows of this source so far */
    int case_rows_before;        /* rows of the case stored from earlier sources */
    int stored;                  /* rows inserted (a retry finds some already there) */
    double deadline;
    bool db_failed;              /* the error is the database's: the job fails, not the file */
} row_sink;

static void sink_init(row_sink *s, PGconn *c, long long insurer_id, long long case_id, const char *attachment_id,
                      const char *sheet_override, int case_rows_before, double deadline)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    snprintf(s->ins, sizeof s->ins, "%lld", insurer_id);
    snprintf(s->cid, sizeof s->cid, "%lld", case_id);
    s->attachment_id = attachment_id;
    s->sheet_override = sheet_override;
    s->pending = json_array();
    s->case_rows_before = case_rows_before;
    s->deadline = deadline;
}

static int sink_flush(row_sink *s, minca_err *err)
{
    if (json_array_size(s->pending) == 0)
        return 0;
    char *rows = json_dumps(s->pending, JSON_COMPACT);
    json_array_clear(s->pending);
    const char *p[] = {s->ins, s->cid, s->attachment_id, rows};
    PGresult *r = store_query(
        s->c, err,
        "INSERT INTO vehicle_rows (insurer_id, case_id, attachment_id, source_sheet, source_row, inciso,"
        " raw_cells, marca, submarca, year, description, vin, engine_number, plates, use, service, coverage,"
        " insured_amount, sum_basis, issues)"
        " SELECT $1::bigint, $2::bigint, $3::bigint, e.j->>'sheet', (e.j->>'row')::int, (e.j->>'inciso')::int,"
        "        (e.j->>'raw')::jsonb, e.j->>'marca', e.j->>'submarca', (e.j->>'year')::int, e.j->>'description',"
        "        e.j->>'vin', e.j->>'engine', e.j->>'plates', e.j->>'use', e.j->>'service', e.j->>'coverage',"
        "        (e.j->>'amount')::numeric, e.j->>'basis', (e.j->>'issues')::jsonb"
        "   FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(j, ord) ORDER BY e.ord"
        " ON CONFLICT DO NOTHING",
        4, p);
    free(rows);
    if (!r) {
        s->db_failed = true;
        return minca_err_prefix(err, "vehicle rows");
    }
    s->stored += atoi(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

static void sink_clear(row_sink *s)
{
    json_decref(s->pending);
    s->pending = NULL;
}

/* One row read: checked against the caps, queued, and the chunk inserted when full. */
static int sink_take(row_sink *s, const vehicle_row *v, minca_err *err)
{
    const minca_config *cfg = config_get();
    s->n_read++;
    if (s->attachment_id && s->n_read > cfg->max_rows_per_attachment)
        return minca_err_set(err, "more than %d vehicle rows in one attachment (max_rows_per_attachment): refused; "
                                  "split the list or raise the limit", cfg->max_rows_per_attachment);
    if (s->case_rows_before + s->n_read > cfg->max_rows_per_case)
        return minca_err_set(err, "the case would have more than %d vehicle rows (max_rows_per_case): refused",
                             cfg->max_rows_per_case);
    if (core_now_seconds() > s->deadline)
        return minca_err_set(err, "reading the vehicle list took more than %d s (max_extract_seconds): stopped at "
                                  "row %d", cfg->max_extract_seconds, v->source_row);
    char srow[16], inciso[16], year[16], amount[64];
    snprintf(srow, sizeof srow, "%d", v->source_row);
    snprintf(inciso, sizeof inciso, "%d", v->inciso ? v->inciso : s->n_read);
    snprintf(year, sizeof year, "%d", v->year);
    snprintf(amount, sizeof amount, "%.2f", v->insured_amount);
    /* numeric(14,2) holds up to 10^12: a larger (or not finite) sum is kept out of the
     * column, with an issue on the row, instead of failing the whole extraction. */
    bool amount_ok = v->insured_amount >= 0 && isfinite(v->insured_amount) && v->insured_amount < 1e12;
    char amount_issue[160] = "";
    if (v->insured_amount >= 0 && !amount_ok)
        snprintf(amount_issue, sizeof amount_issue, "suma asegurada fuera de rango (%.6g): no se guarda", v->insured_amount);
    char *issues = issues_json(v, amount_issue[0] ? amount_issue : NULL);
    json_t *row = json_pack("{s:s?, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
                            " s:s?, s:s?, s:s}",
                            "sheet", s->sheet_override ? s->sheet_override : v->source_sheet, "row", srow, "inciso",
                            inciso, "raw", v->raw_json ? v->raw_json : "{}", "marca", v->marca, "submarca",
                            v->submarca, "year", v->year ? year : NULL, "description", v->description, "vin", v->vin,
                            "engine", v->engine_number, "plates", v->plates, "use", v->use, "service", v->service,
                            "coverage", v->coverage, "amount", amount_ok ? amount : NULL, "basis",
                            vehicle_sum_basis_name(v->sum_basis), "issues", issues);
    free(issues);
    if (!row)
        return minca_err_set(err, "row %d: text that is not valid UTF-8", v->source_row);
    json_array_append_new(s->pending, row);
    return json_array_size(s->pending) >= ROW_CHUNK ? sink_flush(s, err) : 0;
}

static int sink_on_row(vehicle_row *row, void *user, minca_err *err)
{
    return sink_take(user, row, err);
}

/* Links the message and case to the broker owning the profile's sender domain, creating the
 * broker from the profile when the insurer does not know it yet. */
static int bind_broker(PGconn *c, long long insurer_id, long long case_id, const char *domain,
                       const profile *p, minca_err *err)
{
    if (!domain || !p)
        return 0;
    const char *const *domains = NULL;
    int nd = profile_domains(p, &domains);
    bool listed = false;
    for (int i = 0; i < nd; i++)
        if (g_ascii_strcasecmp(domains[i], domain) == 0)
            listed = true;
    if (!listed)
        return 0;
    char ins[32], cid[32];
    snprintf(ins, sizeof ins, "%lld", insurer_id);
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *name = *profile_description(p) ? profile_description(p) : profile_name(p);
    const char *pb[] = {ins, name};
    PGresult *r = store_query(c, err,
                              "INSERT INTO brokers (insurer_id, name) VALUES ($1::bigint, $2)"
                              " ON CONFLICT (insurer_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                              2, pb);
    if (!r)
        return -1;
    char bid[32];
    snprintf(bid, sizeof bid, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *pd[] = {ins, domain, bid, cid};
    if (store_exec(c, err,
                   "INSERT INTO broker_domains (insurer_id, domain, broker_id) VALUES ($1::bigint, lower($2), $3::bigint)"
                   " ON CONFLICT DO NOTHING",
                   3, pd) < 0)
        return -1;
    if (store_exec(c, err, "UPDATE cases SET broker_id = $1::bigint WHERE id = $2::bigint AND broker_id IS NULL", 2, pd + 2) < 0)
        return -1;
    return store_exec(c, err,
                      "UPDATE messages SET broker_id = $1::bigint WHERE id = (SELECT message_id FROM cases WHERE id = $2::bigint)"
                      " AND broker_id IS NULL",
                      2, pd + 2);
}

static const profile *find_profile(const profile_set *s, const char *name)
{
    for (int i = 0; name && i < s->n; i++)
        if (strcmp(profile_name(s->items[i]), name) == 0)
            return s->items[i];
    return NULL;
}

typedef struct extract_totals {
    int rows, files, failed;
    bool auto_mapped;
    bool refused;            /* a cap on rows or time was hit: the case is an error */
    double deadline;
    const char *profile_used;
    GString *problems;
} extract_totals;

static int record_attachment(PGconn *c, const char *att_id, const char *status, const char *error,
                             const char *extraction, minca_err *err)
{
    const char *p[] = {att_id, status, error, extraction};
    return store_exec(c, err, "UPDATE attachments SET status = $2, error = $3, extraction = $4::jsonb WHERE id = $1::bigint",
                      4, p);
}

static int extract_attachments(engine_ctx *ctx, long long case_id, const char *message_id, const char *domain,
                               const profile *broker_profile, const profile_set *profiles, extract_totals *t,
                               minca_err *err)
{
    const char *p[] = {message_id};
    PGresult *atts = store_query(ctx->pg, err,
                                 "SELECT id, filename, sha256, role FROM attachments WHERE message_id = $1::bigint"
                                 " ORDER BY ordinal",
                                 1, p);
    if (!atts)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(atts); i++) {
        const char *att_id = PQgetvalue(atts, i, 0), *filename = PQgetvalue(atts, i, 1);
        if (strcmp(PQgetvalue(atts, i, 3), "inline_signature_image") == 0) {
            rc = record_attachment(ctx->pg, att_id, "skipped", NULL, "{\"reason\": \"inline image\"}", err);
            continue;
        }
        char *data = NULL;
        size_t len = 0;
        if (store_blob_get(ctx->pg, PQgetvalue(atts, i, 2), &data, &len, err) < 0) {
            rc = -1;
            break;
        }
        docs_format fmt = docs_sniff(data, len);
        if (fmt == DOCS_FMT_IMAGE) {
            rc = record_attachment(ctx->pg, att_id, "skipped", NULL, "{\"reason\": \"image, not a vehicle list\"}", err);
            free(data);
            continue;
        }
        /* The reader stops at the row cap (with slack for title and blank rows) however long
         * the sheet is; the rows it streams are stored in chunks. */
        docs_limits lim;
        docs_limits_default(&lim);
        long sheet_cap = (long)config_get()->max_rows_per_attachment * 2 + 1000;
        if (sheet_cap < lim.max_rows)
            lim.max_rows = sheet_cap;
        row_sink sink;
        sink_init(&sink, ctx->pg, ctx->job->insurer_id, case_id, att_id, NULL, t->rows, t->deadline);
        profile_options opts = {.sender_domain = domain, .candidates = profiles->items, .n_candidates = profiles->n,
                                .limits = &lim, .on_row = sink_on_row, .user = &sink};
        profile_result res;
        memset(&res, 0, sizeof res);
        minca_err xerr = {0};
        t->files++;
        /* A refused attachment leaves none of its rows behind. */
        rc = store_exec(ctx->pg, err, "SAVEPOINT attachment_rows", 0, NULL);
        int xrc = rc == 0 ? profile_extract(data, len, filename, broker_profile, &opts, &res, &xerr) : -1;
        if (rc == 0 && xrc == 0)
            xrc = sink_flush(&sink, &xerr);
        if (rc < 0) {
            /* the savepoint itself failed: the job fails */
        } else if (xrc < 0 && sink.db_failed) {
            rc = -1;
            snprintf(err->msg, sizeof err->msg, "%s", xerr.msg);
        } else if (xrc < 0) {
            t->failed++;
            if (strstr(xerr.msg, "(max_rows_per") || strstr(xerr.msg, "(max_extract_seconds)") ||
                strstr(xerr.msg, "(max_rows)"))
                t->refused = true;
            g_string_append_printf(t->problems, "%s%s: %s", t->problems->len ? "; " : "", filename, xerr.msg);
            rc = store_exec(ctx->pg, err, "ROLLBACK TO SAVEPOINT attachment_rows", 0, NULL);
            if (rc == 0)
                rc = record_attachment(ctx->pg, att_id, "error", xerr.msg, NULL, err);
        } else {
            char *report = profile_result_json(&res, false);
            rc = store_exec(ctx->pg, err, "RELEASE SAVEPOINT attachment_rows", 0, NULL);
            if (rc == 0)
                rc = record_attachment(ctx->pg, att_id, "extracted", NULL, report, err);
            t->rows += res.n_rows;
            if (res.needs_profile)
                t->auto_mapped = true;
            if (!res.auto_mapped && res.profile_name)
                t->profile_used = profile_name(find_profile(profiles, res.profile_name) ?: broker_profile);
            if (rc == 0 && !broker_profile && res.profile_name)
                rc = bind_broker(ctx->pg, ctx->job->insurer_id, case_id, domain, find_profile(profiles, res.profile_name), err);
            free(report);
        }
        sink_clear(&sink);
        profile_result_clear(&res);
        free(data);
    }
    PQclear(atts);
    return rc;
}

/* Vehicle lists typed as a table in the body (no spreadsheet attached). */
static int extract_body_tables(engine_ctx *ctx, long long case_id, const char *html, const char *domain,
                               const profile *broker_profile, const profile_set *profiles, extract_totals *t,
                               minca_err *err)
{
    intake_html_tables *tables = NULL;
    if (intake_html_tables_parse(html, strlen(html), &tables, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < tables->n_tables; i++) {
        intake_html_table *tb = &tables->tables[i];
        if (tb->n_rows < 2)
            continue;
        char sheet[32];
        snprintf(sheet, sizeof sheet, "tabla %d", tb->index + 1);
        docs_grid *g = docs_grid_new(sheet);
        for (size_t r = 0; r < tb->n_rows; r++)
            docs_grid_add_row(g, tb->rows[r].tr_index, (const char *const *)tb->rows[r].cells, (int)tb->rows[r].n_cells);
        docs_book *book = NULL;
        minca_err xerr = {0};
        if (docs_open_grid(g, NULL, &book, &xerr) < 0)
            continue;
        profile_options opts = {.sender_domain = domain, .candidates = profiles->items, .n_candidates = profiles->n};
        profile_result res;
        memset(&res, 0, sizeof res);
        if (profile_extract_book(book, broker_profile, &opts, &res, &xerr) == 0 && res.n_rows > 0) {
            row_sink sink;
            sink_init(&sink, ctx->pg, ctx->job->insurer_id, case_id, NULL, sheet, t->rows, t->deadline);
            for (int r = 0; rc == 0 && r < res.n_rows; r++)
                rc = sink_take(&sink, &res.rows[r], err);
            if (rc == 0)
                rc = sink_flush(&sink, err);
            sink_clear(&sink);
            t->rows += res.n_rows;
            t->files++;
            if (res.needs_profile)
                t->auto_mapped = true;
        }
        profile_result_clear(&res);
        docs_close(book);
    }
    intake_html_tables_free(tables);
    return rc;
}

static int step_extract(engine_ctx *ctx, minca_err *err)
{
    long long case_id = json_integer_value(json_object_get(ctx->job->payload, "case_id"));
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", case_id);
    const char *p[] = {cid};
    PGresult *k = store_query(ctx->pg, err,
                              "SELECT k.message_id, m.sender_domain, m.body_html, k.broker_id::text,"
                              "       (SELECT bp.yaml FROM broker_profiles bp WHERE bp.broker_id = k.broker_id AND bp.active"
                              "         ORDER BY bp.version DESC LIMIT 1),"
                              "       (SELECT bp.name || ' v' || bp.version FROM broker_profiles bp"
                              "         WHERE bp.broker_id = k.broker_id AND bp.active ORDER BY bp.version DESC LIMIT 1)"
                              "  FROM cases k JOIN messages m ON m.id = k.message_id WHERE k.id = $1::bigint",
                              1, p);
    if (!k)
        return -1;
    if (PQntuples(k) == 0) {
        PQclear(k);
        return minca_err_set(err, "case %lld not found", case_id);
    }
    /* The case row lock orders this extraction with a concurrent re-run of the case. */
    if (store_exec(ctx->pg, err, "SELECT 1 FROM cases WHERE id = $1::bigint FOR UPDATE", 1, p) < 0) {
        PQclear(k);
        return -1;
    }
    profile_set profiles = {0};
    profile *broker_profile = NULL;
    extract_totals t = {.problems = g_string_new(NULL),
                        .deadline = core_now_seconds() + config_get()->max_extract_seconds};
    const char *domain = PQgetisnull(k, 0, 1) ? NULL : PQgetvalue(k, 0, 1);
    int rc = load_profiles(ctx->pg, ctx->job->insurer_id, &profiles, err);
    if (rc == 0 && !PQgetisnull(k, 0, 4)) {
        minca_err perr = {0};
        const char *yaml = PQgetvalue(k, 0, 4);
        if (profile_load_string(yaml, strlen(yaml), PQgetvalue(k, 0, 5), &broker_profile, &perr) < 0)
            log_warn("case %lld: the broker's profile does not load (%s); mapping automatically", case_id, perr.msg);
    }
    if (rc == 0)
        rc = extract_attachments(ctx, case_id, PQgetvalue(k, 0, 0), domain, broker_profile, &profiles, &t, err);
    if (rc == 0 && t.rows == 0 && !PQgetisnull(k, 0, 2))
        rc = extract_body_tables(ctx, case_id, PQgetvalue(k, 0, 2), domain, broker_profile, &profiles, &t, err);
    if (rc == 0) {
        bool error = (t.rows == 0 && t.failed > 0) || t.refused;
        const char *reason = t.problems->len ? t.problems->str : NULL;
        const char *pu[] = {cid, error ? "error" : "codifying", reason, (t.auto_mapped && !broker_profile) ? "t" : "f"};
        rc = store_exec(ctx->pg, err,
                        "UPDATE cases SET status = $2, status_reason = $3, needs_profile = (needs_profile AND $4::boolean)"
                        " OR $4::boolean, updated_at = now() WHERE id = $1::bigint",
                        4, pu);
        if (rc == 0 && !error) {
            char key[64];
            /* Keyed by this job: a re-run (new extract job) codifies again, a retry does not. */
            snprintf(key, sizeof key, "case:%lld:after:%lld", case_id, ctx->job->id);
            json_t *next = json_pack("{s:I}", "case_id", (json_int_t)case_id);
            rc = engine_followup(ctx, STEP_CODIFY, next, key, err);
            json_decref(next);
        }
    }
    ctx->event = json_pack("{s:I, s:i, s:i, s:i}", "case_id", (json_int_t)case_id, "rows", t.rows, "files", t.files,
                           "failed_files", t.failed);
    g_string_free(t.problems, TRUE);
    profile_free(broker_profile);
    profile_set_free(&profiles);
    PQclear(k);
    return rc;
}

const engine_handler steps_extract_entry = {STEP_EXTRACT, step_extract};
