/* store_outbox: what the desk sends to brokers (outbox_repo.c). Same conventions as store.h:
 * parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: the strings of a store_outbox_item are g_malloc'd and belong to it
 * (store_outbox_item_clear); JSON returned is new and the caller's. Every other string is
 * borrowed for the call only. */
#ifndef MINCA_STORE_OUTBOX_H
#define MINCA_STORE_OUTBOX_H

#include "minca/store.h"
#include "minca/store_rows.h"

typedef struct store_outbox_new {
    long long insurer_id, case_id;
    const char *kind;           /* "missing" | "quote" */
    const char *message_id;     /* "<id@host>" it is sent with */
    const char *in_reply_to, *refs;
    const char *from_addr, *to_addr, *subject, *body;
    const char *raw_sha256;     /* the message's bytes, a blob already */
    const char *source_name;    /* the configured source it goes out through, or NULL */
    const char *created_by;
    const char *reply_ref;      /* Graph id of the message answered (a Graph source), or NULL */
} store_outbox_new;
int store_outbox_insert(PGconn *c, const store_outbox_new *o, long long *id, minca_err *err);

typedef struct store_outbox_item {
    char *state;                /* after the claim: "sending" (send it) or "uncertain" (do not) */
    char *from_addr, *to_addr, *raw_sha256, *source_name, *message_id;
    long long case_id;
    char *reply_ref;            /* Graph id of the message answered, or NULL */
    char *remote_draft;         /* a Graph draft an earlier attempt left, or NULL */
    char *subject;
} store_outbox_item;
/* Claims outbox row id for a send, on a connection that commits each statement by itself (the
 * mark must outlive the job's transaction): queued or failing becomes sending (one attempt
 * more); sending found again (a send whose end was never recorded) becomes uncertain. 1 with
 * *out filled, 0 when there is nothing to send (sent, uncertain, no such row), -1 error. */
int store_outbox_claim(PGconn *c, long long id, store_outbox_item *out, minca_err *err);
void store_outbox_item_clear(store_outbox_item *o);
/* The Graph draft an attempt created (so the next attempt deletes it), on the mark connection. */
int store_outbox_set_draft(PGconn *c, long long id, const char *draft, minca_err *err);
/* The end of a send: "sent" (error NULL) or "failing" with the reason. */
int store_outbox_mark(PGconn *c, long long id, const char *state, const char *error, minca_err *err);
/* A person resends an uncertain or failing row: it is queued again and its send job is due
 * now in batch_id. 1 done, 0 no such row in that state (or its job is running), -1 error. */
int store_outbox_requeue(PGconn *c, long long insurer_id, long long id, const char *batch_id, minca_err *err);

/* A message of a case's outbox (times "YYYY-MM-DD HH24:MI:SS"; last_error and sent_at NULL
 * when none). */
#define STORE_OUTBOX_ENTRY_COLUMNS(X)                                                             \
    X(id, LL) X(kind, TEXT) X(to_addr, TEXT) X(subject, TEXT) X(state, TEXT) X(attempts, INT)       \
    X(last_error, OPT_TEXT) X(message_id, TEXT) X(created_at, TEXT) X(sent_at, OPT_TEXT)
STORE_ROW_TYPES(store_outbox_entry, STORE_OUTBOX_ENTRY_COLUMNS)
/* The case's outbox, oldest first, into *out (zeroed first; the caller clears it with
 * store_outbox_entry_list_clear, also on error). */
int store_outbox_of_case(PGconn *c, long long case_id, store_outbox_entry_list *out, minca_err *err);

/* What a reply to a case needs ("" for NULL text): source_name and first_subject of the
 * opening message; in_reply_to, to_addr and to_name of the newest message of the case (a
 * forward's author), in_reply_to_ref and in_reply_to_source (that message's Graph id when a
 * Graph source brought it, and its source); refs, the conversation's ids, oldest first,
 * space-separated; missing_requirements, the case's stored JSON list (NULL when none). */
#define STORE_REPLY_CONTEXT_COLUMNS(X)                                                            \
    X(case_id, LL) X(cot, TEXT) X(client_name, TEXT) X(missing_requirements, JSON) X(broker, TEXT)   \
    X(insurer_name, TEXT) X(insurer, TEXT) X(source_name, TEXT) X(first_subject, TEXT)              \
    X(in_reply_to, TEXT) X(to_addr, TEXT) X(in_reply_to_ref, TEXT) X(in_reply_to_source, TEXT)      \
    X(to_name, TEXT) X(refs, TEXT)
STORE_ROW_TYPES(store_reply_context_row, STORE_REPLY_CONTEXT_COLUMNS)
/* A file of the case's latest export. */
#define STORE_REPLY_FILE_COLUMNS(X) X(format, TEXT) X(sha256, TEXT) X(version, INT)
STORE_ROW_TYPES(store_reply_file, STORE_REPLY_FILE_COLUMNS)
/* What a reply to case cot needs into *out and the files of its latest export into *files
 * (none before an export); both zeroed first, the caller clears them, also on error. -1 with
 * err when there is no such case. */
int store_reply_context(PGconn *c, long long insurer_id, const char *cot, store_reply_context_row *out,
                        store_reply_file_list *files, minca_err *err);

#endif
