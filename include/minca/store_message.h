/* store_message: messages and their attachments as the pipeline writes and reads them
 * (message_repo.c). Same conventions as store.h: parameterised queries, 0 / -1 with the
 * reason in err.
 *
 * Ownership: *reused_from of store_message_prior and the strings of a store_attachment_list
 * are g_malloc'd and the caller's (g_free / store_attachment_list_clear). Every other string is
 * borrowed for the call only. */
#ifndef MINCA_STORE_MESSAGE_H
#define MINCA_STORE_MESSAGE_H

#include "minca/store.h"

#include <stddef.h>

/* What the insurer stored before under message_id: *duplicate when one of them has the same
 * content (content_sha; rows without a content hash match by from_addr); otherwise, when the
 * Message-ID was used, *reused_from receives the sender of the first such message ("?" when
 * unknown), else NULL. */
int store_message_prior(PGconn *c, long long insurer_id, const char *message_id, const char *content_sha,
                        const char *from_addr, bool *duplicate, char **reused_from, minca_err *err);

/* A message to store (borrowed strings; NULL when absent; *_json are JSON texts). */
typedef struct store_message_new {
    long long insurer_id;
    const char *source, *source_ref, *source_name;
    const char *message_id;
    bool message_id_synthetic;
    const char *in_reply_to, *from_addr, *from_name, *sender_domain, *to_addrs, *subject;
    bool has_sent_at;
    long long sent_at;             /* seconds since the epoch, when has_sent_at */
    const char *headers_json, *body_text, *body_html;
    const char *raw_sha256, *content_sha256;
    const char *forwarded_from;    /* author of the forwarded email (broker recognition), or NULL */
    const char *thread_refs;       /* the ids the message answers, one a line (intake_thread_ids), or NULL */
    long long broker_id;           /* 0: none known */
    const char *status, *error, *problems_json;
} store_message_new;
/* *id receives the new message's id, or 0 when the same message (Message-ID and content) is
 * stored already. */
int store_message_insert(PGconn *c, const store_message_new *m, long long *id, minca_err *err);

/* An attachment of a stored message; its bytes are a blob already. */
typedef struct store_attachment_new {
    long long insurer_id, message_id;
    int ordinal;                   /* 1-based */
    const char *filename, *content_type, *container, *role, *sha256;
    size_t size;
} store_attachment_new;
/* Stores it unless the message has that ordinal already (a retry). */
int store_attachment_insert(PGconn *c, const store_attachment_new *a, minca_err *err);

typedef struct store_attachment_ref {
    long long id;
    char *filename, *sha256, *role;
} store_attachment_ref;
typedef struct store_attachment_list {
    store_attachment_ref *items;
    int n;
} store_attachment_list;
/* The message's attachments in their order. */
int store_attachments_of_message(PGconn *c, long long message_id, store_attachment_list *out, minca_err *err);
void store_attachment_list_clear(store_attachment_list *l);
/* What extraction made of it: status, error (NULL: none), extraction report (JSON text or NULL). */
int store_attachment_set_result(PGconn *c, long long attachment_id, const char *status, const char *error,
                                const char *extraction_json, minca_err *err);

#endif
