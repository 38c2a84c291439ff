/* Outlook .msg items ([MS-OXMSG]) attached to an email, built here with libgsf's Compound File
 * writer: subject, sender, body, date and attachments read; an attached item inside the item;
 * damaged and hostile items give a problem, never a crash.
 *
 *   test_intake_msg --write-msg OUT.msg FILE   writes an item carrying FILE (for the
 *                                              integration test) and exits */
#include "minca/intake.h"

#include <gsf/gsf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- a small .msg writer following [MS-OXMSG] ---- */

static void put_stream(GsfOutfile *dir, const char *name, const void *data, size_t len)
{
    GsfOutput *o = gsf_outfile_new_child(dir, name, FALSE);
    if (len)
        gsf_output_write(o, len, data);
    gsf_output_close(o);
    g_object_unref(o);
}

static void put_unicode(GsfOutfile *dir, unsigned id, const char *utf8)
{
    glong n = 0;
    gunichar2 *w = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
    char name[32];
    snprintf(name, sizeof name, "__substg1.0_%04X001F", id);
    put_stream(dir, name, w, (size_t)(n + 1) * 2);
    g_free(w);
}

static void put_binary(GsfOutfile *dir, unsigned id, const void *data, size_t len)
{
    char name[32];
    snprintf(name, sizeof name, "__substg1.0_%04X0102", id);
    put_stream(dir, name, data, len);
}

/* The property stream: header_len zero bytes (the counts are not needed to read), then one
 * PT_SYSTIME PR_CLIENT_SUBMIT_TIME entry when t is not 0. */
static void put_props(GsfOutfile *dir, size_t header_len, int64_t t)
{
    guint8 b[64] = {0};
    size_t len = header_len;
    if (t) {
        guint64 ft = (guint64)t * 10000000ULL + 116444736000000000ULL;
        guint32 tag = 0x0039u << 16 | 0x0040u;
        for (int k = 0; k < 4; k++)
            b[len + k] = (guint8)(tag >> (8 * k));
        b[len + 4] = 6;
        for (int k = 0; k < 8; k++)
            b[len + 8 + k] = (guint8)(ft >> (8 * k));
        len += 16;
    }
    put_stream(dir, "__properties_version1.0", b, len);
}

static GsfOutfile *storage(GsfOutfile *dir, const char *name)
{
    return GSF_OUTFILE(gsf_outfile_new_child(dir, name, TRUE));
}

static void close_storage(GsfOutfile *s)
{
    gsf_output_close(GSF_OUTPUT(s));
    g_object_unref(s);
}

typedef struct file_spec {
    const char *name, *mime;
    const void *data;
    size_t len;
} file_spec;

static void write_item(GsfOutfile *dir, size_t header_len, const char *subject, const char *from, const char *body,
                       int64_t date, const file_spec *files, size_t n_files, bool with_inner_item)
{
    put_props(dir, header_len, date);
    put_unicode(dir, 0x0037, subject);
    put_unicode(dir, 0x0C1A, "Agente Outlook");
    put_unicode(dir, 0x0C1F, "/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=AGENTE");
    put_unicode(dir, 0x5D01, from);
    put_unicode(dir, 0x1000, body);
    put_unicode(dir, 0x1035, "<item-1@corredor-outlook.mx>");
    GsfOutfile *rc = storage(dir, "__recip_version1.0_#00000000");
    put_props(rc, 8, 0);
    put_unicode(rc, 0x3001, "Cotizaciones");
    put_unicode(rc, 0x39FE, "cotiza@aseguradora.mx");
    close_storage(rc);
    size_t i = 0;
    for (; i < n_files; i++) {
        char name[40];
        snprintf(name, sizeof name, "__attach_version1.0_#%08zX", i);
        GsfOutfile *a = storage(dir, name);
        put_props(a, 8, 0);
        put_unicode(a, 0x3707, files[i].name);
        put_unicode(a, 0x3704, "FLOTIL~1.CSV");
        if (files[i].mime)
            put_unicode(a, 0x370E, files[i].mime);
        put_binary(a, 0x3701, files[i].data, files[i].len);
        close_storage(a);
    }
    if (with_inner_item) {
        char name[40];
        snprintf(name, sizeof name, "__attach_version1.0_#%08zX", i);
        GsfOutfile *a = storage(dir, name);
        put_props(a, 8, 0);
        put_unicode(a, 0x3707, "Solicitud original");
        GsfOutfile *inner = storage(a, "__substg1.0_3701000D");
        static const char csv[] = "MARCA,MODELO,AÑO\nTOYOTA,HILUX,2021\n";
        file_spec f = {"unidades originales.csv", "text/csv", csv, sizeof csv - 1};
        write_item(inner, 24, "Solicitud original", "cliente@flotas-origen.mx", "Razón social: FLOTAS ORIGEN", 0, &f, 1,
                   false);
        close_storage(inner);
        close_storage(a);
    }
}

/* A whole .msg in memory (g_malloc'd). */
static guint8 *build_msg(const file_spec *files, size_t n_files, bool with_inner_item, size_t *len)
{
    GsfOutput *mem = gsf_output_memory_new();
    GsfOutfile *root = gsf_outfile_msole_new(mem);
    static const guint8 clsid[16] = {0x0B, 0x0D, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46};
    gsf_outfile_msole_set_class_id(GSF_OUTFILE_MSOLE(root), clsid);
    write_item(root, 32, "Cotización flotilla Outlook", "agente@corredor-outlook.mx",
               "Buen día, solicito cotización.\r\nRazón social: TRANSPORTES OUTLOOK, S.A. DE C.V.\r\n", 1759766400,
               files, n_files, with_inner_item);
    gsf_output_close(GSF_OUTPUT(root));
    g_object_unref(root);
    *len = (size_t)gsf_output_size(mem);
    guint8 *out = g_memdup2(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem)), *len);
    g_object_unref(mem);
    return out;
}

static const char fleet_csv[] = "No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n";

static guint8 *standard_msg(size_t *len, bool inner)
{
    file_spec f = {"flotilla outlook.csv", "text/csv", fleet_csv, sizeof fleet_csv - 1};
    return build_msg(&f, 1, inner, len);
}

/* An email carrying bytes as an attachment named name. */
static char *wrap_eml(const guint8 *data, size_t len, const char *name, size_t *out_len)
{
    gchar *b64 = g_base64_encode(data, len);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "From: Colega <colega@aseguradora.mx>\r\nTo: cotiza@aseguradora.mx\r\n"
                           "Subject: RV: Cotización\r\nMessage-ID: <wrap-1@aseguradora.mx>\r\n"
                           "Date: Mon, 06 Oct 2025 10:00:00 -0600\r\nMIME-Version: 1.0\r\n"
                           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\n\r\nVa el correo del agente.\r\n--b1\r\n"
                           "Content-Type: application/vnd.ms-outlook; name=\"%s\"\r\n"
                           "Content-Disposition: attachment; filename=\"%s\"\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\n",
                           name, name);
    for (size_t i = 0, n = strlen(b64); i < n; i += 76)
        g_string_append_printf(s, "%.76s\r\n", b64 + i);
    g_string_append(s, "--b1--\r\n");
    g_free(b64);
    *out_len = s->len;
    return g_string_free(s, FALSE);
}

static intake_message *parse_with(const guint8 *data, size_t len, const char *name)
{
    size_t elen;
    char *eml = wrap_eml(data, len, name, &elen);
    intake_message *m = NULL;
    minca_err err = {0};
    assert_int_equal(intake_parse(eml, elen, &m, &err), 0);
    g_free(eml);
    return m;
}

static const intake_attachment *find_att(const intake_message *m, const char *name)
{
    for (size_t i = 0; i < m->n_attachments; i++)
        if (strcmp(m->attachments[i].filename, name) == 0)
            return &m->attachments[i];
    return NULL;
}

static bool has_problem(const intake_message *m, const char *needle)
{
    for (size_t i = 0; i < m->n_problems; i++)
        if (strstr(m->problems[i], needle))
            return true;
    return false;
}

static void test_msg_fields_and_attachment(void **state)
{
    size_t len;
    guint8 *msg = standard_msg(&len, false);
    intake_message *m = parse_with(msg, len, "Solicitud agente.msg");
    assert_int_equal(m->n_forwarded, 1);
    const intake_message *fw = m->forwarded[0];
    assert_string_equal(fw->subject, "Cotización flotilla Outlook");
    assert_string_equal(fw->from_addr, "agente@corredor-outlook.mx");
    assert_string_equal(fw->from_name, "Agente Outlook");
    assert_string_equal(fw->sender_domain, "corredor-outlook.mx");
    assert_string_equal(fw->message_id, "<item-1@corredor-outlook.mx>");
    assert_string_equal(fw->to, "cotiza@aseguradora.mx");
    assert_non_null(strstr(fw->text_body, "TRANSPORTES OUTLOOK, S.A. DE C.V."));
    assert_true(fw->date_valid);
    assert_int_equal(fw->date, 1759766400);
    const intake_attachment *a = find_att(m, "flotilla outlook.csv");
    assert_non_null(a);
    assert_string_equal(a->container, "application/vnd.ms-outlook Solicitud agente.msg");
    assert_string_equal(a->content_type, "text/csv");
    assert_int_equal(a->role, INTAKE_ROLE_FLEET_LIST);
    assert_int_equal(a->size, sizeof fleet_csv - 1);
    assert_memory_equal(a->data, fleet_csv, a->size);
    assert_null(find_att(m, "Solicitud agente.msg"));
    size_t n = 0;
    char **senders = intake_forwarded_senders(m, &n);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found = found || strcmp(senders[i], "agente@corredor-outlook.mx") == 0;
    assert_true(found);
    g_strfreev(senders);
    intake_message_free(m);
    g_free(msg);
}

static void test_msg_inside_msg(void **state)
{
    size_t len;
    guint8 *msg = standard_msg(&len, true);
    intake_message *m = parse_with(msg, len, "Solicitud.msg");
    assert_int_equal(m->n_forwarded, 1);
    assert_int_equal(m->forwarded[0]->n_forwarded, 1);
    const intake_message *inner = m->forwarded[0]->forwarded[0];
    assert_string_equal(inner->from_addr, "cliente@flotas-origen.mx");
    assert_string_equal(inner->subject, "Solicitud original");
    assert_non_null(find_att(m, "unidades originales.csv"));
    assert_non_null(find_att(m, "flotilla outlook.csv"));
    intake_message_free(m);
    g_free(msg);
}

static void test_msg_damaged(void **state)
{
    size_t len;
    guint8 *msg = standard_msg(&len, false);
    /* Cut in half: no crash; either read in part or a problem, and the bytes kept. */
    intake_message *m = parse_with(msg, len / 2, "cortado.msg");
    assert_true(m->n_forwarded == 1 || (has_problem(m, "cortado.msg") && find_att(m, "cortado.msg")));
    intake_message_free(m);
    /* The Compound File signature followed by junk. */
    guint8 junk[4096];
    memcpy(junk, msg, 8);
    for (size_t i = 8; i < sizeof junk; i++)
        junk[i] = (guint8)(i * 131 + 7);
    m = parse_with(junk, sizeof junk, "basura.msg");
    assert_int_equal(m->n_forwarded, 0);
    assert_true(has_problem(m, "Outlook item basura.msg could not be read"));
    assert_non_null(find_att(m, "basura.msg"));
    intake_message_free(m);
    g_free(msg);
}

static void test_msg_not_a_message(void **state)
{
    /* A Compound File that is not an Outlook item (no message properties): kept, with a problem. */
    GsfOutput *mem = gsf_output_memory_new();
    GsfOutfile *root = gsf_outfile_msole_new(mem);
    put_stream(root, "Workbook", "hola", 4);
    gsf_output_close(GSF_OUTPUT(root));
    g_object_unref(root);
    size_t len = (size_t)gsf_output_size(mem);
    intake_message *m = parse_with(gsf_output_memory_get_bytes(GSF_OUTPUT_MEMORY(mem)), len, "libro.msg");
    assert_int_equal(m->n_forwarded, 0);
    assert_true(has_problem(m, "not a .msg"));
    intake_message_free(m);
    g_object_unref(mem);
}

/* Every byte position of a real item changed in turn (and a sample of random changes): each
 * parse ends, in bounded time, without a crash. */
static void test_msg_mutations(void **state)
{
    size_t len;
    guint8 *msg = standard_msg(&len, true);
    guint8 *copy = g_malloc(len);
    GRand *rnd = g_rand_new_with_seed(28);
    for (int round = 0; round < 400; round++) {
        memcpy(copy, msg, len);
        int flips = 1 + (int)g_rand_int_range(rnd, 0, 8);
        for (int k = 0; k < flips; k++) {
            size_t pos = round < 64 ? (size_t)round * 8 + (size_t)k : (size_t)g_rand_int_range(rnd, 0, (gint32)len);
            copy[pos % len] = (guint8)g_rand_int_range(rnd, 0, 256);
        }
        minca_err err = {0};
        intake_message *m = NULL;
        size_t elen;
        char *eml = wrap_eml(copy, len, "mutado.msg", &elen);
        assert_int_equal(intake_parse(eml, elen, &m, &err), 0);
        intake_message_free(m);
        g_free(eml);
    }
    g_rand_free(rnd);
    g_free(copy);
    g_free(msg);
}

static int write_msg(const char *out, const char *path)
{
    gchar *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, NULL))
        return 1;
    char *base = g_path_get_basename(path);
    file_spec f = {base, NULL, data, n};
    size_t len;
    guint8 *msg = build_msg(&f, 1, false, &len);
    int rc = g_file_set_contents(out, (const char *)msg, (gssize)len, NULL) ? 0 : 1;
    g_free(msg);
    g_free(base);
    g_free(data);
    return rc;
}

int main(int argc, char **argv)
{
    gsf_init();
    if (argc == 4 && strcmp(argv[1], "--write-msg") == 0)
        return write_msg(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_fields_and_attachment),
        cmocka_unit_test(test_msg_inside_msg),
        cmocka_unit_test(test_msg_damaged),
        cmocka_unit_test(test_msg_not_a_message),
        cmocka_unit_test(test_msg_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
