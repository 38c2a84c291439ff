/* Unit tests for mail sources: the ops table, config `sources:`, credentials from the
 * environment or a private file (never in clear in the config), the Maildir id that survives
 * new/ -> cur/, the manual source and composed MIME messages read back by the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core_config.h"
#include "minca/core.h"
#include "minca/intake.h"
#include "../../src/intake/intake_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/minca-unit-src-XXXXXX";

static char *write_file(const char *name, const char *text, mode_t mode)
{
    char *p = g_build_filename(tmpdir, name, NULL);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
    return p;
}

static void test_ops_table(void **state)
{
    (void)state;
    const char *kinds[] = {"eml", "maildir", "imap", "graph", "manual"};
    for (size_t i = 0; i < 5; i++) {
        const intake_source_ops *o = intake_source_ops_find(kinds[i]);
        assert_non_null(o);
        assert_string_equal(o->kind, kinds[i]);
        assert_non_null(o->open);
        assert_non_null(o->next);
        assert_non_null(o->close);
    }
    assert_null(intake_source_ops_find("pop3"));
    size_t n = 0;
    for (const intake_source_ops *const *p = intake_source_ops_all(); *p; p++)
        n++;
    assert_int_equal(n, 5);
    intake_source *s = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open_kind("pop3", &(intake_source_args){0}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "unknown mail source kind"));
}

static void test_config_sources(void **state)
{
    (void)state;
    char *cfg = write_file("config.yaml",
                           "insurer: demo\n"
                           "sources:\n"
                           "  qualitas-imap:\n"
                           "    kind: imap\n"
                           "    url: imaps://mail.example.mx/INBOX\n"
                           "    password: do-not-keep-me\n"
                           "    password_env: MINCA_UNIT_PW\n"
                           "    poll_seconds: 30\n"
                           "  nube:\n"
                           "    kind: graph\n"
                           "    client_secret_file: /etc/minca/graph.secret\n"
                           "keys:\n"
                           "  quit: Q\n",
                           0600);
    setenv("MINCA_CONFIG", cfg, 1);
    minca_err err = {0};
    assert_int_equal(config_load(&err), 0);
    const minca_config *c = config_get();
    assert_int_equal(c->n_sources, 2);
    const config_source *s = config_source_find("qualitas-imap");
    assert_non_null(s);
    assert_string_equal(config_source_get(s, "kind"), "imap");
    assert_int_equal(config_source_int(s, "poll_seconds", 60), 30);
    assert_int_equal(config_source_int(s, "missing", 60), 60);
    assert_null(config_source_get(s, "password"));   /* a secret in clear is dropped */
    assert_string_equal(config_source_get(config_source_find("nube"), "client_secret_file"), "/etc/minca/graph.secret");
    assert_int_equal(c->n_keys, 1);
    assert_string_equal(c->keys[0].key, "Q");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    config_print(out);
    fclose(out);
    assert_non_null(strstr(buf, "password_env: MINCA_UNIT_PW"));
    assert_null(strstr(buf, "do-not-keep-me"));
    free(buf);
    unsetenv("MINCA_CONFIG");
    g_free(cfg);
    config_load(&err);
}

static void test_secrets(void **state)
{
    (void)state;
    char *good = write_file("good.secret", "s3cr3t\n", 0600);
    char *open_file = write_file("open.secret", "s3cr3t\n", 0644);
    char *k_env[] = {"password_env"}, *v_env[] = {"MINCA_UNIT_SECRET"};
    config_source env = {.name = "env", .keys = k_env, .values = v_env, .n = 1};
    char *k_file[] = {"password_file"}, *v_good[] = {good}, *v_open[] = {open_file};
    config_source file_ok = {.name = "f", .keys = k_file, .values = v_good, .n = 1};
    config_source file_open = {.name = "f", .keys = k_file, .values = v_open, .n = 1};
    config_source none = {.name = "none"};
    char *out = NULL;
    minca_err err = {0};
    unsetenv("MINCA_UNIT_SECRET");
    assert_int_equal(intake_source_secret(&env, "password", &out, &err), -1);
    assert_non_null(strstr(err.msg, "MINCA_UNIT_SECRET"));
    setenv("MINCA_UNIT_SECRET", "from-env", 1);
    assert_int_equal(intake_source_secret(&env, "password", &out, &err), 0);
    assert_string_equal(out, "from-env");
    g_free(out);
    assert_int_equal(intake_source_secret(&file_ok, "password", &out, &err), 0);
    assert_string_equal(out, "s3cr3t");   /* trailing newline dropped */
    g_free(out);
    assert_int_equal(intake_source_secret(&file_open, "password", &out, &err), -1);
    assert_non_null(strstr(err.msg, "readable by others"));
    assert_null(strstr(err.msg, "s3cr3t"));
    assert_int_equal(intake_source_secret(&none, "password", &out, &err), -1);
    assert_non_null(strstr(err.msg, "password_env or password_file"));
    g_free(good);
    g_free(open_file);
}

static bool seen_one(void *user, const char *id) { return strcmp(id, (const char *)user) == 0; }

static void test_maildir_ids(void **state)
{
    (void)state;
    char *md = g_build_filename(tmpdir, "md", NULL);
    char *cur = g_build_filename(md, "cur", NULL), *nw = g_build_filename(md, "new", NULL);
    g_mkdir_with_parents(cur, 0700);
    g_mkdir_with_parents(nw, 0700);
    const char *msg = "From: a@b.mx\r\nSubject: x\r\nMessage-ID: <%d@b>\r\n\r\nhola\r\n";
    char *p1 = g_build_filename(cur, "1700000000.A1.host:2,S", NULL);
    char *p2 = g_build_filename(nw, "1700000001.B2.host", NULL);
    g_file_set_contents(p1, msg, -1, NULL);
    g_file_set_contents(p2, msg, -1, NULL);
    intake_source_args a = {.name = "md", .path = md, .seen = seen_one, .seen_user = (void *)"1700000000.A1.host"};
    intake_source *s = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open_kind("maildir", &a, &s, &err), 0);
    assert_int_equal(intake_source_pending(s), 2);
    intake_item it;
    /* The one in cur/ (flags after ':' ignored) was seen: only new/ comes out. */
    assert_int_equal(intake_source_next(s, &it, &err), 1);
    assert_string_equal(it.source_id, "1700000001.B2.host");
    assert_string_equal(it.source, "maildir");
    intake_item_clear(&it);
    assert_int_equal(intake_source_next(s, &it, &err), 0);
    intake_source_close(s);
    g_free(p1);
    g_free(p2);
    g_free(cur);
    g_free(nw);
    g_free(md);
}

/* An attached email (Graph itemAttachment, `mail add --attach x.eml`) is written as a
 * message/rfc822 part in 7bit/8bit, never base64, and the parser opens it. */
static void test_compose_attached_message(void **state)
{
    (void)state;
    const char *inner =
        "From: Diana <diana@broker.mx>\r\nSubject: solicitud\r\nMessage-ID: <inner-att@broker.mx>\r\n"
        "Date: Wed, 8 Oct 2025 18:40:00 -0600\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nRazón social: ÑANDÚ SA DE CV\r\n"
        "--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"unidades.csv\"\r\n\r\n"
        "MARCA,MODELO\r\nNISSAN,NP300\r\n--B--\r\n";
    intake_compose_attachment atts[] = {
        {.filename = "solicitud.eml", .content_type = "message/rfc822", .data = inner, .size = strlen(inner)},
        {.filename = "roto.eml", .content_type = "message/rfc822", .data = "\x01\x02\x03", .size = 3}};
    intake_compose c = {.from = "colega@aseguradora.mx", .subject = "RV: solicitud", .text_body = "ver adjunto",
                        .attachments = atts, .n_attachments = 2};
    char *raw = NULL;
    size_t len = 0;
    minca_err err = {0};
    assert_int_equal(intake_compose_build(&c, &raw, &len, NULL, &err), 0);
    const char *part = strstr(raw, "Content-Type: message/rfc822");
    assert_non_null(part);
    const char *part_end = strstr(part, "\r\n\r\n");
    assert_non_null(part_end);
    char *part_headers = g_strndup(part, (gsize)(part_end - part));
    assert_non_null(strstr(part_headers, "Content-Transfer-Encoding: 8bit"));
    assert_null(strstr(part_headers, "base64"));
    g_free(part_headers);
    intake_message *m = NULL;
    assert_int_equal(intake_parse(raw, len, &m, &err), 0);
    assert_int_equal(m->n_forwarded, 1);
    assert_string_equal(m->forwarded[0]->message_id, "<inner-att@broker.mx>");
    assert_non_null(strstr(m->forwarded[0]->text_body, "ÑANDÚ"));
    assert_int_equal(m->n_attachments, 2);
    assert_string_equal(m->attachments[0].filename, "unidades.csv");
    assert_string_equal(m->attachments[0].container, "message/rfc822 <inner-att@broker.mx>");
    /* Bytes that are not an email are attached as they are, not as a message. */
    assert_string_equal(m->attachments[1].filename, "roto.eml");
    assert_string_equal(m->attachments[1].content_type, "application/octet-stream");
    assert_int_equal(m->attachments[1].size, 3);
    intake_message_free(m);
    g_free(raw);
}

static void test_compose_roundtrip(void **state)
{
    (void)state;
    char *csv = write_file("flotilla año.csv", "MARCA,MODELO\nNISSAN,NP300\n", 0600);
    intake_compose_attachment atts[] = {{.path = csv}, {.filename = "logo.png", .data = "\x89PNG", .size = 4,
                                                        .content_id = "logo@desk"}};
    const char *hdrs[] = {"X-Minca-Graph-Id", "AAMk=", NULL, NULL};
    intake_compose c = {.from = "Peña Núñez <pena@corredor.mx>", .to = "cotiza@aseguradora.mx",
                        .subject = "Cotización flotilla Ñandú", .text_body = "Razón social: ÑANDÚ SA DE CV\n",
                        .html_body = "<p>Razón social: ÑANDÚ SA DE CV</p>", .attachments = atts,
                        .n_attachments = 2, .extra_headers = hdrs};
    char *raw = NULL, *mid = NULL;
    size_t len = 0;
    minca_err err = {0};
    assert_int_equal(intake_compose_build(&c, &raw, &len, &mid, &err), 0);
    assert_non_null(strstr(mid, "@desk.minca.invalid>"));
    intake_message *m = NULL;
    assert_int_equal(intake_parse(raw, len, &m, &err), 0);
    assert_string_equal(m->message_id, mid);
    assert_false(m->message_id_synthetic);
    assert_string_equal(m->from_addr, "pena@corredor.mx");
    assert_string_equal(m->from_name, "Peña Núñez");
    assert_string_equal(m->subject, "Cotización flotilla Ñandú");
    assert_non_null(strstr(m->text_body, "ÑANDÚ"));
    assert_non_null(m->html_body);
    assert_int_equal(m->n_attachments, 2);
    assert_string_equal(m->attachments[0].filename, "flotilla año.csv");
    assert_string_equal(m->attachments[0].content_type, "text/csv");
    assert_int_equal(m->attachments[0].size, strlen("MARCA,MODELO\nNISSAN,NP300\n"));
    assert_string_equal(m->attachments[1].content_id, "logo@desk");
    assert_true(m->date_valid);
    intake_message_free(m);
    g_free(raw);
    g_free(mid);
    /* A fixed Message-ID is kept; a bad sender or a missing file is refused. */
    intake_compose fixed = {.from = "a@b.mx", .message_id = "<graph-1@nube.mx>", .text_body = "x"};
    assert_int_equal(intake_compose_build(&fixed, &raw, &len, &mid, &err), 0);
    assert_string_equal(mid, "<graph-1@nube.mx>");
    g_free(raw);
    g_free(mid);
    intake_compose bad = {.from = "nadie"};
    assert_int_equal(intake_compose_build(&bad, &raw, &len, NULL, &err), -1);
    intake_compose_attachment missing = {.path = "/nonexistent/x.xlsx"};
    intake_compose nofile = {.from = "a@b.mx", .attachments = &missing, .n_attachments = 1};
    assert_int_equal(intake_compose_build(&nofile, &raw, &len, NULL, &err), -1);
    g_free(csv);
}

static void test_manual_source(void **state)
{
    (void)state;
    intake_item items[] = {{.data = "From: a@b.mx\r\n\r\nx\r\n", .len = 17, .source_id = "<1@desk>"}};
    intake_source_args a = {.name = "desk", .items = items, .n_items = 1};
    intake_source *s = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open_kind("manual", &a, &s, &err), 0);
    intake_item it;
    assert_int_equal(intake_source_next(s, &it, &err), 1);
    assert_string_equal(it.source, "manual");
    assert_string_equal(it.source_id, "<1@desk>");
    assert_int_equal(it.len, 17);
    intake_item_clear(&it);
    assert_int_equal(intake_source_next(s, &it, &err), 0);
    intake_source_close(s);
}

static void test_imap_config_errors(void **state)
{
    (void)state;
    setenv("MINCA_UNIT_PW", "pw", 1);
    char *k[] = {"url", "user", "password_env", "tls"};
    char *v1[] = {"imap://user:pw@mail.example.mx/INBOX", "u", "MINCA_UNIT_PW", "required"};
    char *v2[] = {"imap://mail.example.mx/INBOX", "u", "MINCA_UNIT_PW", "none"};
    char *v3[] = {"http://mail.example.mx/INBOX", "u", "MINCA_UNIT_PW", "required"};
    config_source c1 = {.name = "a", .keys = k, .values = v1, .n = 4}, c2 = {.name = "b", .keys = k, .values = v2, .n = 4},
                  c3 = {.name = "c", .keys = k, .values = v3, .n = 4};
    intake_source *s = NULL;
    minca_err err = {0};
    assert_int_equal(intake_source_open_kind("imap", &(intake_source_args){.name = "a", .cfg = &c1}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "not in the url"));
    assert_int_equal(intake_source_open_kind("imap", &(intake_source_args){.name = "b", .cfg = &c2}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "only allowed for a server on this machine"));
    assert_int_equal(intake_source_open_kind("imap", &(intake_source_args){.name = "c", .cfg = &c3}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "imap:// or imaps://"));
    char *gk[] = {"tenant", "client_id", "user", "graph_url", "client_secret_env"};
    char *gv[] = {"t", "c", "u", "http://graph.example.com/v1.0", "MINCA_UNIT_PW"};
    config_source g = {.name = "g", .keys = gk, .values = gv, .n = 5};
    assert_int_equal(intake_source_open_kind("graph", &(intake_source_args){.name = "g", .cfg = &g}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "https://"));
    /* The loopback exception goes by the addresses the host resolves to, not by its name. */
    const char *impostors[] = {"imap://localhost.attacker.example/INBOX", "imap://127.0.0.1.attacker.example/INBOX",
                               "imap://[::1].attacker.example/INBOX"};
    for (size_t i = 0; i < G_N_ELEMENTS(impostors); i++) {
        char *vi[] = {(char *)impostors[i], "u", "MINCA_UNIT_PW", "none"};
        config_source ci = {.name = "i", .keys = k, .values = vi, .n = 4};
        assert_int_equal(intake_source_open_kind("imap", &(intake_source_args){.name = "i", .cfg = &ci}, &s, &err), -1);
        assert_non_null(strstr(err.msg, "only allowed for a server on this machine"));
    }
    char *gv2[] = {"t", "c", "u", "http://localhost.attacker.example/v1.0", "MINCA_UNIT_PW"};
    config_source g2 = {.name = "g", .keys = gk, .values = gv2, .n = 5};
    assert_int_equal(intake_source_open_kind("graph", &(intake_source_args){.name = "g", .cfg = &g2}, &s, &err), -1);
    assert_non_null(strstr(err.msg, "https://"));
}

/* Modified UTF-7 (RFC 3501 5.1.3) both ways; malformed names are refused, not guessed. */
static void test_imap_mutf7(void **state)
{
    (void)state;
    const char *pairs[][2] = {
        {"Procesadas/Año 2026", "Procesadas/A&APE-o 2026"}, {"INBOX", "INBOX"}, {"R&D", "R&-D"},
        {"日本語", "&ZeVnLIqe-"}, {"Ñandú & Peña", "&ANE-and&APo- &- Pe&APE-a"}, {"😀", "&2D3eAA-"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        char *w = intake_imap_mutf7(pairs[i][0]);
        assert_string_equal(w, pairs[i][1]);
        char *back = intake_imap_mutf7_decode(w);
        assert_string_equal(back, pairs[i][0]);
        g_free(w);
        g_free(back);
    }
    const char *bad[] = {"A&APE", "A&AP*-o", "A&AGE-", "caf\xc3\xa9", "&2D0-", "&AGEAYgBj-", "a\x01b"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *d = intake_imap_mutf7_decode(bad[i]);
        if (d)
            fail_msg("%s decoded as %s", bad[i], d);
    }
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    g_free(cmd);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_table),       cmocka_unit_test(test_config_sources),
        cmocka_unit_test(test_secrets),         cmocka_unit_test(test_maildir_ids),
        cmocka_unit_test(test_compose_roundtrip), cmocka_unit_test(test_compose_attached_message),
        cmocka_unit_test(test_manual_source),
        cmocka_unit_test(test_imap_config_errors), cmocka_unit_test(test_imap_mutf7),
    };
    return cmocka_run_group_tests_name("intake_sources", tests, setup, teardown);
}
