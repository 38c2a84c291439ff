/* Mexican RFC (Registro Federal de Contribuyentes): normalising and validation.
 *
 * Shape: 3 (persona moral) or 4 (persona física) letters from [A-Z&Ñ], the date YYMMDD, a
 * two-character homoclave and a check digit [0-9A]. The check digit is the SAT's mod-11 over
 * the first 12 characters (morales are left-padded with a space). */
#include "intake_internal.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

char *intake_rfc_normalize(const char *raw)
{
    if (!raw)
        return NULL;
    GString *s = g_string_new(NULL);
    for (const char *p = raw; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2)
            break;
        if (c == ' ' || c == '-' || c == '.' || c == '_' || c == 0xA0)
            continue;
        g_string_append_unichar(s, g_unichar_toupper(c));
    }
    glong n = g_utf8_strlen(s->str, -1);
    char *r = (n == 12 || n == 13) ? g_strdup(s->str) : NULL;
    g_string_free(s, TRUE);
    return r;
}

static int rfc_char_value(gunichar c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'A' && c <= 'N')
        return (int)(c - 'A') + 10;
    if (c == '&')
        return 24;
    if (c >= 'O' && c <= 'Z')
        return (int)(c - 'O') + 25;
    if (c == ' ')
        return 37;
    if (c == 0xD1) /* Ñ */
        return 38;
    return -1;
}

static bool rfc_letter(gunichar c)
{
    return (c >= 'A' && c <= 'Z') || c == '&' || c == 0xD1;
}

static bool is_digit(gunichar c)
{
    return c >= '0' && c <= '9';
}

/* Shape (letters, real date, homoclave) without the check digit. */
static bool rfc_shape(const gunichar *u, glong n)
{
    if (n != 12 && n != 13)
        return false;
    glong nl = n - 9;
    for (glong i = 0; i < nl; i++)
        if (!rfc_letter(u[i]))
            return false;
    for (glong i = nl; i < nl + 6; i++)
        if (!is_digit(u[i]))
            return false;
    int mm = (int)(u[nl + 2] - '0') * 10 + (int)(u[nl + 3] - '0');
    int dd = (int)(u[nl + 4] - '0') * 10 + (int)(u[nl + 5] - '0');
    int yy = (int)(u[nl] - '0') * 10 + (int)(u[nl + 1] - '0');
    /* The century is unknown; 2000 is a leap year, so 29 Feb of "00" passes as it should. */
    if (mm < 1 || mm > 12 || dd < 1 || !g_date_valid_dmy((GDateDay)dd, (GDateMonth)mm, (GDateYear)(2000 + yy)))
        return false;
    for (glong i = nl + 6; i < n; i++)
        if (!((u[i] >= 'A' && u[i] <= 'Z') || is_digit(u[i])))
            return false;
    return is_digit(u[n - 1]) || u[n - 1] == 'A';
}

static char rfc_check_digit(const gunichar *u, glong n)
{
    gunichar s[12];
    glong k = 0;
    if (n == 12)
        s[k++] = ' ';
    for (glong i = 0; i < n - 1 && k < 12; i++)
        s[k++] = u[i];
    long sum = 0;
    for (int i = 0; i < 12; i++) {
        int v = rfc_char_value(s[i]);
        if (v < 0)
            return '?';
        sum += (long)v * (13 - i);
    }
    int r = (int)(sum % 11);
    int d = r == 0 ? 0 : 11 - r;
    return d == 10 ? 'A' : (char)('0' + d);
}

bool intake_rfc_valid(const char *rfc)
{
    if (!rfc || !g_utf8_validate(rfc, -1, NULL))
        return false;
    glong n = 0;
    gunichar *u = g_utf8_to_ucs4_fast(rfc, -1, &n);
    bool ok = rfc_shape(u, n) && (gunichar)rfc_check_digit(u, n) == u[n - 1];
    g_free(u);
    return ok;
}

bool intake_rfc_shape_ok(const char *rfc)
{
    if (!rfc || !g_utf8_validate(rfc, -1, NULL))
        return false;
    glong n = 0;
    gunichar *u = g_utf8_to_ucs4_fast(rfc, -1, &n);
    bool ok = rfc_shape(u, n);
    g_free(u);
    return ok;
}
