/* Attribute extraction from canonical tokens: year, doors, cylinders, displacement, turbo,
 * occupants, tonnage, transmission, drive, fuel, body, VIN. The grammar (number + unit,
 * "L4"/"V6" cylinder codes, year markers) is here; the words feeding it are canonicalised
 * first by the synonym table (data/codify/tokens.txt), so "PTAS", "PUERTAS" -> "P". */
#include "internal.h"
#include "minca/core_vehicle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses an unsigned decimal ("2", "2.5", "05"); returns false for anything else. */
static bool parse_number(const char *s, double *v, bool *decimal)
{
    if (!is_digit(*s))
        return false;
    int dots = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!is_digit(*p))
            return false;
    }
    if (dots > 1 || s[strlen(s) - 1] == '.')
        return false;
    *v = strtod(s, NULL);
    *decimal = dots == 1;
    return true;
}


static const char *const AUTO_WORDS[] = {"AUT", "CVT", "DSG", "TIPTRONIC", "DCT", "STEPTRONIC",
                                          "STEPT", "SPORTSHIFT", "POWERSHIFT", "MULTITRONIC",
                                          "STRONIC", "ECVT", "IVT", "XTRONIC", "SELESPEED",
                                          "SPORTMATIC", "GEARTRONIC", "EDC", "PDK", "AMT", NULL};
static const char *const DRIVE4_WORDS[] = {"4X4", "AWD", "4WD", "4MOTION", "XDRIVE", "QUATTRO",
                                            "4MATIC", "ALLGRIP", "SHAWD", "4XMOTION", NULL};
static const char *const DRIVE2_WORDS[] = {"4X2", "2WD", "FWD", "RWD", "SDRIVE", NULL};
static const char *const DIESEL_WORDS[] = {"DIESEL", "TDI", "CRDI", "TDCI", "HDI", "DCI", "CDI",
                                            "BLUETEC", "TD", "TDS", "DID", "MULTIJET", "JTD", NULL};
static const char *const HYBRID_WORDS[] = {"HEV", "MHEV", NULL};
static const char *const BODY_WORDS[] = {"PICKUP", "CHASIS", "VAN", "SEDAN", "HB", "COUPE",
                                          "CONVERTIBLE", "WAGON", "PANEL", "CAMIONETA", "MINIVAN",
                                          "CABRIO", "ROADSTER", NULL};

enum {
    W_NONE = 0, W_STD, W_AUT, W_AUTO_OTHER, W_4X4, W_4X2, W_DRIVE4, W_DRIVE2, W_DIESEL,
    W_DIESEL_OTHER, W_HYBRID, W_PHEV, W_ELECTRIC, W_TURBO, W_BODY,
};

static GHashTable *word_classes;

static void add_class(const char *const *list, int cls)
{
    for (int i = 0; list[i]; i++)
        g_hash_table_insert(word_classes, (gpointer)list[i], GINT_TO_POINTER(cls));
}

/* Class of a canonical word; the table is built once, then only read (thread-safe). Words
 * of a class are 2 to 11 letters: anything else is looked up no further. */
static int word_class_lookup(const char *w);
static int word_class(const char *w)
{
    size_t n = 0;
    while (n < 12 && w[n])
        n++;
    if (n < 2 || n > 11 || w[0] == '#' || (w[0] >= '0' && w[0] <= '9' && !(w[1] >= 'A' && w[1] <= 'Z')))
        return W_NONE;
    return word_class_lookup(w);
}

static int word_class_lookup(const char *w)
{
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        word_classes = g_hash_table_new(g_str_hash, g_str_equal);
        add_class(AUTO_WORDS, W_AUTO_OTHER);
        add_class(DRIVE4_WORDS, W_DRIVE4);
        add_class(DRIVE2_WORDS, W_DRIVE2);
        add_class(DIESEL_WORDS, W_DIESEL_OTHER);
        add_class(HYBRID_WORDS, W_HYBRID);
        add_class(BODY_WORDS, W_BODY);
        static const struct {
            const char *w;
            int cls;
        } single[] = {{"STD", W_STD}, {"AUT", W_AUT}, {"4X4", W_4X4}, {"4X2", W_4X2},
                      {"DIESEL", W_DIESEL}, {"PHEV", W_PHEV}, {"ELECTRICO", W_ELECTRIC},
                      {"TURBO", W_TURBO}, {"BITURBO", W_TURBO}};
        for (size_t i = 0; i < G_N_ELEMENTS(single); i++)
            g_hash_table_insert(word_classes, (gpointer)single[i].w, GINT_TO_POINTER(single[i].cls));
        g_once_init_leave(&once, 1);
    }
    return GPOINTER_TO_INT(g_hash_table_lookup(word_classes, w));
}

/* prefix followed by the decimal digits of v (v >= 0); printf is too slow on this path */
static void push_fmt(cx_tokens *t, const char *prefix, int v)
{
    char b[24];
    size_t n = strlen(prefix);
    memcpy(b, prefix, n);
    n += cx_format_uint(b + n, (unsigned)v);
    cx_tokens_push(t, b, n);
}

static int year_from_digits(const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(w[i]))
            return 0;
    int v = atoi(w);
    if (n == 4 && vehicle_year_plausible(v))
        return v;
    if (n == 2)   /* "M-22": this century unless that would be in the future */
        return vehicle_year_plausible(2000 + v) ? 2000 + v : 1900 + v;
    return 0;
}

bool cx_attr_word(const char *word)
{
    return word_class(word) != W_NONE;
}

void cx_attr_words(void (*fn)(const char *word, void *data), void *data)
{
    const char *const *lists[] = {AUTO_WORDS, DRIVE4_WORDS, DRIVE2_WORDS, DIESEL_WORDS, HYBRID_WORDS,
                                  BODY_WORDS};
    for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
        for (int i = 0; lists[l][i]; i++)
            fn(lists[l][i], data);
    static const char *const single[] = {"STD", "AUT", "DIESEL", "PHEV", "ELECTRICO", "TURBO", "BITURBO"};
    for (size_t i = 0; i < G_N_ELEMENTS(single); i++)
        fn(single[i], data);
}

/* A number token at in->tok[i] (value v, dec: written with a decimal point): a year, doors,
 * cylinders, displacement, occupants, tonnage, speeds or power when the next token names it,
 * else kept as a word. Returns how many tokens after it were used (0 or 1). */
static int number_attr(const cx_tokens *in, int i, double v, bool dec, codify_attrs *a, cx_tokens *words,
                       int *plain_year)
{
    const char *w = in->tok[i];
    const char *nx = i + 1 < in->n ? in->tok[i + 1] : "";
    int iv = (int)v;
    if (!dec && strlen(w) == 4 && vehicle_year_plausible(iv)) {
        if (!*plain_year)
            *plain_year = iv;   /* the first: a later one is often "ALTA 2024" */
        return 0;
    }
    if (strcmp(nx, "P") == 0 && !dec && iv >= 2 && iv <= 6) {
        a->doors = iv;
        return 1;
    }
    if (strcmp(nx, "CIL") == 0 && !dec && iv >= 2 && iv <= 16) {
        a->cylinders = iv;
        return 1;
    }
    if (strcmp(nx, "L") == 0 && !dec && strlen(w) == 2 && iv >= 10 && iv <= 85) {
        a->displacement_dl = iv;   /* "20L": the decimal point left out */
        return 1;
    }
    if ((strcmp(nx, "L") == 0 || strcmp(nx, "T") == 0) && v >= 0.6 && v <= 9.5) {
        a->displacement_dl = (int)(v * 10 + 0.5);
        if (nx[0] == 'T')
            a->turbo = true;
        return 1;
    }
    if (strcmp(nx, "OCUP") == 0 && !dec && iv >= 1 && iv <= 60) {
        a->occupants = iv;
        return 1;
    }
    if (strcmp(nx, "TON") == 0 && v > 0 && v <= 40) {
        a->tonnage_dt = (int)(v * 10 + 0.5);
        return 1;
    }
    if (strcmp(nx, "VEL") == 0 && !dec && iv >= 3 && iv <= 10) {
        push_fmt(words, "#VEL", iv);
        return 1;
    }
    if (strcmp(nx, "HP") == 0) {
        /* power: the same figure agrees; sources round differently, so a different
         * figure is not a conflict */
        if (!dec && iv >= 40 && iv <= 2000)
            push_fmt(words, "#HP", iv);
        return 1;
    }
    /* "AUT 4 ABS": a lone small number after the transmission is the door count */
    if (!dec && iv >= 2 && iv <= 5 && !a->doors && i > 0 && i + 1 < in->n &&
        (word_class(in->tok[i - 1]) == W_STD || word_class(in->tok[i - 1]) == W_AUT ||
         word_class(in->tok[i - 1]) == W_AUTO_OTHER)) {
        a->doors = iv;
        return 0;
    }
    if (dec && v >= 0.6 && v <= 8.5 && a->displacement_dl == 0) {
        a->displacement_dl = (int)(v * 10 + 0.5);
        return 0;
    }
    cx_tokens_push(words, w, strlen(w));
    return 0;
}

/* Cylinder codes: L4, V6, I4, H4, W12; true when w was one (a->cylinders set). */
static bool cylinder_code(const char *w, codify_attrs *a)
{
    if ((w[0] == 'L' || w[0] == 'V' || w[0] == 'I' || w[0] == 'H' || w[0] == 'W' || w[0] == 'B') &&
        is_digit(w[1]) && (w[2] == '\0' || (is_digit(w[2]) && w[3] == '\0'))) {
        int c = atoi(w + 1);
        bool plausible = (w[0] == 'V' && (c == 4 || c == 6 || c == 8 || c == 10 || c == 12)) ||
                         (w[0] == 'L' && c >= 2 && c <= 6) || (w[0] == 'I' && c >= 3 && c <= 6) ||
                         ((w[0] == 'H' || w[0] == 'B') && (c == 4 || c == 6)) || (w[0] == 'W' && c >= 8);
        if (plausible) {
            a->cylinders = c;
            return true;
        }
    }
    return false;
}

/* A word naming the transmission, drive, fuel, turbo, body or a VIN into a; true when the word
 * is also kept among the words. */
static bool word_attr(const char *w, codify_attrs *a)
{
    int cls = word_class(w);
    switch (cls) {
    case W_STD:
        a->trans = CODIFY_TRANS_MANUAL;
        return false;
    case W_AUT:
        a->trans = CODIFY_TRANS_AUTO;
        return false;
    case W_AUTO_OTHER:
        a->trans = CODIFY_TRANS_AUTO;
        break;
    case W_4X4:
        a->drive = CODIFY_DRIVE_4X4;
        return false;
    case W_4X2:
        a->drive = CODIFY_DRIVE_4X2;
        return false;
    case W_DRIVE4:
        a->drive = CODIFY_DRIVE_4X4;
        break;
    case W_DRIVE2:
        a->drive = CODIFY_DRIVE_4X2;
        break;
    case W_DIESEL:
        a->fuel = CODIFY_FUEL_DIESEL;
        return false;
    case W_DIESEL_OTHER:
        a->fuel = CODIFY_FUEL_DIESEL;
        break;
    case W_HYBRID:
        a->fuel = CODIFY_FUEL_HYBRID;
        return false;
    case W_PHEV:
        a->fuel = CODIFY_FUEL_PLUGIN;
        return false;
    case W_ELECTRIC:
        a->fuel = CODIFY_FUEL_ELECTRIC;
        return false;
    case W_TURBO:
        a->turbo = true;
        return false;
    case W_BODY:
        if (!a->body[0])
            g_strlcpy(a->body, w, sizeof a->body);
        break;
    default:
        if (cx_vin_like(w)) {
            g_strlcpy(a->vin, w, sizeof a->vin);
            return false;
        }
        break;
    }
    return true;
}

/* The attributes found, as marker tokens (#D4, #AUT...) after the words. */
static void push_attr_tokens(const codify_attrs *a, cx_tokens *words)
{
    if (a->doors)
        push_fmt(words, "#D", a->doors);
    if (a->cylinders)
        push_fmt(words, "#C", a->cylinders);
    if (a->displacement_dl)
        push_fmt(words, "#L", a->displacement_dl);
    if (a->turbo)
        cx_tokens_push(words, "#TURBO", 6);
    if (a->occupants)
        push_fmt(words, "#O", a->occupants);
    if (a->tonnage_dt)
        push_fmt(words, "#T", a->tonnage_dt);
    if (a->trans)
        cx_tokens_push(words, a->trans == CODIFY_TRANS_AUTO ? "#AUT" : "#STD", 4);
    if (a->drive)
        cx_tokens_push(words, a->drive == CODIFY_DRIVE_4X4 ? "#4X4" : "#4X2", 4);
    static const char *const fuel_tok[] = {"", "#DIESEL", "#HEV", "#PHEV", "#EV"};
    if (a->fuel)
        cx_tokens_push(words, fuel_tok[a->fuel], strlen(fuel_tok[a->fuel]));
}

void cx_parse_attrs(const cx_tokens *in, codify_attrs *a, cx_tokens *words)
{
    memset(a, 0, sizeof *a);
    cx_tokens_init(words);
    int plain_year = 0;
    for (int i = 0; i < in->n; i++) {
        const char *w = in->tok[i];
        const char *nx = i + 1 < in->n ? in->tok[i + 1] : "";
        double v;
        bool dec;

        if (strcmp(w, "MOD") == 0) {
            int y = year_from_digits(nx);
            if (y) {
                a->year = y;
                a->year_short = strlen(nx) == 2;
                i++;
            }
            continue;
        }
        if (parse_number(w, &v, &dec)) {
            i += number_attr(in, i, v, dec, a, words, &plain_year);
            continue;
        }
        if (cylinder_code(w, a))
            continue;
        if (word_attr(w, a))
            cx_tokens_push(words, w, strlen(w));
    }
    if (!a->year && plain_year)
        a->year = plain_year;

    push_attr_tokens(a, words);
}

int codify_year_column(const char *text)
{
    if (!text)
        return 0;
    char norm[64];
    char buf[64];
    g_strlcpy(buf, text, sizeof buf);
    codify_normalize(buf, norm, sizeof norm);
    /* the last run of digits, with what precedes it: "MOD 20", "M20", "AÑO 2020", "'20" */
    const char *p = norm;
    const char *digits = NULL;
    size_t nd = 0;
    for (const char *s = p; *s; s++) {
        if (*s >= '0' && *s <= '9' && (s == p || s[-1] < '0' || s[-1] > '9')) {
            size_t k = 0;
            while (s[k] >= '0' && s[k] <= '9')
                k++;
            size_t z = k;
            if (s[z] == '.')   /* "2020.0": a number cell written as text */
                for (z++; s[z] == '0'; z++)
                    ;
            if ((s[z] && s[z] != ' ') || (s[k] >= 'A' && s[k] <= 'Z'))
                return 0;   /* "2.5", "20L": not a year */
            digits = s;
            nd = k;
            s += z - 1;
        }
    }
    if (!digits || (nd != 2 && nd != 4))
        return 0;
    /* anything before the digits must be year markers ("ANO MOD" of "AÑO '20") */
    static const char *const markers[] = {"M", "MOD", "MODELO", "ANO", "YEAR", "MY", NULL};
    for (const char *w = norm; w < digits;) {
        size_t wl = 0;
        while (w + wl < digits && w[wl] != ' ')
            wl++;
        bool ok = wl == 0;
        for (int i = 0; markers[i] && !ok; i++)
            ok = strlen(markers[i]) == wl && strncmp(w, markers[i], wl) == 0;
        if (!ok)
            return 0;
        w += wl + (w + wl < digits);
    }
    int v = (digits[0] - '0') * 10 + (digits[1] - '0');
    if (nd == 4) {
        v = v * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
        return vehicle_year_valid(v) ? v : 0;
    }
    return v == 0 ? 2000 : v;
}

void cx_analyse(const codify_aliases *al, const char *text, codify_attrs *a, cx_tokens *words)
{
    char norm[CODIFY_MAX_INPUT + 1];
    codify_normalize(text ? text : "", norm, sizeof norm);
    cx_tokens *raw = g_new(cx_tokens, 2);
    cx_tokenize(al, norm, &raw[0]);
    cx_apply_synonyms(al, &raw[0], &raw[1]);
    cx_parse_attrs(&raw[1], a, words);
    g_free(raw);
}

void codify_extract_attrs(const codify_aliases *aliases, const char *text, codify_attrs *out)
{
    cx_tokens *words = g_new(cx_tokens, 1);
    cx_analyse(aliases, text, out, words);
    g_free(words);
}

/* Appends str to buf (bounded). */
static size_t put(char *buf, size_t at, size_t cap, const char *str)
{
    while (*str && at + 1 < cap)
        buf[at++] = *str++;
    buf[at] = '\0';
    return at;
}

static size_t put_tenths(char *buf, size_t at, size_t cap, int tenths)
{
    char num[16];
    cx_format_uint(num, (unsigned)(tenths / 10));
    at = put(buf, at, cap, num);
    at = put(buf, at, cap, ".");
    cx_format_uint(num, (unsigned)(tenths % 10));
    return put(buf, at, cap, num);
}

void cx_attr_value(const codify_attrs *a, codify_attr which, char *buf, size_t cap)
{
    char num[16];
    buf[0] = '\0';
    switch (which) {
    case CODIFY_ATTR_TRANS:
        if (a->trans)
            put(buf, 0, cap, a->trans == CODIFY_TRANS_AUTO ? "AUT" : "STD");
        break;
    case CODIFY_ATTR_DOORS:
        if (a->doors) {
            cx_format_uint(num, (unsigned)a->doors);
            put(buf, put(buf, 0, cap, num), cap, "P");
        }
        break;
    case CODIFY_ATTR_CYLINDERS:
        if (a->cylinders) {
            cx_format_uint(num, (unsigned)a->cylinders);
            put(buf, put(buf, 0, cap, num), cap, " cyl");
        }
        break;
    case CODIFY_ATTR_DISPLACEMENT:
        if (a->displacement_dl)
            put(buf, put_tenths(buf, 0, cap, a->displacement_dl), cap, "L");
        break;
    case CODIFY_ATTR_TURBO:
        if (a->turbo)
            put(buf, 0, cap, "turbo");
        break;
    case CODIFY_ATTR_OCCUPANTS:
        if (a->occupants) {
            cx_format_uint(num, (unsigned)a->occupants);
            put(buf, put(buf, 0, cap, num), cap, " ocup");
        }
        break;
    case CODIFY_ATTR_DRIVE:
        if (a->drive)
            put(buf, 0, cap, a->drive == CODIFY_DRIVE_4X4 ? "4X4" : "4X2");
        break;
    case CODIFY_ATTR_FUEL: {
        static const char *const names[] = {"", "diesel", "hybrid", "plug-in", "electric"};
        if (a->fuel)
            put(buf, 0, cap, names[a->fuel]);
        break;
    }
    case CODIFY_ATTR_TONNAGE:
        if (a->tonnage_dt)
            put(buf, put_tenths(buf, 0, cap, a->tonnage_dt), cap, "TON");
        break;
    default:
        break;
    }
}
