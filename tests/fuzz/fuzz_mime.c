/* libFuzzer target for intake: arbitrary bytes → intake_parse → pre-analysis, HTML tables and
 * JSON rendering of whatever was read. Must never crash, leak or read out of bounds; every
 * string that comes out must be valid UTF-8. Seeds: tests/fuzz/corpus/mime/. */
#include "minca/intake.h"

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_utf8(const char *s)
{
    if (s && !g_utf8_validate(s, -1, NULL))
        abort();
}

static void exercise(const intake_message *m)
{
    check_utf8(m->message_id);
    check_utf8(m->subject);
    check_utf8(m->from_name);
    check_utf8(m->text_body);
    check_utf8(m->html_body);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const intake_attachment *a = &m->attachments[i];
        check_utf8(a->filename);
        if (!a->filename || strchr(a->filename, '/') || strchr(a->filename, '\\') || a->filename[0] == '.')
            abort();
    }
    for (size_t i = 0; i < m->n_problems; i++)
        check_utf8(m->problems[i]);
    if (m->html_body) {
        intake_html_tables *t = NULL;
        if (intake_html_tables_parse(m->html_body, strlen(m->html_body), &t, NULL) == 0)
            intake_html_tables_free(t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    intake_message *m = NULL;
    minca_err err = {0};
    if (intake_parse(data, size, &m, &err) != 0)
        return 0;
    exercise(m);
    intake_analysis *a = NULL;
    if (intake_analyze(m, &a, NULL) == 0) {
        check_utf8(a->client_name);
        check_utf8(a->contact_name);
        json_t *ja = intake_analysis_to_json(a);
        json_decref(ja);
        intake_analysis_free(a);
    }
    json_t *jm = intake_message_to_json(m);
    char *s = json_dumps(jm, 0);
    if (!s)
        abort();   /* only valid UTF-8 goes into JSON, so dumping never fails */
    free(s);
    json_decref(jm);
    intake_message_free(m);
    return 0;
}
