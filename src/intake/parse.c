/* intake_parse: raw RFC 5322 bytes → intake_message, via GMime.
 *
 * The MIME tree is walked once. The first inline text/plain and text/html parts of each
 * message (top level or forwarded) become its bodies; every other leaf is an attachment of the
 * top-level message, with `container` naming the forwarded message it sits in. Parser
 * warnings and anything repaired on the way become readable `problems`. */
#include "intake_internal.h"

#include <ctype.h>
#include <glib.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct parse_ctx {
    intake_message *top;
    GArray *atts;          /* intake_attachment */
    GPtrArray *warnings;   /* char *, from the GMime parser */
    GMimeParserOptions *opts; /* borrowed: the options of the top-level parse */
} parse_ctx;

static char *dup_utf8(const char *s)
{
    if (!s)
        return NULL;
    return intake_utf8_repair(s, strlen(s), NULL);
}

/* Header values must be one line: CR/LF/TAB become spaces, the ends are trimmed. */
static char *dup_line(const char *s)
{
    if (!s)
        return NULL;
    char *u = intake_utf8_repair(s, strlen(s), NULL);
    for (char *p = u; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\t')
            *p = ' ';
    char *t = core_trim(u);
    if (!*t) {
        g_free(u);
        return NULL;
    }
    char *r = g_strdup(t);
    g_free(u);
    return r;
}

static void add_problem(intake_message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_problem(intake_message *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    intake_strv_pushf(&m->problems, &m->n_problems, "%s", s);
    g_free(s);
}

static const char *warning_text(GMimeParserWarning code)
{
    switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER: return "header repeated";
    case GMIME_WARN_DUPLICATED_PARAMETER: return "header parameter repeated";
    case GMIME_WARN_UNENCODED_8BIT_HEADER: return "header with unencoded 8-bit characters";
    case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid Content-Type (read as application/octet-stream)";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "invalid RFC 2047 encoded header";
    case GMIME_WARN_MALFORMED_MULTIPART: return "multipart without any part";
    case GMIME_WARN_TRUNCATED_MESSAGE: return "message truncated (a multipart boundary is never closed)";
    case GMIME_WARN_MALFORMED_MESSAGE: return "malformed message";
    case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting repeated header";
    case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting repeated header parameter";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "multipart without a boundary";
    case GMIME_WARN_INVALID_PARAMETER: return "invalid header parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST: return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW: return "MIME nesting too deep (inner parts ignored)";
    case GMIME_WARN_PART_WITHOUT_CONTENT: return "MIME part without content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "MIME part without headers or content";
    default: return "MIME parser warning";
    }
}

static void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user)
{
    GPtrArray *w = user;
    if (w->len >= 50)
        return;
    /* A repeated header is ordinary (Received, duplicated X- headers); not worth a problem. */
    if (code == GMIME_WARN_DUPLICATED_HEADER || code == GMIME_WARN_UNENCODED_8BIT_HEADER)
        return;
    char *it = item ? dup_line(item) : NULL;
    if (it && strlen(it) > 80)
        it[80] = '\0';
    char where[40] = "";
    if (offset >= 0)
        snprintf(where, sizeof where, " (byte %lld)", (long long)offset);
    char *s = it ? g_strdup_printf("%s: %s%s", warning_text(code), it, where)
                 : g_strdup_printf("%s%s", warning_text(code), where);
    g_free(it);
    for (guint i = 0; i < w->len; i++)
        if (strcmp(g_ptr_array_index(w, i), s) == 0) {
            g_free(s);
            return;
        }
    g_ptr_array_add(w, s);
}

/* True when the data starts like a header block ("Name: value"), after an optional mbox
 * "From " line, BOM and blank lines. */
static bool looks_like_email(const char *data, size_t len, size_t *skip)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (data[i] == '\r' || data[i] == '\n'))
        i++;
    if (len - i >= 5 && memcmp(data + i, "From ", 5) == 0) {
        while (i < len && data[i] != '\n')
            i++;
        if (i < len)
            i++;
    }
    *skip = i;
    size_t j = i;
    while (j < len && j - i < 200) {
        unsigned char c = (unsigned char)data[j];
        if (c == ':')
            return j > i;
        if (c == ' ' || c == '\t') {   /* obsolete "Name : value" */
            while (j < len && (data[j] == ' ' || data[j] == '\t'))
                j++;
            return j > i && j < len && data[j] == ':' && data[i] != ' ' && data[i] != '\t';
        }
        if (c < 32 || c >= 127)
            return false;
        j++;
    }
    return false;
}

/* A text that merely starts with "word:" is not an email: at least one header every mail
 * system writes must be there. */
static bool has_standard_header(GMimeHeaderList *hl)
{
    static const char *const names[] = {"From", "To", "Subject", "Date", "Message-Id", "Received", "MIME-Version",
                                        "Content-Type", "Return-Path", "Delivered-To", "Sender", "Reply-To", "Cc",
                                        "In-Reply-To", "References", "X-Mailer", "User-Agent", NULL};
    for (size_t i = 0; names[i]; i++)
        if (g_mime_header_list_contains(hl, names[i]))
            return true;
    return false;
}

static char *bytes_of_part(GMimePart *part, size_t *len, bool *bad_base64)
{
    *len = 0;
    *bad_base64 = false;
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    if (!dw) {
        char *e = g_malloc(1);
        e[0] = '\0';
        return e;
    }
    if (g_mime_data_wrapper_get_encoding(dw) == GMIME_CONTENT_ENCODING_BASE64) {
        GMimeStream *raw = g_mime_data_wrapper_get_stream(dw);
        if (raw) {
            GMimeStream *copy = g_mime_stream_mem_new();
            g_mime_stream_reset(raw);
            g_mime_stream_write_to_stream(raw, copy);
            g_mime_stream_reset(raw);
            GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(copy));
            size_t sig = 0;
            for (guint i = 0; i < ba->len; i++) {
                unsigned char c = ba->data[i];
                if (isalnum(c) || c == '+' || c == '/')
                    sig++;
                else if (c != '=' && c != '\r' && c != '\n' && c != ' ' && c != '\t')
                    *bad_base64 = true;
            }
            if (sig % 4 == 1)
                *bad_base64 = true;
            g_object_unref(copy);
        }
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(dw, mem);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    char *out = g_malloc(ba->len + 1);
    if (out) {
        if (ba->len)
            memcpy(out, ba->data, ba->len);
        out[ba->len] = '\0';
        *len = ba->len;
    }
    g_object_unref(mem);
    return out;
}

static const char *ext_for_type(const char *ct)
{
    static const struct { const char *type, *ext; } map[] = {
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
        {"application/vnd.ms-excel", "xls"},
        {"text/csv", "csv"},
        {"application/pdf", "pdf"},
        {"image/png", "png"},
        {"image/jpeg", "jpg"},
        {"image/gif", "gif"},
        {"text/plain", "txt"},
        {"text/html", "html"},
        {"message/rfc822", "eml"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
        if (strcmp(ct, map[i].type) == 0)
            return map[i].ext;
    return "bin";
}

static bool has_ext(const char *name, const char *const *exts)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (!dot)
        return false;
    for (size_t i = 0; exts[i]; i++)
        if (g_ascii_strcasecmp(dot + 1, exts[i]) == 0)
            return true;
    return false;
}

static intake_role guess_role(const intake_attachment *a, bool in_related)
{
    static const char *const fleet_ext[] = {"xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "tsv", "pdf", NULL};
    static const char *const fleet_types[] = {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.macroenabled.12",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.spreadsheet",
        "text/csv", "application/csv", "text/tab-separated-values", "application/pdf", NULL};
    bool image = strncmp(a->content_type, "image/", 6) == 0;
    if (image && (in_related || a->content_id ||
                  (a->disposition && strcmp(a->disposition, "inline") == 0) || !a->filename_raw))
        return INTAKE_ROLE_INLINE_IMAGE;
    if (has_ext(a->filename, fleet_ext))
        return INTAKE_ROLE_FLEET_LIST;
    for (size_t i = 0; fleet_types[i]; i++)
        if (strcmp(a->content_type, fleet_types[i]) == 0)
            return INTAKE_ROLE_FLEET_LIST;
    return INTAKE_ROLE_OTHER;
}

const char *intake_role_name(intake_role role)
{
    switch (role) {
    case INTAKE_ROLE_FLEET_LIST: return "fleet_list";
    case INTAKE_ROLE_INLINE_IMAGE: return "inline_signature_image";
    default: return "other";
    }
}

static char *content_type_of(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    if (!ct)
        return g_strdup("application/octet-stream");
    const char *t = g_mime_content_type_get_media_type(ct);
    const char *s = g_mime_content_type_get_media_subtype(ct);
    char *r = core_strdup_printf("%s/%s", t && *t ? t : "application", s && *s ? s : "octet-stream");
    char *u = intake_utf8_repair(r, strlen(r), NULL);
    g_free(r);
    for (char *p = u; *p; p++)
        *p = (char)g_ascii_tolower(*p);
    return u;
}

static void add_attachment(parse_ctx *ctx, GMimeObject *obj, const char *container, bool in_related,
                           const unsigned char *bytes, size_t len, bool take_bytes)
{
    intake_attachment a = {0};
    a.content_type = content_type_of(obj);
    const char *disp = g_mime_object_get_disposition(obj);
    if (disp && *disp) {
        a.disposition = dup_line(disp);
        if (a.disposition)
            for (char *p = a.disposition; *p; p++)
                *p = (char)g_ascii_tolower(*p);
    }
    const char *cid = g_mime_object_get_content_id(obj);
    a.content_id = cid && *cid ? dup_line(cid) : NULL;
    const char *fname = GMIME_IS_PART(obj) ? g_mime_part_get_filename(GMIME_PART(obj)) : NULL;
    if (fname && *fname)
        a.filename_raw = dup_utf8(fname);
    a.filename = intake_sanitize_filename(a.filename_raw);
    if (!a.filename)
        a.filename = core_strdup_printf("attachment-%u.%s", ctx->atts->len + 1, ext_for_type(a.content_type));
    if (a.filename_raw && strcmp(a.filename_raw, a.filename) != 0)
        add_problem(ctx->top, "attachment name \"%s\" sanitised to \"%s\"", a.filename_raw, a.filename);
    if (take_bytes) {
        a.data = (unsigned char *)bytes;
    } else {
        a.data = g_malloc(len + 1);
        memcpy(a.data, bytes, len);
        a.data[len] = '\0';
    }
    a.size = len;
    core_sha256_hex(a.data, a.size, a.sha256);
    a.container = container ? g_strdup(container) : NULL;
    a.role = guess_role(&a, in_related);
    g_array_append_val(ctx->atts, a);
}

/* A type for a file known only by its name (files unpacked from winmail.dat). */
static const char *type_for_name(const char *name)
{
    static const struct { const char *ext, *type; } map[] = {
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"xlsm", "application/vnd.ms-excel.sheet.macroenabled.12"},
        {"xls", "application/vnd.ms-excel"},
        {"csv", "text/csv"},
        {"pdf", "application/pdf"},
        {"txt", "text/plain"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"eml", "message/rfc822"},
        {"msg", "application/vnd.ms-outlook"},
    };
    const char *dot = name ? strrchr(name, '.') : NULL;
    for (size_t i = 0; dot && i < G_N_ELEMENTS(map); i++)
        if (g_ascii_strcasecmp(dot + 1, map[i].ext) == 0)
            return map[i].type;
    return "application/octet-stream";
}

typedef struct tnef_sink {
    parse_ctx *ctx;
    const char *container;
    bool in_related;
} tnef_sink;

static void on_tnef_file(void *user, const char *name, const unsigned char *data, size_t len)
{
    tnef_sink *t = user;
    intake_attachment a = {0};
    a.content_type = g_strdup(type_for_name(name));
    a.disposition = g_strdup("attachment");
    a.filename_raw = dup_utf8(name);
    a.filename = intake_sanitize_filename(a.filename_raw);
    if (!a.filename)
        a.filename = core_strdup_printf("attachment-%u.bin", t->ctx->atts->len + 1);
    a.data = g_malloc(len + 1);
    if (len)
        memcpy(a.data, data, len);
    a.data[len] = '\0';
    a.size = len;
    core_sha256_hex(a.data, a.size, a.sha256);
    a.container = g_strdup(t->container);
    a.role = guess_role(&a, t->in_related);
    g_array_append_val(t->ctx->atts, a);
}

static bool is_tnef(GMimeContentType *ct, const char *fname)
{
    return (ct && (g_mime_content_type_is_type(ct, "application", "ms-tnef") ||
                   g_mime_content_type_is_type(ct, "application", "vnd.ms-tnef"))) ||
           (fname && g_ascii_strcasecmp(fname, "winmail.dat") == 0);
}

/* winmail.dat: its files become attachments (container "application/ms-tnef NAME"), its plain
 * body the message's when it has none. False (with a problem) when it cannot be read. */
static bool open_tnef(parse_ctx *ctx, intake_message *owner, const char *bytes, size_t len, const char *fname,
                      bool in_related)
{
    char *container = core_strdup_printf("application/ms-tnef %s", fname ? fname : "winmail.dat");
    tnef_sink sink = {.ctx = ctx, .container = container, .in_related = in_related};
    char *body = NULL;
    minca_err terr = {0};
    int n = intake_tnef_unpack(bytes, len, on_tnef_file, &sink, &body, &terr);
    g_free(container);
    if (n <= 0 && !body) {
        add_problem(ctx->top, "%s (Outlook rich text) could not be unpacked: %s", fname ? fname : "winmail.dat",
                    n < 0 ? terr.msg : "it holds no file and no text");
        return false;
    }
    if (body && !owner->text_body && !owner->html_body)
        owner->text_body = body;
    else
        g_free(body);
    return true;
}

/* ---- Outlook .msg items ---- */

static intake_message *new_message(void);

static bool is_outlook_item(GMimeContentType *ct, const char *fname, const char *bytes, size_t len)
{
    bool named = fname && strlen(fname) > 4 && g_ascii_strcasecmp(fname + strlen(fname) - 4, ".msg") == 0;
    bool typed = ct && g_mime_content_type_is_type(ct, "application", "vnd.ms-outlook");
    return (named || typed) && intake_msg_looks_like(bytes, len);
}

typedef struct msg_sink {
    parse_ctx *ctx;
    intake_message *fw;
    const char *container;
    bool in_related;
} msg_sink;

static intake_message *message_of_item(const intake_msg_item *it, const char *bytes, size_t len);

static void push_forwarded(intake_message *owner, intake_message *fw)
{
    owner->forwarded = g_realloc_n(owner->forwarded, owner->n_forwarded + 1, sizeof *owner->forwarded);
    owner->forwarded[owner->n_forwarded++] = fw;
}

static void on_msg_part(void *user, const char *name, const char *mime, const unsigned char *data, size_t len,
                        const intake_msg_item *item)
{
    msg_sink *m = user;
    if (item) {
        /* An Outlook item attached to the item: one more forwarded message. */
        push_forwarded(m->fw, message_of_item(item, name, strlen(name)));
        return;
    }
    tnef_sink t = {.ctx = m->ctx, .container = m->container, .in_related = m->in_related};
    on_tnef_file(&t, name, data, len);
    intake_attachment *a = &g_array_index(m->ctx->atts, intake_attachment, m->ctx->atts->len - 1);
    if (mime && strchr(mime, '/') && strcmp(a->content_type, "application/octet-stream") == 0) {
        g_free(a->content_type);
        a->content_type = g_ascii_strdown(mime, -1);
        a->role = guess_role(a, m->in_related);
    }
}

/* The fields of an Outlook item as a message (seed: bytes that name it when it has no id). */
static intake_message *message_of_item(const intake_msg_item *it, const char *seed, size_t seed_len)
{
    intake_message *fw = new_message();
    fw->headers = json_object();
    if (it->message_id && *it->message_id) {
        const char *id = it->message_id;
        fw->message_id = id[0] == '<' ? dup_utf8(id) : core_strdup_printf("<%s>", id);
    } else {
        char hex[65];
        core_sha256_hex(seed, seed_len, hex);
        fw->message_id = core_strdup_printf("<sha256-%s@minca.invalid>", hex);
        fw->message_id_synthetic = true;
    }
    if (it->from_addr) {
        fw->from_addr = g_ascii_strdown(it->from_addr, -1);
        const char *at = strrchr(fw->from_addr, '@');
        fw->sender_domain = at && at[1] ? g_strdup(at + 1) : NULL;
    }
    fw->from_name = dup_utf8(it->from_name);
    fw->to = dup_utf8(it->to);
    fw->subject = dup_utf8(it->subject);
    fw->text_body = dup_utf8(it->text_body);
    fw->html_body = dup_utf8(it->html_body);
    if (it->date) {
        GDateTime *dt = g_date_time_new_from_unix_utc(it->date);
        if (dt) {
            fw->date_valid = true;
            fw->date = it->date;
            char *iso = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
            fw->date_iso = dup_utf8(iso);
            g_free(iso);
            g_date_time_unref(dt);
        }
    }
    return fw;
}

/* An Outlook item (.msg): a forwarded message of owner, its files attachments (container
 * "application/vnd.ms-outlook NAME"). False (with a problem) when it cannot be read. */
static bool open_outlook_item(parse_ctx *ctx, intake_message *owner, const char *bytes, size_t len,
                              const char *fname, bool in_related)
{
    const char *name = fname ? fname : "item.msg";
    char *container = core_strdup_printf("application/vnd.ms-outlook %s", name);
    intake_message *fw = new_message();
    msg_sink sink = {.ctx = ctx, .fw = fw, .container = container, .in_related = in_related};
    intake_msg_item it;
    minca_err merr = {0};
    int n = intake_msg_read(bytes, len, on_msg_part, &sink, &it, &merr);
    g_free(container);
    if (n < 0) {
        intake_message_free(fw);
        add_problem(ctx->top, "Outlook item %s could not be read: %s", name, merr.msg);
        return false;
    }
    intake_message *filled = message_of_item(&it, bytes, len);
    /* The attached items found while reading belong to the filled message. */
    filled->forwarded = fw->forwarded;
    filled->n_forwarded = fw->n_forwarded;
    fw->forwarded = NULL;
    fw->n_forwarded = 0;
    intake_message_free(fw);
    if (it.truncated)
        add_problem(ctx->top, "Outlook item %s is larger than it claims or holds too many parts; read in part", name);
    if (!filled->from_addr && !filled->subject && !filled->text_body && !filled->html_body && n == 0)
        add_problem(ctx->top, "Outlook item %s holds no sender, subject, body or file", name);
    intake_msg_item_clear(&it);
    push_forwarded(owner, filled);
    return true;
}

static char *append_text(char *body, const char *more)
{
    if (!body)
        return g_strdup(more);
    char *r = core_strdup_printf("%s\n%s", body, more);
    g_free(body);
    return r;
}

static void fill_headers(intake_message *m, GMimeMessage *gm);
static void walk(parse_ctx *ctx, intake_message *owner, GMimeObject *obj, const char *container,
                 bool in_related, int depth);

static intake_message *new_message(void)
{
    return g_malloc0_n(1, sizeof(intake_message));
}

static void walk_inner_message(parse_ctx *ctx, intake_message *owner, GMimeMessage *inner, int depth)
{
    intake_message *fw = new_message();
    fill_headers(fw, inner);
    if (fw->message_id_synthetic) {
        /* Stable id for a forwarded message without Message-ID: hash of its serialised form. */
        char *raw = g_mime_object_to_string(GMIME_OBJECT(inner), NULL);
        char hex[65];
        core_sha256_hex(raw ? raw : "", raw ? strlen(raw) : 0, hex);
        g_free(raw);
        g_free(fw->message_id);
        fw->message_id = core_strdup_printf("<sha256-%s@minca.invalid>", hex);
    }
    for (size_t i = 0; i < fw->n_problems; i++)
        add_problem(ctx->top, "forwarded message %s: %s", fw->message_id, fw->problems[i]);
    char *cont = core_strdup_printf("message/rfc822 %s", fw->message_id);
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body)
        walk(ctx, fw, body, cont, false, depth + 1);
    g_free(cont);
    push_forwarded(owner, fw);
}

static void walk_message_part(parse_ctx *ctx, intake_message *owner, GMimeMessagePart *mp,
                              bool in_related, int depth)
{
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    if (!inner) {
        add_attachment(ctx, GMIME_OBJECT(mp), NULL, in_related, (const unsigned char *)"", 0, false);
        add_problem(ctx->top, "empty message/rfc822 part");
        return;
    }
    walk_inner_message(ctx, owner, inner, depth);
}

static bool is_message_type(GMimeContentType *ct)
{
    return ct && (g_mime_content_type_is_type(ct, "message", "rfc822") ||
                  g_mime_content_type_is_type(ct, "message", "global"));
}

/* A message/rfc822 part GMime kept as a leaf because it carries a transfer encoding (base64 or
 * quoted-printable, as Outlook and Graph write them): its decoded bytes are parsed as a message
 * and opened like any forwarded one. False when they are not an email (the caller keeps them). */
static bool open_encoded_message(parse_ctx *ctx, intake_message *owner, const char *bytes, size_t len,
                                 int depth)
{
    size_t skip = 0;
    if (!looks_like_email(bytes, len, &skip))
        return false;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes + skip, len - skip);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *inner = g_mime_parser_construct_message(parser, ctx->opts);
    bool ok = false;
    if (inner) {
        GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(inner));
        ok = hl && has_standard_header(hl);
        if (ok)
            walk_inner_message(ctx, owner, inner, depth);
        g_object_unref(inner);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return ok;
}

static void walk(parse_ctx *ctx, intake_message *owner, GMimeObject *obj, const char *container,
                 bool in_related, int depth)
{
    if (!obj)
        return;
    if (depth > MAX_DEPTH) {
        add_problem(ctx->top, "MIME nesting deeper than %d levels; inner parts ignored", MAX_DEPTH);
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        bool related = in_related || (ct && g_mime_content_type_is_type(ct, "multipart", "related"));
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            walk(ctx, owner, g_mime_multipart_get_part(mp, i), container, related, depth + 1);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        walk_message_part(ctx, owner, GMIME_MESSAGE_PART(obj), in_related, depth);
        return;
    }
    if (!GMIME_IS_PART(obj)) {
        /* message/partial and anything else: keep the serialised bytes as an attachment. */
        char *raw = g_mime_object_to_string(obj, NULL);
        add_attachment(ctx, obj, container, in_related, (const unsigned char *)(raw ? raw : ""),
                       raw ? strlen(raw) : 0, false);
        g_free(raw);
        return;
    }
    GMimePart *part = GMIME_PART(obj);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *disp = g_mime_object_get_disposition(obj);
    bool is_attachment_disp = disp && g_ascii_strcasecmp(disp, "attachment") == 0;
    const char *fname = g_mime_part_get_filename(part);
    bool named = fname && *fname;
    bool is_plain = ct && g_mime_content_type_is_type(ct, "text", "plain");
    bool is_html = ct && g_mime_content_type_is_type(ct, "text", "html");
    size_t len = 0;
    bool bad64 = false;
    char *bytes = bytes_of_part(part, &len, &bad64);
    if (!bytes)
        return;
    if (bad64)
        add_problem(ctx->top, "invalid base64 in part %s; decoded what could be read",
                    named ? fname : (is_plain ? "text/plain" : is_html ? "text/html" : "(unnamed)"));
    if (is_message_type(ct)) {
        if (open_encoded_message(ctx, owner, bytes, len, depth)) {
            g_free(bytes);
            return;
        }
        add_problem(ctx->top, "message/rfc822 part %s does not hold an email; kept as an attachment",
                    named ? fname : "(unnamed)");
    }
    if (is_tnef(ct, fname) && open_tnef(ctx, owner, bytes, len, fname, in_related)) {
        g_free(bytes);
        return;
    }
    if (is_outlook_item(ct, fname, bytes, len) && open_outlook_item(ctx, owner, bytes, len, fname, in_related)) {
        g_free(bytes);
        return;
    }
    if ((is_plain || is_html) && !is_attachment_disp && !named) {
        const char *charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
        char *note = NULL;
        char *text = intake_to_utf8(bytes, len, charset, &note);
        if (note) {
            add_problem(ctx->top, "%s", note);
            g_free(note);
        }
        g_free(bytes);
        if (is_plain)
            owner->text_body = append_text(owner->text_body, text);
        else if (!owner->html_body)
            owner->html_body = g_strdup(text);
        else
            owner->html_body = append_text(owner->html_body, text);
        g_free(text);
        return;
    }
    add_attachment(ctx, obj, container, in_related, (unsigned char *)bytes, len, true);
}

static char *bracket_id(const char *id)
{
    if (!id)
        return NULL;
    char *t = dup_line(id);
    if (!t)
        return NULL;
    /* Ids never contain spaces, controls or angle brackets. */
    size_t w = 0;
    for (size_t r = 0; t[r]; r++)
        if (t[r] != ' ' && t[r] != '<' && t[r] != '>')
            t[w++] = t[r];
    t[w] = '\0';
    char *r = *t ? core_strdup_printf("<%s>", t) : NULL;
    g_free(t);
    return r;
}

static void fill_addresses(intake_message *m, GMimeMessage *gm)
{
    InternetAddressList *from = g_mime_message_get_from(gm);
    for (int i = 0; from && i < internet_address_list_length(from) && !m->from_addr; i++) {
        InternetAddress *ia = internet_address_list_get_address(from, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
            if (members && internet_address_list_length(members) > 0)
                ia = internet_address_list_get_address(members, 0);
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
            continue;
        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        const char *name = internet_address_get_name(ia);
        m->from_addr = dup_line(addr);
        if (m->from_addr)
            for (char *p = m->from_addr; *p; p++)
                *p = (char)g_ascii_tolower(*p);
        m->from_name = dup_line(name);
        const char *at = m->from_addr ? strrchr(m->from_addr, '@') : NULL;
        if (at && at[1])
            m->sender_domain = g_strdup(at + 1);
    }
    InternetAddressList *to = g_mime_message_get_to(gm);
    InternetAddressList *cc = g_mime_message_get_cc(gm);
    if (to && internet_address_list_length(to) > 0) {
        char *s = internet_address_list_to_string(to, NULL, FALSE);
        m->to = dup_line(s);
        g_free(s);
    }
    if (cc && internet_address_list_length(cc) > 0) {
        char *s = internet_address_list_to_string(cc, NULL, FALSE);
        m->cc = dup_line(s);
        g_free(s);
    }
}

static void fill_json_headers(intake_message *m, GMimeMessage *gm)
{
    m->headers = json_object();
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(gm));
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        if (!name || !*name)
            continue;
        char *key = dup_utf8(name);
        char *val = value ? dup_line(value) : NULL;
        json_t *jv = json_string(val ? val : "");
        json_t *prev = json_object_get(m->headers, key);
        if (!prev) {
            json_object_set_new(m->headers, key, jv);
        } else if (json_is_array(prev)) {
            json_array_append_new(prev, jv);
        } else {
            json_t *arr = json_array();
            json_array_append(arr, prev);
            json_array_append_new(arr, jv);
            json_object_set_new(m->headers, key, arr);
        }
        g_free(key);
        g_free(val);
    }
}

/* Ids, addresses, subject, date and headers of one message (top level or forwarded).
 * message_id is left as a placeholder flagged synthetic when absent; the caller hashes. */
static void fill_headers(intake_message *m, GMimeMessage *gm)
{
    const char *mid = g_mime_message_get_message_id(gm);
    m->message_id = bracket_id(mid);
    if (!m->message_id) {
        const char *rawmid = g_mime_object_get_header(GMIME_OBJECT(gm), "Message-Id");
        if (rawmid && *rawmid)
            add_problem(m, "unusable Message-ID \"%.80s\"; a synthetic one is used", rawmid);
        else
            add_problem(m, "no Message-ID; a synthetic one is used");
        m->message_id = g_strdup("<>");
        m->message_id_synthetic = true;
    }
    const char *irt = g_mime_object_get_header(GMIME_OBJECT(gm), "In-Reply-To");
    if (irt && *irt) {
        char *dec = g_mime_utils_decode_message_id(irt);
        m->in_reply_to = bracket_id(dec ? dec : irt);
        g_free(dec);
    }
    const char *refs = g_mime_object_get_header(GMIME_OBJECT(gm), "References");
    m->references = refs ? dup_line(refs) : NULL;
    fill_addresses(m, gm);
    const char *subj = g_mime_message_get_subject(gm);
    m->subject = subj ? dup_line(subj) : NULL;
    if (!m->subject && subj)
        m->subject = g_strdup("");
    const char *rawdate = g_mime_object_get_header(GMIME_OBJECT(gm), "Date");
    GDateTime *dt = g_mime_message_get_date(gm);
    if (dt && rawdate && *rawdate) {
        m->date_valid = true;
        m->date = (int64_t)g_date_time_to_unix(dt);
        char *iso = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S%:z");
        m->date_iso = dup_utf8(iso);
        g_free(iso);
    } else if (rawdate && *rawdate) {
        add_problem(m, "unparseable Date \"%.80s\"", rawdate);
    } else {
        add_problem(m, "no Date header");
    }
    if (!m->from_addr)
        add_problem(m, "no usable From address");
    fill_json_headers(m, gm);
}

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!g_ascii_isspace(*s))
            return false;
    return true;
}

/* An empty part (a header-only message has one) is no body. */
static void drop_blank_bodies(intake_message *m)
{
    if (m->text_body && blank(m->text_body)) {
        g_free(m->text_body);
        m->text_body = NULL;
    }
    if (m->html_body && blank(m->html_body)) {
        g_free(m->html_body);
        m->html_body = NULL;
    }
    for (size_t i = 0; i < m->n_forwarded; i++)
        drop_blank_bodies(m->forwarded[i]);
}

int intake_parse(const void *data, size_t len, intake_message **out, minca_err *err)
{
    *out = NULL;
    if (!data || len == 0)
        return minca_err_set(err, "not an email: empty input");
    size_t skip = 0;
    if (!looks_like_email(data, len, &skip))
        return minca_err_set(err, "not an email: the data does not start with a header block");
    intake_gmime_init();

    int rc = -1;
    parse_ctx ctx = {0};
    ctx.atts = g_array_new(FALSE, TRUE, sizeof(intake_attachment));
    ctx.warnings = g_ptr_array_new_with_free_func(g_free);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    static const char *fallback[] = {"UTF-8", "WINDOWS-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_warning_callback(opts, on_parser_warning, ctx.warnings);
    ctx.opts = opts;

    GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data + skip, len - skip);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *gm = g_mime_parser_construct_message(parser, opts);
    intake_message *m = NULL;
    if (!gm) {
        minca_err_set(err, "not an email: no message could be parsed");
        goto done;
    }
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(gm));
    if (!hl || g_mime_header_list_get_count(hl) == 0) {
        minca_err_set(err, "not an email: no headers");
        goto done;
    }
    if (!has_standard_header(hl)) {
        minca_err_set(err, "not an email: none of From, To, Subject, Date, Message-ID, Received, Content-Type");
        goto done;
    }

    m = new_message();
    ctx.top = m;
    fill_headers(m, gm);
    if (m->message_id_synthetic) {
        char hex[65];
        core_sha256_hex(data, len, hex);
        g_free(m->message_id);
        m->message_id = core_strdup_printf("<sha256-%s@minca.invalid>", hex);
    }
    GMimeObject *body = g_mime_message_get_mime_part(gm);
    if (body)
        walk(&ctx, m, body, NULL, false, 0);
    drop_blank_bodies(m);
    if (!m->text_body && !m->html_body && ctx.atts->len == 0 && m->n_forwarded == 0)
        add_problem(m, "message has no body");
    for (guint i = 0; i < ctx.warnings->len; i++)
        add_problem(m, "%s", (const char *)g_ptr_array_index(ctx.warnings, i));

    m->n_attachments = ctx.atts->len;
    m->attachments = (intake_attachment *)g_array_free(ctx.atts, FALSE);
    ctx.atts = NULL;
    if (m->n_attachments == 0) {
        g_free(m->attachments);
        m->attachments = NULL;
    }
    *out = m;
    m = NULL;
    rc = 0;
done:
    if (ctx.atts) {
        for (guint i = 0; i < ctx.atts->len; i++) {
            intake_attachment *a = &g_array_index(ctx.atts, intake_attachment, i);
            g_free(a->filename); g_free(a->filename_raw); g_free(a->content_type); g_free(a->disposition);
            g_free(a->content_id); g_free(a->data); g_free(a->container);
        }
        g_array_free(ctx.atts, TRUE);
    }
    intake_message_free(m);
    g_ptr_array_free(ctx.warnings, TRUE);
    if (gm)
        g_object_unref(gm);
    g_object_unref(parser);
    g_object_unref(stream);
    g_mime_parser_options_free(opts);
    return rc;
}

void intake_message_free(intake_message *m)
{
    if (!m)
        return;
    g_free(m->message_id); g_free(m->in_reply_to); g_free(m->references);
    g_free(m->from_addr); g_free(m->from_name); g_free(m->sender_domain);
    g_free(m->to); g_free(m->cc); g_free(m->subject); g_free(m->date_iso);
    g_free(m->text_body); g_free(m->html_body);
    if (m->headers)
        json_decref(m->headers);
    for (size_t i = 0; i < m->n_attachments; i++) {
        intake_attachment *a = &m->attachments[i];
        g_free(a->filename); g_free(a->filename_raw); g_free(a->content_type); g_free(a->disposition);
        g_free(a->content_id); g_free(a->data); g_free(a->container);
    }
    g_free(m->attachments);
    for (size_t i = 0; i < m->n_forwarded; i++)
        intake_message_free(m->forwarded[i]);
    g_free(m->forwarded);
    intake_strv_free(m->problems, m->n_problems);
    g_free(m);
}

char *intake_message_text(const intake_message *m)
{
    if (!m)
        return NULL;
    if (m->text_body && *m->text_body)
        return g_strdup(m->text_body);
    if (m->html_body)
        return intake_html_to_text(m->html_body, strlen(m->html_body));
    return NULL;
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *intake_message_to_json(const intake_message *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "message_id", jstr(m->message_id));
    json_object_set_new(o, "message_id_synthetic", json_boolean(m->message_id_synthetic));
    json_object_set_new(o, "in_reply_to", jstr(m->in_reply_to));
    json_object_set_new(o, "from_addr", jstr(m->from_addr));
    json_object_set_new(o, "from_name", jstr(m->from_name));
    json_object_set_new(o, "sender_domain", jstr(m->sender_domain));
    json_object_set_new(o, "to", jstr(m->to));
    json_object_set_new(o, "cc", jstr(m->cc));
    json_object_set_new(o, "subject", jstr(m->subject));
    json_object_set_new(o, "date", m->date_valid ? json_integer(m->date) : json_null());
    json_object_set_new(o, "date_iso", jstr(m->date_iso));
    json_object_set_new(o, "text_body", jstr(m->text_body));
    json_object_set_new(o, "html_body", jstr(m->html_body));
    json_object_set_new(o, "headers", m->headers ? json_incref(m->headers) : json_object());
    json_t *atts = json_array();
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_attachment *a = &m->attachments[i];
        json_t *ja = json_object();
        json_object_set_new(ja, "filename", jstr(a->filename));
        json_object_set_new(ja, "filename_raw", jstr(a->filename_raw));
        json_object_set_new(ja, "content_type", jstr(a->content_type));
        json_object_set_new(ja, "disposition", jstr(a->disposition));
        json_object_set_new(ja, "content_id", jstr(a->content_id));
        json_object_set_new(ja, "size", json_integer((json_int_t)a->size));
        json_object_set_new(ja, "sha256", json_string(a->sha256));
        json_object_set_new(ja, "container", jstr(a->container));
        json_object_set_new(ja, "role", json_string(intake_role_name(a->role)));
        json_array_append_new(atts, ja);
    }
    json_object_set_new(o, "attachments", atts);
    json_t *fw = json_array();
    for (size_t i = 0; i < m->n_forwarded; i++)
        json_array_append_new(fw, intake_message_to_json(m->forwarded[i]));
    json_object_set_new(o, "forwarded", fw);
    json_object_set_new(o, "problems", intake_json_strv(m->problems, m->n_problems));
    return o;
}
