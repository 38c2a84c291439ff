/* profile: the characters OCR mistakes in a VIN, and the repairs a VIN's own structure
 * allows without any guess: digits where ISO 3779 and FMVSS 115 hold only digits, a
 * manufacturer prefix that is a known one, the model-year character of the row's year.
 * The confusions are data (data/profile/vin_ocr.txt), the prefixes codify's own list
 * (data/codify/wmi.txt); both are loaded once. */
#include "profile_internal.h"
#include "minca/core_config.h"
#include "minca/core.h"

#include <string.h>

typedef struct vin_ocr_rules {
    char digit_of[128];       /* a letter OCR reads for a digit -> that digit, else 0 */
    bool alike[128][128];     /* characters OCR takes for one another */
    GPtrArray *wmis;          /* known manufacturer prefixes, 2 or 3 characters (g_free) */
    char check_regions[16];   /* first characters of VINs that carry a check digit */
    GString *swaps;           /* pairs tried against the check digit, "S5B8..." */
} vin_ocr_rules;

static char *data_path(const char *dir, const char *name)
{
    const minca_config *cfg = config_get();
    return g_build_filename(cfg && cfg->data_dir ? cfg->data_dir : "data", dir, name, NULL);
}

static char **read_lines(const char *dir, const char *name, char **path)
{
    *path = data_path(dir, name);
    char *text = NULL;
    GError *ge = NULL;
    if (!g_file_get_contents(*path, &text, NULL, &ge)) {
        log_warn("%s not read (%s): VINs read by OCR are repaired by their check digit alone",
                 *path, ge->message);
        g_error_free(ge);
        return NULL;
    }
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    return lines;
}

static void set_alike(vin_ocr_rules *r, char a, char b)
{
    r->alike[(unsigned char)a][(unsigned char)b] = r->alike[(unsigned char)b][(unsigned char)a] = true;
}

/* `digit D = L L ...` or `alike A B ...` */
static void rule_line(vin_ocr_rules *r, const char *path, int lineno, const char *line)
{
    char **w = g_strsplit_set(line, " \t", -1);
    GPtrArray *tok = g_ptr_array_new();
    for (int i = 0; w[i]; i++)
        if (*w[i] && strcmp(w[i], "=") != 0)
            g_ptr_array_add(tok, w[i]);
    bool ok = tok->len >= 3;
    for (guint i = 1; ok && i < tok->len; i++) {
        const char *t = g_ptr_array_index(tok, i);
        ok = strlen(t) == 1 && g_ascii_isalnum(t[0]);
    }
    const char *kind = ok ? g_ptr_array_index(tok, 0) : "";
    if (ok && !strcmp(kind, "digit") && g_ascii_isdigit(((char *)g_ptr_array_index(tok, 1))[0])) {
        char d = ((char *)g_ptr_array_index(tok, 1))[0];
        for (guint i = 2; i < tok->len; i++) {
            char l = g_ascii_toupper(((char *)g_ptr_array_index(tok, i))[0]);
            r->digit_of[(unsigned char)l] = d;
            set_alike(r, l, d);
        }
    } else if (ok && !strcmp(kind, "swap") && tok->len == 3) {
        g_string_append_c(r->swaps, g_ascii_toupper(((char *)g_ptr_array_index(tok, 1))[0]));
        g_string_append_c(r->swaps, g_ascii_toupper(((char *)g_ptr_array_index(tok, 2))[0]));
    } else if (ok && !strcmp(kind, "alike")) {
        for (guint i = 1; i < tok->len; i++)
            for (guint k = i + 1; k < tok->len; k++)
                set_alike(r, g_ascii_toupper(((char *)g_ptr_array_index(tok, i))[0]),
                          g_ascii_toupper(((char *)g_ptr_array_index(tok, k))[0]));
    } else {
        log_warn("%s:%d: not a rule (digit D = LETTERS | alike CHARS | swap A B)", path, lineno);
    }
    g_ptr_array_free(tok, TRUE);
    g_strfreev(w);   /* tok only borrowed the strings */
}

static gpointer rules_load(gpointer unused)
{
    (void)unused;
    vin_ocr_rules *r = g_new0(vin_ocr_rules, 1);
    r->wmis = g_ptr_array_new_with_free_func(g_free);
    r->swaps = g_string_new(NULL);
    char *path = NULL;
    char **lines = read_lines("profile", "vin_ocr.txt", &path);
    for (int i = 0; lines && lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (*l && *l != '#')
            rule_line(r, path, i + 1, l);
    }
    g_strfreev(lines);
    g_free(path);
    lines = read_lines("codify", "wmi.txt", &path);
    for (int i = 0; lines && lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (g_str_has_prefix(l, "%checkdigit")) {
            size_t n = 0;
            for (const char *p = l + strlen("%checkdigit"); *p && n + 1 < sizeof r->check_regions; p++)
                if (g_ascii_isalnum(*p))
                    r->check_regions[n++] = *p;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!*l || *l == '#' || !eq)
            continue;
        *eq = '\0';
        char *w = g_ascii_strup(g_strstrip(l), -1);
        if (strlen(w) == 2 || strlen(w) == 3)
            g_ptr_array_add(r->wmis, w);
        else
            g_free(w);
    }
    g_strfreev(lines);
    g_free(path);
    return r;
}

static const vin_ocr_rules *rules(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, rules_load, NULL);
}

static bool alike(const vin_ocr_rules *r, char a, char b)
{
    unsigned char x = (unsigned char)a, y = (unsigned char)b;
    return a == b || (x < 128 && y < 128 && r->alike[x][y]);
}

static bool wmi_known(const vin_ocr_rules *r, const char *vin)
{
    for (guint i = 0; i < r->wmis->len; i++) {
        const char *w = g_ptr_array_index(r->wmis, i);
        if (!strncmp(vin, w, strlen(w)))
            return true;
    }
    return false;
}

/* The one known prefix alike the VIN's in every position (a two-character prefix keeps the
 * VIN's third); false when none or two different ones are. */
static bool wmi_snap(const vin_ocr_rules *r, char *vin)
{
    char found[4] = "";
    for (guint i = 0; i < r->wmis->len; i++) {
        const char *w = g_ptr_array_index(r->wmis, i);
        size_t n = strlen(w);
        bool all = true;
        for (size_t k = 0; k < n && all; k++)
            all = alike(r, vin[k], w[k]);
        if (!all)
            continue;
        char cand[4] = { w[0], w[1], n == 3 ? w[2] : vin[2], '\0' };
        if (found[0] && strcmp(found, cand) != 0)
            return false;
        memcpy(found, cand, 4);
    }
    if (!found[0])
        return false;
    memcpy(vin, found, 3);
    return true;
}

static char year_code(int year)
{
    static const char codes[] = "ABCDEFGHJKLMNPRSTVWXY123456789";
    return year >= 1980 && year < 2100 ? codes[(year - 1980) % 30] : 0;
}

bool pf_vin_ocr_maker_known(const char *vin)
{
    const vin_ocr_rules *r = rules();
    return r->wmis->len == 0 || wmi_known(r, vin);
}

const char *pf_vin_ocr_swaps(void)
{
    return rules()->swaps->str;
}

void pf_vin_ocr_fix_positions(char *vin, int year)
{
    const vin_ocr_rules *r = rules();
    if (strlen(vin) != 17)
        return;
    bool checked = vin[0] && strchr(r->check_regions, vin[0]) != NULL;
    if (!wmi_known(r, vin) && wmi_snap(r, vin))
        checked = strchr(r->check_regions, vin[0]) != NULL;
    /* ISO 3779: the last four characters are digits; FMVSS 115 (North America): the check
     * digit (position 9, or X) and the serial number from position 13. */
    for (int i = checked ? 8 : 13; i < 17; i++) {
        if (i == 9 || i == 10 || i == 11 || (i == 8 && vin[i] == 'X'))
            continue;
        unsigned char c = (unsigned char)vin[i];
        if (c < 128 && r->digit_of[c])
            vin[i] = r->digit_of[c];
    }
    char y = year_code(year);
    if (y && vin[9] != y && alike(r, vin[9], y))
        vin[9] = y;
}
