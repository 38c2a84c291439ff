/* Attribute extraction from canonical tokens: year, doors, cylinders, displacement, turbo,
 * occupants, tonnage, transmission, drive, fuel, body, VIN. The grammar (number + unit,
 * "L4"/"V6" cylinder codes, year markers) is here; the words feeding it are canonicalised
 * first by the synonym table (data/codify/tokens.txt), so "PTAS", "PUERTAS" -> "P". */
#include "internal.h"

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

static bool in_list(const char *w, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(w, list[i]) == 0)
            return true;
    return false;
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

static void push_fmt(cx_tokens *t, const char *fmt, int v)
{
    char b[24];
    int n = snprintf(b, sizeof b, fmt, v);
    cx_tokens_push(t, b, (size_t)n);
}

static bool vin_like(const char *w)
{
    if (strlen(w) != 17 || !codify_vin_wellformed(w))
        return false;
    int digits = 0;
    for (const char *p = w; *p; p++)
        digits += is_digit(*p);
    return digits >= 4 && digits <= 15;
}

static int year_from_digits(const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(w[i]))
            return 0;
    int v = atoi(w);
    if (n == 4 && v >= 1950 && v <= 2040)
        return v;
    if (n == 2)
        return v <= 40 ? 2000 + v : 1900 + v;
    return 0;
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
                i++;
            }
            continue;
        }
        if (parse_number(w, &v, &dec)) {
            int iv = (int)v;
            if (!dec && strlen(w) == 4 && iv >= 1950 && iv <= 2040) {
                plain_year = iv;
                continue;
            }
            if (strcmp(nx, "P") == 0 && !dec && iv >= 2 && iv <= 6) {
                a->doors = iv;
                i++;
                continue;
            }
            if (strcmp(nx, "CIL") == 0 && !dec && iv >= 2 && iv <= 16) {
                a->cylinders = iv;
                i++;
                continue;
            }
            if ((strcmp(nx, "L") == 0 || strcmp(nx, "T") == 0) && v >= 0.6 && v <= 9.5) {
                a->displacement_dl = (int)(v * 10 + 0.5);
                if (nx[0] == 'T')
                    a->turbo = true;
                i++;
                continue;
            }
            if (strcmp(nx, "OCUP") == 0 && !dec && iv >= 1 && iv <= 60) {
                a->occupants = iv;
                i++;
                continue;
            }
            if (strcmp(nx, "TON") == 0 && v > 0 && v <= 40) {
                a->tonnage_dt = (int)(v * 10 + 0.5);
                i++;
                continue;
            }
            if (strcmp(nx, "VEL") == 0 && !dec && iv >= 3 && iv <= 10) {
                push_fmt(words, "#VEL%d", iv);
                i++;
                continue;
            }
            if (strcmp(nx, "HP") == 0) {   /* power differs between sources; not compared */
                i++;
                continue;
            }
            /* "AUT 4 ABS": a lone small number after the transmission is the door count */
            if (!dec && iv >= 2 && iv <= 5 && !a->doors && i > 0 && i + 1 < in->n &&
                (strcmp(in->tok[i - 1], "STD") == 0 || in_list(in->tok[i - 1], AUTO_WORDS))) {
                a->doors = iv;
                continue;
            }
            if (dec && v >= 0.6 && v <= 8.5 && a->displacement_dl == 0) {
                a->displacement_dl = (int)(v * 10 + 0.5);
                continue;
            }
            cx_tokens_push(words, w, strlen(w));
            continue;
        }
        /* cylinder codes: L4, V6, I4, H4, W12 */
        if ((w[0] == 'L' || w[0] == 'V' || w[0] == 'I' || w[0] == 'H' || w[0] == 'W' || w[0] == 'B') &&
            is_digit(w[1]) && (w[2] == '\0' || (is_digit(w[2]) && w[3] == '\0'))) {
            int c = atoi(w + 1);
            bool plausible = (w[0] == 'V' && (c == 6 || c == 8 || c == 10 || c == 12)) ||
                             (w[0] == 'L' && c >= 2 && c <= 6) || (w[0] == 'I' && c >= 3 && c <= 6) ||
                             ((w[0] == 'H' || w[0] == 'B') && (c == 4 || c == 6)) || (w[0] == 'W' && c >= 8);
            if (plausible) {
                a->cylinders = c;
                continue;
            }
        }
        if (strcmp(w, "STD") == 0) {
            a->trans = CODIFY_TRANS_MANUAL;
            continue;
        }
        if (in_list(w, AUTO_WORDS)) {
            a->trans = CODIFY_TRANS_AUTO;
            if (strcmp(w, "AUT") == 0)
                continue;
        } else if (strcmp(w, "4X4") == 0) {
            a->drive = CODIFY_DRIVE_4X4;
            continue;
        } else if (strcmp(w, "4X2") == 0) {
            a->drive = CODIFY_DRIVE_4X2;
            continue;
        } else if (in_list(w, DRIVE4_WORDS)) {
            a->drive = CODIFY_DRIVE_4X4;
        } else if (in_list(w, DRIVE2_WORDS)) {
            a->drive = CODIFY_DRIVE_4X2;
        } else if (in_list(w, DIESEL_WORDS)) {
            a->fuel = CODIFY_FUEL_DIESEL;
            if (strcmp(w, "DIESEL") == 0)
                continue;
        } else if (in_list(w, HYBRID_WORDS)) {
            a->fuel = CODIFY_FUEL_HYBRID;
            continue;
        } else if (strcmp(w, "PHEV") == 0) {
            a->fuel = CODIFY_FUEL_PLUGIN;
            continue;
        } else if (strcmp(w, "ELECTRICO") == 0) {
            a->fuel = CODIFY_FUEL_ELECTRIC;
            continue;
        } else if (strcmp(w, "TURBO") == 0 || strcmp(w, "BITURBO") == 0) {
            a->turbo = true;
            continue;
        } else if (in_list(w, BODY_WORDS)) {
            if (!a->body[0])
                g_strlcpy(a->body, w, sizeof a->body);
        } else if (vin_like(w)) {
            g_strlcpy(a->vin, w, sizeof a->vin);
            continue;
        }
        cx_tokens_push(words, w, strlen(w));
    }
    if (!a->year && plain_year)
        a->year = plain_year;

    if (a->doors)
        push_fmt(words, "#D%d", a->doors);
    if (a->cylinders)
        push_fmt(words, "#C%d", a->cylinders);
    if (a->displacement_dl)
        push_fmt(words, "#L%d", a->displacement_dl);
    if (a->turbo)
        cx_tokens_push(words, "#TURBO", 6);
    if (a->occupants)
        push_fmt(words, "#O%d", a->occupants);
    if (a->tonnage_dt)
        push_fmt(words, "#T%d", a->tonnage_dt);
    if (a->trans)
        cx_tokens_push(words, a->trans == CODIFY_TRANS_AUTO ? "#AUT" : "#STD", 4);
    if (a->drive)
        cx_tokens_push(words, a->drive == CODIFY_DRIVE_4X4 ? "#4X4" : "#4X2", 4);
    static const char *const fuel_tok[] = {"", "#DIESEL", "#HEV", "#PHEV", "#EV"};
    if (a->fuel)
        cx_tokens_push(words, fuel_tok[a->fuel], strlen(fuel_tok[a->fuel]));
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

void cx_attr_value(const codify_attrs *a, codify_attr which, char *buf, size_t cap)
{
    buf[0] = '\0';
    switch (which) {
    case CODIFY_ATTR_TRANS:
        if (a->trans)
            snprintf(buf, cap, "%s", a->trans == CODIFY_TRANS_AUTO ? "AUT" : "STD");
        break;
    case CODIFY_ATTR_DOORS:
        if (a->doors)
            snprintf(buf, cap, "%dP", a->doors);
        break;
    case CODIFY_ATTR_CYLINDERS:
        if (a->cylinders)
            snprintf(buf, cap, "%d cyl", a->cylinders);
        break;
    case CODIFY_ATTR_DISPLACEMENT:
        if (a->displacement_dl)
            snprintf(buf, cap, "%d.%dL", a->displacement_dl / 10, a->displacement_dl % 10);
        break;
    case CODIFY_ATTR_TURBO:
        if (a->turbo)
            snprintf(buf, cap, "turbo");
        break;
    case CODIFY_ATTR_OCCUPANTS:
        if (a->occupants)
            snprintf(buf, cap, "%d ocup", a->occupants);
        break;
    case CODIFY_ATTR_DRIVE:
        if (a->drive)
            snprintf(buf, cap, "%s", a->drive == CODIFY_DRIVE_4X4 ? "4X4" : "4X2");
        break;
    case CODIFY_ATTR_FUEL: {
        static const char *const names[] = {"", "diesel", "hybrid", "plug-in", "electric"};
        if (a->fuel)
            snprintf(buf, cap, "%s", names[a->fuel]);
        break;
    }
    case CODIFY_ATTR_TONNAGE:
        if (a->tonnage_dt)
            snprintf(buf, cap, "%d.%dTON", a->tonnage_dt / 10, a->tonnage_dt % 10);
        break;
    default:
        break;
    }
}
