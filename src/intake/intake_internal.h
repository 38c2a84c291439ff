/* Helpers shared by the files of src/intake; not part of the public interface. */
#ifndef MINCA_INTAKE_INTERNAL_H
#define MINCA_INTAKE_INTERNAL_H

#include "minca/intake.h"

#include <stdarg.h>

/* The data files' directory intake_set_data_dir gave ("data" when none). */
const char *intake_data_dir(void);

/* Growable string vectors (char **, count) as used by problems / missing / notes. */
void intake_strv_push(char ***v, size_t *n, char *owned);
void intake_strv_pushf(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool intake_strv_contains(char *const *v, size_t n, const char *s);
void intake_strv_free(char **v, size_t n);

/* Converts bytes in `charset` (NULL/empty = unknown) to valid UTF-8 without NULs. *note (may be
 * NULL) receives a g_malloc'd remark when the conversion was lossy or guessed. */
char *intake_to_utf8(const char *data, size_t len, const char *charset, char **note);

/* Calls g_mime_init() and xmlInitParser() exactly once, from any thread. */
void intake_gmime_init(void);

json_t *intake_json_strv(char *const *v, size_t n);

/* True when the normalised RFC has the SAT shape and a real date (check digit not verified). */
bool intake_rfc_shape_ok(const char *rfc);

/* True when every address the url's host resolves to is a loopback address (127.0.0.0/8,
 * ::1): the only place a plain connection is allowed. The name is resolved, never compared as
 * text. When pin is not NULL, a "host:port:address" entry is appended to *pin for
 * CURLOPT_RESOLVE, so the connection goes to the address that was checked (caller frees the
 * list with curl_slist_free_all). */
struct curl_slist;
bool intake_url_is_loopback(const char *url, struct curl_slist **pin);

/* Calls curl_global_init() exactly once, from any thread. */
void intake_curl_init(void);

/* A signed-in Microsoft Graph client of a graph source's settings (source_graph.c), for the
 * requests beside the delta poll (sending: graph_send.c). Everything it returns is its own
 * unless said otherwise. */
typedef struct graph_state intake_graph_client;
int intake_graph_client_open(const config_source *cfg, const char *name, intake_graph_client **out, minca_err *err);
void intake_graph_client_close(intake_graph_client *g);
/* method (NULL: GET) on {graph}/users/{user}{rest} with a JSON body (or NULL). 429 and 503 wait
 * out Retry-After, 401 renews the token once; a 504 is tried again only when may_repeat. 0 with
 * a 2xx answer, -1 otherwise (err; intake_graph_status: the answer's status, 0 when none came). */
int intake_graph_request(intake_graph_client *g, const char *method, const char *rest, const char *json,
                         const char *what, bool may_repeat, minca_err *err);
/* PUT of len bytes at offset of total to an upload session's pre-authenticated URL (no token). */
int intake_graph_upload(intake_graph_client *g, const char *url, const void *data, size_t len, size_t offset,
                        size_t total, minca_err *err);
json_t *intake_graph_answer(intake_graph_client *g);   /* the last answer parsed: new, caller decrefs; NULL */
long intake_graph_status(const intake_graph_client *g);
char *intake_graph_escape(intake_graph_client *g, const char *s);   /* for a path segment; g_free */
const char *intake_graph_user(const intake_graph_client *g);

/* ---- mail source backends (one file each, listed in source.c) ---- */
extern const intake_source_ops intake_source_eml_ops;
extern const intake_source_ops intake_source_maildir_ops;
extern const intake_source_ops intake_source_imap_ops;
extern const intake_source_ops intake_source_graph_ops;
extern const intake_source_ops intake_source_manual_ops;

/* An IMAP mailbox name in modified UTF-7 (RFC 3501 5.1.3); NULL when name is not UTF-8.
 * Caller g_free()s. */
char *intake_imap_mutf7(const char *name);
/* The UTF-8 of a modified UTF-7 name (as a LIST from a server without UTF8=ACCEPT gives it);
 * NULL when it is not well formed. Caller g_free()s. */
char *intake_imap_mutf7_decode(const char *wire);

/* winmail.dat (TNEF, Outlook's rich text): calls fn once per attachment with its name (UTF-8)
 * and bytes (borrowed for the call). *body (may be NULL) receives the stream's plain body as
 * g_malloc'd UTF-8, or NULL. Returns the number of attachments, -1 when the stream cannot be
 * read (err). */
typedef void (*intake_tnef_fn)(void *user, const char *name, const unsigned char *data, size_t len);
int intake_tnef_unpack(const void *data, size_t len, intake_tnef_fn fn, void *user, char **body, minca_err *err);

/* Outlook .msg items (msg.c, [MS-OXMSG] read with libgsf). Every string is g_malloc'd UTF-8
 * or NULL; intake_msg_item_clear() frees them. */
typedef struct intake_msg_item {
    char *subject, *from_addr, *from_name, *to, *message_id, *text_body, *html_body;
    int64_t date;      /* PR_CLIENT_SUBMIT_TIME (else PR_MESSAGE_DELIVERY_TIME), 0 when absent */
    bool truncated;    /* a bound was reached: some of it was not read */
} intake_msg_item;
/* Called once per attachment: a file (name, MIME type or NULL, bytes; item NULL) or an
 * attached Outlook item (item set, data NULL; its own files came through fn before it).
 * Everything is borrowed for the call. */
typedef void (*intake_msg_fn)(void *user, const char *name, const char *mime, const unsigned char *data, size_t len,
                              const intake_msg_item *item);
/* Reads a .msg: its fields into *out (cleared first), each attachment through fn. Returns the
 * number of attachments, -1 when the bytes are not a readable .msg (err). */
int intake_msg_read(const void *data, size_t len, intake_msg_fn fn, void *user, intake_msg_item *out, minca_err *err);
void intake_msg_item_clear(intake_msg_item *m);
/* The Compound File signature (an .msg, or an old Office document). */
bool intake_msg_looks_like(const void *data, size_t len);

/* A directory with cur/ or new/. */
bool intake_path_is_maildir(const char *path);

/* File-list state shared by the eml and maildir backends (source_files.c). */
typedef struct intake_files {
    char **paths;
    size_t n_paths, next;
    size_t max_bytes;
    bool maildir;
    bool (*seen)(void *user, const char *source_id);
    void *seen_user;
} intake_files;
int intake_files_open(const intake_source_args *args, bool maildir, void **state, minca_err *err);
int intake_files_next(void *state, intake_item *item, minca_err *err);
long intake_files_count(void *state);
void intake_files_close(void *state);

#endif
