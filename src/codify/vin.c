/* VIN decoding used as evidence: ISO 3779 / FMVSS 115 check digit, model-year character. */
#include "internal.h"

#include <string.h>

static int transliterate(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    static const char *const letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    const char *p = c ? strchr(letters, c) : NULL;
    return p ? values[p - letters] : -1;
}

bool codify_vin_wellformed(const char *vin)
{
    if (!vin || strlen(vin) != 17)
        return false;
    for (int i = 0; i < 17; i++)
        if (transliterate(vin[i]) < 0)
            return false;
    return true;
}

char codify_vin_check_digit(const char *vin)
{
    static const int weights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    if (!codify_vin_wellformed(vin))
        return 0;
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += transliterate(vin[i]) * weights[i];
    int r = sum % 11;
    return r == 10 ? 'X' : (char)('0' + r);
}

bool codify_vin_check_ok(const char *vin)
{
    char c = codify_vin_check_digit(vin);
    return c && vin[8] == c;
}

int codify_vin_year(const char *vin)
{
    static const char *const codes = "ABCDEFGHJKLMNPRSTVWXY123456789";
    if (!codify_vin_wellformed(vin))
        return 0;
    const char *p = strchr(codes, vin[9]);
    if (!p)
        return 0;
    int offset = (int)(p - codes);   /* A = 1980 (or 2010) */
    bool second_cycle = vin[6] >= 'A' && vin[6] <= 'Z';
    return (second_cycle ? 2010 : 1980) + offset;
}

int codify_vin_years(const char *vin, int out[2])
{
    int y = codify_vin_year(vin);
    if (!y)
        return 0;
    out[0] = y;
    out[1] = y >= 2010 ? y - 30 : y + 30;
    return 2;
}

bool codify_vin_usable(const codify_aliases *al, const char *vin)
{
    if (!codify_vin_year(vin))
        return false;
    if (codify_vin_check_ok(vin))
        return true;
    /* no valid check digit: usable only from a region that does not require one */
    return al && al->vin_check_regions[0] && !strchr(al->vin_check_regions, vin[0]);
}

bool cx_vin_like(const char *w)
{
    if (strlen(w) != 17 || !codify_vin_wellformed(w))
        return false;
    int digits = 0;
    for (const char *p = w; *p; p++)
        digits += *p >= '0' && *p <= '9';
    return digits >= 4 && digits <= 15;
}
