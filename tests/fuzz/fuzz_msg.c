/* libFuzzer target for Outlook .msg items (Compound File Binary, libgsf): arbitrary bytes →
 * intake_msg_read, and the same bytes attached to an email → intake_parse. Must never crash,
 * leak or read out of bounds; every string that comes out is valid UTF-8. Seeds:
 * tests/fuzz/corpus/msg/ (written by build/tests/test_intake_msg --write-msg when built). */
#include "../../src/intake/intake_internal.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_utf8(const char *s)
{
    if (s && !g_utf8_validate(s, -1, NULL))
        abort();
}

static void check_item(const intake_msg_item *m)
{
    check_utf8(m->subject);
    check_utf8(m->from_addr);
    check_utf8(m->from_name);
    check_utf8(m->to);
    check_utf8(m->message_id);
    check_utf8(m->text_body);
    check_utf8(m->html_body);
}

static void on_part(void *user, const char *name, const char *mime, const unsigned char *data, size_t len,
                    const intake_msg_item *item)
{
    size_t *total = user;
    check_utf8(name);
    check_utf8(mime);
    if (item)
        check_item(item);
    for (size_t i = 0; i < len; i += 4096)
        *total += data[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    intake_msg_item m;
    minca_err err = {0};
    if (intake_msg_read(data, size, on_part, &total, &m, &err) >= 0) {
        check_item(&m);
        intake_msg_item_clear(&m);
    }
    /* The same bytes as an attachment named .msg of an email. */
    gchar *b64 = g_base64_encode(data, size);
    char *eml = g_strdup_printf("From: a@b.mx\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
                                "Content-Type: application/vnd.ms-outlook; name=\"i.msg\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--b--\r\n",
                                b64);
    intake_message *msg = NULL;
    if (intake_parse(eml, strlen(eml), &msg, &err) == 0) {
        for (size_t i = 0; i < msg->n_forwarded; i++) {
            check_utf8(msg->forwarded[i]->subject);
            check_utf8(msg->forwarded[i]->text_body);
        }
        intake_message_free(msg);
    }
    g_free(eml);
    g_free(b64);
    return 0;
}
