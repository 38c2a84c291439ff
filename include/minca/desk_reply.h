/* reply: answers from the desk to the broker of a case (src/desk/reply.c): drafted from the
 * templates kept as data (templates/reply/<kind>.txt, templates/<insurer>/reply/<kind>.txt
 * first; the labels of missing data in templates/reply/fields.txt), edited by a person, and
 * queued in the outbox in one transaction with its send job and audit entry.
 *
 * Ownership: the strings of a reply_draft are g_malloc'd and belong to it (reply_draft_clear). */
#ifndef MINCA_DESK_REPLY_H
#define MINCA_DESK_REPLY_H

#include "minca/core.h"
#include "minca/store.h"

typedef struct reply_draft {
    long long case_id;
    char *kind;                 /* "missing" | "quote" */
    char *cot;
    char *to_addr, *from_addr;
    char *subject, *body;
    char *in_reply_to, *refs;   /* threading; NULL when none */
    char *source_name;          /* the configured source it goes out through (the case's own Graph
                                   source, else one with an SMTP server) */
    char *reply_ref;            /* Graph: the id of the message answered (createReply), or NULL */
    char **files;               /* quote: sha256 of the files to attach (NULL-terminated) */
    char **file_names;          /* their names, same order */
} reply_draft;

/* The draft of a reply of kind to case cot. to (may be NULL) replaces the broker's address.
 * Fails with a clear reason: no such case, nothing missing (missing), no export yet (quote), no
 * configured source with an SMTP server (a case from a Graph source is answered through it),
 * no address to write to. */
int reply_draft_make(PGconn *c, long long insurer_id, const char *cot, const char *kind, const char *to,
                     reply_draft *out, minca_err *err);
void reply_draft_clear(reply_draft *d);

/* The draft as editable text ("To:", "Subject:", a blank line, the body) and back; parse
 * fails on a text without a subject or a recipient. */
char *reply_draft_text(const reply_draft *d);
int reply_draft_parse(reply_draft *d, const char *text, minca_err *err);

/* Builds the message, stores it and queues it in the outbox with its send job, audited, in one
 * transaction (committed here). *outbox_id and *job_id receive the ids. */
int reply_queue(PGconn *c, long long insurer_id, const reply_draft *d, const char *user, const char *batch_id,
                long long *outbox_id, long long *job_id, minca_err *err);

#endif
