/* Vehicle rows and their matches: the one mapping between a vehicle_row and a vehicle_rows
 * row, the chunked insert of extracted rows, the codifier's reads and writes, and the rows
 * the export of a case reads. */
#include <glib.h>
#include "minca/store_vehicle.h"
#include "store_internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the mapping ------------------------------------------------------------------------
 * One row per stored field: column of vehicle_rows, its SQL type, how the field is written
 * and read (KIND: put_KIND / get_KIND below), and the vehicle_row field. The canonical
 * fields come from VEHICLE_FIELDS (core_vehicle.h): the column is the field's name, the KIND its
 * own (a field not held on the row has no column); around them, where the row came from and
 * what was said about it. The insert and the export's select are both made from these lists. */
#define VEHICLE_SOURCE_COLUMNS(X)                                                                \
    X(source_sheet, "text", TEXT, source_sheet)                                                  \
    X(source_row, "int", INT, source_row)                                                        \
    X(raw_cells, "jsonb", RAW, raw_json)                                                         \
    X(extra_cells, "jsonb", RAW, extra_json)
#define VEHICLE_NOTE_COLUMNS(X)                                                                  \
    X(ocr_confidence, "numeric", AMOUNT, ocr_confidence)                                         \
    X(issues, "jsonb", ISSUES, issues)

#define SQL_TYPE_TEXT "text"
#define SQL_TYPE_INT "int"
#define SQL_TYPE_YEAR "int"
#define SQL_TYPE_AMOUNT "numeric"
#define SQL_TYPE_BASIS "text"
/* A VEHICLE_FIELDS row as a column row for X. */
#define FIELD_COLUMN(X, ID, name, KIND) VEHICLE_IF_HELD(KIND, X(name, SQL_TYPE_##KIND, KIND, name))

/* Writing: the field as the JSON value of key in obj (one element of the insert's array);
 * -1 when a text is not valid UTF-8. Reading: the field from column col of result row i. */
typedef int (*column_put_fn)(json_t *obj, const char *key, const vehicle_row *v, size_t off);
typedef void (*column_get_fn)(vehicle_row *v, size_t off, const PGresult *r, int i, int col);

typedef struct vehicle_column {
    const char *name;
    column_put_fn put;
    column_get_fn get;
    size_t offset;
} vehicle_column;

#define FIELD(v, off, type) (*(type *)(void *)((char *)(v) + (off)))
#define CFIELD(v, off, type) (*(const type *)(const void *)((const char *)(v) + (off)))

static int set_text(json_t *obj, const char *key, const char *s)
{
    json_t *j = s ? json_string(s) : json_null();
    if (!j)
        return -1;
    json_object_set_new(obj, key, j);
    return 0;
}


/* TEXT: a string field, NULL when absent. */
static int put_TEXT(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    return set_text(obj, key, CFIELD(v, off, char *));
}

static void get_TEXT(vehicle_row *v, size_t off, const PGresult *r, int i, int col)
{
    FIELD(v, off, char *) = store_get_dup(r, i, col);
}

/* INT: an int field, always stored; NULL reads as 0. */
static int put_INT(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", CFIELD(v, off, int));
    return set_text(obj, key, buf);
}

static void get_INT(vehicle_row *v, size_t off, const PGresult *r, int i, int col)
{
    FIELD(v, off, int) = store_get_int(r, i, col);
}

/* YEAR: an int field where 0 means absent (stored as NULL). */
static int put_YEAR(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    return CFIELD(v, off, int) ? put_INT(obj, key, v, off) : set_text(obj, key, NULL);
}

#define get_YEAR get_INT

/* RAW: the source cells as JSON text ("{}" when absent). */
static int put_RAW(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    const char *s = CFIELD(v, off, char *);
    return set_text(obj, key, s ? s : "{}");
}

#define get_RAW get_TEXT

/* AMOUNT: numeric(14,2) holds up to 10^12: a larger (or not finite) sum is kept out of the
 * column, with an issue on the row (put_ISSUES), instead of failing the whole extraction.
 * Negative means absent. */
static bool amount_storable(double amount)
{
    return amount >= 0 && isfinite(amount) && amount < 1e12;
}

static int put_AMOUNT(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    double amount = CFIELD(v, off, double);
    char buf[64];
    snprintf(buf, sizeof buf, "%.2f", amount);
    return set_text(obj, key, amount_storable(amount) ? buf : NULL);
}

static void get_AMOUNT(vehicle_row *v, size_t off, const PGresult *r, int i, int col)
{
    FIELD(v, off, double) = PQgetisnull(r, i, col) ? -1 : store_get_double(r, i, col);
}

/* BASIS: the sum basis by name (NULL when unknown). */
static int put_BASIS(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    return set_text(obj, key, vehicle_sum_basis_name(CFIELD(v, off, vehicle_sum_basis)));
}

static void get_BASIS(vehicle_row *v, size_t off, const PGresult *r, int i, int col)
{
    const char *basis = PQgetvalue(r, i, col);
    FIELD(v, off, vehicle_sum_basis) = strcmp(basis, "comercial") == 0   ? VEHICLE_SUM_COMERCIAL
                                       : strcmp(basis, "factura") == 0   ? VEHICLE_SUM_FACTURA
                                       : strcmp(basis, "convenido") == 0 ? VEHICLE_SUM_CONVENIDO
                                                                         : VEHICLE_SUM_UNKNOWN;
}

/* ISSUES: the row's issues (and the amount's, when it cannot be stored) as a JSON array. */
static int put_ISSUES(json_t *obj, const char *key, const vehicle_row *v, size_t off)
{
    (void)off;
    json_t *arr = json_array();
    for (int i = 0; i < v->n_issues; i++)
        json_array_append_new(arr, json_pack("{s:s?, s:s, s:s}", "field", v->issues[i].field, "severity",
                                             v->issues[i].severity, "message", v->issues[i].message));
    if (v->insured_amount >= 0 && !amount_storable(v->insured_amount)) {
        char msg[160];
        snprintf(msg, sizeof msg, "suma asegurada fuera de rango (%.6g): no se guarda", v->insured_amount);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "field", "insured_amount", "severity", "warn",
                                             "message", msg));
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    int rc = set_text(obj, key, s);
    free(s);
    return rc;
}

static void get_ISSUES(vehicle_row *v, size_t off, const PGresult *r, int i, int col)
{
    (void)off;
    json_t *issues = json_loads(PQgetvalue(r, i, col), 0, NULL);
    size_t k;
    json_t *is;
    json_array_foreach(issues, k, is) {
        vehicle_row_add_issue(v, json_string_value(json_object_get(is, "field")),
                              json_string_value(json_object_get(is, "severity")), "%s",
                              json_string_value(json_object_get(is, "message")) ?: "");
    }
    json_decref(issues);
}

#define COLUMN_ENTRY(col, type, kind, field) {#col, put_##kind, get_##kind, offsetof(vehicle_row, field)},
#define INSERT_NAME(col, type, kind, field) ", " #col
#define INSERT_VALUE(col, type, kind, field) ", (e.j->>'" #col "')::" type
#define SELECT_VALUE(col, type, kind, field) "v." #col "::text, "
#define FIELD_COLUMN_ENTRY(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) FIELD_COLUMN(COLUMN_ENTRY, ID, name, KIND)
#define FIELD_INSERT_NAME(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) FIELD_COLUMN(INSERT_NAME, ID, name, KIND)
#define FIELD_INSERT_VALUE(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) FIELD_COLUMN(INSERT_VALUE, ID, name, KIND)
#define FIELD_SELECT_VALUE(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) FIELD_COLUMN(SELECT_VALUE, ID, name, KIND)
/* Every column, in one order: where from, the fields, what was said. */
#define VEHICLE_COLUMNS(COL, FIELD) VEHICLE_SOURCE_COLUMNS(COL) VEHICLE_FIELDS(FIELD) VEHICLE_NOTE_COLUMNS(COL)

static const vehicle_column columns[] = {VEHICLE_COLUMNS(COLUMN_ENTRY, FIELD_COLUMN_ENTRY)};
#define N_COLUMNS ((int)(sizeof columns / sizeof columns[0]))

/* ---- writing extracted rows -------------------------------------------------------------- */

struct store_vehicle_batch {
    long long insurer_id, case_id, attachment_id;
    json_t *pending;   /* one object per row, keyed by column */
};

store_vehicle_batch *store_vehicle_batch_new(long long insurer_id, long long case_id, long long attachment_id)
{
    store_vehicle_batch *b = g_malloc0_n(1, sizeof *b);
    b->insurer_id = insurer_id;
    b->case_id = case_id;
    b->attachment_id = attachment_id;
    b->pending = json_array();
    return b;
}

void store_vehicle_batch_free(store_vehicle_batch *b)
{
    if (!b)
        return;
    json_decref(b->pending);
    g_free(b);
}

int store_vehicle_batch_add(store_vehicle_batch *b, const vehicle_row *v, minca_err *err)
{
    json_t *row = json_object();
    for (int i = 0; i < N_COLUMNS; i++) {
        if (columns[i].put(row, columns[i].name, v, columns[i].offset) < 0) {
            json_decref(row);
            return minca_err_set(err, "row %d: text that is not valid UTF-8", v->source_row);
        }
    }
    json_array_append_new(b->pending, row);
    return 0;
}

size_t store_vehicle_batch_pending(const store_vehicle_batch *b) { return json_array_size(b->pending); }

int store_vehicle_batch_flush(PGconn *c, store_vehicle_batch *b, int *inserted, minca_err *err)
{
    if (inserted)
        *inserted = 0;
    if (json_array_size(b->pending) == 0)
        return 0;
    char *rows = json_dumps(b->pending, JSON_COMPACT);
    json_array_clear(b->pending);
    store_params p = {0};
    store_param_id(&p, b->insurer_id);
    store_param_id(&p, b->case_id);
    store_param_id(&p, b->attachment_id);
    store_param_text(&p, rows);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO vehicle_rows (insurer_id, case_id, attachment_id" VEHICLE_COLUMNS(INSERT_NAME, FIELD_INSERT_NAME)
                                ") SELECT $1::bigint, $2::bigint, $3::bigint" VEHICLE_COLUMNS(INSERT_VALUE, FIELD_INSERT_VALUE)
                                "   FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(j, ord) ORDER BY e.ord"
                                " ON CONFLICT DO NOTHING",
                                &p);
    free(rows);
    if (!r)
        return -1;
    if (inserted)
        *inserted = atoi(PQcmdTuples(r));
    PQclear(r);
    return 0;
}

/* ---- codify ------------------------------------------------------------------------------ */

int store_vehicle_unmatched(PGconn *c, long long case_id, int limit, store_codify_rows *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, case_id);
    store_param_ll(&p, limit);
    PGresult *r = store_query_p(c, err,
                                "SELECT v.id, v.marca, v.submarca, v.year, v.description, v.vin, k.broker_id::text,"
                                "       coalesce(v.ocr_confidence, -1)"
                                "  FROM vehicle_rows v JOIN cases k ON k.id = v.case_id"
                                "  LEFT JOIN matches x ON x.vehicle_row_id = v.id"
                                " WHERE v.case_id = $1::bigint AND x.vehicle_row_id IS NULL ORDER BY v.id"
                                " LIMIT $2::int",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->rows = g_malloc0_n(n > 0 ? (size_t)n : 1, sizeof *out->rows);
    for (int i = 0; i < n; i++) {
        store_codify_row *row = &out->rows[i];
        row->id = store_get_ll(r, i, 0);
        row->marca = g_strdup(PQgetvalue(r, i, 1));
        row->submarca = g_strdup(PQgetvalue(r, i, 2));
        row->year = store_get_int(r, i, 3);
        row->description = g_strdup(PQgetvalue(r, i, 4));
        row->vin = store_get_dup(r, i, 5);
        row->broker = store_get_dup(r, i, 6);
        row->ocr_confidence = store_get_double(r, i, 7);
    }
    out->n = n;
    PQclear(r);
    return 0;
}

void store_codify_rows_clear(store_codify_rows *rows)
{
    for (int i = 0; i < rows->n; i++) {
        store_codify_row *row = &rows->rows[i];
        g_free(row->marca);
        g_free(row->submarca);
        g_free(row->description);
        g_free(row->vin);
        g_free(row->broker);
    }
    g_free(rows->rows);
    memset(rows, 0, sizeof *rows);
}

int store_match_insert(PGconn *c, const store_match_new *m, minca_err *err)
{
    bool has_key = m->cvegs && m->cvegs[0];
    /* Six decimals, as the codifier reports it. */
    char conf[32];
    snprintf(conf, sizeof conf, "%.6f", m->confidence);
    store_params p = {0};
    store_param_ll(&p, m->vehicle_row_id);
    store_param_ll(&p, m->insurer_id);
    store_param_ll(&p, m->catalog_version_id);
    store_param_text(&p, has_key ? m->cvegs : NULL);
    store_param_ll_if(&p, has_key, m->year);
    store_param_text(&p, conf);
    store_param_text(&p, m->decision);
    store_param_text(&p, m->candidates_json);
    store_param_text(&p, m->note);
    store_param_text(&p, m->model_note);
    store_param_text(&p, m->norm_key);
    return store_exec_p(c, err,
                        "INSERT INTO matches (vehicle_row_id, insurer_id, catalog_version_id, cvegs, year, confidence,"
                        " decision, candidates, note, model_note, norm_key) VALUES ($1::bigint, $2::bigint, $3::bigint, $4,"
                        " $5::int, $6::float8, $7, $8::jsonb, $9, $10, $11) ON CONFLICT (vehicle_row_id) DO NOTHING",
                        &p);
}

int store_match_restore_carryover(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "WITH kept AS ("
                        "  UPDATE review_carryover r SET restored_at = now(), restored_row_id = v.id"
                        "    FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id"
                        "   WHERE r.case_id = $1::bigint AND r.restored_at IS NULL AND r.discarded_at IS NULL"
                        "     AND v.case_id = r.case_id AND coalesce(v.attachment_id, 0) = coalesce(r.attachment_id, 0)"
                        "     AND coalesce(v.source_sheet, '') = coalesce(r.source_sheet, '')"
                        "     AND v.source_row = r.source_row AND minca_row_content(v) = r.content"
                        "  RETURNING r.*),"
                        " audited AS ("
                        "  INSERT INTO audit_log (insurer_id, actor, action, entity, entity_id, details)"
                        "  SELECT k.insurer_id, coalesce(k.reviewed_by, 'minca'), 'review.kept', 'vehicle_row',"
                        "         k.restored_row_id::text, jsonb_build_object('case_id', k.case_id, 'carryover_id', k.id,"
                        "         'decision', k.decision, 'cvegs', k.cvegs, 'year', k.year, 'note', k.note)"
                        "    FROM kept k)"
                        " UPDATE matches x SET"
                        "   cvegs = CASE WHEN k.decision IS NOT NULL THEN k.cvegs ELSE x.cvegs END,"
                        "   year = CASE WHEN k.decision IS NOT NULL THEN k.year ELSE x.year END,"
                        "   decision = coalesce(k.decision, x.decision),"
                        "   reviewed_by = CASE WHEN k.decision IS NOT NULL THEN k.reviewed_by ELSE x.reviewed_by END,"
                        "   reviewed_at = CASE WHEN k.decision IS NOT NULL THEN k.reviewed_at ELSE x.reviewed_at END,"
                        "   note = coalesce(k.note, x.note), updated_at = now()"
                        "  FROM kept k WHERE x.vehicle_row_id = k.restored_row_id",
                        &p);
}

/* ---- reading for export ------------------------------------------------------------------ */

void store_match_read_clear(store_match_read *m)
{
    g_free(m->cvegs);
    g_free(m->description);
    g_free(m->brand);
    g_free(m->model);
    g_free(m->body);
    g_free(m->decision);
    g_free(m->reviewer);
    g_free(m->note);
    g_free(m->source_file);
    memset(m, 0, sizeof *m);
}

int store_vehicle_rows_for_export(PGconn *c, long long case_id, store_export_row_fn fn, void *user, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    PGresult *r = store_query_p(
        c, err,
        "SELECT " VEHICLE_COLUMNS(SELECT_VALUE, FIELD_SELECT_VALUE)
        "       x.cvegs, e.descveh, e.marca, e.submarca, e.tipveh, x.year, x.confidence,"
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
        &p);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        vehicle_row v;
        vehicle_row_init(&v);
        for (int k = 0; k < N_COLUMNS; k++)
            columns[k].get(&v, columns[k].offset, r, i, k);
        int m0 = N_COLUMNS;
        store_match_read m = {
            .cvegs = store_get_dup(r, i, m0),
            .description = store_get_dup(r, i, m0 + 1),
            .brand = store_get_dup(r, i, m0 + 2),
            .model = store_get_dup(r, i, m0 + 3),
            .body = store_get_dup(r, i, m0 + 4),
            .year = store_get_int(r, i, m0 + 5),
            .confidence = PQgetisnull(r, i, m0 + 6) ? -1 : store_get_double(r, i, m0 + 6),
            .decision = g_strdup(PQgetvalue(r, i, m0 + 7)),
            .reviewer = store_get_dup(r, i, m0 + 8),
            .source_file = store_get_dup(r, i, m0 + 9),
            .note = store_get_dup(r, i, m0 + 10),
        };
        rc = fn(&v, &m, user, err);
    }
    PQclear(r);
    return rc;
}
