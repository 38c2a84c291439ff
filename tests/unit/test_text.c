/* Unit tests for core text: accent/case folding in each variant, display width and fitting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/core_text.h"

#include <glib.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/* The Latin-1 shortcut agrees with the canonical decomposition it stands for. */
static void test_unaccent_matches_decomposition(void **state)
{
    (void)state;
    for (gunichar c = 0xC0; c <= 0xFF; c++) {
        gunichar d[8];
        gsize n = g_unichar_fully_decompose(c, FALSE, d, G_N_ELEMENTS(d));
        gunichar want = (n > 1 && d[0] < 0x80) ? d[0] : c;
        assert_int_equal(text_unaccent_char(c), want);
    }
    assert_int_equal(text_unaccent_char(0x0301), 0);      /* combining acute: dropped */
    assert_int_equal(text_unaccent_char(0x0107), 'c');    /* ć */
    assert_int_equal(text_unaccent_char(0xD55C), 0xD55C); /* Hangul syllable kept whole */
    assert_int_equal(text_fold_ascii_char(0xBA), 'o');
    assert_int_equal(text_fold_ascii_char(0xA0), ' ');
    assert_int_equal(text_fold_ascii_char(0x2013), '-');
    assert_int_equal(text_fold_ascii_char(0x20AC), 0);
}

static void check_fold(const char *in, unsigned flags, const char *want)
{
    char *f = text_fold(in, flags);
    assert_string_equal(f, want);
    g_free(f);
}

static void test_fold_variants(void **state)
{
    (void)state;
    check_fold("Peña Ñandú", TEXT_FOLD_LOWER, "pena nandu");
    check_fold("  Básica  ", TEXT_FOLD_UPPER | TEXT_FOLD_TRIM, "BASICA");
    check_fold("Año Módelo", TEXT_FOLD_KEEP_CASE, "Ano Modelo");
    check_fold("  Año,  MOdelos! ", TEXT_FOLD_ASCII | TEXT_FOLD_WORDS, "ano modelos");
    check_fold("Straße", TEXT_FOLD_ASCII, "stra?e");
    check_fold("JOSE\xcc\x81", TEXT_FOLD_LOWER, "jose");      /* decomposed É */
    check_fold("a\xff" "b", TEXT_FOLD_ASCII, "a?b");          /* invalid byte */
    check_fold(NULL, TEXT_FOLD_LOWER, "");
    check_fold("Zürich — Nº 5", TEXT_FOLD_WORDS, "zurich nº 5");
}

static void test_fold_offsets_map_back(void **state)
{
    (void)state;
    const char *s = "Razón Social: PEÑA\xff!";
    size_t *off = NULL;
    char *f = text_fold_offsets(s, &off);
    assert_string_equal(f, "razon social: pena?!");
    const char *hit = strstr(f, "pena");
    size_t i = (size_t)(hit - f);
    assert_memory_equal(s + off[i], "PEÑA", strlen("PEÑA"));
    assert_int_equal(off[i + 4] - off[i], strlen("PEÑA"));
    assert_int_equal(off[strlen(f)], strlen(s));
    g_free(f);
    g_free(off);
}

static void test_fold_ascii_upper(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(text_fold_ascii_upper("nissan sentra", 13, out, sizeof out), 13);
    assert_string_equal(out, "NISSAN SENTRA");
    text_fold_ascii_upper("Peugeot 208 Allure · Ñ", strlen("Peugeot 208 Allure · Ñ"), out, sizeof out);
    assert_string_equal(out, "PEUGEOT 208 ALLURE   N");
    text_fold_ascii_upper("abcdef", 6, out, 4);
    assert_string_equal(out, "ABC");
}

static void test_display_width_and_fit(void **state)
{
    (void)state;
    assert_int_equal(text_display_width("Peña"), 4);
    assert_int_equal(text_display_width("a\tb"), 3);
    assert_int_equal(text_display_width(NULL), 0);
    char out[64];
    text_fit_width("Peña Nieto", 6, false, out, sizeof out);
    assert_string_equal(out, "Peña …");
    text_fit_width("ab", 4, true, out, sizeof out);
    assert_string_equal(out, "  ab");
    text_fit_width("ab", 4, false, out, sizeof out);
    assert_string_equal(out, "ab  ");
}

static void test_visible(void **state)
{
    (void)state;
    char *v = text_visible("T\x1b]52;c;eA==\x07 \x1b[2J a\nb\tc \xc2\x9b" "1m \xe2\x80\xae \x9b Ñandú\r");
    assert_string_equal(v, "T\\e]52;c;eA==\\a \\e[2J a\\nb\\tc \\u009b1m \\u202e \\x9b Ñandú\\r");
    g_free(v);
    v = text_visible_lines("línea\nsegunda\tcol\x1b");
    assert_string_equal(v, "línea\nsegunda\tcol\\e");
    g_free(v);
    /* chunked: a character cut at the end is left for the next call */
    GString *out = g_string_new(NULL);
    const char *s = "a\xc3\xb1";   /* "añ" */
    assert_int_equal(text_visible_append(out, s, 2, NULL, false), 1);
    assert_int_equal(text_visible_append(out, s + 1, 2, NULL, false), 2);
    assert_string_equal(out->str, "a\xc3\xb1");
    g_string_free(out, TRUE);
}

static void test_mask_secrets(void **state)
{
    (void)state;
    core_secret_add_url("postgresql://minca:Hunter%2Fpw@db.example/minca");
    char *m = core_mask_secrets("connect rediss://default:s3cr3tv@h:6380/0 failed; libpq: \"Hunter/pw\" and "
                                "host=x password=abc dbname=y; again postgresql://minca:Hunter%2Fpw@db.example/minca");
    assert_null(strstr(m, "s3cr3tv"));
    assert_null(strstr(m, "Hunter"));
    assert_null(strstr(m, "abc"));
    assert_non_null(strstr(m, "rediss://default:****@h:6380/0"));
    assert_non_null(strstr(m, "password=****"));
    g_free(m);
    core_forget_secrets();
    m = core_mask_secrets("Hunter/pw");
    assert_string_equal(m, "Hunter/pw");
    g_free(m);
}

static void test_no_core_dumps(void **state)
{
    (void)state;
    assert_int_equal(core_no_core_dumps(), 0);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
    assert_int_equal(rl.rlim_cur, 0);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unaccent_matches_decomposition),
        cmocka_unit_test(test_fold_variants),
        cmocka_unit_test(test_fold_offsets_map_back),
        cmocka_unit_test(test_fold_ascii_upper),
        cmocka_unit_test(test_display_width_and_fit),
        cmocka_unit_test(test_visible),
        cmocka_unit_test(test_mask_secrets),
        cmocka_unit_test(test_no_core_dumps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
