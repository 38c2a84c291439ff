/* store_thread: the conversation of a case (thread_repo.c): which case a message answers and
 * the messages of a case in order. Same conventions as store.h: parameterised queries, 0 / -1
 * with the reason in err.
 *
 * Ownership: every string passed in is borrowed for the call only; the json_t of
 * store_thread_messages is new and the caller's (json_decref). */
#ifndef MINCA_STORE_THREAD_H
#define MINCA_STORE_THREAD_H

#include "minca/store.h"
#include "minca/store_rows.h"

#include <stddef.h>

/* Takes, until the transaction ends, one lock per id of ids (n of them: Message-IDs of the
 * insurer, a message's own and those it answers), in one order, so that a message and its
 * answer read at the same time are threaded one after the other: the second sees the first's
 * case. 0 done, -1 error. */
int store_thread_lock(PGconn *c, long long insurer_id, const char *const *ids, size_t n, minca_err *err);

/* The case of the first of ids (n of them, in the order to try) that names a message of the
 * insurer belonging to a case (received, or sent from the outbox). 1 found (*case_id, cot,
 * *matched: the index in ids), 0 none, -1 error. */
int store_thread_case_by_ids(PGconn *c, long long insurer_id, const char *const *ids, size_t n, long long *case_id,
                             char cot[64], size_t *matched, minca_err *err);

/* The insurer's case numbered cot and its broker (0: none). 1 found, 0 none, -1 error. */
int store_thread_case_by_cot(PGconn *c, long long insurer_id, const char *cot, long long *case_id,
                             long long *broker_id, minca_err *err);

/* The insurer's COT prefix ("" when no such insurer). */
int store_thread_cot_prefix(PGconn *c, long long insurer_id, char prefix[32], minca_err *err);

/* Files read out of order: the case of a stored message of the insurer that answers
 * message_id (its In-Reply-To or References name it). 1 found (*case_id, cot), 0 none, -1. */
int store_thread_case_answering(PGconn *c, long long insurer_id, const char *message_id, long long *case_id,
                                char cot[64], minca_err *err);
/* A stored message without a case that answers another: direct when its In-Reply-To names it
 * (else its References do). */
#define STORE_THREAD_ORPHAN_COLUMNS(X) X(id, LL) X(raw_sha256, TEXT) X(direct, BOOL)
STORE_ROW_TYPES(store_thread_orphan, STORE_THREAD_ORPHAN_COLUMNS)
/* The insurer's stored messages without a case that answer message_id, oldest first (at most
 * 64), into *out (zeroed first; the caller clears it with store_thread_orphan_list_clear,
 * also on error). */
int store_thread_orphans(PGconn *c, long long insurer_id, const char *message_id, store_thread_orphan_list *out,
                         minca_err *err);

/* The stored message joins case_id (an ignored one becomes processed); how: "in_reply_to",
 * "references", "cot_subject", "cot_body" or "answered_by" (an original its answer came before). */
int store_thread_join(PGconn *c, long long message_id, long long case_id, const char *how, minca_err *err);

/* A message of a case: joined_by NULL for the one that opened the case; received
 * "YYYY-MM-DD HH24:MI:SS" on the insurer's clock; attachments how many it carries. */
#define STORE_THREAD_MESSAGE_COLUMNS(X)                                                           \
    X(id, LL) X(message_id, OPT_TEXT) X(from_addr, OPT_TEXT) X(subject, OPT_TEXT) X(joined_by, OPT_TEXT) \
    X(received, OPT_TEXT) X(attachments, LL)
STORE_ROW_TYPES(store_thread_message, STORE_THREAD_MESSAGE_COLUMNS)
/* The case's messages, oldest first (sent time, else received time), into *out (as
 * store_thread_orphans). */
int store_thread_messages(PGconn *c, long long case_id, store_thread_message_list *out, minca_err *err);

#endif
