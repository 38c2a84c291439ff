/* Builds a real MIME message from fields typed at the desk (or read from Microsoft Graph's
 * JSON), with GMime, so it reaches the pipeline exactly like mail from any other source. */
#include "intake_internal.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *guess_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {".xls", "application/vnd.ms-excel"},
        {".csv", "text/csv"},
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".html", "text/html"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".eml", "message/rfc822"},
        {".zip", "application/zip"},
    };
    size_t l = name ? strlen(name) : 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (l > e && g_ascii_strcasecmp(name + l - e, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

static GMimePart *text_part(const char *subtype, const char *text)
{
    GMimeTextPart *p = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(p, text);   /* UTF-8; GMime picks the transfer encoding */
    return (GMimePart *)p;
}

static GMimeObject *body_object(const intake_compose *c)
{
    const char *text = c->text_body, *html = c->html_body;
    if (text && html) {
        GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
        GMimePart *t = text_part("plain", text), *h = text_part("html", html);
        g_mime_multipart_add(alt, (GMimeObject *)t);
        g_mime_multipart_add(alt, (GMimeObject *)h);
        g_object_unref(t);
        g_object_unref(h);
        return (GMimeObject *)alt;
    }
    return (GMimeObject *)(html ? text_part("html", html) : text_part("plain", text ? text : ""));
}

/* An attached email (Outlook's "forward as attachment", Graph's itemAttachment) becomes a
 * message/rfc822 part holding the parsed message, written as itself: RFC 2046 allows only
 * 7bit, 8bit or binary there, and readers (ours too) open no other. NULL when the bytes are
 * not an email; the caller attaches them as plain bytes then. */
static GMimeObject *message_part(const char *data, size_t len)
{
    if (!data || len == 0)
        return NULL;
    GMimeStream *mem = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(mem);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *inner = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(mem);
    if (!inner)
        return NULL;
    GMimeHeaderList *hl = g_mime_object_get_header_list((GMimeObject *)inner);
    if (!hl || (!g_mime_header_list_contains(hl, "From") && !g_mime_header_list_contains(hl, "Message-Id") &&
                !g_mime_header_list_contains(hl, "Subject"))) {
        g_object_unref(inner);
        return NULL;
    }
    bool eight = false, binary = false;
    for (size_t i = 0; i < len && !binary; i++) {
        if (data[i] == '\0')
            binary = true;
        else if ((unsigned char)data[i] >= 0x80)
            eight = true;
    }
    GMimeMessagePart *mp = g_mime_message_part_new_with_message("rfc822", inner);
    g_object_unref(inner);
    g_mime_object_set_header((GMimeObject *)mp, "Content-Transfer-Encoding",
                             binary ? "binary" : eight ? "8bit" : "7bit", NULL);
    return (GMimeObject *)mp;
}

static GMimePart *attachment_part(const intake_compose_attachment *a, minca_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (a->path) {
        if (core_read_file(a->path, INTAKE_DEFAULT_MAX_MESSAGE_BYTES, &data, &len, err) < 0)
            return NULL;
    } else {
        data = g_malloc(a->size + 1);
        memcpy(data, a->data, a->size);
        len = a->size;
    }
    char *base = NULL;
    const char *name = a->filename;
    if (!name && a->path) {
        base = g_path_get_basename(a->path);
        name = base;
    }
    const char *ctype = a->content_type && *a->content_type ? a->content_type : guess_type(name);
    if (g_ascii_strcasecmp(ctype, "message/rfc822") == 0)
        ctype = "application/octet-stream";   /* not an email (message_part refused it) */
    GMimeContentType *ct = g_mime_content_type_parse(NULL, ctype);
    GMimePart *part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
                                                g_mime_content_type_get_media_subtype(ct));
    g_object_unref(ct);
    GMimeStream *mem = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, w);
    g_object_unref(w);
    g_object_unref(mem);
    g_free(data);
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    if (name)
        g_mime_part_set_filename(part, name);   /* RFC 2231 when it is not ASCII */
    if (a->content_id) {
        g_mime_part_set_content_id(part, a->content_id);
        g_mime_object_set_disposition((GMimeObject *)part, GMIME_DISPOSITION_INLINE);
    } else {
        g_mime_object_set_disposition((GMimeObject *)part, GMIME_DISPOSITION_ATTACHMENT);
    }
    g_free(base);
    return part;
}

static GMimeObject *attachment_object(const intake_compose_attachment *a, minca_err *err)
{
    const char *ctype = a->content_type && *a->content_type ? a->content_type
                                                            : guess_type(a->filename ? a->filename : a->path);
    if (g_ascii_strcasecmp(ctype, "message/rfc822") == 0) {
        char *data = NULL;
        size_t len = 0;
        if (a->path) {
            if (core_read_file(a->path, INTAKE_DEFAULT_MAX_MESSAGE_BYTES, &data, &len, err) < 0)
                return NULL;
        }
        GMimeObject *mp = message_part(a->path ? data : a->data, a->path ? len : a->size);
        g_free(data);
        if (mp) {
            char *base = a->filename ? NULL : g_path_get_basename(a->path ? a->path : "message.eml");
            GMimeContentDisposition *d = g_mime_content_disposition_new();
            g_mime_content_disposition_set_disposition(d, GMIME_DISPOSITION_ATTACHMENT);
            g_mime_content_disposition_set_parameter(d, "filename", a->filename ? a->filename : base);
            g_mime_object_set_content_disposition(mp, d);
            g_object_unref(d);
            g_free(base);
            return mp;
        }
    }
    return (GMimeObject *)attachment_part(a, err);
}

static int add_addresses(GMimeMessage *m, GMimeAddressType type, const char *list, const char *what, minca_err *err)
{
    if (!list || !*list)
        return 0;
    InternetAddressList *parsed = internet_address_list_parse(NULL, list);
    if (!parsed || internet_address_list_length(parsed) == 0) {
        if (parsed)
            g_object_unref(parsed);
        return minca_err_set(err, "%s '%s' is not an email address", what, list);
    }
    internet_address_list_append(g_mime_message_get_addresses(m, type), parsed);
    g_object_unref(parsed);
    return 0;
}

static char *new_message_id(void)
{
    char *uuid = g_uuid_string_random();
    char *id = core_strdup_printf("<%s@desk.minca.invalid>", uuid);
    g_free(uuid);
    return id;
}

int intake_compose_build(const intake_compose *c, char **out, size_t *len, char **message_id, minca_err *err)
{
    *out = NULL;
    *len = 0;
    if (message_id)
        *message_id = NULL;
    intake_gmime_init();
    if (!c->from || !*c->from || !strchr(c->from, '@'))
        return minca_err_set(err, "a sender address (from) is required");
    int rc = -1;
    GMimeMessage *m = g_mime_message_new(TRUE);
    GMimeObject *body = NULL;
    char *mid = NULL;
    if (add_addresses(m, GMIME_ADDRESS_TYPE_FROM, c->from, "from", err) < 0 ||
        add_addresses(m, GMIME_ADDRESS_TYPE_TO, c->to, "to", err) < 0 ||
        add_addresses(m, GMIME_ADDRESS_TYPE_CC, c->cc, "cc", err) < 0)
        goto done;
    g_mime_message_set_subject(m, c->subject ? c->subject : "", "utf-8");
    GDateTime *when = c->date ? g_date_time_new_from_unix_local(c->date) : g_date_time_new_now_local();
    g_mime_message_set_date(m, when);
    g_date_time_unref(when);
    mid = c->message_id && *c->message_id ? g_strdup(c->message_id) : new_message_id();
    {
        /* GMime wants the id without angle brackets. */
        char *bare = g_strdup(mid[0] == '<' ? mid + 1 : mid);
        size_t bl = strlen(bare);
        if (bl && bare[bl - 1] == '>')
            bare[bl - 1] = '\0';
        g_mime_message_set_message_id(m, bare);
        g_free(bare);
    }
    for (size_t i = 0; c->extra_headers && c->extra_headers[i] && c->extra_headers[i + 1]; i += 2)
        g_mime_object_append_header((GMimeObject *)m, c->extra_headers[i], c->extra_headers[i + 1], "utf-8");
    body = body_object(c);
    if (c->n_attachments) {
        GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
        g_mime_multipart_add(mixed, body);
        for (size_t i = 0; i < c->n_attachments; i++) {
            GMimeObject *p = attachment_object(&c->attachments[i], err);
            if (!p) {
                g_object_unref(mixed);
                goto done;
            }
            g_mime_multipart_add(mixed, p);
            g_object_unref(p);
        }
        g_object_unref(body);
        body = (GMimeObject *)mixed;
    }
    g_mime_message_set_mime_part(m, body);
    {
        GMimeFormatOptions *fo = g_mime_format_options_clone(NULL);
        g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
        char *text = g_mime_object_to_string((GMimeObject *)m, fo);
        g_mime_format_options_free(fo);
        *len = strlen(text);
        *out = g_malloc(*len + 1);
        memcpy(*out, text, *len + 1);
        g_free(text);
    }
    if (message_id) {
        *message_id = mid;
        mid = NULL;
    }
    rc = 0;
done:
    g_free(mid);
    if (body)
        g_object_unref(body);
    g_object_unref(m);
    return rc;
}
