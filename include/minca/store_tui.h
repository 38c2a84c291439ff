/* store_tui: read queries the terminal desk needs beyond store.h, and its connection: the
 * desk (src/tui) holds no SQL and no libpq call. Same conventions: every query through
 * PQexecParams (store_params), JSON results are new references owned by the caller, NULL
 * with the reason in err on failure. */
#ifndef MINCA_STORE_TUI_H
#define MINCA_STORE_TUI_H

#include "minca/store.h"

#include <stdbool.h>

/* ---- the desk's connection (the desk never calls libpq itself) ---- */
/* True when c (may be NULL) is connected. */
bool store_tui_connected(PGconn *c);
/* Reconnects c in place after it was lost and applies the session settings again: 0 when c
 * is usable, -1 when not (the caller then closes it). */
int store_tui_reconnect(PGconn *c);
/* Closes c; NULL is fine. */
void store_tui_close(PGconn *c);

/* One message of the insurer with its full text body, headers of interest, problems and its
 * attachments[] (ordinal, filename, content_type, size, status, error, extraction). */
json_t *store_tui_message_show(PGconn *c, long long insurer_id, long long message_id, minca_err *err);
/* Broker profiles stored for the insurer, newest version first per name: id, name, version,
 * broker, author, active, created, yaml, latest_cot (the broker's newest case, for
 * the profile wizard). */
json_t *store_tui_profile_list(PGconn *c, long long insurer_id, minca_err *err);

/* A short text that changes whenever what the desk shows for the insurer changes (messages,
 * cases, profiles, and the vehicle rows and matches of case `cot` when not NULL): compared
 * between polls to refresh open panes. Written into out (NUL-terminated). */
int store_tui_change_stamp(PGconn *c, long long insurer_id, const char *cot, char *out, size_t outlen,
                           minca_err *err);

/* The head of case `cot`: id, cot, status, client data, pre-analysis (preanalysis_status,
 * missing_requirements), needs_profile, broker, profile_name (the broker's active profile),
 * message (message_db_id, from_addr, from_name,
 * subject, sender_domain, received_at). NULL + err when absent. */
json_t *store_tui_case_head(PGconn *c, long long insurer_id, const char *cot, minca_err *err);
/* The vehicle rows of a case in sheet order, each with its match (cvegs, match_year,
 * confidence, decision, note, reviewed_by, reviewed_at), the chosen key's catalog text
 * (key_marca, key_submarca, key_description) from the insurer's catalog, source_file (the
 * attachment's name), and what the desk says about a row waiting for a person: top_candidate
 * (the first candidate with its evidence, open rows only), other_description (the version the
 * key is told apart from), top_score, runner_score and n_candidates. Candidates are left
 * out (see store_tui_row_candidates) so a 600-row case stays light. */
json_t *store_tui_case_rows(PGconn *c, long long insurer_id, long long case_id, minca_err *err);
/* The review queue's raw lines: the insurer's rows waiting for a person in open cases, one
 * line per stored description key (matches.norm_key): norm_key, n_rows, case_ids (array),
 * sample_row_id (the lowest row id), min_conf, max_conf, proposals ({"CVEGS/YEAR": rows}),
 * mine (a row of a case assigned to user) and due_epoch (the earliest due time of its cases,
 * seconds since 1970, null when none has one). The desk merges the keys that read the same
 * (review_queue). */
json_t *store_tui_review_keys(PGconn *c, long long insurer_id, const char *user, minca_err *err);
/* What the desk shows of a queue line, for samples [{ord, row_id, cvegs, year}] (borrowed):
 * in the same order, ord, description, marca, submarca, row_year, sample_cot, top_candidate,
 * other_description, top_score, runner_score, n_candidates and key_text (the catalog's text
 * of cvegs/year). */
json_t *store_tui_review_samples(PGconn *c, long long insurer_id, json_t *samples, minca_err *err);
/* The rows of one queue line, whose stored keys are the strings of norm_keys (borrowed):
 * [{id, case_id, version}]. */
json_t *store_tui_review_group_rows(PGconn *c, long long insurer_id, json_t *norm_keys, minca_err *err);
/* matches.candidates of one row (ranked array, [] when none), plus row: the row's text. */
json_t *store_tui_row_candidates(PGconn *c, long long insurer_id, long long row_id, minca_err *err);
/* Catalog search over the insurer's active catalog: every word of `query` must appear (upper-cased) in
 * brand, model, description or key (ignoring case); a 4-digit word between 1900 and 2100
 * selects the model year. At most `limit` entries {cvegs, year, marca, submarca, descveh},
 * ordered by brand, model, year (newest first). An empty query gives []. */
json_t *store_tui_catalog_search(PGconn *c, long long insurer_id, const char *query, int limit, minca_err *err);
/* The other cases of case_id's broker that are still open (in review, ready or in error, never
 * exported): [{id, cot}]. */
json_t *store_tui_broker_open_cases(PGconn *c, long long insurer_id, long long case_id, minca_err *err);
/* The insurers' slugs, "demo, qualitas" (g_malloc'd), NULL + err on failure. */
char *store_tui_insurer_slugs(PGconn *c, minca_err *err);
/* The spreadsheets of a case's message for the profile wizard: [{id, ordinal, filename, sha256,
 * status}] ordered by ordinal (inline images left out). */
json_t *store_tui_case_sheets(PGconn *c, long long insurer_id, long long case_id, minca_err *err);

/* ---- the Dashboard pane (dashboard_repo.c); each returns a new JSON array ---- */
/* One object: opened_today, in_review, ready (cases now), workers (alive). */
json_t *store_tui_dashboard_summary(PGconn *c, long long insurer_id, minca_err *err);
/* The codifier's decisions on each of the last `days` days (the insurer's time zone), oldest
 * first: day (MM-DD), auto, review, no_match. */
json_t *store_tui_dashboard_days(PGconn *c, long long insurer_id, int days, minca_err *err);
/* The codifier's confidence histogram: bound, n (non-cumulative). */
json_t *store_tui_dashboard_confidence(PGconn *c, long long insurer_id, minca_err *err);
/* The last `minutes` minutes, oldest first: done (jobs finished), depth (unfinished at its end). */
json_t *store_tui_dashboard_minutes(PGconn *c, int minutes, minca_err *err);
/* Brokers by median time from email to ready (still waiting: until now), slowest first. */
json_t *store_tui_dashboard_slow_brokers(PGconn *c, long long insurer_id, int limit, minca_err *err);

#endif
