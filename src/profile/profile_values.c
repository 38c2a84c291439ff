/* profile: value parsers and recognisers (years, money, dates, percentages, VINs, plates). */
#include "profile_internal.h"
#include "minca/core_vehicle.h"

#include <ctype.h>
#include <glib.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A field's row; the member's offset only for a field held on the row. */
#define PF_FIELD_OFFSET(KIND, name_) VEHICLE_IF_HELD(KIND, .offset = offsetof(vehicle_row, name_), )
#define PF_FIELD_INFO(ID, name_, KIND, PARSE, EXPORT, FLAGS, label, aliases_)                      \
    [PF_##ID] = {PF_FIELD_OFFSET(KIND, name_) .name = #name_, .aliases = aliases_,                  \
                 .held = PF_HELD_##KIND, .parse = PARSE_##PARSE, .flags = (FLAGS)},
const pf_field_info pf_fields[PF_COUNT] = {
    VEHICLE_FIELDS(PF_FIELD_INFO)
    [PF_IGNORE] = {.name = "ignore", .aliases = "", .held = PF_HELD_NONE, .parse = PARSE_NONE},
};

const char *profile_field_name(profile_field f)
{
    return f >= 0 && f < PF_COUNT ? pf_fields[f].name : NULL;
}

static bool is_alias(const char *aliases, const char *name)
{
    size_t n = strlen(name);
    for (const char *a = aliases; *a;) {
        size_t len = strcspn(a, " ");
        if (len == n && strncmp(a, name, n) == 0)
            return true;
        a += len;
        a += strspn(a, " ");
    }
    return false;
}

profile_field profile_field_from_name(const char *name)
{
    if (!name)
        return PF_NONE;
    for (int i = 0; i < PF_COUNT; i++)
        if (strcmp(name, pf_fields[i].name) == 0)
            return (profile_field)i;
    for (int i = 0; *name && i < PF_COUNT; i++)
        if (is_alias(pf_fields[i].aliases, name))
            return (profile_field)i;
    return PF_NONE;
}

bool profile_parse_year(const char *s, int *year)
{
    if (!s)
        return false;
    while (*s == ' ' || *s == '\t')
        s++;
    if (g_ascii_strncasecmp(s, "MY", 2) == 0)
        s += 2;
    char *end;
    double v = g_ascii_strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (end == s || *end || v != floor(v))
        return false;
    if (v >= VEHICLE_YEAR_MIN && v <= VEHICLE_YEAR_MAX && vehicle_year_valid((int)v)) {   /* no cast out of range */
        *year = (int)v;
        return true;
    }
    return false;
}

bool profile_parse_money(const char *s, double *value)
{
    if (!s)
        return false;
    /* Keep digits and separators; remember the last separator to tell decimal from thousands. */
    char buf[64];
    size_t n = 0;
    int digits = 0;
    bool neg = false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c)) {
            digits++;
            if (n < sizeof buf - 1)
                buf[n++] = (char)c;
        } else if (c == '.' || c == ',') {
            if (n < sizeof buf - 1)
                buf[n++] = (char)c;
        } else if (c == '-' && digits == 0) {
            neg = true;
        } else if (c == '$' || c == ' ' || c == '\t' || c == '\'' || (c == 0xC2 && p[1] == (char)0xA0)) {
            if (c == 0xC2)
                p++;
        } else if (isalpha(c)) {
            /* currency words: MXN, M.N., PESOS */
            if (g_ascii_strncasecmp(p, "MXN", 3) == 0) { p += 2; continue; }
            if (g_ascii_strncasecmp(p, "M.N.", 4) == 0) { p += 3; continue; }
            if (g_ascii_strncasecmp(p, "MN", 2) == 0) { p += 1; continue; }
            if (g_ascii_strncasecmp(p, "PESOS", 5) == 0) { p += 4; continue; }
            return false;
        } else {
            return false;
        }
    }
    buf[n] = '\0';
    if (digits == 0)
        return false;
    /* Decide the decimal separator: the last one when followed by 1-2 digits (a group of
     * thousands has three, so `356.500.00`, as OCR reads `356,500.00`, still has cents), or
     * by 3+ if the other separator also appears before it. */
    char *lastdot = strrchr(buf, '.'), *lastcomma = strrchr(buf, ',');
    char dec = 0;
    char *last = lastdot > lastcomma ? lastdot : lastcomma;
    if (last) {
        size_t after = strlen(last + 1);
        char other = *last == '.' ? ',' : '.';
        bool other_before = memchr(buf, other, (size_t)(last - buf)) != NULL;
        int count_same = 0;
        for (char *q = buf; *q; q++)
            count_same += *q == *last;
        if (other_before || (after != 3 && count_same == 1) || (after >= 1 && after <= 2))
            dec = *last;
    }
    char clean[64];
    size_t m = 0;
    for (char *q = buf; *q; q++) {
        if (isdigit((unsigned char)*q))
            clean[m++] = *q;
        else if (*q == dec && q == (dec == '.' ? lastdot : lastcomma))
            clean[m++] = '.';
    }
    clean[m] = '\0';
    double v = g_ascii_strtod(clean, NULL);
    if (!isfinite(v))
        return false;
    *value = neg ? -v : v;
    return true;
}

bool profile_parse_date(const char *s, char iso[11])
{
    if (!s)
        return false;
    while (*s == ' ')
        s++;
    int d, m, y;
    char sep1, sep2, tail;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 && y > 999) {
        /* ISO, possibly followed by a time */
    } else if (sscanf(s, "%2d%c%2d%c%4d%c", &d, &sep1, &m, &sep2, &y, &tail) >= 5 &&
               (sep1 == '/' || sep1 == '-' || sep1 == '.') && sep1 == sep2) {
        if (y < 100)
            y += y < 70 ? 2000 : 1900;
    } else {
        char *end;
        double serial = g_ascii_strtod(s, &end);
        if (end == s || *end || serial < 1 || serial > 2958465)
            return false;
        return docs_serial_to_iso(serial, iso);
    }
    if (!g_date_valid_dmy((GDateDay)d, (GDateMonth)m, (GDateYear)y))
        return false;
    if (!core_fmt(iso, 11, "%04d-%02d-%02d", y, m, d))
        return false;
    return true;
}

bool profile_parse_percent(const char *s, double *value)
{
    if (!s)
        return false;
    char *copy = g_strstrip(g_strdup(s));
    bool pct = false;
    size_t n = strlen(copy);
    if (n && copy[n - 1] == '%') {
        pct = true;
        copy[n - 1] = '\0';
        g_strstrip(copy);
    }
    for (char *p = copy; *p; p++)
        if (*p == ',')
            *p = '.';
    char *end;
    double v = g_ascii_strtod(copy, &end);
    bool ok = end != copy && *end == '\0' && isfinite(v);
    g_free(copy);
    if (!ok)
        return false;
    *value = (pct || v > 1) ? v : v * 100.0;
    return true;
}

static int vin_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    static const char *letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9 };
    const char *p = strchr(letters, c);
    return p && c ? values[p - letters] : -1;
}

bool profile_looks_vin(const char *s)
{
    if (!s || strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) || c == 'I' || c == 'O' || c == 'Q')
            return false;
    }
    return true;
}

bool profile_vin_check_digit(const char *vin)
{
    static const int weights[17] = { 8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2 };
    if (!profile_looks_vin(vin))
        return false;
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = vin_value(vin[i]);
        if (v < 0)
            return false;
        sum += v * weights[i];
    }
    int r = sum % 11;
    char expect = r == 10 ? 'X' : (char)('0' + r);
    return vin[8] == expect;
}

/* One look-alike read for another: at position `at`, or everywhere it can go when at < 0
 * (a font whose 5 OCR reads as S reads every 5 so). Never a letter into the serial number
 * (positions 13-17: digits). Whether anything changed. */
static bool vin_swap(char *vin, int at, char from, char to)
{
    bool changed = false;
    for (int i = at < 0 ? 0 : at; i < (at < 0 ? 17 : at + 1); i++)
        if (vin[i] == from && !(i >= 12 && g_ascii_isalpha(to))) {
            vin[i] = to;
            changed = true;
        }
    return changed;
}

/* 17 characters: I and O become 1 and 0, Q becomes q_as ('0', or '9' it is also mistaken
 * for), the structural fixes; then the one confusable swap that the check digit confirms:
 * of one character, or of every character alike. */
static bool vin_repair17(char *vin, char q_as, bool swap, int year)
{
    for (char *p = vin; *p; p++)
        *p = *p == 'I' ? '1' : *p == 'O' ? '0' : *p == 'Q' ? q_as : *p;
    pf_vin_ocr_fix_positions(vin, year);
    /* a wrong reading holds by chance one time in eleven: the maker must be a known one too */
    if (!pf_vin_ocr_maker_known(vin))
        return false;
    if (profile_vin_check_digit(vin))
        return true;
    if (!swap)
        return false;
    const char *swaps = pf_vin_ocr_swaps();
    size_t n_swaps = strlen(swaps) / 2;
    char found[18] = "";
    for (int at = -1; at < 17; at++) {
        for (size_t k = 0; k < 2 * n_swaps; k++) {
            const char *sw = swaps + 2 * (k / 2);
            char try[18];
            memcpy(try, vin, 18);
            if (!vin_swap(try, at, sw[k % 2], sw[1 - k % 2]) || !profile_vin_check_digit(try))
                continue;
            if (found[0] && strcmp(found, try) != 0)
                return false;   /* two readings fit: neither is trusted */
            memcpy(found, try, 18);
        }
    }
    if (!found[0])
        return false;
    memcpy(vin, found, 18);
    return true;
}

static bool vin_repair_any(char *vin, bool swap, int year)
{
    char try[18];
    for (int q = 0; q < 2; q++) {
        memcpy(try, vin, 18);
        if (vin_repair17(try, q ? '9' : '0', swap, year)) {
            memcpy(vin, try, 18);
            return true;
        }
        if (!strchr(vin, 'Q'))
            break;
    }
    return false;
}

/* OCR reads ruling lines and specks beside a VIN as punctuation ("|", "[", "¡"): off the
 * ends they go; inside, a bar is the stroke of a 1 (read as I) and other punctuation goes. */
static void vin_drop_junk(char *vin)
{
    size_t n = strlen(vin), from = 0, to = n;
    while (from < to && !g_ascii_isalnum(vin[from]))
        from++;
    while (to > from && !g_ascii_isalnum(vin[to - 1]))
        to--;
    size_t w = 0;
    for (size_t i = from; i < to; i++) {
        char c = vin[i];
        if (c == '|')
            vin[w++] = 'I';
        else if (g_ascii_isalnum(c))
            vin[w++] = c;
    }
    vin[w] = '\0';
}

bool profile_vin_ocr_repair(char *vin)
{
    return profile_vin_ocr_repair_year(vin, 0);
}

bool profile_vin_ocr_repair_year(char *vin, int year)
{
    char clean[64];
    if (strlen(vin) >= sizeof clean)
        return false;
    strcpy(clean, vin);
    vin_drop_junk(clean);
    size_t n = strlen(clean);
    if (n == 17) {
        if (!vin_repair_any(clean, true, year))
            return false;
        strcpy(vin, clean);
        return true;
    }
    if (n != 18)
        return false;
    /* one character too many: at an end (a ruling line read as a letter), or an I (never in a
     * VIN: a stray stroke beside a digit); the reading whose check digit then holds, when
     * only one does: first without a swap of look-alikes, then with one */
    char found[18] = "";
    for (int swap = 0; swap < 2 && !found[0]; swap++)
        for (size_t drop = 0; drop < 18; drop++) {
            if (drop != 0 && drop != 17 && clean[drop] != 'I')
                continue;
            char cand[19];
            memcpy(cand, clean, drop);
            memcpy(cand + drop, clean + drop + 1, 17 - drop);
            cand[17] = '\0';
            if (!vin_repair_any(cand, swap, year))
                continue;
            if (found[0] && strcmp(found, cand) != 0)
                return false;   /* two readings fit: neither is trusted */
            memcpy(found, cand, 18);
        }
    if (!found[0])
        return false;
    strcpy(vin, found);
    return true;
}

bool profile_vin_ocr_tidy(char *vin)
{
    return profile_vin_ocr_tidy_year(vin, 0);
}

bool profile_vin_ocr_tidy_year(char *vin, int year)
{
    char clean[64];
    if (strlen(vin) >= sizeof clean)
        return false;
    strcpy(clean, vin);
    vin_drop_junk(clean);
    if (strlen(clean) != 17)
        return false;
    for (char *p = clean; *p; p++)
        *p = *p == 'I' ? '1' : *p == 'O' || *p == 'Q' ? '0' : *p;
    pf_vin_ocr_fix_positions(clean, year);
    if (!profile_looks_vin(clean) || strcmp(clean, vin) == 0)
        return false;
    strcpy(vin, clean);
    return true;
}

bool profile_parse_year_ocr(const char *s, int *year)
{
    char buf[16];
    size_t n = 0;
    for (const char *p = s; *p && n + 1 < sizeof buf; p++) {
        char c = *p;
        c = c == 'O' || c == 'o' || c == 'D' || c == 'Q' ? '0'
            : c == 'I' || c == 'l' || c == '|' ? '1'
            : c == 'S' ? '5' : c == 'Z' ? '2' : c == 'B' ? '8' : c;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return profile_parse_year(buf, year);
}

char *profile_vin_clean(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '-' || c == '\t' || c == '.')
            continue;
        g_string_append_c(out, (char)toupper(c));
    }
    char *r = g_strdup(out->str);
    g_string_free(out, TRUE);
    return r;
}

bool profile_looks_plate(const char *s)
{
    if (!s)
        return false;
    char *f = docs_fold(s);
    bool tramite = strstr(f, "tramite") != NULL;
    g_free(f);
    if (tramite)
        return true;
    size_t alnum = 0, letters = 0, digits = 0, len = strlen(s);
    if (len < 5 || len > 10)
        return false;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++, alnum++;
        else if (isalpha((unsigned char)*p))
            letters++, alnum++;
        else if (*p != '-' && *p != ' ')
            return false;
    }
    return alnum >= 5 && alnum <= 8 && digits >= 1 && letters >= 1;
}
