/* The audit trail: listing entries and verifying their SHA-256 chains. Entries are written by
 * store_audit() (case_repo.c); the database seals each one into its insurer's chain. */
#include "store_internal.h"
#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *store_audit_list(PGconn *c, const store_audit_filter *f, minca_err *err)
{
    store_params p = {0};
    store_param_id(&p, f->insurer_id);
    store_param_id(&p, f->case_id);
    store_param_text(&p, f->user);
    store_param_text(&p, f->since);
    store_param_ll(&p, f->limit > 0 ? f->limit : 1000);
    return store_query_json_p(
        c, err,
        "SELECT * FROM ("
        " SELECT a.id, to_char(a.at, 'YYYY-MM-DD HH24:MI:SS') AS at, a.actor, a.os_login, a.action, a.entity,"
        "        a.entity_id, a.details, a.seq, coalesce(i.slug, '') AS insurer, v.inciso"
        "   FROM audit_log a LEFT JOIN insurers i ON i.id = a.insurer_id"
        "   LEFT JOIN vehicle_rows v ON v.id = CASE WHEN a.entity = 'vehicle_row' AND a.entity_id ~ '^[0-9]{1,18}$'"
        "                                      THEN a.entity_id::bigint END"
        "  WHERE ($1::bigint IS NULL OR a.insurer_id = $1::bigint)"
        "    AND ($2::bigint IS NULL"
        "         OR (a.entity = 'case' AND a.entity_id = $2::text)"
        "         OR a.details->>'case_id' = $2::text"
        "         OR (a.entity = 'vehicle_row' AND a.entity_id IN"
        "             (SELECT v.id::text FROM vehicle_rows v WHERE v.case_id = $2::bigint)))"
        "    AND ($3::text IS NULL OR a.actor = $3 OR a.os_login = $3)"
        "    AND ($4::timestamptz IS NULL OR a.at >= $4::timestamptz)"
        "  ORDER BY a.id DESC LIMIT $5::int) e ORDER BY id",
        &p);
}

json_t *store_audit_verify(PGconn *c, minca_err *err)
{
    /* Per chain, in sequence order: the hash recomputed from the content, the previous
     * entry's hash and sequence number; then each chain's head against its last entry. */
    json_t *problems = store_query_json(
        c, err,
        "WITH e AS ("
        "  SELECT chain, seq, id, hash, prev_hash,"
        "         minca_audit_hash(prev_hash, chain, seq, insurer_id, at, actor, os_login, action, entity,"
        "                          entity_id, details) AS computed,"
        "         lag(hash) OVER w AS before_hash, lag(seq) OVER w AS before_seq"
        "    FROM audit_log WINDOW w AS (PARTITION BY chain ORDER BY seq))"
        " SELECT chain, seq, id, problem FROM ("
        "  SELECT chain, seq, id, 'entry was changed after it was written (its hash does not match its content)'"
        "         AS problem FROM e WHERE hash IS DISTINCT FROM computed"
        "  UNION ALL"
        "  SELECT chain, seq, id, CASE WHEN before_seq IS NULL"
        "                              THEN (seq - 1)::text || ' entr' || CASE WHEN seq = 2 THEN 'y' ELSE 'ies' END"
        "                                   || ' missing before the first one (deleted)'"
        "                              ELSE (seq - before_seq - 1)::text || ' entr'"
        "                                   || CASE WHEN seq - before_seq = 2 THEN 'y' ELSE 'ies' END"
        "                                   || ' missing before this one (deleted)' END"
        "    FROM e WHERE seq <> coalesce(before_seq, 0) + 1"
        "  UNION ALL"
        "  SELECT chain, seq, id, 'link to the previous entry is broken'"
        "    FROM e WHERE seq = coalesce(before_seq, 0) + 1"
        "     AND prev_hash IS DISTINCT FROM coalesce(before_hash, repeat('0', 64))"
        "  UNION ALL"
        "  SELECT h.chain, h.last_seq, NULL, CASE WHEN l.seq IS NULL THEN 'every entry of the chain is missing'"
        "                                         WHEN l.seq < h.last_seq THEN (h.last_seq - l.seq)::text"
        "                                              || ' entries missing at the end (deleted)'"
        "                                         ELSE 'the chain head does not match its last entry' END"
        "    FROM audit_chain_heads h"
        "    LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log a WHERE a.chain = h.chain"
        "                        ORDER BY seq DESC LIMIT 1) l ON true"
        "   WHERE ((h.chain = 0 AND coalesce(current_setting('minca.insurer_ids', true), '') IN ('*', ''))"
        "      OR (h.chain <> 0 AND (minca_insurer_visible(h.chain)"
        "                            OR coalesce(current_setting('minca.insurer_ids', true), '') = '')))"
        "     AND (l.seq IS DISTINCT FROM h.last_seq OR l.hash IS DISTINCT FROM h.last_hash)"
        " ) p ORDER BY chain, seq, problem",
        0, NULL);
    if (!problems)
        return NULL;
    json_t *counts = store_query_json(c, err,
                                      "SELECT count(DISTINCT chain) AS chains, count(*) AS entries FROM audit_log",
                                      0, NULL);
    if (!counts) {
        json_decref(problems);
        return NULL;
    }
    json_t *heads = store_query_json(c, err,
                                     "SELECT h.chain, coalesce(i.slug, '') AS insurer, h.last_seq, h.last_hash"
                                     "  FROM audit_chain_heads h LEFT JOIN insurers i ON i.id = h.chain"
                                     " WHERE EXISTS (SELECT 1 FROM audit_log a WHERE a.chain = h.chain)"
                                     "    OR coalesce(current_setting('minca.insurer_ids', true), '') IN ('*', '')"
                                     " ORDER BY h.chain",
                                     0, NULL);
    if (!heads) {
        json_decref(problems);
        json_decref(counts);
        return NULL;
    }
    json_t *out = json_object();
    json_object_set_new(out, "heads", heads);
    json_t *first = json_array_get(counts, 0);
    json_object_set(out, "chains", json_object_get(first, "chains"));
    json_object_set(out, "entries", json_object_get(first, "entries"));
    json_object_set_new(out, "problems", problems);
    json_decref(counts);
    return out;
}

int store_audit_check_head(PGconn *c, long long chain, long long seq, const char *hash, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, chain);
    store_param_ll(&p, seq);
    PGresult *r = store_query_p(c, err, "SELECT hash FROM audit_log WHERE chain = $1::bigint AND seq = $2::bigint", &p);
    if (!r)
        return -1;
    int rc = PQntuples(r) == 0 ? 0 : strcmp(PQgetvalue(r, 0, 0), hash) == 0 ? 1 : 2;
    PQclear(r);
    return rc;
}
