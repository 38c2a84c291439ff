/* Outlook .msg items ([MS-OXMSG]): a Compound File Binary storage read with libgsf.
 *
 *   __substg1.0_PPPPTTTT        a property's value (PPPP its id, TTTT its type: 001F UTF-16LE,
 *                               001E 8-bit string, 0102 binary, 000D an embedded storage)
 *   __properties_version1.0     the fixed-size properties (16 bytes each after a header)
 *   __recip_version1.0_#N       one recipient each
 *   __attach_version1.0_#N      one attachment each (its bytes in 37010102, or an attached
 *                               message in the 3701000D storage, read the same way)
 *
 * Bounds: no stream is read beyond the size of the file itself, at most MSG_MAX_ATTACHMENTS
 * attachments and MSG_MAX_DEPTH attached messages deep, and at most MSG_MAX_TOTAL times the
 * file's size in all. Kept in its own file, as tnef.c is: libgsf pulls in GObject. */
#include "intake_internal.h"

#include <glib.h>
#include <gsf/gsf.h>
#include <string.h>

#define MSG_MAX_ATTACHMENTS 500
#define MSG_MAX_DEPTH 4
#define MSG_MAX_TOTAL 8
#define MSG_MAX_RECIPIENTS 200

#define PT_UNICODE 0x001F
#define PT_STRING8 0x001E
#define PT_BINARY 0x0102
#define PT_SYSTIME 0x0040
#define PT_LONG 0x0003

typedef struct msg_reader {
    size_t file_len;
    size_t budget;     /* bytes still allowed to be read */
    int attachments;
    intake_msg_fn fn;
    void *user;
    bool cut;          /* a bound was reached */
} msg_reader;

/* libgsf reports a damaged Compound File on stderr as well as in its answers; the answer is
 * what counts (a problem of the message), so its own messages are dropped. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain, (void)level, (void)message, (void)user;
}

static void gsf_once(void)
{
    static gsize done;
    if (g_once_init_enter(&done)) {
        gsf_init();
        g_log_set_handler("libgsf:msole", G_LOG_LEVEL_MASK, quiet, NULL);
        g_log_set_handler("libgsf", G_LOG_LEVEL_MASK, quiet, NULL);
        g_once_init_leave(&done, 1);
    }
}

/* The whole of a stream (g_malloc'd, NUL-terminated), or NULL when absent or out of bounds. */
static guint8 *read_stream(msg_reader *r, GsfInfile *dir, const char *name, size_t *len)
{
    *len = 0;
    GsfInput *in = gsf_infile_child_by_name(dir, name);
    if (!in)
        return NULL;
    guint8 *out = NULL;
    gsf_off_t size = gsf_input_size(in);
    if (size < 0 || (size_t)size > r->file_len || (size_t)size > r->budget) {
        r->cut = true;
        goto done;
    }
    out = g_malloc((size_t)size + 2);
    if (size && !gsf_input_read(in, (size_t)size, out)) {
        g_free(out);
        out = NULL;
        goto done;
    }
    out[size] = out[size + 1] = 0;
    r->budget -= (size_t)size;
    *len = (size_t)size;
done:
    g_object_unref(in);
    return out;
}

/* A string property as UTF-8 (g_malloc'd), from its Unicode stream or its 8-bit one. */
static char *prop_string(msg_reader *r, GsfInfile *dir, unsigned id)
{
    char name[32];
    size_t len;
    snprintf(name, sizeof name, "__substg1.0_%04X%04X", id, PT_UNICODE);
    guint8 *b = read_stream(r, dir, name, &len);
    if (b) {
        glong n = (glong)(len / 2);
        const gunichar2 *w = (const gunichar2 *)b;
        while (n > 0 && w[n - 1] == 0)
            n--;
        char *u = g_utf16_to_utf8(w, n, NULL, NULL, NULL);
        if (!u)
            u = intake_to_utf8((const char *)b, len, "UTF-16LE", NULL);
        g_free(b);
        if (u && *u)
            return u;
        g_free(u);
        return NULL;
    }
    snprintf(name, sizeof name, "__substg1.0_%04X%04X", id, PT_STRING8);
    if (!(b = read_stream(r, dir, name, &len)))
        return NULL;
    char *u = intake_to_utf8((const char *)b, strnlen((const char *)b, len), "WINDOWS-1252", NULL);
    g_free(b);
    if (u && *u)
        return u;
    g_free(u);
    return NULL;
}

/* A string property that is an address (has an '@'), else NULL. */
static char *prop_address(msg_reader *r, GsfInfile *dir, const unsigned *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *a = prop_string(r, dir, ids[i]);
        if (a && strchr(a, '@') && !strchr(a, ' '))
            return a;
        g_free(a);
    }
    return NULL;
}

/* A fixed-size property from __properties_version1.0 (header_len bytes of header). */
static bool prop_fixed(msg_reader *r, GsfInfile *dir, size_t header_len, unsigned id, unsigned type, guint64 *value)
{
    size_t len;
    guint8 *b = read_stream(r, dir, "__properties_version1.0", &len);
    bool found = false;
    for (size_t off = header_len; b && off + 16 <= len; off += 16) {
        guint32 tag = (guint32)b[off] | (guint32)b[off + 1] << 8 | (guint32)b[off + 2] << 16 | (guint32)b[off + 3] << 24;
        if (tag == (id << 16 | type)) {
            guint64 v = 0;
            for (int k = 7; k >= 0; k--)
                v = v << 8 | b[off + 8 + k];
            *value = v;
            found = true;
            break;
        }
    }
    g_free(b);
    return found;
}

static bool is_storage(GsfInput *in)
{
    return GSF_IS_INFILE(in) && gsf_infile_num_children(GSF_INFILE(in)) >= 0;
}

static void read_message(msg_reader *r, GsfInfile *dir, size_t header_len, intake_msg_item *out, int depth);

static void read_attachment(msg_reader *r, GsfInfile *att, int depth)
{
    if (r->attachments >= MSG_MAX_ATTACHMENTS) {
        r->cut = true;
        return;
    }
    char *name = prop_string(r, att, 0x3707);
    if (!name)
        name = prop_string(r, att, 0x3704);
    if (!name)
        name = prop_string(r, att, 0x3001);
    char *mime = prop_string(r, att, 0x370E);
    size_t len;
    guint8 *data = read_stream(r, att, "__substg1.0_37010102", &len);
    if (data) {
        r->attachments++;
        r->fn(r->user, name ? name : "attachment.bin", mime, data, len, NULL);
        g_free(data);
    } else {
        GsfInput *inner = gsf_infile_child_by_name(att, "__substg1.0_3701000D");
        if (inner && is_storage(inner) && depth < MSG_MAX_DEPTH) {
            /* An attached Outlook item: its own fields and attachments. */
            intake_msg_item sub = {0};
            r->attachments++;
            read_message(r, GSF_INFILE(inner), 24, &sub, depth + 1);
            r->fn(r->user, name ? name : sub.subject ? sub.subject : "attached item", NULL, NULL, 0, &sub);
            intake_msg_item_clear(&sub);
        } else if (inner) {
            r->cut = true;
        }
        if (inner)
            g_object_unref(inner);
    }
    g_free(name);
    g_free(mime);
}

static void read_recipients(msg_reader *r, GsfInfile *dir, intake_msg_item *out)
{
    static const unsigned addr_ids[] = {0x39FE, 0x3003};
    GString *to = g_string_new(NULL);
    int n = gsf_infile_num_children(dir), count = 0;
    for (int i = 0; i < n && count < MSG_MAX_RECIPIENTS; i++) {
        const char *cn = gsf_infile_name_by_index(dir, i);
        if (!cn || !g_str_has_prefix(cn, "__recip_version1.0_#"))
            continue;
        GsfInput *rc = gsf_infile_child_by_index(dir, i);
        if (rc && is_storage(rc)) {
            char *addr = prop_address(r, GSF_INFILE(rc), addr_ids, G_N_ELEMENTS(addr_ids));
            if (addr) {
                g_string_append_printf(to, "%s%s", to->len ? ", " : "", addr);
                count++;
            }
            g_free(addr);
        }
        if (rc)
            g_object_unref(rc);
    }
    out->to = g_string_free(to, to->len == 0);
}

static void read_message(msg_reader *r, GsfInfile *dir, size_t header_len, intake_msg_item *out, int depth)
{
    static const unsigned sender_ids[] = {0x5D01, 0x0C1F, 0x5D02, 0x0065};
    out->subject = prop_string(r, dir, 0x0037);
    out->from_addr = prop_address(r, dir, sender_ids, G_N_ELEMENTS(sender_ids));
    out->from_name = prop_string(r, dir, 0x0C1A);
    if (!out->from_name)
        out->from_name = prop_string(r, dir, 0x0042);
    out->message_id = prop_string(r, dir, 0x1035);
    out->text_body = prop_string(r, dir, 0x1000);
    size_t len;
    guint8 *html = read_stream(r, dir, "__substg1.0_10130102", &len);
    if (html) {
        out->html_body = intake_to_utf8((const char *)html, strnlen((const char *)html, len), NULL, NULL);
        g_free(html);
    } else {
        out->html_body = prop_string(r, dir, 0x1013);
    }
    guint64 ft = 0;
    if (prop_fixed(r, dir, header_len, 0x0039, PT_SYSTIME, &ft) || prop_fixed(r, dir, header_len, 0x0E06, PT_SYSTIME, &ft)) {
        /* FILETIME: 100 ns since 1601-01-01. */
        if (ft > 116444736000000000ULL && ft < 116444736000000000ULL + 253402300799ULL * 10000000ULL)
            out->date = (int64_t)((ft - 116444736000000000ULL) / 10000000ULL);
    }
    read_recipients(r, dir, out);
    int n = gsf_infile_num_children(dir);
    for (int i = 0; i < n; i++) {
        const char *cn = gsf_infile_name_by_index(dir, i);
        if (!cn || !g_str_has_prefix(cn, "__attach_version1.0_#"))
            continue;
        GsfInput *a = gsf_infile_child_by_index(dir, i);
        if (a && is_storage(a))
            read_attachment(r, GSF_INFILE(a), depth);
        if (a)
            g_object_unref(a);
    }
}

bool intake_msg_looks_like(const void *data, size_t len)
{
    static const unsigned char magic[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    return len >= 512 && memcmp(data, magic, 8) == 0;
}

int intake_msg_read(const void *data, size_t len, intake_msg_fn fn, void *user, intake_msg_item *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (!intake_msg_looks_like(data, len))
        return minca_err_set(err, "not an Outlook item (no Compound File header)");
    gsf_once();
    GsfInput *in = gsf_input_memory_new(data, (gsf_off_t)len, FALSE);
    GError *gerr = NULL;
    GsfInfile *cfb = gsf_infile_msole_new(in, &gerr);
    g_object_unref(in);
    if (!cfb) {
        minca_err_set(err, "the Compound File could not be read%s%s", gerr ? ": " : "", gerr ? gerr->message : "");
        g_clear_error(&gerr);
        return -1;
    }
    GsfInput *props = gsf_infile_child_by_name(cfb, "__properties_version1.0");
    if (!props) {
        g_object_unref(cfb);
        return minca_err_set(err, "a Compound File without Outlook message properties (not a .msg)");
    }
    g_object_unref(props);
    msg_reader r = {.file_len = len, .budget = len * MSG_MAX_TOTAL, .fn = fn, .user = user};
    read_message(&r, cfb, 32, out, 0);
    g_object_unref(cfb);
    out->truncated = r.cut;
    return r.attachments;
}

void intake_msg_item_clear(intake_msg_item *m)
{
    if (!m)
        return;
    g_free(m->subject);
    g_free(m->from_addr);
    g_free(m->from_name);
    g_free(m->to);
    g_free(m->message_id);
    g_free(m->text_body);
    g_free(m->html_body);
    memset(m, 0, sizeof *m);
}
