/* Answers from the desk to a case's broker: drafted from templates kept as data, queued in
 * the outbox with their send job in one transaction. */
#include "minca/desk_reply.h"
#include "minca/core_config.h"
#include "minca/intake.h"
#include "minca/engine_steps.h"
#include "minca/store_outbox.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *share_file(const char *insurer, const char *name)
{
    char *p = g_strdup_printf("%s/templates/%s/reply/%s", config_share_dir(), insurer ? insurer : "", name);
    if (insurer && g_file_test(p, G_FILE_TEST_IS_REGULAR))
        return p;
    g_free(p);
    return g_strdup_printf("%s/templates/reply/%s", config_share_dir(), name);
}

/* The label of a missing requirement from fields.txt ("name = label"), else the name. */
static char *missing_label(const char *insurer, const char *name)
{
    char *path = share_file(insurer, "fields.txt"), *text = NULL, *label = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        gchar **lines = g_strsplit(text, "\n", -1);
        for (gchar **l = lines; *l && !label; l++) {
            if (**l == '#' || !strchr(*l, '='))
                continue;
            gchar **kv = g_strsplit(*l, "=", 2);
            if (strcmp(g_strstrip(kv[0]), name) == 0)
                label = g_strdup(g_strstrip(kv[1]));
            g_strfreev(kv);
        }
        g_strfreev(lines);
    }
    g_free(text);
    g_free(path);
    return label ? label : g_strdup(name);
}

/* {name} placeholders of text replaced by vars (pairs, NULL-terminated); unknown ones kept. */
static char *fill(const char *text, const char *const *vars)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        bool done = false;
        for (int i = 0; end && vars[i] && !done; i += 2)
            if ((size_t)(end - p - 1) == strlen(vars[i]) && strncmp(p + 1, vars[i], strlen(vars[i])) == 0) {
                g_string_append(out, vars[i + 1]);
                p = end + 1;
                done = true;
            }
        if (!done)
            g_string_append_c(out, *p++);
    }
    return g_string_free(out, FALSE);
}

static int draft_text(reply_draft *d, const store_reply_context_row *ctx, const store_reply_file_list *files,
                      const char *kind, minca_err *err)
{
    const char *insurer = ctx->insurer;
    GString *missing = g_string_new(NULL);
    size_t i;
    json_t *m;
    json_array_foreach(ctx->missing_requirements, i, m) {
        char *label = missing_label(insurer, json_string_value(m));
        g_string_append_printf(missing, "  - %s\n", label);
        g_free(label);
    }
    if (strcmp(kind, "missing") == 0 && missing->len == 0) {
        g_string_free(missing, TRUE);
        return minca_err_set(err, "case %s lacks nothing: no request for missing data to send", d->cot);
    }
    char version[16] = "";
    if (files->n)
        snprintf(version, sizeof version, "%d", files->items[0].version);
    char *name = g_strdup_printf("%s.txt", kind);
    char *path = share_file(insurer, name), *tpl = NULL;
    g_free(name);
    int rc = 0;
    if (!g_file_get_contents(path, &tpl, NULL, NULL)) {
        rc = minca_err_set(err, "cannot read the reply template %s", path);
    } else {
        const char *to_name = *ctx->to_name ? ctx->to_name : *ctx->broker ? ctx->broker : d->to_addr;
        const char *vars[] = {"cot", d->cot, "client", *ctx->client_name ? ctx->client_name : "su cliente",
                              "to_name", to_name, "missing", missing->str, "insurer_name", ctx->insurer_name,
                              "version", version, NULL};
        char *text = fill(tpl, vars);
        if (g_str_has_prefix(text, "Subject:")) {
            char *nl = strchr(text, '\n');
            d->subject = g_strstrip(g_strndup(text + 8, nl ? (size_t)(nl - text - 8) : strlen(text + 8)));
            d->body = g_strdup(nl ? nl + 1 : "");
        } else {
            d->subject = g_strdup_printf("Cotización %s", d->cot);
            d->body = g_strdup(text);
        }
        g_free(text);
        /* The COT is in the subject whatever the template says: the broker's answer finds its case. */
        if (!strstr(d->subject, d->cot)) {
            char *s = g_strdup_printf("%s [%s]", d->subject, d->cot);
            g_free(d->subject);
            d->subject = s;
        }
    }
    g_free(tpl);
    g_free(path);
    g_string_free(missing, TRUE);
    return rc;
}

static int draft_files(reply_draft *d, const store_reply_file_list *files, minca_err *err)
{
    if (!files->n)
        return minca_err_set(err, "case %s has no export yet: export the quote first ('minca export %s --format both')",
                             d->cot, d->cot);
    d->files = g_new0(char *, files->n + 1);
    d->file_names = g_new0(char *, files->n + 1);
    for (size_t i = 0; i < files->n; i++) {
        const store_reply_file *f = &files->items[i];
        d->files[i] = g_strdup(f->sha256);
        d->file_names[i] = g_strdup_printf("Cotizacion_%s_v%d.%s", d->cot, f->version, f->format);
    }
    return 0;
}

/* The source the reply goes out through: the case's own when it is a Microsoft 365 mailbox
 * (answered from that mailbox, as a reply to the Graph message when that source brought it),
 * else the case's own or the first source with an SMTP server. */
static int reply_source(reply_draft *out, const store_reply_context_row *ctx, const config_source *sources,
                        int n_sources, minca_err *err)
{
    const char *case_source = *ctx->source_name ? ctx->source_name : NULL;
    const config_source *own = intake_source_named(sources, n_sources, case_source);
    const char *own_kind = own ? config_source_get(own, "kind") : NULL;
    if (own_kind && strcmp(own_kind, "graph") == 0) {
        const char *from = config_source_get(own, "smtp_from") ? config_source_get(own, "smtp_from")
                                                                : config_source_get(own, "user");
        if (!from || !strchr(from, '@'))
            return minca_err_set(err, "source %s: its user is not an address; set smtp_from (the desk's address)",
                                 own->name);
        out->source_name = g_strdup(own->name);
        out->from_addr = g_strdup(from);
        if (*ctx->in_reply_to_ref && strcmp(ctx->in_reply_to_source, own->name) == 0)
            out->reply_ref = g_strdup(ctx->in_reply_to_ref);
        return 0;
    }
    const config_source *src = intake_smtp_source(sources, n_sources, case_source);
    if (!src)
        return minca_err_set(err, "no configured source has an SMTP server (smtp_url and smtp_from in a source of "
                                  "the config file)");
    if (!config_source_get(src, "smtp_from"))
        return minca_err_set(err, "source %s: no smtp_from (the desk's address replies are sent from)", src->name);
    out->source_name = g_strdup(src->name);
    out->from_addr = g_strdup(config_source_get(src, "smtp_from"));
    return 0;
}

int reply_draft_make(PGconn *c, long long insurer_id, const char *cot, const char *kind, const char *to,
                     const config_source *sources, int n_sources, reply_draft *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(kind, "missing") != 0 && strcmp(kind, "quote") != 0)
        return minca_err_set(err, "unknown reply '%s' (missing or quote)", kind);
    store_reply_context_row ctx;
    store_reply_file_list files;
    if (store_reply_context(c, insurer_id, cot, &ctx, &files, err) < 0) {
        store_reply_context_row_clear(&ctx);
        store_reply_file_list_clear(&files);
        return -1;
    }
    out->case_id = ctx.case_id;
    out->kind = g_strdup(kind);
    out->cot = g_strdup(cot);
    out->to_addr = g_strdup(to ? to : ctx.to_addr);
    out->in_reply_to = *ctx.in_reply_to ? g_strdup(ctx.in_reply_to) : NULL;
    out->refs = *ctx.refs ? g_strdup(ctx.refs) : NULL;
    int rc = reply_source(out, &ctx, sources, n_sources, err);
    if (rc == 0 && (!*out->to_addr || !strchr(out->to_addr, '@')))
        rc = minca_err_set(err, "case %s: no address to write to (give one with --to)", cot);
    if (rc == 0)
        rc = draft_text(out, &ctx, &files, kind, err);
    if (rc == 0 && strcmp(kind, "quote") == 0)
        rc = draft_files(out, &files, err);
    store_reply_context_row_clear(&ctx);
    store_reply_file_list_clear(&files);
    if (rc < 0)
        reply_draft_clear(out);
    return rc;
}

void reply_draft_clear(reply_draft *d)
{
    g_free(d->kind);
    g_free(d->cot);
    g_free(d->to_addr);
    g_free(d->from_addr);
    g_free(d->subject);
    g_free(d->body);
    g_free(d->in_reply_to);
    g_free(d->refs);
    g_free(d->source_name);
    g_free(d->reply_ref);
    g_strfreev(d->files);
    g_strfreev(d->file_names);
    memset(d, 0, sizeof *d);
}

char *reply_draft_text(const reply_draft *d)
{
    return g_strdup_printf("To: %s\nSubject: %s\n\n%s", d->to_addr, d->subject, d->body);
}

int reply_draft_parse(reply_draft *d, const char *text, minca_err *err)
{
    const char *sep = strstr(text, "\n\n");
    if (!sep)
        return minca_err_set(err, "the draft needs its To: and Subject: lines, a blank line, then the body");
    char *head = g_strndup(text, (size_t)(sep - text));
    gchar **lines = g_strsplit(head, "\n", -1);
    char *to = NULL, *subject = NULL;
    for (gchar **l = lines; *l; l++) {
        if (g_ascii_strncasecmp(*l, "To:", 3) == 0)
            to = g_strstrip(g_strdup(*l + 3));
        else if (g_ascii_strncasecmp(*l, "Subject:", 8) == 0)
            subject = g_strstrip(g_strdup(*l + 8));
    }
    g_strfreev(lines);
    g_free(head);
    int rc = 0;
    if (!to || !strchr(to, '@') || !subject || !*subject) {
        rc = minca_err_set(err, "the draft has no recipient address or no subject: nothing sent");
        g_free(to);
        g_free(subject);
    } else {
        g_free(d->to_addr);
        g_free(d->subject);
        g_free(d->body);
        d->to_addr = to;
        d->subject = subject;
        d->body = g_strdup(sep + 2);
    }
    return rc;
}

int reply_queue(PGconn *c, long long insurer_id, const reply_draft *d, const char *user, const char *batch_id,
                long long *outbox_id, long long *job_id, minca_err *err)
{
    *outbox_id = *job_id = 0;
    const char *at = strrchr(d->from_addr, '@');
    char *uuid = g_uuid_string_random();
    char *message_id = g_strdup_printf("<minca-%s@%s>", uuid, at ? at + 1 : "minca.invalid");
    g_free(uuid);
    const char *headers[5] = {NULL};
    int h = 0;
    if (d->in_reply_to) {
        headers[h++] = "In-Reply-To";
        headers[h++] = d->in_reply_to;
    }
    if (d->refs) {
        headers[h++] = "References";
        headers[h++] = d->refs;
    }
    size_t n_files = d->files ? g_strv_length(d->files) : 0;
    intake_compose_attachment *atts = g_new0(intake_compose_attachment, n_files ? n_files : 1);
    char **blobs = g_new0(char *, n_files + 1);
    int rc = store_begin(c, err);
    for (size_t i = 0; rc == 0 && i < n_files; i++) {
        size_t len = 0;
        rc = store_blob_get(c, d->files[i], &blobs[i], &len, err);
        atts[i] = (intake_compose_attachment){.filename = d->file_names[i], .data = blobs[i], .size = len};
    }
    char *raw = NULL;
    size_t raw_len = 0;
    if (rc == 0) {
        intake_compose msg = {.from = d->from_addr, .to = d->to_addr, .subject = d->subject, .text_body = d->body,
                              .message_id = message_id, .attachments = atts, .n_attachments = n_files,
                              .extra_headers = headers};
        rc = intake_compose_build(&msg, &raw, &raw_len, NULL, err);
    }
    char sha[65] = "";
    if (rc == 0)
        rc = store_blob_put(c, raw, raw_len, sha, err);
    if (rc == 0) {
        store_outbox_new o = {.insurer_id = insurer_id, .case_id = d->case_id, .kind = d->kind,
                              .message_id = message_id, .in_reply_to = d->in_reply_to, .refs = d->refs,
                              .from_addr = d->from_addr, .to_addr = d->to_addr, .subject = d->subject,
                              .body = d->body, .raw_sha256 = sha, .source_name = d->source_name, .created_by = user,
                              .reply_ref = d->reply_ref};
        rc = store_outbox_insert(c, &o, outbox_id, err);
    }
    if (rc == 0) {
        char key[64];
        snprintf(key, sizeof key, "outbox:%lld", *outbox_id);
        queue_enqueue_opts qo = {.insurer_id = insurer_id, .idempotency_key = key, .batch_id = batch_id};
        rc = engine_enqueue(c, &steps_outbox, &(steps_outbox_job){.outbox_id = *outbox_id}, &qo, job_id, err);
    }
    if (rc == 0) {
        char id[32];
        snprintf(id, sizeof id, "%lld", d->case_id);
        json_t *det = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "cot", d->cot, "kind", d->kind, "to", d->to_addr,
                                "message_id", message_id, "outbox_id", (json_int_t)*outbox_id, "subject", d->subject);
        rc = store_audit(c, insurer_id, user, "reply_queued", "case", id, det, err);
        json_decref(det);
    }
    if (rc == 0)
        rc = store_commit(c, err);
    else
        store_rollback(c);
    g_free(raw);
    for (size_t i = 0; i < n_files; i++)
        g_free(blobs[i]);
    g_free(blobs);
    g_free(atts);
    g_free(message_id);
    return rc;
}
