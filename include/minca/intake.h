/* intake: raw email → clean in-memory message, mail sources, Spanish body pre-analysis and
 * HTML tables in bodies.
 *
 *   bytes of an .eml ──intake_parse──► intake_message ──intake_analyze──► intake_analysis
 *   path ──intake_source_open/next──► (origin, bytes) one message at a time
 *   html ──intake_html_tables──► grids of UTF-8 strings (rows × cells, <tr> index kept)
 *
 * Every string in these structs is NUL-terminated, valid UTF-8 and g_malloc'd; the struct that
 * holds it owns it, and the matching *_free() releases everything. Nothing here keeps a pointer
 * into the caller's input buffer. All functions are thread-safe (GMime is initialised once). */
#ifndef MINCA_INTAKE_H
#define MINCA_INTAKE_H

#include "minca/core.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- message ---- */

typedef enum {
    INTAKE_ROLE_OTHER = 0,
    INTAKE_ROLE_FLEET_LIST,   /* spreadsheet / csv / pdf that may carry the vehicle list */
    INTAKE_ROLE_INLINE_IMAGE, /* logo or signature image (inline, Content-ID, multipart/related) */
} intake_role;

/* "fleet_list", "inline_signature_image" or "other" (the names used by labels and storage). */
const char *intake_role_name(intake_role role);

typedef struct intake_attachment {
    char *filename;        /* decoded (RFC 2231 / RFC 2047) and sanitised: no '/', '\\', control
                              characters, leading dots; never NULL ("attachment-N.ext" if absent) */
    char *filename_raw;    /* decoded name before sanitising; NULL when the part had none */
    char *content_type;    /* lower-case "type/subtype" */
    char *disposition;     /* "attachment", "inline" or NULL when the header is absent */
    char *content_id;      /* without angle brackets, or NULL */
    unsigned char *data;   /* decoded bytes (transfer encoding removed), size bytes + a NUL */
    size_t size;
    char sha256[65];       /* lower-case hex of data */
    char *container;       /* NULL, or "message/rfc822 <Message-ID>" for parts inside a forwarded
                              message (innermost container) */
    intake_role role;      /* a guess from type, name, disposition and surrounding multipart */
} intake_attachment;

typedef struct intake_message intake_message;
struct intake_message {
    char *message_id;           /* with angle brackets, "<id@host>"; never NULL */
    bool message_id_synthetic;  /* no usable Message-ID: "<sha256-HEX@minca.invalid>" of the bytes */
    char *in_reply_to;          /* "<id>" or NULL */
    char *references;           /* raw References value or NULL */
    char *from_addr;            /* lower-case "user@domain" or NULL */
    char *from_name;            /* RFC 2047 decoded display name or NULL */
    char *sender_domain;        /* lower-case domain of from_addr or NULL */
    char *to;                   /* decoded address list ("Name <a@b>, c@d") or NULL */
    char *cc;                   /* idem */
    char *subject;              /* RFC 2047 decoded, or NULL when absent */
    bool date_valid;            /* false when Date is missing or unparseable (see problems) */
    int64_t date;               /* seconds since the epoch (0 when !date_valid) */
    char *date_iso;             /* "2025-10-06T09:14:00-06:00" with the sender's offset, or NULL */
    char *text_body;            /* text/plain body converted to UTF-8, or NULL */
    char *html_body;            /* text/html body converted to UTF-8, or NULL */
    json_t *headers;            /* owned object: header name (as first written) → decoded value,
                                   or an array of values when the header repeats */

    intake_attachment *attachments; /* every leaf part that is not a body, flattened across
                                       multiparts and forwarded messages (top-level only) */
    size_t n_attachments;

    /* Forwarded messages (message/rfc822 parts), in order. Each carries its own ids, sender,
     * subject, date and bodies; their attachments are listed in the parent's attachments
     * with `container` set, so here n_attachments is 0. */
    intake_message **forwarded;
    size_t n_forwarded;

    char **problems;            /* readable descriptions of what was broken or guessed */
    size_t n_problems;
};

/* Parses one raw RFC 5322 message. On success *out is a new message the caller frees with
 * intake_message_free(); a damaged message still succeeds with what could be read plus
 * `problems`. Fails (-1, *out NULL) only for input that is not an email at all (empty, no
 * header block, binary junk). */
int intake_parse(const void *data, size_t len, intake_message **out, minca_err *err);
void intake_message_free(intake_message *msg);

/* SHA-256 (lower-case hex into out) of a raw message without the trace and filter headers
 * servers add in transit (Received, Return-Path, Delivered-To, ARC-*, X-Spam-*, ...): the same
 * email delivered twice hashes alike; another email, even with the same Message-ID, does not. */
void intake_content_sha256(const void *data, size_t len, char out[65]);

/* The message (without attachment bytes, with their sizes and hashes) as a new JSON object;
 * for debugging and `minca mail parse --json`. Caller json_decref()s it. */
json_t *intake_message_to_json(const intake_message *msg);

/* Addresses of the authors of the emails msg forwards, newest first, without msg's own sender:
 * the From of each forwarded message/rfc822 part, and the From/De line of each forwarded header
 * block in the body text of a forward ("RV:", "Fwd:", a "Mensaje reenviado" marker; Outlook and
 * Gmail forms in Spanish and English, vocabulary in data/intake/forward.txt). Lower case.
 * Returns a NULL-terminated vector the caller frees with g_strfreev(); *n is its length. */
char **intake_forwarded_senders(const intake_message *msg, size_t *n);

/* The ids msg answers, to find its thread: In-Reply-To first, then the ids of References from
 * the newest (last) back, each once, bracketed as stored ("<id>"), at most 64. A
 * NULL-terminated vector the caller frees with g_strfreev(); *n is its length. */
char **intake_thread_ids(const intake_message *msg, size_t *n);

/* The COT numbers text mentions for an insurer whose numbers start with prefix
 * ("PREFIX-YYYY-NNNNNN" in any letter case, not inside a longer word), written with prefix as
 * given, each once, in the order met, at most 8, looked for in the first 64 KiB. A
 * NULL-terminated vector the caller frees with g_strfreev(); *n is its length. */
char **intake_cot_mentions(const char *text, const char *prefix, size_t *n);

/* Best plain text of the message: text_body, else the html body converted to text. The caller
 * g_free()s it; NULL when the message has no body. */
char *intake_message_text(const intake_message *msg);

/* Turns arbitrary bytes into valid UTF-8: valid sequences are kept, every invalid byte is
 * read as Windows-1252 (so mislabelled Latin-1 survives). Returns a new string (caller g_free()s);
 * *repaired (may be NULL) tells whether anything was changed. */
char *intake_utf8_repair(const char *data, size_t len, bool *repaired);

/* Filename sanitising used for attachments (exposed for tests). Returns a new string, or NULL
 * when nothing usable remains. */
char *intake_sanitize_filename(const char *name);

/* ---------------------------------------------------------------- sources ---- */

/* A mail source is one backend behind one ops table, the way a mail client keeps one ops
 * struct per mailbox type: eml (files), maildir, imap, graph (Microsoft 365) and manual
 * (typed in at the desk). Each lives in its own file, src/intake/source_<kind>.c, and is one
 * row of the table in source.c. A source yields raw messages one at a time with its own id
 * for each and the cursor to keep once that message is stored; the caller stores the message
 * and the cursor in one transaction, then acks, so a crash never loses or repeats mail. */

#define INTAKE_DEFAULT_MAX_MESSAGE_BYTES ((size_t)50 * 1024 * 1024)

typedef struct intake_source_opts {
    size_t max_message_bytes;   /* 0 = INTAKE_DEFAULT_MAX_MESSAGE_BYTES */
} intake_source_opts;

typedef struct intake_source intake_source;
typedef struct config_source config_source;

typedef struct intake_item {
    char *origin;      /* readable place the bytes came from: a path, "imap://host/INBOX;UID=7" (g_malloc'd) */
    char *data;        /* the raw message, NUL-terminated (g_malloc'd); NULL for a cursor-only step */
    size_t len;
    const char *source; /* static: the kind of the source ("eml", "maildir", "imap", ...) */
    char *source_id;   /* the source's own id of the message (path, "UIDVALIDITY:UID", Graph id);
                          g_malloc'd, may be NULL for a cursor-only step */
    char *cursor;      /* cursor to keep once this item is stored (g_malloc'd), NULL: unchanged */
    /* The message's identity when the source knows it better than the bytes it hands in (a
     * source that rebuilds MIME, such as Graph, hashes what the server gave): lower-case
     * SHA-256 hex, or "" to hash the bytes (intake_content_sha256). */
    char content_sha256[65];
    /* Remarks the source has on the message (an attachment it could not fetch, with its link),
     * kept as problems of the message: g_malloc'd strings, n_notes of them, or NULL. */
    char **notes;
    size_t n_notes;
} intake_item;

/* What a source is opened with. Everything is borrowed for the life of the source. */
typedef struct intake_source_args {
    const char *name;                 /* configured name, for messages ("qualitas-imap") */
    const char *path;                 /* eml / maildir: the file or directory */
    const config_source *cfg;         /* configured source settings, or NULL */
    const char *cursor;               /* cursor kept from the last poll, or NULL (start) */
    size_t max_message_bytes;         /* 0 = INTAKE_DEFAULT_MAX_MESSAGE_BYTES */
    /* Optional: true when the message with this source id is already stored, so file
     * sources skip reading it again. */
    bool (*seen)(void *user, const char *source_id);
    void *seen_user;
    /* manual: the composed messages to hand out (borrowed; ownership stays with the caller) */
    const intake_item *items;
    size_t n_items;
} intake_source_args;

typedef struct intake_source_ops {
    const char *kind;       /* "eml", "maildir", "imap", "graph", "manual" */
    const char *summary;    /* one line for `minca intake list` */
    const char *example;    /* one source of this kind as a `sources:` entry, for `minca help intake` */
    /* Connects / lists; *state is the backend's. 0 or -1 with err. */
    int (*open)(const intake_source_args *args, void **state, minca_err *err);
    /* 1 item, 0 end, -1 this one message failed (err; item->source_id / cursor may be set so
     * the failure is recorded and passed), -2 the source failed (connection lost, auth). */
    int (*next)(void *state, intake_item *item, minca_err *err);
    /* After the item and its cursor are committed: the source's own follow-up (IMAP flag or
     * move). Optional; a failure is reported, the message stays stored. */
    int (*ack)(void *state, const intake_item *item, minca_err *err);
    /* Messages found when opened, or -1 when the source cannot tell. Optional. */
    long (*count)(void *state);
    void (*close)(void *state);
} intake_source_ops;

/* The backend of a kind, or NULL. */
const intake_source_ops *intake_source_ops_find(const char *kind);
/* Every backend, NULL-terminated. */
const intake_source_ops *const *intake_source_ops_all(void);

/* Opens a backend of the given kind. */
int intake_source_open_kind(const char *kind, const intake_source_args *args, intake_source **out,
                            minca_err *err);
/* Opens a path: a single file (any name), a directory of *.eml files (sorted by name), or a
 * Maildir (a directory with cur/ and/or new/: the files of cur/ then new/, each sorted).
 * opts may be NULL. The source is closed with intake_source_close(). */
int intake_source_open(const char *path, const intake_source_opts *opts, intake_source **out,
                       minca_err *err);
/* Next message, as ops->next. The caller clears the item with intake_item_clear(). */
int intake_source_next(intake_source *src, intake_item *item, minca_err *err);
int intake_source_ack(intake_source *src, const intake_item *item, minca_err *err);
void intake_item_clear(intake_item *item);
size_t intake_source_count(const intake_source *src);  /* messages found (0 when unknown) */
long intake_source_pending(const intake_source *src);  /* messages found, -1 when the source cannot tell */
const char *intake_source_kind(const intake_source *src);
void intake_source_close(intake_source *src);

/* IMAP IDLE (RFC 2177) on the source's mailbox: logs in as the source does, waits up to
 * timeout_s seconds for the server to announce new mail. Returns 1 when it did, 0 on timeout or
 * *stop, -2 when the server does not offer IDLE, -1 on a connection or login error (err). */
int intake_imap_idle(const intake_source_args *args, int timeout_s, const volatile sig_atomic_t *stop,
                     minca_err *err);

/* Microsoft Graph change notifications for a graph source that has `notification_url`
 * (and optionally `lifecycle_url`, default the same; `change_type`, default "created";
 * `subscription_minutes`, at most Microsoft's 4230 for mail; the clientState from
 * `client_state_env` / `client_state_file`). */
typedef struct intake_graph_subscription {
    char *id;        /* Graph's subscription id (g_malloc'd; intake_graph_subscription_clear) */
    int64_t expires; /* expirationDateTime Graph accepted, seconds since the epoch */
    bool created;    /* a new subscription (POST), not a renewal (PATCH) */
} intake_graph_subscription;
/* Renews current_id (PATCH expirationDateTime), or creates one (POST /subscriptions, which
 * Graph validates by calling notification_url and lifecycle_url with a validationToken) when
 * current_id is NULL or Graph no longer knows it (404). 0 with *out filled, -1 (err). */
int intake_graph_subscribe(const intake_source_args *args, const char *current_id, intake_graph_subscription *out,
                           minca_err *err);
void intake_graph_subscription_clear(intake_graph_subscription *sub);
/* The lifetime asked for a subscription, in minutes (subscription_minutes, capped at 4230). */
int intake_graph_subscription_minutes(const config_source *cfg);

/* Reads a credential named by a source setting: `KEY_env` (an environment variable) or
 * `KEY_file` (a regular file owned by this user and unreadable by others; one trailing
 * newline is dropped). *out is the caller's (g_free, ideally after wiping it). Fails with
 * a message that names the variable or file, never the value. */
int intake_source_secret(const config_source *cfg, const char *key, char **out, minca_err *err);

/* Sends raw (len bytes, a whole message) from `from` to `to` through the SMTP server of cfg's
 * settings: smtp_url (smtps:// implicit TLS, smtp:// with STARTTLS required; plain only with
 * smtp_tls: none to a server on this machine), smtp_user with smtp_password_env or
 * smtp_password_file (AUTH), ca_file, connect_timeout, timeout. 0 when the server accepted
 * it, -1 with the reason. */
int intake_smtp_send(const config_source *cfg, const char *from, const char *to, const char *raw, size_t len,
                     minca_err *err);
/* The configured source a reply goes out through: the source named (the case's own) when it
 * has an smtp_url, else the first source that has one; NULL when none has. Borrowed. */
const config_source *intake_smtp_source(const char *name);

/* ------------------------------------------------------------ composing ---- */

typedef struct intake_compose_attachment {
    const char *path;           /* file to attach (read at compose time) */
    const char *filename;       /* name shown; NULL: the path's base name */
    const char *content_type;   /* NULL: guessed from the name */
    const void *data;           /* bytes instead of path (path NULL) */
    size_t size;
    const char *content_id;     /* inline part id, or NULL */
} intake_compose_attachment;

typedef struct intake_compose {
    const char *from;           /* "Name <addr>" or "addr"; required */
    const char *to;             /* NULL: none */
    const char *cc;
    const char *subject;        /* NULL: empty */
    const char *text_body;      /* UTF-8, may be NULL */
    const char *html_body;      /* UTF-8, may be NULL */
    const char *message_id;     /* "<id@host>" or NULL: a new unique one */
    int64_t date;               /* seconds since the epoch; 0: now */
    const intake_compose_attachment *attachments;
    size_t n_attachments;
    const char *const *extra_headers;  /* "Name", "value" pairs, NULL-terminated; may be NULL */
} intake_compose;

/* Builds a real MIME message (GMime): multipart/mixed when there are attachments,
 * multipart/alternative for text + HTML, UTF-8 bodies, RFC 2231 file names. *out (g_malloc'd,
 * NUL-terminated) receives the bytes; *message_id (may be NULL) a g_malloc'd copy of the
 * Message-ID used. Fails when `from` is not an address or a file cannot be read. */
int intake_compose_build(const intake_compose *c, char **out, size_t *len, char **message_id,
                         minca_err *err);

/* ------------------------------------------------- sending through Graph ---- */

/* A message the desk sends through a Microsoft Graph source's mailbox (graph_send.c).
 * Everything is borrowed for the call. */
typedef struct intake_graph_outgoing {
    const char *reply_to_id;    /* Graph id of the message answered (createReply on it, so Outlook
                                   threads it), or NULL: a new message (sendMail) */
    const char *to, *subject, *text_body;
    const char *message_id;     /* "<id@host>": the draft's internetMessageId, so the broker's
                                   answer names a message the desk knows */
    const intake_compose_attachment *attachments;   /* data + size + filename (+ content_type) */
    size_t n_attachments;
    const char *old_draft;      /* a draft an earlier attempt left (its Graph id), deleted first */
    /* Called with the draft's Graph id as soon as Graph created it (may be NULL). */
    void (*on_draft)(void *user, const char *draft_id);
    void *user;
} intake_graph_outgoing;

/* Sends m from the mailbox of graph source cfg (`user`): createReply on the message answered,
 * PATCH of the draft (recipient, subject, body, internetMessageId), each file added (POST
 * .../attachments as a fileAttachment up to `attachment_inline_kb`, 3 MB as Microsoft
 * documents, else through an upload session in chunks under 4 MB), then POST .../send; a new
 * message goes with sendMail (or as a draft when a file is large). 429 and 503 wait out
 * Retry-After; a 401 renews the token once. Returns 0 when Graph accepted the send (202), -1
 * when nothing was sent (err; it may be tried again), -2 when the send was asked and no
 * definite answer came (err: it may have gone; never repeat it by itself). */
int intake_graph_send(const config_source *cfg, const intake_graph_outgoing *m, minca_err *err);

/* ----------------------------------------------------------- pre-analysis ---- */

typedef struct intake_analysis {
    char *client_name;          /* razón social as written */
    char *rfc;                  /* normalised: no separators, upper case */
    char *rfc_raw;              /* as written */
    bool rfc_valid;             /* shape, date and check digit all pass */
    char *contact_name;
    char *contact_phone;        /* as written */
    char *contact_email;
    const char *coverage;       /* static: "AMPLIA" / "LIMITADA" / "RC" or NULL */
    char *coverage_raw;
    const char *payment_terms;  /* static: "ANUAL" / "SEMESTRAL" / "TRIMESTRAL" / "MENSUAL" */
    char *payment_terms_raw;
    char *vigencia_start;       /* "YYYY-MM-DD" */
    char *vigencia_end;         /* "YYYY-MM-DD" */
    bool vigencia_end_implicit; /* end computed as start + 1 year ("anual a partir de …") */
    const char *uso;            /* static: "CARGA" / "PARTICULAR" / "COMERCIAL" / "PERSONAL" */
    char *uso_raw;              /* the use as the body states it after a label ("Uso: grúas de
                                 * arrastre"), kept also when no use of the vocabulary fits */
    char *loss_history;         /* the siniestralidad sentence */
    bool has_vehicle_source;    /* fleet attachment or a vehicle-like table in the body */

    /* Requirements not met, as stable codes: "client_name", "rfc", "rfc_invalid",
     * "vigencia", "coverage", "payment_terms", "vehicle_list". */
    char **missing;
    size_t n_missing;
    char **notes;               /* readable remarks: ambiguities, corrections, guesses */
    size_t n_notes;
} intake_analysis;

/* Pre-analyses the message body. The newest statement wins: the text above the quoted
 * history is read first, then the quoted history, then forwarded messages, each field taken
 * from the first place that states it. *out is freed with intake_analysis_free(). */
int intake_analyze(const intake_message *msg, intake_analysis **out, minca_err *err);
/* The same over plain text only (no attachments known: has_vehicle_source from the text). */
int intake_analyze_text(const char *text, intake_analysis **out, minca_err *err);
void intake_analysis_free(intake_analysis *a);
/* Adds a readable remark to a->notes (copied). */
void intake_analysis_note(intake_analysis *a, const char *text);
/* Recomputes a->missing from the fields now set (after fields were filled from elsewhere). */
void intake_analysis_refill_missing(intake_analysis *a);
/* Adds a code to a->missing (copied). */
void intake_analysis_add_missing(intake_analysis *a, const char *code);
json_t *intake_analysis_to_json(const intake_analysis *a);

/* RFC helpers: normalise (drop spaces, '-', '.', '_', upper-case incl. ñ→Ñ) into a new
 * string; NULL when the result is not 12 or 13 characters. */
char *intake_rfc_normalize(const char *raw);
/* True when rfc (normalised) has the SAT shape, a real date and the right check digit. */
bool intake_rfc_valid(const char *rfc);

/* --------------------------------------------------------------- HTML ---- */

typedef struct intake_html_row {
    int tr_index;      /* 1-based position of this <tr> within its table */
    char **cells;      /* n_cells UTF-8 strings, whitespace collapsed; a colspan=N cell is
                          followed by N-1 empty strings so columns stay aligned */
    size_t n_cells;
} intake_html_row;

typedef struct intake_html_table {
    int index;         /* 0-based position of the <table> in document order */
    intake_html_row *rows;
    size_t n_rows;
} intake_html_table;

typedef struct intake_html_tables {
    intake_html_table *tables;
    size_t n_tables;
} intake_html_tables;

/* Extracts every <table> (nested tables separately; a row belongs to its nearest table).
 * *out is freed with intake_html_tables_free(). Never fails on bad HTML, only on no memory. */
int intake_html_tables_parse(const char *html, size_t len, intake_html_tables **out, minca_err *err);
void intake_html_tables_free(intake_html_tables *t);
/* Visible text of an HTML document: block elements and <br> become new lines, table cells
 * are separated by tabs, entities decoded. UTF-8 the caller g_free()s; never NULL for non-NULL input. */
char *intake_html_to_text(const char *html, size_t len);

#endif
