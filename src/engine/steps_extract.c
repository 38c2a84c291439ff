/* Pipeline step: a case's attachments (and tables in the message body) -> vehicle rows.
 * The broker's saved profile is used when the sender's domain is known; otherwise the
 * profiles' detect rules pick one (a profile of another broker is only a hint: the case is
 * flagged too), and failing that the columns are mapped automatically and the case is flagged
 * so staff can save a profile for the broker. */
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/intake.h"
#include "minca/profile.h"
#include "minca/engine_steps.h"
#include "minca/store_broker.h"
#include "minca/store_case_flow.h"
#include "minca/store_message.h"
#include "minca/store_savepoint.h"
#include "minca/store_vehicle.h"
#include "minca/store_revision.h"
#include "minca/engine.h"
#include "minca/store.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct profile_set {
    GPtrArray *items;       /* of profile, owned (profile_free) */
    GArray *db_ids;         /* long long per item: broker_profiles.id, 0 for shipped files */
} profile_set;

static void profile_set_init(profile_set *s)
{
    s->items = g_ptr_array_new_with_free_func((GDestroyNotify)profile_free);
    s->db_ids = g_array_new(FALSE, FALSE, sizeof(long long));
}

static void profile_set_add(profile_set *s, profile *p, long long db_id)
{
    g_ptr_array_add(s->items, p);
    g_array_append_val(s->db_ids, db_id);
}

static int profile_set_size(const profile_set *s) { return s->items ? (int)s->items->len : 0; }

static profile *profile_set_at(const profile_set *s, int i) { return g_ptr_array_index(s->items, i); }

static void profile_set_free(profile_set *s)
{
    if (s->items)
        g_ptr_array_free(s->items, TRUE);
    if (s->db_ids)
        g_array_free(s->db_ids, TRUE);
}

/* Active profiles stored for the insurer first (they win over shipped files of the same
 * name), then the shipped profiles/ directory. A profile that fails to load is logged. */
static int load_profiles(PGconn *c, long long insurer_id, profile_set *s, minca_err *err)
{
    store_profile_texts stored;
    profile_set_init(s);
    if (store_broker_profiles_active(c, insurer_id, &stored, err) < 0)
        return -1;
    for (int i = 0; i < stored.n; i++) {
        const store_profile_text *st = &stored.items[i];
        char origin[300];
        snprintf(origin, sizeof origin, "db:%s v%d", st->name, st->version);
        profile *pr = NULL;
        minca_err perr = {0};
        if (profile_load_string(st->yaml, strlen(st->yaml), origin, &pr, &perr) == 0)
            profile_set_add(s, pr, st->id);
        else
            log_warn("stored profile %s does not load: %s", origin, perr.msg);
    }
    store_profile_texts_clear(&stored);
    char **names = NULL;
    int n = 0;
    minca_err derr = {0};
    if (profile_dir_list(profile_dir(), &names, &n, &derr) == 0) {
        for (int i = 0; i < n; i++) {
            bool shadowed = false;
            for (int k = 0; k < profile_set_size(s); k++)
                if (strcmp(profile_name(profile_set_at(s, k)), names[i]) == 0)
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

/* Vehicle rows go to the database in chunks (one statement per ROW_CHUNK rows) as the reader
 * streams them, so neither the process nor the job's transaction holds a whole fleet list;
 * the caps on rows per attachment and per case, and on the time spent reading, are checked
 * row by row. */
#define ROW_CHUNK 500

typedef struct row_sink {
    PGconn *c;
    store_vehicle_batch *batch;
    bool from_attachment;        /* false: a table of the message body */
    const char *sheet_override;
    int n_read;                  /* rows of this source so far */
    int case_rows_before;        /* rows of the case stored from earlier sources */
    int stored;                  /* rows inserted (a retry finds some already there) */
    double deadline;
    bool db_failed;              /* the error is the database's: the job fails, not the file */
} row_sink;

/* attachment_id 0: a table of the message body. */
static void sink_init(row_sink *s, PGconn *c, long long insurer_id, long long case_id, long long attachment_id,
                      const char *sheet_override, int case_rows_before, double deadline)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->batch = store_vehicle_batch_new(insurer_id, case_id, attachment_id);
    s->from_attachment = attachment_id > 0;
    s->sheet_override = sheet_override;
    s->case_rows_before = case_rows_before;
    s->deadline = deadline;
}

static int sink_flush(row_sink *s, minca_err *err)
{
    int inserted = 0;
    if (store_vehicle_batch_flush(s->c, s->batch, &inserted, err) < 0) {
        s->db_failed = true;
        return minca_err_prefix(err, "vehicle rows");
    }
    s->stored += inserted;
    return 0;
}

static void sink_clear(row_sink *s)
{
    store_vehicle_batch_free(s->batch);
    s->batch = NULL;
}

/* One row read: checked against the caps, queued, and the chunk inserted when full. */
static int sink_take(row_sink *s, const vehicle_row *v, minca_err *err)
{
    const minca_config *cfg = config_get();
    s->n_read++;
    if (s->from_attachment && s->n_read > cfg->max_rows_per_attachment)
        return minca_err_set(err, "more than %d vehicle rows in one attachment (max_rows_per_attachment): refused; "
                                  "split the list or raise the limit", cfg->max_rows_per_attachment);
    if (s->case_rows_before + s->n_read > cfg->max_rows_per_case)
        return minca_err_set(err, "the case would have more than %d vehicle rows (max_rows_per_case): refused",
                             cfg->max_rows_per_case);
    if (core_now_seconds() > s->deadline)
        return minca_err_set(err, "reading the vehicle list took more than %d s (max_extract_seconds): stopped at "
                                  "row %d", cfg->max_extract_seconds, v->source_row);
    /* The row as stored: the sheet named by the source, and its position when it has no
     * item number. A shallow copy: the strings stay the reader's. */
    vehicle_row stored = *v;
    if (s->sheet_override)
        stored.source_sheet = (char *)s->sheet_override;
    if (!stored.inciso)
        stored.inciso = s->n_read;
    if (store_vehicle_batch_add(s->batch, &stored, err) < 0)
        return -1;
    return store_vehicle_batch_pending(s->batch) >= ROW_CHUNK ? sink_flush(s, err) : 0;
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
    const char *name = *profile_description(p) ? profile_description(p) : profile_name(p);
    long long broker_id = 0;
    if (store_broker_ensure(c, insurer_id, name, &broker_id, err) < 0 ||
        store_broker_domain_add(c, insurer_id, domain, broker_id, err) < 0)
        return -1;
    return store_case_set_broker(c, case_id, broker_id, err);
}

static bool profiles_name_domain(const profile_set *s, const char *domain)
{
    for (int i = 0; domain && i < profile_set_size(s); i++) {
        const char *const *domains = NULL;
        int nd = profile_domains(profile_set_at(s, i), &domains);
        for (int j = 0; j < nd; j++)
            if (g_ascii_strcasecmp(domains[j], domain) == 0)
                return true;
    }
    return false;
}

static const profile *find_profile(const profile_set *s, const char *name)
{
    for (int i = 0; name && i < profile_set_size(s); i++)
        if (strcmp(profile_name(profile_set_at(s, i)), name) == 0)
            return profile_set_at(s, i);
    return NULL;
}

typedef struct extract_totals {
    int rows, files, failed;
    int unread_pictures;     /* photos and scans, probably the list, that OCR could not read */
    bool auto_mapped;
    bool refused;            /* a cap on rows or time was hit: the case is an error */
    double deadline;
    const char *profile_used;
    GString *problems;
} extract_totals;

static int record_attachment(PGconn *c, long long att_id, const char *status, const char *error,
                             const char *extraction, minca_err *err)
{
    return store_attachment_set_result(c, att_id, status, error, extraction, err);
}

/* A failure to read a photo or a scanned PDF (the OCR reader names scans in its messages);
 * a cap on rows or time is a refusal like any other attachment's. */
static bool picture_unread(docs_format fmt, const char *msg)
{
    if (strstr(msg, "(max_rows_per") || strstr(msg, "(max_extract_seconds)") || strstr(msg, "(max_rows)"))
        return false;
    return fmt == DOCS_FMT_IMAGE || (fmt == DOCS_FMT_PDF && strstr(msg, "scanned PDF"));
}

static void note_unread_picture(extract_totals *t, const char *filename, docs_format fmt, const char *why)
{
    size_t n = strlen(filename);
    if (strncmp(why, filename, n) == 0 && strncmp(why + n, ": ", 2) == 0)
        why += n + 2;   /* the reader's message starts with the file's name */
    g_string_append_printf(t->problems, "%s%s: %s, probably the vehicle list, could not be read: %s",
                           t->problems->len ? "; " : "", filename,
                           fmt == DOCS_FMT_IMAGE ? "a photo" : "a scanned PDF", why);
}

static int extract_attachments(engine_ctx *ctx, long long case_id, long long message_id, const char *domain,
                               const profile *broker_profile, const profile_set *profiles, extract_totals *t,
                               minca_err *err)
{
    store_attachment_list atts;
    if (store_attachments_of_message(ctx->pg, message_id, &atts, err) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < atts.n; i++) {
        long long att_id = atts.items[i].id;
        const char *filename = atts.items[i].filename;
        if (strcmp(atts.items[i].role, "inline_signature_image") == 0) {
            rc = record_attachment(ctx->pg, att_id, "skipped", NULL, "{\"reason\": \"inline image\"}", err);
            continue;
        }
        char *data = NULL;
        size_t len = 0;
        if (store_blob_get(ctx->pg, atts.items[i].sha256, &data, &len, err) < 0) {
            rc = -1;
            break;
        }
        docs_format fmt = docs_sniff(data, len);
        uint32_t img_w = 0, img_h = 0;
        if (fmt == DOCS_FMT_IMAGE && docs_image_size(data, len, &img_w, &img_h) &&
            (img_w < (uint32_t)config_get()->ocr_min_image_width ||
             img_h < (uint32_t)config_get()->ocr_min_image_height)) {
            char *why = g_strdup_printf("{\"reason\": \"a %u x %u pixel image: too small for a vehicle list (a logo?)\"}",
                                        img_w, img_h);
            rc = record_attachment(ctx->pg, att_id, "skipped", NULL, why, err);
            g_free(why);
            g_free(data);
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
        profile_options opts = {.sender_domain = domain, .candidates = (profile **)profiles->items->pdata,
                                .n_candidates = profile_set_size(profiles),
                                .limits = &lim, .on_row = sink_on_row, .user = &sink};
        profile_result res;
        memset(&res, 0, sizeof res);
        minca_err xerr = {0};
        t->files++;
        /* A refused attachment leaves none of its rows behind. */
        rc = store_savepoint(ctx->pg, "attachment_rows", err);
        int xrc = rc == 0 ? profile_extract(data, len, filename, broker_profile, &opts, &res, &xerr) : -1;
        if (rc == 0 && xrc == 0)
            xrc = sink_flush(&sink, &xerr);
        if (rc < 0) {
            /* the savepoint itself failed: the job fails */
        } else if (xrc < 0 && sink.db_failed) {
            rc = -1;
            snprintf(err->msg, sizeof err->msg, "%s", xerr.msg);
        } else if (xrc < 0 && picture_unread(fmt, xerr.msg)) {
            /* A photo or a scan is most likely the vehicle list itself: named as such, and the
             * case waits for a person. */
            t->unread_pictures++;
            note_unread_picture(t, filename, fmt, xerr.msg);
            rc = store_savepoint_rollback(ctx->pg, "attachment_rows", err);
            if (rc == 0)
                rc = record_attachment(ctx->pg, att_id, "error", xerr.msg, NULL, err);
        } else if (xrc < 0) {
            t->failed++;
            if (strstr(xerr.msg, "(max_rows_per") || strstr(xerr.msg, "(max_extract_seconds)") ||
                strstr(xerr.msg, "(max_rows)"))
                t->refused = true;
            g_string_append_printf(t->problems, "%s%s: %s", t->problems->len ? "; " : "", filename, xerr.msg);
            rc = store_savepoint_rollback(ctx->pg, "attachment_rows", err);
            if (rc == 0)
                rc = record_attachment(ctx->pg, att_id, "error", xerr.msg, NULL, err);
        } else {
            char *report = profile_result_json(&res, false);
            rc = store_savepoint_release(ctx->pg, "attachment_rows", err);
            if (rc == 0)
                rc = record_attachment(ctx->pg, att_id, "extracted", NULL, report, err);
            t->rows += res.n_rows;
            if (res.n_rows == 0 && fmt == DOCS_FMT_IMAGE) {
                t->unread_pictures++;
                note_unread_picture(t, filename, fmt, "no vehicle rows were found in the text read from it");
            }
            if (res.needs_profile)
                t->auto_mapped = true;
            if (!res.auto_mapped && res.profile_name)
                t->profile_used = profile_name(find_profile(profiles, res.profile_name) ?: broker_profile);
            if (rc == 0 && !broker_profile && res.profile_name)
                rc = bind_broker(ctx->pg, ctx->job->insurer_id, case_id, domain, find_profile(profiles, res.profile_name), err);
            g_free(report);
        }
        sink_clear(&sink);
        profile_result_clear(&res);
        g_free(data);
    }
    store_attachment_list_clear(&atts);
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
        profile_options opts = {.sender_domain = domain, .candidates = (profile **)profiles->items->pdata,
                                .n_candidates = profile_set_size(profiles)};
        profile_result res;
        memset(&res, 0, sizeof res);
        if (profile_extract_book(book, broker_profile, &opts, &res, &xerr) == 0 && res.n_rows > 0) {
            row_sink sink;
            sink_init(&sink, ctx->pg, ctx->job->insurer_id, case_id, 0, sheet, t->rows, t->deadline);
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

/* Profiles, the broker's own, and the domain to read a message of the case with. */
typedef struct extract_setup {
    profile_set profiles;
    profile *broker_profile;
    const char *domain;
} extract_setup;

static int setup_load(engine_ctx *ctx, long long case_id, const store_case_source *k, extract_setup *x, minca_err *err)
{
    memset(x, 0, sizeof *x);
    x->domain = k->sender_domain;
    int rc = load_profiles(ctx->pg, ctx->job->insurer_id, &x->profiles, err);
    if (rc == 0 && k->profile_yaml) {
        minca_err perr = {0};
        if (profile_load_string(k->profile_yaml, strlen(k->profile_yaml), k->profile_origin ? k->profile_origin : "",
                                &x->broker_profile, &perr) < 0)
            log_warn("case %lld: the broker's profile does not load (%s); mapping automatically", case_id, perr.msg);
    }
    /* A colleague's forward: the broker is the forwarded email's author. */
    if (rc == 0 && k->forwarded_domain && !profiles_name_domain(&x->profiles, x->domain) &&
        profiles_name_domain(&x->profiles, k->forwarded_domain))
        x->domain = k->forwarded_domain;
    return rc;
}

static void setup_clear(extract_setup *x)
{
    profile_free(x->broker_profile);
    profile_set_free(&x->profiles);
}

/* The message's attachments, else the tables of its body, into the case's rows. */
static int extract_message(engine_ctx *ctx, long long case_id, const store_case_source *k, const extract_setup *x,
                           extract_totals *t, minca_err *err)
{
    int rc = extract_attachments(ctx, case_id, k->message_id, x->domain, x->broker_profile, &x->profiles, t, err);
    if (rc == 0 && t->rows == 0 && k->body_html)
        rc = extract_body_tables(ctx, case_id, k->body_html, x->domain, x->broker_profile, &x->profiles, t, err);
    return rc;
}

/* Where reading ended: the case's status, and codify queued (keyed by this job: a re-run
 * codifies again, a retry does not). */
static int extract_settle(engine_ctx *ctx, long long case_id, const extract_totals *t, bool had_profile,
                          minca_err *err)
{
    bool error = (t->rows == 0 && t->failed > 0 && t->unread_pictures == 0) || t->refused;
    /* nothing read but a picture of the list: a person reads it (not an error, not empty) */
    bool waits = !error && t->rows == 0 && t->unread_pictures > 0;
    const char *reason = t->problems->len ? t->problems->str : NULL;
    int rc = store_case_extracted(ctx->pg, case_id, error ? "error" : waits ? "review" : "codifying", reason,
                                  t->auto_mapped && !had_profile, err);
    if (rc == 0 && !error && !waits) {
        char key[64];
        snprintf(key, sizeof key, "case:%lld:after:%lld", case_id, ctx->job->id);
        rc = engine_followup(ctx, &steps_codify, &(steps_case_job){.case_id = case_id}, key, err);
    }
    return rc;
}

int steps_extract_run(engine_ctx *ctx, const void *payload, minca_err *err)
{
    long long case_id = ((const steps_case_job *)payload)->case_id;
    store_case_source k;
    int found = store_case_source_get(ctx->pg, case_id, &k, err);
    if (found < 0)
        return ENGINE_FAILED;
    if (!found) {
        minca_err_set(err, "case %lld not found", case_id);
        return ENGINE_FAILED_PERMANENT;
    }
    /* The case row lock orders this extraction with a concurrent re-run of the case. */
    if (store_case_lock(ctx->pg, case_id, err) < 0) {
        store_case_source_clear(&k);
        return -1;
    }
    extract_setup x;
    extract_totals t = {.problems = g_string_new(NULL),
                        .deadline = core_now_seconds() + config_get()->max_extract_seconds};
    int rc = setup_load(ctx, case_id, &k, &x, err);
    if (rc == 0)
        rc = extract_message(ctx, case_id, &k, &x, &t, err);
    if (rc == 0)
        rc = extract_settle(ctx, case_id, &t, x.broker_profile != NULL, err);
    ctx->event = json_pack("{s:I, s:i, s:i, s:i}", "case_id", (json_int_t)case_id, "rows", t.rows, "files", t.files,
                           "failed_files", t.failed);
    g_string_free(t.problems, TRUE);
    setup_clear(&x);
    store_case_source_clear(&k);
    return rc;
}

/* The new list's units that read as the old ones take their matches (decisions, reviewer,
 * notes); the old units leave the case, kept with the revision; the rest is codified. */
static int revise_apply(engine_ctx *ctx, long long case_id, long long message_id, long long last_old_id, int *revision,
                        json_t **diff, minca_err *err)
{
    store_units old = {0}, cur = {0};
    int rc = store_units_of_case(ctx->pg, case_id, 0, last_old_id, &old, err);
    if (rc == 0)
        rc = store_units_of_case(ctx->pg, case_id, last_old_id, G_MAXINT64, &cur, err);
    long long *keep_from = g_new0(long long, cur.n > 0 ? cur.n : 1);
    if (rc == 0)
        *diff = engine_revision_diff(&old, &cur, keep_from);
    for (int i = 0; rc == 0 && i < cur.n; i++)
        if (keep_from[i])
            rc = store_unit_keep_match(ctx->pg, keep_from[i], cur.items[i].id, err);
    char *diff_s = rc == 0 ? json_dumps(*diff, JSON_COMPACT) : NULL;
    if (rc == 0)
        rc = store_revision_record(ctx->pg, case_id, message_id, last_old_id, diff_s, revision, err);
    g_free(diff_s);
    g_free(keep_from);
    store_units_clear(&old);
    store_units_clear(&cur);
    return rc;
}

int steps_revise_run(engine_ctx *ctx, const void *payload, minca_err *err)
{
    const steps_revise_job *p = payload;
    store_case_source k;
    int found = store_case_source_of(ctx->pg, p->case_id, p->message_id, &k, err);
    if (found < 0)
        return ENGINE_FAILED;
    if (!found) {
        minca_err_set(err, "message %lld is not one of case %lld", p->message_id, p->case_id);
        return ENGINE_FAILED_PERMANENT;
    }
    if (store_case_lock(ctx->pg, p->case_id, err) < 0) {
        store_case_source_clear(&k);
        return -1;
    }
    long long last_old_id = 0;
    extract_setup x;
    extract_totals t = {.problems = g_string_new(NULL),
                        .deadline = core_now_seconds() + config_get()->max_extract_seconds};
    int revision = 0;
    json_t *diff = NULL;
    int rc = store_units_last_id(ctx->pg, p->case_id, &last_old_id, err);
    if (rc == 0)
        rc = setup_load(ctx, p->case_id, &k, &x, err);
    if (rc == 0)
        rc = extract_message(ctx, p->case_id, &k, &x, &t, err);
    /* A reply whose list could not be read leaves the case's list as it was; its attachments
     * say why. */
    if (rc == 0 && t.rows > 0 && !t.refused) {
        rc = revise_apply(ctx, p->case_id, p->message_id, last_old_id, &revision, &diff, err);
        if (rc == 0) {
            char case_id[32];
            snprintf(case_id, sizeof case_id, "%lld", p->case_id);
            json_t *details = json_pack("{s:i, s:I, s:O}", "revision", revision, "message_id",
                                        (json_int_t)p->message_id, "diff", diff);
            rc = store_audit(ctx->pg, ctx->job->insurer_id, config_get()->user, "case_revised", "case", case_id,
                             details, err);
            json_decref(details);
        }
        if (rc == 0)
            rc = extract_settle(ctx, p->case_id, &t, x.broker_profile != NULL, err);
    } else if (rc == 0 && t.rows > 0) {
        rc = store_units_drop_after(ctx->pg, p->case_id, last_old_id, err);
    }
    ctx->event = json_pack("{s:I, s:i, s:i, s:i, s:O?}", "case_id", (json_int_t)p->case_id, "revision", revision,
                           "rows", t.rows, "files", t.files, "diff", diff);
    json_decref(diff);
    g_string_free(t.problems, TRUE);
    setup_clear(&x);
    store_case_source_clear(&k);
    return rc;
}
