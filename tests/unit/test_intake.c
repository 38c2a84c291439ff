/* Unit tests for intake: MIME parsing (multipart, RFC 2047/2231, charsets, broken input,
 * hostile names, big attachments), sources, RFC validation, body pre-analysis, HTML tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/intake.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static intake_message *parse_ok(const char *raw)
{
    intake_message *m = NULL;
    minca_err err = {0};
    int rc = intake_parse(raw, strlen(raw), &m, &err);
    if (rc != 0)
        fprintf(stderr, "parse failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_non_null(m);
    return m;
}

static bool has_problem(const intake_message *m, const char *needle)
{
    for (size_t i = 0; i < m->n_problems; i++)
        if (strstr(m->problems[i], needle))
            return true;
    return false;
}

static const char MIXED[] =
    "Return-Path: <ana@corredores-ejemplo.mx>\r\n"
    "From: =?UTF-8?B?QW5hIE11w7Fveg==?= <Ana@Corredores-Ejemplo.MX>\r\n"
    "To: Cotizaciones <cotiza@aseguradora.mx>, otro@aseguradora.mx\r\n"
    "Cc: =?iso-8859-1?q?Jos=E9?= <jose@corredores-ejemplo.mx>\r\n"
    "Subject: =?UTF-8?B?Q290aXphY2nDs24gZmxvdGlsbGEgw5FhbmTDug==?=\r\n"
    "Date: Mon, 06 Oct 2025 09:14:00 -0600\r\n"
    "Message-ID: <abc123@corredores-ejemplo.mx>\r\n"
    "In-Reply-To: <prev@aseguradora.mx>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"OUT\"\r\n"
    "\r\n"
    "--OUT\r\n"
    "Content-Type: multipart/alternative; boundary=\"ALT\"\r\n"
    "\r\n"
    "--ALT\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Raz=C3=B3n social: TRANSPORTES =C3=91AND=C3=9A, S.A. DE C.V.\r\n"
    "RFC: T=C3=91A961114N8A\r\n"
    "Cobertura: Amplia\r\n"
    "--ALT\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGh0bWw+PGJvZHk+PHA+UmF6w7NuIHNvY2lhbDwvcD48L2JvZHk+PC9odG1sPg==\r\n"
    "--ALT--\r\n"
    "--OUT\r\n"
    "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*=UTF-8''Relaci%C3%B3n%20unidades%20%C3%91and%C3%BA.xlsx\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UEsDBAoAAAAAAA==\r\n"
    "--OUT\r\n"
    "Content-Type: text/csv; name=\"=?iso-8859-1?q?veh=EDculos.csv?=\"\r\n"
    "Content-Disposition: attachment\r\n"
    "\r\n"
    "marca;a\xF1o\r\n"
    "--OUT--\r\n";

static void test_multipart_mixed(void **state)
{
    (void)state;
    intake_message *m = parse_ok(MIXED);
    assert_string_equal(m->message_id, "<abc123@corredores-ejemplo.mx>");
    assert_false(m->message_id_synthetic);
    assert_string_equal(m->in_reply_to, "<prev@aseguradora.mx>");
    assert_string_equal(m->from_addr, "ana@corredores-ejemplo.mx");
    assert_string_equal(m->from_name, "Ana Muñoz");
    assert_string_equal(m->sender_domain, "corredores-ejemplo.mx");
    assert_non_null(strstr(m->to, "cotiza@aseguradora.mx"));
    assert_non_null(strstr(m->to, "otro@aseguradora.mx"));
    assert_non_null(strstr(m->cc, "José"));
    assert_string_equal(m->subject, "Cotización flotilla Ñandú");
    assert_true(m->date_valid);
    assert_int_equal(m->date, 1759763640);
    assert_string_equal(m->date_iso, "2025-10-06T09:14:00-06:00");
    assert_non_null(strstr(m->text_body, "Razón social: TRANSPORTES ÑANDÚ"));
    assert_non_null(strstr(m->html_body, "<p>Razón social</p>"));
    assert_int_equal(m->n_attachments, 2);
    assert_string_equal(m->attachments[0].filename, "Relación unidades Ñandú.xlsx");
    assert_string_equal(m->attachments[0].disposition, "attachment");
    assert_int_equal(m->attachments[0].role, INTAKE_ROLE_FLEET_LIST);
    assert_null(m->attachments[0].container);
    assert_int_equal(m->attachments[0].size, 10);
    assert_memory_equal(m->attachments[0].data, "PK\x03\x04\x0a\x00\x00\x00\x00\x00", 10);
    char hex[65];
    core_sha256_hex(m->attachments[0].data, m->attachments[0].size, hex);
    assert_string_equal(m->attachments[0].sha256, hex);
    assert_string_equal(m->attachments[1].filename, "vehículos.csv");
    assert_string_equal(m->attachments[1].content_type, "text/csv");
    assert_int_equal(m->attachments[1].role, INTAKE_ROLE_FLEET_LIST);
    /* Headers as JSON, decoded. */
    json_t *subj = json_object_get(m->headers, "Subject");
    assert_non_null(subj);
    assert_string_equal(json_string_value(subj), "Cotización flotilla Ñandú");
    char *dump = json_dumps(m->headers, 0);
    assert_non_null(dump);
    free(dump);
    json_t *j = intake_message_to_json(m);
    assert_non_null(j);
    json_decref(j);
    intake_message_free(m);
}

static void test_latin1_8bit_and_q_subject(void **state)
{
    (void)state;
    const char *raw =
        "From: =?iso-8859-1?Q?Ram=F3n_L=EDzarraga?= <ramon@pacifico-ejemplo.mx>\n"
        "Subject: =?iso-8859-1?Q?Cotizaci=F3n_de_flotilla?=\n"
        "Date: Tue, 7 Oct 2025 19:26:00 -0600\n"
        "Message-ID: <l1@pacifico-ejemplo.mx>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=iso-8859-1\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Raz\xF3n social: MANTENIMIENTO ORI\xD3N, S.A. DE C.V.\n"
        "Se\xF1or \x93" "cliente\x94\n";
    intake_message *m = parse_ok(raw);
    assert_string_equal(m->from_name, "Ramón Lízarraga");
    assert_string_equal(m->subject, "Cotización de flotilla");
    assert_non_null(strstr(m->text_body, "Razón social: MANTENIMIENTO ORIÓN"));
    /* Windows-1252 quotes in a body labelled ISO-8859-1 survive. */
    assert_non_null(strstr(m->text_body, "Señor \u201Ccliente\u201D"));
    assert_null(m->html_body);
    assert_int_equal(m->n_attachments, 0);
    intake_message_free(m);
}

static void test_invalid_utf8_repaired(void **state)
{
    (void)state;
    const char *raw =
        "From: a@b.mx\r\nSubject: prueba \xE9t\xE9\r\nMessage-ID: <u8@b.mx>\r\nDate: Wed, 8 Oct 2025 10:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Vigencia: 01/11/2025 al 01/11/2026 \xE9ste \xC3\x28 fin\r\n";
    intake_message *m = parse_ok(raw);
    assert_true(g_utf8_validate(m->text_body, -1, NULL));
    assert_true(g_utf8_validate(m->subject, -1, NULL));
    assert_non_null(strstr(m->text_body, "éste"));
    assert_non_null(strstr(m->text_body, " fin"));
    assert_true(has_problem(m, "invalid bytes"));
    bool repaired = false;
    char *r = intake_utf8_repair("a\xFF" "b\0c", 5, &repaired);
    assert_true(repaired);
    assert_string_equal(r, "a\xC3\xBF" "b\xEF\xBF\xBD" "c");
    g_free(r);
    intake_message_free(m);
}

static void test_missing_message_id_is_synthetic_and_stable(void **state)
{
    (void)state;
    const char *raw = "From: x@y.mx\nSubject: sin id\nDate: Thu, 9 Oct 2025 10:00:00 -0600\n\ncuerpo\n";
    intake_message *a = parse_ok(raw), *b = parse_ok(raw);
    assert_true(a->message_id_synthetic);
    assert_string_equal(a->message_id, b->message_id);
    assert_non_null(strstr(a->message_id, "@minca.invalid>"));
    assert_true(has_problem(a, "Message-ID"));
    const char *raw2 = "From: x@y.mx\nSubject: sin id\nDate: Thu, 9 Oct 2025 10:00:00 -0600\n\ncuerpo 2\n";
    intake_message *c = parse_ok(raw2);
    assert_string_not_equal(a->message_id, c->message_id);
    intake_message_free(a);
    intake_message_free(b);
    intake_message_free(c);
}

static void test_bad_date_and_header_only(void **state)
{
    (void)state;
    intake_message *m = parse_ok("From: x@y.mx\nSubject: solo encabezados\nDate: el martes pasado\nMessage-ID: <h@y.mx>\n");
    assert_false(m->date_valid);
    assert_null(m->date_iso);
    assert_true(has_problem(m, "Date"));
    assert_null(m->text_body);
    assert_true(has_problem(m, "no body"));
    intake_message_free(m);
    m = parse_ok("Subject: sin fecha\n\nhola\n");
    assert_false(m->date_valid);
    assert_true(has_problem(m, "no Date"));
    assert_true(has_problem(m, "From"));
    assert_string_equal(m->text_body, "hola\n");
    intake_message_free(m);
}

static void test_unterminated_boundary_and_bad_base64(void **state)
{
    (void)state;
    const char *raw =
        "From: x@y.mx\nSubject: roto\nMessage-ID: <b@y.mx>\nDate: Thu, 9 Oct 2025 10:00:00 -0600\n"
        "Content-Type: multipart/mixed; boundary=ZZ\n\n"
        "--ZZ\nContent-Type: text/plain\n\nTexto del cuerpo\n"
        "--ZZ\nContent-Type: application/vnd.ms-excel; name=flotilla.xls\n"
        "Content-Transfer-Encoding: base64\n\n"
        "SG9sYS!!!BtdW5kbw==\n";   /* no closing boundary, invalid base64 characters */
    intake_message *m = parse_ok(raw);
    assert_non_null(m->text_body);
    assert_non_null(strstr(m->text_body, "Texto del cuerpo"));
    assert_int_equal(m->n_attachments, 1);
    assert_string_equal(m->attachments[0].filename, "flotilla.xls");
    assert_true(has_problem(m, "base64"));
    assert_true(m->n_problems >= 1);
    intake_message_free(m);
}

static void test_nested_rfc822(void **state)
{
    (void)state;
    const char *raw =
        "From: Broker <b@broker.mx>\nSubject: RV: solicitud\nMessage-ID: <outer@broker.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: multipart/mixed; boundary=A\n\n"
        "--A\nContent-Type: text/plain; charset=utf-8\n\nLes reenv\xC3\xADo la solicitud.\n"
        "--A\nContent-Type: message/rfc822\n\n"
        "From: \"Arq. Diana\" <diana@cliente.mx>\nSubject: solicitud\nMessage-ID: <inner@cliente.mx>\n"
        "Date: Wed, 8 Oct 2025 18:40:00 -0600\nContent-Type: multipart/mixed; boundary=B\n\n"
        "--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Raz=F3n social: CONSTRUCTORA PE=D1ASCO, S.A. DE C.V.\n"
        "--B\nContent-Type: application/vnd.ms-excel\nContent-Disposition: attachment; filename=\"unidades.xls\"\n\nxx\n"
        "--B--\n"
        "--A--\n";
    intake_message *m = parse_ok(raw);
    assert_int_equal(m->n_forwarded, 1);
    assert_string_equal(m->forwarded[0]->message_id, "<inner@cliente.mx>");
    assert_string_equal(m->forwarded[0]->from_addr, "diana@cliente.mx");
    assert_non_null(strstr(m->forwarded[0]->text_body, "PEÑASCO"));
    assert_non_null(strstr(m->text_body, "reenvío"));
    assert_int_equal(m->n_attachments, 1);
    assert_string_equal(m->attachments[0].filename, "unidades.xls");
    assert_string_equal(m->attachments[0].container, "message/rfc822 <inner@cliente.mx>");
    intake_analysis *a = NULL;
    assert_int_equal(intake_analyze(m, &a, NULL), 0);
    assert_string_equal(a->client_name, "CONSTRUCTORA PEÑASCO, S.A. DE C.V.");
    assert_string_equal(a->contact_email, "diana@cliente.mx");
    assert_true(a->has_vehicle_source);
    intake_analysis_free(a);
    intake_message_free(m);
}

/* A forwarded email in a message/rfc822 part with a transfer encoding (Outlook and Graph write
 * base64; others quoted-printable) is opened like a plain one: its attachments are read. */
static char *wrap_encoded_rfc822(const char *inner, const char *encoding)
{
    char *body;
    if (strcmp(encoding, "base64") == 0) {
        body = g_base64_encode((const guchar *)inner, strlen(inner));
    } else if (strcmp(encoding, "quoted-printable") != 0) {
        body = g_strdup(inner);
    } else {
        GString *qp = g_string_new(NULL);
        for (const char *p = inner; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '=' || ch >= 0x80)
                g_string_append_printf(qp, "=%02X", ch);
            else
                g_string_append_c(qp, (char)ch);
        }
        body = g_string_free(qp, FALSE);
    }
    char *raw = g_strdup_printf(
        "From: Colega <colega@aseguradora.mx>\nSubject: RV: solicitud\nMessage-ID: <outer-enc@aseguradora.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=A\n\n"
        "--A\nContent-Type: text/plain; charset=utf-8\n\nTe reenvío la solicitud.\n"
        "--A\nContent-Type: message/rfc822; name=\"solicitud.eml\"\n"
        "Content-Disposition: attachment; filename=\"solicitud.eml\"\nContent-Transfer-Encoding: %s\n\n%s\n--A--\n",
        encoding, body);
    g_free(body);
    return raw;
}

static void test_encoded_rfc822_opened(void **state)
{
    (void)state;
    const char *inner =
        "From: Diana <diana@broker.mx>\nSubject: solicitud\nMessage-ID: <inner-enc@broker.mx>\n"
        "Date: Wed, 8 Oct 2025 18:40:00 -0600\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
        "--B\nContent-Type: text/plain; charset=utf-8\n\nRazón social: CONSTRUCTORA PEÑASCO, S.A. DE C.V.\n"
        "--B\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"unidades.csv\"\n\n"
        "MARCA,MODELO,AÑO\nNISSAN,NP300,2020\n--B--\n";
    const char *encodings[] = {"base64", "quoted-printable", "7bit"};
    for (size_t e = 0; e < G_N_ELEMENTS(encodings); e++) {
        char *raw = wrap_encoded_rfc822(inner, encodings[e]);
        intake_message *m = parse_ok(raw);
        assert_int_equal(m->n_forwarded, 1);
        assert_string_equal(m->forwarded[0]->message_id, "<inner-enc@broker.mx>");
        assert_int_equal(m->n_attachments, 1);
        assert_string_equal(m->attachments[0].filename, "unidades.csv");
        assert_string_equal(m->attachments[0].container, "message/rfc822 <inner-enc@broker.mx>");
        assert_int_equal(m->attachments[0].role, INTAKE_ROLE_FLEET_LIST);
        intake_analysis *a = NULL;
        assert_int_equal(intake_analyze(m, &a, NULL), 0);
        assert_string_equal(a->client_name, "CONSTRUCTORA PEÑASCO, S.A. DE C.V.");
        intake_analysis_free(a);
        intake_message_free(m);
        g_free(raw);
    }
    /* Bytes that are no email stay an attachment, with a problem saying so. */
    char *raw = wrap_encoded_rfc822("\x01\x02 not a message at all", "base64");
    intake_message *m = parse_ok(raw);
    assert_int_equal(m->n_forwarded, 0);
    assert_int_equal(m->n_attachments, 1);
    assert_true(has_problem(m, "does not hold an email"));
    intake_message_free(m);
    g_free(raw);
}

static char *forwarded_sender(const char *raw)
{
    intake_message *m = parse_ok(raw);
    size_t n = 0;
    char **v = intake_forwarded_senders(m, &n);
    char *first = n ? g_strdup(v[0]) : NULL;
    g_strfreev(v);
    intake_message_free(m);
    return first;
}

/* The broker of a colleague's forward is named in the forwarded header block only. */
static void test_forwarded_senders(void **state)
{
    (void)state;
    const char *outlook_es =
        "From: Colega <colega@aseguradora.mx>\nSubject: RV: Cotización flotilla\nMessage-ID: <f1@aseguradora.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: text/plain; charset=utf-8\n\n"
        "Te lo paso.\n\n________________________________\n"
        "De: Ventas Altamira <Cotiza@Seguros-Altamira.com.mx>\nEnviado el: lunes, 6 de octubre de 2025 09:14\n"
        "Para: Colega <colega@aseguradora.mx>\nAsunto: Cotización flotilla\n\nBuen día, solicito cotización.\n";
    char *s = forwarded_sender(outlook_es);
    assert_string_equal(s, "cotiza@seguros-altamira.com.mx");
    g_free(s);
    const char *gmail_en =
        "From: Colega <colega@aseguradora.mx>\nSubject: Fwd: fleet\nMessage-ID: <f2@aseguradora.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: text/plain; charset=utf-8\n\n"
        "FYI\n\n---------- Forwarded message ---------\nFrom: Bajío Ventas <ventas@proteccionbajio.com.mx>\n"
        "Date: Mon, Oct 6, 2025 at 9:14 AM\nSubject: fleet\nTo: <colega@aseguradora.mx>\n\nHello\n";
    s = forwarded_sender(gmail_en);
    assert_string_equal(s, "ventas@proteccionbajio.com.mx");
    g_free(s);
    const char *gmail_es_html =
        "From: Colega <colega@aseguradora.mx>\nSubject: Reenviado: flotilla\nMessage-ID: <f3@aseguradora.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: text/html; charset=utf-8\n\n"
        "<div>---------- Mensaje reenviado ---------<br>De: <b>Cenzontle</b> &lt;agente@cenzontle-seguros.mx&gt;<br>"
        "Date: lun, 6 oct 2025 a las 9:14<br>Subject: flotilla</div>\n";
    s = forwarded_sender(gmail_es_html);
    assert_string_equal(s, "agente@cenzontle-seguros.mx");
    g_free(s);
    const char *outlook_mailto =
        "From: Colega <colega@aseguradora.mx>\nSubject: FW: flotilla\nMessage-ID: <f4@aseguradora.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: text/plain\n\n"
        "-----Original Message-----\nFrom: Golfo [mailto:cotiza@apgolfo.com.mx]\nSent: Monday, October 6, 2025 9:14 AM\n"
        "To: colega@aseguradora.mx\nSubject: flotilla\n";
    s = forwarded_sender(outlook_mailto);
    assert_string_equal(s, "cotiza@apgolfo.com.mx");
    g_free(s);
    /* A plain message that merely mentions "De:" in its text names nobody. */
    const char *plain =
        "From: Broker <b@broker.mx>\nSubject: Cotización\nMessage-ID: <f5@broker.mx>\n"
        "Date: Thu, 9 Oct 2025 10:00:00 -0600\nContent-Type: text/plain\n\nDe: nuestra parte, gracias x@y.mx\n";
    s = forwarded_sender(plain);
    assert_null(s);
}

static void test_hostile_filenames(void **state)
{
    (void)state;
    const char *raw =
        "From: x@y.mx\nSubject: nombres\nMessage-ID: <n@y.mx>\nDate: Thu, 9 Oct 2025 10:00:00 -0600\n"
        "Content-Type: multipart/mixed; boundary=Q\n\n"
        "--Q\nContent-Type: text/plain\n\nhola\n"
        "--Q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\n\nroot\n"
        "--Q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"..\\\\..\\\\boot.ini\"\n\nx\n"
        "--Q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"=?utf-8?q?a=2Fb=0D=0Ac.xlsx?=\"\n\nx\n"
        "--Q\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"..\"\n\nx\n"
        "--Q--\n";
    intake_message *m = parse_ok(raw);
    assert_int_equal(m->n_attachments, 4);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const char *f = m->attachments[i].filename;
        assert_null(strchr(f, '/'));
        assert_null(strchr(f, '\\'));
        assert_true(f[0] != '.');
        for (const char *p = f; *p; p++)
            assert_true((unsigned char)*p >= 0x20);
    }
    assert_string_equal(m->attachments[0].filename, "etc_passwd");
    assert_string_equal(m->attachments[0].filename_raw, "../../etc/passwd");
    assert_string_equal(m->attachments[2].filename, "a_bc.xlsx");
    assert_string_equal(m->attachments[3].filename, "attachment-4.pdf");
    assert_true(has_problem(m, "sanitised"));
    char *s = intake_sanitize_filename("\x01..\x7f/x\xE2\x80\xAE" "fdp.exe");
    assert_string_equal(s, "x" "fdp.exe");
    g_free(s);
    assert_null(intake_sanitize_filename("..."));
    intake_message_free(m);
}

static void test_large_attachment(void **state)
{
    (void)state;
    size_t n = 20u * 1024 * 1024;
    unsigned char *bytes = g_malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        bytes[i] = (unsigned char)(x >> 16);
    }
    char *b64 = g_base64_encode(bytes, n);
    size_t bl = strlen(b64);
    GString *raw = g_string_sized_new(bl + bl / 76 * 2 + 1024);
    g_string_append(raw, "From: x@y.mx\r\nSubject: grande\r\nMessage-ID: <big@y.mx>\r\n"
                         "Date: Thu, 9 Oct 2025 10:00:00 -0600\r\nContent-Type: multipart/mixed; boundary=G\r\n\r\n"
                         "--G\r\nContent-Type: text/plain\r\n\r\nanexo\r\n"
                         "--G\r\nContent-Type: application/vnd.ms-excel\r\nContent-Disposition: attachment; filename=big.xls\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n");
    for (size_t i = 0; i < bl; i += 76) {
        g_string_append_len(raw, b64 + i, (gssize)(bl - i < 76 ? bl - i : 76));
        g_string_append(raw, "\r\n");
    }
    g_string_append(raw, "--G--\r\n");
    intake_message *m = NULL;
    minca_err err = {0};
    assert_int_equal(intake_parse(raw->str, raw->len, &m, &err), 0);
    assert_int_equal(m->n_attachments, 1);
    assert_int_equal(m->attachments[0].size, n);
    char hex[65];
    core_sha256_hex(bytes, n, hex);
    assert_string_equal(m->attachments[0].sha256, hex);
    assert_false(has_problem(m, "base64"));
    intake_message_free(m);
    g_string_free(raw, TRUE);
    g_free(b64);
    g_free(bytes);
}

static void test_not_an_email(void **state)
{
    (void)state;
    intake_message *m = NULL;
    minca_err err = {0};
    assert_int_equal(intake_parse("", 0, &m, &err), -1);
    assert_null(m);
    assert_non_null(strstr(err.msg, "not an email"));
    assert_int_equal(intake_parse("PK\x03\x04\x00\x00binary", 12, &m, &err), -1);
    assert_int_equal(intake_parse("hola mundo, esto no es un correo\n", 33, &m, &err), -1);
    assert_int_equal(intake_parse("\x89PNG\r\n\x1a\n", 8, &m, &err), -1);
    assert_int_equal(intake_parse("nota: comprar pan\n\nleche\n", 25, &m, &err), -1);
    assert_int_equal(intake_parse("Subject : espacio antes\n\nok\n", 28, &m, &err), 0);
    intake_message_free(m);
    m = NULL;
    assert_null(m);
}

static char *make_temp_dir(void)
{
    char tmpl[] = "/tmp/minca-intake-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return g_strdup(d);
}

static void write_file(const char *dir, const char *name, const char *data)
{
    char *p = core_path_join(dir, name);
    assert_int_equal(core_write_file(p, data, strlen(data), NULL), 0);
    g_free(p);
}

static void test_sources(void **state)
{
    (void)state;
    char *dir = make_temp_dir();
    write_file(dir, "b.eml", "Subject: b\n\nb\n");
    write_file(dir, "a.EML", "Subject: a\n\na\n");
    write_file(dir, "notes.txt", "x");
    write_file(dir, ".hidden.eml", "x");
    GString *big = g_string_new("Subject: big\n\n");
    while (big->len < 3000)
        g_string_append(big, "0123456789");
    write_file(dir, "c.eml", big->str);
    g_string_free(big, TRUE);

    intake_source_opts opts = {.max_message_bytes = 2048};
    intake_source *src = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open(dir, &opts, &src, &err), 0);
    assert_int_equal(intake_source_count(src), 3);
    intake_item it;
    assert_int_equal(intake_source_next(src, &it, &err), 1);
    assert_non_null(strstr(it.origin, "a.EML"));
    assert_string_equal(it.data, "Subject: a\n\na\n");
    intake_item_clear(&it);
    assert_int_equal(intake_source_next(src, &it, &err), 1);
    assert_non_null(strstr(it.origin, "b.eml"));
    intake_item_clear(&it);
    assert_int_equal(intake_source_next(src, &it, &err), -1);
    assert_non_null(strstr(err.msg, "c.eml"));
    assert_non_null(strstr(err.msg, "limit"));
    assert_non_null(it.origin);
    intake_item_clear(&it);
    assert_int_equal(intake_source_next(src, &it, &err), 0);
    intake_source_close(src);

    /* Maildir: cur/ then new/, every regular file. */
    char *md = make_temp_dir();
    char *cur = core_path_join(md, "cur"), *nw = core_path_join(md, "new"), *tmp = core_path_join(md, "tmp");
    mkdir(cur, 0700);
    mkdir(nw, 0700);
    mkdir(tmp, 0700);
    write_file(cur, "1700000002.M1P1.host:2,S", "Subject: two\n\nx\n");
    write_file(cur, "1700000001.M1P1.host:2,S", "Subject: one\n\nx\n");
    write_file(nw, "1700000003.M1P1.host", "Subject: three\n\nx\n");
    write_file(tmp, "partial", "Subject: never\n\nx\n");
    assert_int_equal(intake_source_open(md, NULL, &src, &err), 0);
    assert_int_equal(intake_source_count(src), 3);
    const char *expect[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(intake_source_next(src, &it, &err), 1);
        intake_message *m = parse_ok(it.data);
        assert_string_equal(m->subject, expect[i]);
        intake_message_free(m);
        intake_item_clear(&it);
    }
    intake_source_close(src);

    /* A single file, and a missing path. */
    char *one = core_path_join(dir, "b.eml");
    assert_int_equal(intake_source_open(one, NULL, &src, &err), 0);
    assert_int_equal(intake_source_count(src), 1);
    intake_source_close(src);
    assert_int_equal(intake_source_open("/nonexistent/minca", NULL, &src, &err), -1);

    char *cmd = core_strdup_printf("rm -rf '%s' '%s'", dir, md);
    assert_int_equal(system(cmd), 0);
    g_free(cmd);
    g_free(one); g_free(cur); g_free(nw); g_free(tmp); g_free(md); g_free(dir);
}

static void test_rfc(void **state)
{
    (void)state;
    assert_true(intake_rfc_valid("MIO830606RT3"));
    assert_true(intake_rfc_valid("TÑA961114N8A"));
    assert_true(intake_rfc_valid("AEPL790417FB3"));
    assert_true(intake_rfc_valid("FSJ990620W9A"));
    assert_false(intake_rfc_valid("MIO830606RT4"));   /* check digit */
    assert_false(intake_rfc_valid("MIO831306RT3"));   /* month 13 */
    assert_false(intake_rfc_valid("MI0830606RT3"));   /* digit in the letters */
    assert_false(intake_rfc_valid("MIO830606"));
    char *n = intake_rfc_normalize("lit-970905-sf3");
    assert_string_equal(n, "LIT970905SF3");
    g_free(n);
    n = intake_rfc_normalize("tña 961114 n8a");
    assert_string_equal(n, "TÑA961114N8A");
    g_free(n);
    assert_null(intake_rfc_normalize("ABC"));
}

static intake_analysis *analyze_text(const char *text)
{
    intake_analysis *a = NULL;
    assert_int_equal(intake_analyze_text(text, &a, NULL), 0);
    return a;
}

static bool missing(const intake_analysis *a, const char *code)
{
    for (size_t i = 0; i < a->n_missing; i++)
        if (strcmp(a->missing[i], code) == 0)
            return true;
    return false;
}

static void test_analysis_labelled(void **state)
{
    (void)state;
    intake_analysis *a = analyze_text(
        "Buenas tardes,\n\n"
        "Razón social: TRANSPORTES ÑANDÚ, S.A. DE C.V.\n"
        "R.F.C.: TÑA-961114-N8A\n"
        "Contacto: Lic. Gabriela Soto Ávila / Tel. 222 431 0098\n"
        "Uso: Carga\n"
        "Paquete: Limitada\n"
        "Vigencia: 01/11/2025 al 01/11/2026\n"
        "Forma de pago: Contado\n"
        "Siniestralidad: sin siniestros en 2024.\n");
    assert_string_equal(a->client_name, "TRANSPORTES ÑANDÚ, S.A. DE C.V.");
    assert_string_equal(a->rfc, "TÑA961114N8A");
    assert_string_equal(a->rfc_raw, "TÑA-961114-N8A");
    assert_true(a->rfc_valid);
    assert_string_equal(a->contact_name, "Lic. Gabriela Soto Ávila");
    assert_string_equal(a->contact_phone, "222 431 0098");
    assert_string_equal(a->uso, "CARGA");
    assert_string_equal(a->coverage, "LIMITADA");
    assert_string_equal(a->payment_terms, "ANUAL");
    assert_string_equal(a->vigencia_start, "2025-11-01");
    assert_string_equal(a->vigencia_end, "2026-11-01");
    assert_false(a->vigencia_end_implicit);
    assert_string_equal(a->loss_history, "Siniestralidad: sin siniestros en 2024.");
    assert_true(missing(a, "vehicle_list"));
    assert_false(missing(a, "rfc"));
    json_t *j = intake_analysis_to_json(a);
    assert_non_null(j);
    json_decref(j);
    intake_analysis_free(a);
}

static void test_analysis_free_text(void **state)
{
    (void)state;
    intake_analysis *a = analyze_text(
        "El cliente es MANTENIMIENTO INDUSTRIAL ORIÓN, S.A. DE C.V., con RFC MIO830606RT4, dedicado a x.\n"
        "Requiere cobertura de responsabilidad civil con vigencia anual a partir del 1o. de enero de 2026, "
        "forma de pago 12 pagos mensuales.\n"
        "Las unidades son de uso comercial.\n"
        "La persona de contacto es Ing. Saúl Bernal, tel. (667) 713-2290, sbernal@orion-ejemplo.mx\n");
    assert_string_equal(a->client_name, "MANTENIMIENTO INDUSTRIAL ORIÓN, S.A. DE C.V.");
    assert_string_equal(a->rfc, "MIO830606RT4");
    assert_false(a->rfc_valid);
    assert_true(missing(a, "rfc_invalid"));
    assert_string_equal(a->coverage, "RC");
    assert_string_equal(a->payment_terms, "MENSUAL");
    assert_string_equal(a->vigencia_start, "2026-01-01");
    assert_string_equal(a->vigencia_end, "2027-01-01");
    assert_true(a->vigencia_end_implicit);
    assert_string_equal(a->uso, "COMERCIAL");
    assert_string_equal(a->contact_name, "Ing. Saúl Bernal");
    assert_string_equal(a->contact_phone, "(667) 713-2290");
    assert_string_equal(a->contact_email, "sbernal@orion-ejemplo.mx");
    intake_analysis_free(a);

    a = analyze_text("Nos interesa cotizar con cobertura amplia; vigencia 15-dic-2025 - 15-dic-2026, pago semestral.\n");
    assert_string_equal(a->coverage, "AMPLIA");
    assert_string_equal(a->vigencia_start, "2025-12-15");
    assert_string_equal(a->vigencia_end, "2026-12-15");
    assert_null(a->payment_terms);   /* "pago semestral" without "forma de pago" is not enough */
    assert_true(missing(a, "client_name"));
    assert_true(missing(a, "rfc"));
    intake_analysis_free(a);
}

static void test_analysis_newest_wins(void **state)
{
    (void)state;
    intake_analysis *a = analyze_text(
        "Hola, corrijo la vigencia:\n"
        "- Vigencia: del 15 de diciembre de 2025 al 15 de diciembre de 2026\n\n"
        "________________________________\n"
        "De: Suscripción <s@aseguradora.mx>\n"
        "Enviado: viernes, 10 de octubre de 2025 9:55 a. m.\n"
        "Asunto: RE: cotización\n\n"
        "- Cliente: FARMACIAS SAN JUDAS DEL BAJÍO, S.A. DE C.V.\n"
        "- R.F.C. FSJ990620W9A\n"
        "- Vigencia: del 1 de diciembre de 2025 al 1 de diciembre de 2026\n"
        "- Cobertura solicitada: Cobertura Amplia\n"
        "- Forma de pago: TRIMESTRAL\n");
    assert_string_equal(a->vigencia_start, "2025-12-15");
    assert_string_equal(a->vigencia_end, "2026-12-15");
    assert_string_equal(a->client_name, "FARMACIAS SAN JUDAS DEL BAJÍO, S.A. DE C.V.");
    assert_string_equal(a->rfc, "FSJ990620W9A");
    assert_string_equal(a->coverage, "AMPLIA");
    assert_string_equal(a->payment_terms, "TRIMESTRAL");
    bool noted = false;
    for (size_t i = 0; i < a->n_notes; i++)
        noted = noted || strstr(a->notes[i], "2025-12-01");
    assert_true(noted);
    intake_analysis_free(a);

    /* Gmail quote header wrapped over two lines; the older text below it loses. */
    a = analyze_text("Perdón, la forma de pago es: Forma de pago: Semestral\n\n"
                     "El lun, 6 oct 2025 a las 9:14, Mariana Ochoa <\n"
                     "mochoa@corredor-ejemplo.mx> escribió:\n"
                     "Forma de pago: Anual\nCONSTRUCTORA X SA DE CV AEPL790417FB3\n");
    assert_string_equal(a->payment_terms, "SEMESTRAL");
    assert_string_equal(a->rfc, "AEPL790417FB3");   /* unlabelled, but passes the check digit */
    intake_analysis_free(a);

    /* A labelled RFC with the wrong shape is kept and flagged, not dropped. */
    a = analyze_text("RFC: MIO-83060-RT3\n");
    assert_string_equal(a->rfc, "MIO83060RT3");
    assert_false(a->rfc_valid);
    assert_true(missing(a, "rfc_invalid"));
    intake_analysis_free(a);

    /* Two different uses in one message: left empty rather than guessed. */
    a = analyze_text("Adjunto dos archivos: la flotilla utilitaria (uso carga) y la ejecutiva (uso particular).\n");
    assert_null(a->uso);
    intake_analysis_free(a);
    a = analyze_text("Uso: Particular y carga\nVigencia: 1/dic/2025 al 1/dic/2026\nCobertura: Básica\n");
    assert_null(a->uso);
    assert_string_equal(a->vigencia_start, "2025-12-01");
    assert_string_equal(a->vigencia_end, "2026-12-01");
    assert_null(a->coverage);   /* not recognised: left for the reviewer, with a note */
    assert_true(a->n_notes >= 2);
    intake_analysis_free(a);
}

/* The use as brokers state it: plural values, other labels, other verbs, public service. */
static void test_analysis_uso_phrasing(void **state)
{
    (void)state;
    static const struct { const char *body; const char *uso; } cases[] = {
        { "Uso: Particulares\n", "PARTICULAR" },
        { "Uso de la unidad: Comerciales (reparto)\n", "COMERCIAL" },
        { "Tipo de servicio: Público federal\n", "SERVICIO PUBLICO" },
        { "Las unidades se utilizan para transporte de carga.\n", "CARGA" },
        { "Unidades destinadas al transporte de personal de la planta.\n", "PERSONAL" },
        { "- Uso de los autos: Servicio Público\n", "SERVICIO PUBLICO" },
        { "Uso de CFDI: G03 Gastos en general\n", NULL },
        { "Le comento en particular que la flotilla es nueva.\n", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        intake_analysis *a = analyze_text(cases[i].body);
        if (cases[i].uso) {
            if (!a->uso || strcmp(a->uso, cases[i].uso) != 0)
                fail_msg("%s: uso %s, expected %s", cases[i].body, a->uso ? a->uso : "(none)", cases[i].uso);
        } else if (a->uso) {
            fail_msg("%s: uso %s, expected none", cases[i].body, a->uso);
        }
        intake_analysis_free(a);
    }
}

/* A use stated in words the vocabulary does not know is kept as written; the category too
 * when one fits. */
static void test_analysis_uso_stated(void **state)
{
    (void)state;
    static const struct { const char *body; const char *uso; const char *raw; } cases[] = {
        { "Uso: grúas de arrastre\n", NULL, "grúas de arrastre" },
        { "Uso de las unidades: traslado de personal de obra\n", "PERSONAL", "traslado de personal de obra" },
        { "Uso: Particulares\n", "PARTICULAR", "Particulares" },
        { "Uso de CFDI: G03 Gastos en general\n", NULL, NULL },
        { "Le comento en particular que la flotilla es nueva.\n", NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        intake_analysis *a = analyze_text(cases[i].body);
        if (cases[i].uso ? !a->uso || strcmp(a->uso, cases[i].uso) != 0 : a->uso != NULL)
            fail_msg("%s: uso %s, expected %s", cases[i].body, a->uso ? a->uso : "(none)",
                     cases[i].uso ? cases[i].uso : "(none)");
        if (cases[i].raw ? !a->uso_raw || strcmp(a->uso_raw, cases[i].raw) != 0 : a->uso_raw != NULL)
            fail_msg("%s: stated use %s, expected %s", cases[i].body, a->uso_raw ? a->uso_raw : "(none)",
                     cases[i].raw ? cases[i].raw : "(none)");
        intake_analysis_free(a);
    }
}

/* Outlook HTML-only message: the pre-analysis reads the HTML as text and sees the table. */
static void test_html_only_analysis(void **state)
{
    (void)state;
    const char *raw =
        "From: v@occ-ejemplo.mx\r\nSubject: flotilla\r\nMessage-ID: <h1@occ-ejemplo.mx>\r\n"
        "Date: Thu, 16 Oct 2025 12:44:00 -0600\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<html><body><p><b>Raz=C3=B3n social:</b> HOTELERA JACARANDA, S.A. DE C.V.</p>"
        "<p><b>RFC:</b> HCJ850507BJ6</p><p><b>Cobertura:</b> AMPLIA</p>"
        "<p><b>Vigencia:</b> 10/11/2025 al 10/11/2026</p><p><b>Forma de pago:</b> Anual</p>"
        "<table><tr><td>UNIDAD</td><td>MARCA</td><td>L=C3=8DNEA</td><td>A=C3=91O</td></tr>"
        "<tr><td>1</td><td>Hyundai</td><td>Tucson</td><td>2016</td></tr></table></body></html>\r\n";
    intake_message *m = parse_ok(raw);
    assert_null(m->text_body);
    assert_non_null(m->html_body);
    intake_analysis *a = NULL;
    assert_int_equal(intake_analyze(m, &a, NULL), 0);
    assert_string_equal(a->client_name, "HOTELERA JACARANDA, S.A. DE C.V.");
    assert_string_equal(a->rfc, "HCJ850507BJ6");
    assert_true(a->rfc_valid);
    assert_string_equal(a->coverage, "AMPLIA");
    assert_string_equal(a->payment_terms, "ANUAL");
    assert_string_equal(a->vigencia_end, "2026-11-10");
    assert_true(a->has_vehicle_source);
    assert_int_equal(a->n_missing, 0);
    intake_analysis_free(a);
    intake_message_free(m);
}

static void test_html_tables(void **state)
{
    (void)state;
    const char *html =
        "<html><head><style>td{}</style></head><body><p>Unidades&nbsp;:</p>"
        "<table><tbody>"
        "<tr><th>MARCA</th><th colspan=2>DESCRIPCI&Oacute;N</th><th>A&Ntilde;O</th></tr>"
        "<tr><td> Nissan </td><td>NP300</td><td>DC <b>4x4</b></td><td>2022</td></tr>"
        "<tr><td>Toyota<br>Hilux</td><td></td><td>SR</td><td>2021"
        "<table><tr><td>interna</td></tr></table></td></tr>"
        "</tbody></table>"
        "<table><tr><td>solo</td></tr>"          /* never closed */
        "</body></html>";
    intake_html_tables *t = NULL;
    assert_int_equal(intake_html_tables_parse(html, strlen(html), &t, NULL), 0);
    assert_int_equal(t->n_tables, 3);
    intake_html_table *a = &t->tables[0];
    assert_int_equal(a->index, 0);
    assert_int_equal(a->n_rows, 3);
    assert_int_equal(a->rows[0].tr_index, 1);
    assert_int_equal(a->rows[0].n_cells, 4);
    assert_string_equal(a->rows[0].cells[1], "DESCRIPCIÓN");
    assert_string_equal(a->rows[0].cells[2], "");
    assert_string_equal(a->rows[0].cells[3], "AÑO");
    assert_string_equal(a->rows[1].cells[0], "Nissan");
    assert_string_equal(a->rows[1].cells[2], "DC 4x4");
    assert_string_equal(a->rows[2].cells[0], "Toyota Hilux");
    assert_int_equal(a->rows[2].tr_index, 3);
    /* The nested table is its own table, found before the next top-level one. */
    bool inner = false, solo = false;
    for (size_t i = 1; i < t->n_tables; i++) {
        if (t->tables[i].n_rows == 1 && strcmp(t->tables[i].rows[0].cells[0], "interna") == 0)
            inner = true;
        if (t->tables[i].n_rows == 1 && strcmp(t->tables[i].rows[0].cells[0], "solo") == 0)
            solo = true;
    }
    assert_true(inner);
    assert_true(solo);
    intake_html_tables_free(t);

    char *text = intake_html_to_text(html, strlen(html));
    assert_non_null(strstr(text, "Unidades :"));
    assert_non_null(strstr(text, "Nissan\tNP300\tDC 4x4\t2022"));
    assert_null(strstr(text, "td{}"));
    g_free(text);

    assert_int_equal(intake_html_tables_parse("", 0, &t, NULL), 0);
    assert_int_equal(t->n_tables, 0);
    intake_html_tables_free(t);
}

/* Small .eml files under tests/fixtures/mail, read through a directory source. */
static void test_fixture_files(void **state)
{
    (void)state;
    const char *src = getenv("MINCA_SRC");
    char *dir = core_strdup_printf("%s/tests/fixtures/mail", src && *src ? src : ".");
    intake_source *s = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open(dir, NULL, &s, &err), 0);
    assert_int_equal(intake_source_count(s), 4);
    intake_item it;
    int seen = 0;
    while (intake_source_next(s, &it, &err) == 1) {
        const char *name = strrchr(it.origin, '/') + 1;
        intake_message *m = NULL;
        int rc = intake_parse(it.data, it.len, &m, &err);
        if (strcmp(name, "not_an_email.eml") == 0) {
            assert_int_equal(rc, -1);
            assert_non_null(strstr(err.msg, "not an email"));
        } else {
            assert_int_equal(rc, 0);
        }
        if (strcmp(name, "rfc2231_continuation.eml") == 0) {
            assert_string_equal(m->from_name, "Seguros Peña");
            assert_string_equal(m->subject, "Relación de unidades");
            assert_int_equal(m->n_attachments, 1);
            assert_string_equal(m->attachments[0].filename, "Relación de unidades Peña.xls");
            assert_memory_equal(m->attachments[0].data, "\xD0\xCF\x11\xE0", 4);
            intake_analysis *a = NULL;
            assert_int_equal(intake_analyze(m, &a, NULL), 0);
            assert_string_equal(a->client_name, "PEÑA Y ASOCIADOS, S.C.");
            assert_string_equal(a->rfc, "PAS1503106J2");
            assert_false(a->rfc_valid);   /* the check digit should be A */
            intake_analysis_free(a);
        } else if (strcmp(name, "truncated_multipart.eml") == 0) {
            assert_non_null(strstr(m->text_body, "relación"));
            assert_int_equal(m->n_attachments, 1);
            assert_string_equal(m->attachments[0].filename, "flotilla.xlsx");
            assert_true(m->attachments[0].size > 0);
            assert_true(has_problem(m, "truncated") || has_problem(m, "base64"));
        } else if (strcmp(name, "header_only.eml") == 0) {
            assert_null(m->text_body);
            assert_true(has_problem(m, "no body"));
            assert_true(has_problem(m, "Date"));
        }
        intake_message_free(m);
        intake_item_clear(&it);
        seen++;
    }
    assert_int_equal(seen, 4);
    intake_source_close(s);
    g_free(dir);
}

static gpointer parse_in_thread(gpointer data)
{
    (void)data;
    for (int i = 0; i < 50; i++) {
        intake_message *m = NULL;
        if (intake_parse(MIXED, strlen(MIXED), &m, NULL) != 0 || strcmp(m->subject, "Cotización flotilla Ñandú") != 0)
            return GINT_TO_POINTER(1);
        intake_analysis *a = NULL;
        if (intake_analyze(m, &a, NULL) != 0 || !a->rfc_valid)
            return GINT_TO_POINTER(1);
        intake_analysis_free(a);
        intake_message_free(m);
    }
    return NULL;
}

/* GMime and libxml2 are initialised once whichever thread parses first. */
static void test_parallel_parse(void **state)
{
    (void)state;
    GThread *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = g_thread_new("parse", parse_in_thread, NULL);
    for (int i = 0; i < 4; i++)
        assert_null(g_thread_join(t[i]));
}


/* The ids a reply answers: In-Reply-To first, then References from the newest back, each once;
 * junk between and around the ids is skipped, an unterminated id ignored. */
static void test_thread_ids(void **state)
{
    (void)state;
    intake_message *m = parse_ok("From: a@b.mx\r\nMessage-ID: <x@b.mx>\r\nIn-Reply-To: <r2@b.mx>\r\n"
                                 "References: <r0@b.mx>\r\n <r1@b.mx> (comment) <r2@b.mx> <unterminated\r\n"
                                 "Subject: RE: algo\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\n\r\nhola\r\n");
    size_t n = 0;
    char **ids = intake_thread_ids(m, &n);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "<r2@b.mx>");
    assert_string_equal(ids[1], "<r1@b.mx>");
    assert_string_equal(ids[2], "<r0@b.mx>");
    assert_null(ids[3]);
    g_strfreev(ids);
    intake_message_free(m);
    /* A thousand References: the newest 64 only. */
    GString *raw = g_string_new("From: a@b.mx\r\nMessage-ID: <y@b.mx>\r\nReferences:");
    for (int i = 0; i < 1000; i++)
        g_string_append_printf(raw, " <r%d@b.mx>", i);
    g_string_append(raw, "\r\nSubject: x\r\n\r\nhola\r\n");
    m = parse_ok(raw->str);
    ids = intake_thread_ids(m, &n);
    assert_int_equal(n, 64);
    assert_string_equal(ids[0], "<r999@b.mx>");
    g_strfreev(ids);
    intake_message_free(m);
    g_string_free(raw, TRUE);
}

/* COT numbers of the insurer's prefix in any letter case, each once, not inside a longer word
 * or number, nor of another prefix. */
static void test_cot_mentions(void **state)
{
    (void)state;
    size_t n = 0;
    char **cots = intake_cot_mentions("RE: cot-2026-000012 y COT-2026-000012, tambien (COT-2025-000003). "
                                      "XCOT-2026-000001 COT-2026-0000019 COT-2026-00001 OTRA-2026-000004 COT-2026-000005",
                                      "COT", &n);
    assert_int_equal(n, 3);
    assert_string_equal(cots[0], "COT-2026-000012");
    assert_string_equal(cots[1], "COT-2025-000003");
    assert_string_equal(cots[2], "COT-2026-000005");
    g_strfreev(cots);
    cots = intake_cot_mentions(NULL, "COT", &n);
    assert_int_equal(n, 0);
    g_strfreev(cots);
    cots = intake_cot_mentions("COT-2026-000001", "", &n);
    assert_int_equal(n, 0);
    g_strfreev(cots);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_parse),   /* first, so the threads race to initialise */
        cmocka_unit_test(test_multipart_mixed),
        cmocka_unit_test(test_latin1_8bit_and_q_subject),
        cmocka_unit_test(test_invalid_utf8_repaired),
        cmocka_unit_test(test_missing_message_id_is_synthetic_and_stable),
        cmocka_unit_test(test_bad_date_and_header_only),
        cmocka_unit_test(test_unterminated_boundary_and_bad_base64),
        cmocka_unit_test(test_nested_rfc822),
        cmocka_unit_test(test_encoded_rfc822_opened),
        cmocka_unit_test(test_forwarded_senders),
        cmocka_unit_test(test_thread_ids),
        cmocka_unit_test(test_cot_mentions),
        cmocka_unit_test(test_hostile_filenames),
        cmocka_unit_test(test_large_attachment),
        cmocka_unit_test(test_not_an_email),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_rfc),
        cmocka_unit_test(test_analysis_labelled),
        cmocka_unit_test(test_analysis_free_text),
        cmocka_unit_test(test_analysis_newest_wins),
        cmocka_unit_test(test_analysis_uso_phrasing),
        cmocka_unit_test(test_analysis_uso_stated),
        cmocka_unit_test(test_html_tables),
        cmocka_unit_test(test_html_only_analysis),
        cmocka_unit_test(test_fixture_files),
    };
    return cmocka_run_group_tests_name("intake", tests, NULL, NULL);
}
