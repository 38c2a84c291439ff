/* Exports of cases: the case locked for an export, its next version, its header fields and
 * the exports rows. */
#include <glib.h>
#include "minca/store_export.h"
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int store_export_lock_case(PGconn *c, long long insurer_id, const char *cot, store_export_lock *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    PGresult *r = store_query_p(c, err,
                                "SELECT id, status, coalesce(status_reason, ''),"
                                "       (SELECT string_agg(s.key, ', ' ORDER BY s.key) FROM jsonb_each(suggested) s"
                                "         WHERE s.value->'confirmed_by' IS NULL)"
                                "  FROM cases WHERE insurer_id = $1::bigint AND cot = $2 FOR UPDATE",
                                &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->case_id = store_get_ll(r, 0, 0);
        out->in_error = strcmp(PQgetvalue(r, 0, 1), "error") == 0;
        snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(r, 0, 2));
        snprintf(out->unconfirmed, sizeof out->unconfirmed, "%s", PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return found;
}

int store_export_next_version(PGconn *c, long long insurer_id, const char *cot, int *version, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    PGresult *r = store_query_p(c, err,
                                "SELECT coalesce(max(e.version), 0) + 1 FROM exports e JOIN cases k ON k.id = e.case_id"
                                " WHERE k.insurer_id = $1::bigint AND k.cot = $2",
                                &p);
    if (!r)
        return -1;
    *version = store_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_export_header_get(PGconn *c, long long insurer_id, const char *cot, store_export_header *out,
                            minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, cot);
    PGresult *r = store_query_p(
        c, err,
        "SELECT k.id, k.cot, i.slug, k.client_name, k.rfc,"
        /* the broker: its profile's name, else who sent the request */
        "       coalesce(b.name, nullif(btrim(m.from_name), ''), m.from_addr),"
        "       to_char(" STORE_SQL_LOCAL("coalesce(m.sent_at, m.received_at, k.created_at)", "k.insurer_id") ", 'YYYY-MM-DD'),"
        "       k.coverage, k.validity_start::text, k.validity_end::text, k.payment_terms,"
        /* the catalog's period (IDPERIOD 202510 -> "periodo 2025-10"), else its label */
        "       (SELECT coalesce('periodo ' || regexp_replace(p.period, '^(\\d{4})(\\d{2})$', '\\1-\\2'), cv.label)"
        "               || coalesce(' (' || cv.source_name || ')', '')"
        "          FROM catalog_versions cv,"
        "               LATERAL (SELECT max(ce.idperiod) AS period FROM catalog_entries ce"
        "                         WHERE ce.catalog_version_id = cv.id AND ce.idperiod ~ '^\\d{6}$') p"
        "         WHERE cv.insurer_id = k.insurer_id AND cv.active),"
        "       i.name, k.uso,"
        "       nullif(concat_ws(' · ', nullif(k.contact->>'name', ''), nullif(k.contact->>'phone', ''),"
        "                        nullif(k.contact->>'email', '')), ''),"
        "       substring(m.body_text from '(?i)clave\\s+(?:de\\s+)?agente\\s*[:#.]?\\s*([A-Z0-9][A-Z0-9-]*)'),"
        "       k.revision"
        "  FROM cases k JOIN insurers i ON i.id = k.insurer_id LEFT JOIN messages m ON m.id = k.message_id"
        "  LEFT JOIN brokers b ON b.id = k.broker_id WHERE k.insurer_id = $1::bigint AND k.cot = $2",
        &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        out->case_id = store_get_ll(r, 0, 0);
        out->cot = store_get_dup(r, 0, 1);
        out->insurer = store_get_dup(r, 0, 2);
        out->client_name = store_get_dup(r, 0, 3);
        out->client_rfc = store_get_dup(r, 0, 4);
        out->broker = store_get_dup(r, 0, 5);
        out->received_date = store_get_dup(r, 0, 6);
        out->coverage = store_get_dup(r, 0, 7);
        out->vigencia_start = store_get_dup(r, 0, 8);
        out->vigencia_end = store_get_dup(r, 0, 9);
        out->payment_terms = store_get_dup(r, 0, 10);
        out->catalog_version = store_get_dup(r, 0, 11);
        out->insurer_name = store_get_dup(r, 0, 12);
        out->use = store_get_dup(r, 0, 13);
        out->contact = store_get_dup(r, 0, 14);
        out->agent = store_get_dup(r, 0, 15);
        out->revision = store_get_int(r, 0, 16);
    }
    PQclear(r);
    return found;
}

void store_export_header_clear(store_export_header *h)
{
    char **fields[] = {&h->cot, &h->insurer, &h->insurer_name, &h->client_name, &h->client_rfc, &h->broker,
                       &h->received_date, &h->coverage, &h->vigencia_start, &h->vigencia_end, &h->payment_terms,
                       &h->use, &h->catalog_version, &h->contact, &h->agent};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        g_free(*fields[i]);
    memset(h, 0, sizeof *h);
}

int store_export_record(PGconn *c, const store_export_file_row *f, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, f->insurer_id);
    store_param_ll(&p, f->case_id);
    store_param_text(&p, f->template_name);
    store_param_text(&p, f->template_version);
    store_param_text(&p, f->sha256);
    store_param_text(&p, f->path);
    store_param_bool(&p, f->forced);
    store_param_text(&p, f->exported_by);
    store_param_ll(&p, f->version);
    store_param_text(&p, f->format);
    return store_exec_p(c, err,
                        "INSERT INTO exports (insurer_id, case_id, version, template_name, template_version, sha256,"
                        " path, forced, exported_by, format)"
                        " VALUES ($1::bigint, $2::bigint, $9::int, $3, $4, $5, $6, $7::boolean, $8, $10)",
                        &p);
}

int store_export_mark_case(PGconn *c, long long case_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, case_id);
    return store_exec_p(c, err,
                        "UPDATE cases SET status = 'exported', status_reason = NULL, updated_at = now() WHERE id = $1::bigint",
                        &p);
}
