/* intake over the labelled development inbox (shared/data/inbox_dev): message ids, subjects,
 * senders, dates and attachments must match labels.json exactly; the body pre-analysis is
 * measured per field and must not fall below the agreement recorded here.
 *
 * The inbox is found at $MINCA_SHARED/data/inbox_dev or <repo>/../shared/data/inbox_dev; when it
 * is absent the tests are skipped with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/intake.h"

#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *inbox_dir(void)
{
    const char *shared = getenv("MINCA_SHARED");
    if (shared && *shared) {
        char *d = core_strdup_printf("%s/data/inbox_dev", shared);
        if (core_is_dir(d))
            return d;
        g_free(d);
    }
    const char *src = getenv("MINCA_SRC");
    char *d = core_strdup_printf("%s/../shared/data/inbox_dev", src && *src ? src : ".");
    if (core_is_dir(d))
        return d;
    g_free(d);
    return NULL;
}

typedef struct inbox {
    char *dir;
    json_t *labels;
} inbox;

static int setup(void **state)
{
    inbox *ib = g_malloc0_n(1, sizeof *ib);
    ib->dir = inbox_dir();
    if (ib->dir) {
        char *p = core_path_join(ib->dir, "labels.json");
        json_error_t je;
        ib->labels = json_load_file(p, 0, &je);
        if (!ib->labels)
            fprintf(stderr, "cannot read %s: %s\n", p, je.text);
        g_free(p);
    }
    *state = ib;
    return 0;
}

static int teardown(void **state)
{
    inbox *ib = *state;
    g_free(ib->dir);
    if (ib->labels)
        json_decref(ib->labels);
    g_free(ib);
    return 0;
}

static bool need_inbox(inbox *ib)
{
    if (ib->dir && ib->labels)
        return true;
    printf("# SKIP: shared/data/inbox_dev not found (set MINCA_SHARED or place shared/ next to the repo)\n");
    return false;
}

static intake_message *parse_file(const char *dir, const char *file)
{
    char *p = core_path_join(dir, file);
    char *data = NULL;
    size_t len = 0;
    minca_err err = {0};
    if (core_read_file(p, INTAKE_DEFAULT_MAX_MESSAGE_BYTES, &data, &len, &err) != 0)
        fail_msg("%s", err.msg);
    intake_message *m = NULL;
    if (intake_parse(data, len, &m, &err) != 0)
        fail_msg("%s: %s", file, err.msg);
    g_free(data);
    g_free(p);
    return m;
}

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void check_str(const char *file, const char *what, const char *expect, const char *got)
{
    if (!expect && !got)
        return;
    if (!expect || !got || strcmp(expect, got) != 0)
        fail_msg("%s: %s: expected \"%s\", got \"%s\"", file, what, expect ? expect : "(null)", got ? got : "(null)");
}

static void test_inbox_messages(void **state)
{
    inbox *ib = *state;
    if (!need_inbox(ib)) {
        skip();
        return;
    }
    size_t i;
    json_t *lab;
    size_t attachments = 0;
    json_array_foreach(ib->labels, i, lab) {
        const char *file = jstr(lab, "file");
        intake_message *m = parse_file(ib->dir, file);
        check_str(file, "message_id", jstr(lab, "message_id"), m->message_id);
        assert_false(m->message_id_synthetic);
        check_str(file, "subject", jstr(lab, "subject"), m->subject);
        check_str(file, "sender", jstr(lab, "sender"), m->from_addr);
        check_str(file, "domain", jstr(lab, "broker_domain"), m->sender_domain);
        check_str(file, "date", jstr(lab, "date"), m->date_iso);
        assert_true(m->text_body || m->html_body);
        json_t *atts = json_object_get(lab, "attachments");
        if (json_array_size(atts) != m->n_attachments)
            fail_msg("%s: %zu attachments labelled, %zu parsed", file, json_array_size(atts), m->n_attachments);
        for (size_t k = 0; k < m->n_attachments; k++) {
            json_t *la = json_array_get(atts, k);
            const intake_attachment *a = &m->attachments[k];
            check_str(file, "attachment filename", jstr(la, "filename"), a->filename);
            check_str(file, "attachment content_type", jstr(la, "content_type"), a->content_type);
            check_str(file, "attachment container", jstr(la, "container"), a->container);
            check_str(file, "attachment role", jstr(la, "role"), intake_role_name(a->role));
            assert_true(a->size > 0);
            attachments++;
        }
        intake_message_free(m);
    }
    printf("# %zu messages, %zu attachments match labels.json\n", json_array_size(ib->labels), attachments);
}

static void test_inbox_duplicate_delivery(void **state)
{
    inbox *ib = *state;
    if (!need_inbox(ib)) {
        skip();
        return;
    }
    size_t i;
    json_t *lab;
    int dups = 0;
    json_array_foreach(ib->labels, i, lab) {
        const char *first = jstr(lab, "is_duplicate_of");
        if (!first)
            continue;
        intake_message *a = parse_file(ib->dir, first), *b = parse_file(ib->dir, jstr(lab, "file"));
        assert_string_equal(a->message_id, b->message_id);
        assert_int_equal(a->n_attachments, b->n_attachments);
        for (size_t k = 0; k < a->n_attachments; k++)
            assert_string_equal(a->attachments[k].sha256, b->attachments[k].sha256);
        intake_message_free(a);
        intake_message_free(b);
        dups++;
    }
    assert_true(dups >= 1);
}

/* ---- pre-analysis agreement ---- */

enum { F_CLIENT, F_RFC, F_CNAME, F_CPHONE, F_CEMAIL, F_COVERAGE, F_PAYMENT, F_VSTART, F_VEND, F_VIMPLICIT,
       F_USO, F_LOSS, F_VEHICLES, F_COUNT };

static const char *const field_names[F_COUNT] = {
    "client_name", "rfc", "contact.name", "contact.phone", "contact.email", "coverage", "payment_terms",
    "vigencia_start", "vigencia_end", "vigencia_end_implicit", "uso", "loss_history", "vehicle_list"};

/* Minimum agreement (matching messages out of 24) measured when this test was written; a
 * drop is a regression. The labels carry a contact phone or e-mail that the message never
 * states for 3 phones and 19 e-mails (they come from the insurer's records), so 21 and 5 are
 * the ceilings for those two: everything the messages do state is found. */
static const int field_min[F_COUNT] = {24, 24, 24, 21, 5, 24, 24, 24, 24, 24, 24, 24, 24};

static bool same(const char *a, const char *b, bool casefold)
{
    if (!a || !b)
        return !a && !b;
    if (!casefold)
        return strcmp(a, b) == 0;
    char *fa = g_utf8_casefold(a, -1), *fb = g_utf8_casefold(b, -1);
    bool r = strcmp(fa, fb) == 0;
    g_free(fa);
    g_free(fb);
    return r;
}

static void test_inbox_preanalysis_agreement(void **state)
{
    inbox *ib = *state;
    if (!need_inbox(ib)) {
        skip();
        return;
    }
    int agree[F_COUNT] = {0};
    size_t total = json_array_size(ib->labels);
    size_t i;
    json_t *lab;
    json_array_foreach(ib->labels, i, lab) {
        const char *file = jstr(lab, "file");
        intake_message *m = parse_file(ib->dir, file);
        intake_analysis *a = NULL;
        assert_int_equal(intake_analyze(m, &a, NULL), 0);
        json_t *contact = json_object_get(lab, "contact");
        bool ok[F_COUNT];
        ok[F_CLIENT] = same(jstr(lab, "client_name"), a->client_name, false);
        ok[F_RFC] = same(jstr(lab, "rfc"), a->rfc, false);
        ok[F_CNAME] = same(json_is_object(contact) ? jstr(contact, "name") : NULL, a->contact_name, true);
        ok[F_CPHONE] = same(json_is_object(contact) ? jstr(contact, "phone") : NULL, a->contact_phone, false);
        ok[F_CEMAIL] = same(json_is_object(contact) ? jstr(contact, "email") : NULL, a->contact_email, true);
        ok[F_COVERAGE] = same(jstr(lab, "coverage"), a->coverage, false);
        ok[F_PAYMENT] = same(jstr(lab, "payment_terms"), a->payment_terms, false);
        ok[F_VSTART] = same(jstr(lab, "vigencia_start"), a->vigencia_start, false);
        ok[F_VEND] = same(jstr(lab, "vigencia_end"), a->vigencia_end, false);
        ok[F_VIMPLICIT] = json_is_true(json_object_get(lab, "vigencia_end_implicit")) == a->vigencia_end_implicit;
        ok[F_USO] = same(jstr(lab, "uso"), a->uso, false);
        ok[F_LOSS] = same(jstr(lab, "loss_history"), a->loss_history, false);
        bool labelled_vehicles = json_integer_value(json_object_get(lab, "vehicle_count")) > 0 ||
                                 json_array_size(json_object_get(lab, "attachments")) > 0;
        ok[F_VEHICLES] = labelled_vehicles == a->has_vehicle_source;
        for (int f = 0; f < F_COUNT; f++) {
            if (ok[f])
                agree[f]++;
            else
                printf("# %s: %s differs from the label\n", file, field_names[f]);
        }
        intake_analysis_free(a);
        intake_message_free(m);
    }
    printf("# pre-analysis agreement with labels.json (%zu messages):\n", total);
    bool regressed = false;
    for (int f = 0; f < F_COUNT; f++) {
        printf("#   %-22s %2d/%zu  %5.1f%%\n", field_names[f], agree[f], total, 100.0 * agree[f] / (double)total);
        if (agree[f] < field_min[f]) {
            printf("#   ^ below the recorded minimum of %d\n", field_min[f]);
            regressed = true;
        }
    }
    assert_false(regressed);
}

int main(void)
{
    /* cmocka reports a skipped test as "not ok ... # SKIP", which tests/run.sh counts as a
     * failure; when the data is absent, say so in plain TAP instead. */
    char *dir = inbox_dir();
    if (!dir) {
        printf("1..1\nok 1 # SKIP intake_inbox: shared/data/inbox_dev not found "
               "(set MINCA_SHARED or place shared/ next to the repo)\n");
        return 0;
    }
    g_free(dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbox_messages),
        cmocka_unit_test(test_inbox_duplicate_delivery),
        cmocka_unit_test(test_inbox_preanalysis_agreement),
    };
    return cmocka_run_group_tests_name("intake_inbox", tests, setup, teardown);
}
