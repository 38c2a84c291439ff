/* Unicode -> upper-case ASCII normalisation and the tokenizer shared by catalog and queries. */
#include "internal.h"
#include "minca/core_text.h"

#include <string.h>

static bool is_alpha(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }

size_t codify_normalize(const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (!in)
        return 0;
    size_t len = strnlen(in, CODIFY_MAX_INPUT);
    char quoted[CODIFY_MAX_INPUT + 1];
    if (memchr(in, 0xE2, len) || memchr(in, 0xC2, len)) {
        /* typographic apostrophes (U+2018, U+2019, U+00B4) read as "'": "MOD ’20" */
        size_t q = 0;
        for (size_t i = 0; i < len; i++) {
            const unsigned char *u = (const unsigned char *)in + i;
            if (i + 2 < len && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x98 || u[2] == 0x99)) {
                quoted[q++] = '\'';
                i += 2;
            } else if (i + 1 < len && u[0] == 0xC2 && u[1] == 0xB4) {
                quoted[q++] = '\'';
                i += 1;
            } else {
                quoted[q++] = in[i];
            }
        }
        quoted[q] = '\0';
        in = quoted;
        len = q;
    }
    char tmp[CODIFY_MAX_INPUT + 1];
    size_t n = text_fold_ascii_upper(in, len, tmp, sizeof tmp);

    size_t o = 0;
    bool pending_space = false;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        char c = tmp[i];
        char prev = i > 0 ? tmp[i - 1] : ' ';
        char next = i + 1 < n ? tmp[i + 1] : ' ';
        if (is_alnum(c)) {
            if (pending_space && o > 0)
                out[o++] = ' ';
            pending_space = false;
            out[o++] = c;
            continue;
        }
        bool join = false;
        bool keep = false;
        switch (c) {
        case '.':
            if (is_digit(prev) && is_digit(next)) {
                keep = true;
            } else if (prev == ' ' && is_digit(next) && i >= 2 && is_digit(tmp[i - 2]) &&
                       (i < 3 || !is_alnum(tmp[i - 3]) || is_digit(tmp[i - 3]))) {
                keep = true;   /* "2 .0 L" -> "2.0 L" */
                pending_space = false;
            } else if (is_alpha(prev) && is_alpha(next)) {
                join = true;   /* B.M.W. -> BMW */
            }
            break;
        case '-':
            join = is_alnum(prev) && is_alnum(next);
            break;
        case '/':
            join = is_alpha(prev) && is_alpha(next);
            break;
        case '\'':
        case '`':
            join = is_alnum(prev) && is_alnum(next);
            if (!is_alnum(prev) && is_digit(next) && i + 2 < n && is_digit(tmp[i + 2]) &&
                (i + 3 >= n || (!is_alnum(tmp[i + 3]) && !(tmp[i + 3] == '.' && i + 4 < n && is_digit(tmp[i + 4])))) &&
                o + 5 < cap) {
                /* a two-digit year: "'20", "AÑO '20" */
                if (o > 0)
                    out[o++] = ' ';
                memcpy(out + o, "MOD", 3);
                o += 3;
                pending_space = true;
                continue;
            }
            break;
        default:
            break;
        }
        if (keep) {
            out[o++] = c;
        } else if (!join) {
            pending_space = true;
        }
    }
    out[o] = '\0';
    return o;
}

size_t cx_compact(const char *norm, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (const char *p = norm; p && *p && o + 1 < cap; p++)
        if (is_alnum(*p))
            out[o++] = *p;
    out[o] = '\0';
    return o;
}

void cx_tokens_init(cx_tokens *t)
{
    t->n = 0;
    t->used = 0;
}

void cx_tokens_push(cx_tokens *t, const char *s, size_t len)
{
    if (t->n >= CX_MAX_TOK || len == 0 || t->used + len + 1 > sizeof t->buf)
        return;
    char *dst = t->buf + t->used;
    memcpy(dst, s, len);
    dst[len] = '\0';
    t->tok[t->n++] = dst;
    t->used += len + 1;
}

/* Units that may be glued to a number ("5OCUP", "2.4LTS", "1.5TON"), after synonyms. */
static bool is_unit(const char *canon)
{
    static const char *const units[] = {"P", "CIL", "L", "T", "OCUP", "TON", "VEL", "HP", NULL};
    for (int i = 0; units[i]; i++)
        if (strcmp(canon, units[i]) == 0)
            return true;
    return false;
}

static bool is_year_marker(const char *canon)
{
    return strcmp(canon, "MOD") == 0;
}

static bool is_number(const char *w)
{
    if (!is_digit(*w))
        return false;
    for (; *w; w++)
        if (!is_digit(*w) && *w != '.')
            return false;
    return true;
}

static const char *unit_of(const codify_aliases *al, const char *w)
{
    const char *u = cx_unit_word(al, w);
    if (!u)
        u = cx_synonym_word(al, w);
    return u ? u : w;
}

/* Splits a word glued from parts the attribute grammar reads: a drive code or rim size before
 * a word ("4X2AUT", "R16STD"), letters before a number and its unit ("ZEN4P", "HIT5PTAS"),
 * a displacement before a drive code or cylinder code ("2.4L4X2"). Pushes the parts and
 * returns true, or pushes nothing. */
static bool split_glued(const codify_aliases *al, const char *w, size_t len, cx_tokens *out)
{
    char buf[64];
    if (len < 5 || len >= sizeof buf)
        return false;
    memcpy(buf, w, len);
    buf[len] = '\0';
    /* 4X2 / 4X4 / R13..R29 glued to letters */
    bool drive = len > 3 && buf[0] == '4' && buf[1] == 'X' && (buf[2] == '2' || buf[2] == '4');
    bool rim = buf[0] == 'R' && is_digit(buf[1]) && is_digit(buf[2]) && (buf[1] == '1' || buf[1] == '2');
    if ((drive || rim) && is_alpha(buf[3])) {
        cx_tokens_push(out, buf, 3);
        cx_tokens_push(out, buf + 3, len - 3);
        return true;
    }
    /* letters (2+), a 1-2 digit number, a unit: "ZEN4P", "LE4P", "HIT5PTAS" */
    size_t a = 0;
    while (a < len && is_alpha(buf[a]))
        a++;
    if (a >= 2 && a < len) {
        size_t d = a;
        while (d < len && is_digit(buf[d]))
            d++;
        if (d > a && d - a <= 2 && d < len) {
            bool alpha_rest = true;
            for (size_t j = d; j < len; j++)
                alpha_rest &= is_alpha(buf[j]);
            const char *u = alpha_rest ? unit_of(al, buf + d) : NULL;
            if (u && is_unit(u) && strcmp(u, "L") != 0 && strcmp(u, "T") != 0) {
                cx_tokens_push(out, buf, a);
                cx_tokens_push(out, buf + a, d - a);
                cx_tokens_push(out, u, strlen(u));
                return true;
            }
        }
    }
    /* a displacement glued to a drive or cylinder code: "2.4L4X2", "3.6L4X2", "5.7LV8" */
    if (is_digit(buf[0]) && buf[1] == '.' && is_digit(buf[2]) && buf[3] == 'L' && len > 5) {
        const char *rest = buf + 4;
        bool code = (rest[0] == '4' && rest[1] == 'X') ||
                    ((rest[0] == 'V' || rest[0] == 'L' || rest[0] == 'I') && is_digit(rest[1]));
        if (code) {
            cx_tokens_push(out, buf, 3);
            cx_tokens_push(out, "L", 1);
            cx_tokens_push(out, rest, len - 4);
            return true;
        }
    }
    return false;
}

/* A number followed by letters, split when the letters are a unit (also with the next word
 * glued on: "2.0LTTDI" -> "2.0" "L" "TDI"); true
 * when word (len bytes) was split into out. */
static bool split_number_unit(const codify_aliases *al, const char *word, size_t len, cx_tokens *out)
{
    size_t k = 0;
    while (k < len && (is_digit(word[k]) || (word[k] == '.' && k > 0)))
        k++;
    if (k > 0 && k < len && word[k - 1] != '.') {
        bool all_alpha = true;
        for (size_t j = k; j < len; j++)
            all_alpha &= is_alpha(word[j]);
        if (all_alpha) {
            const char *canon = unit_of(al, word + k);
            if (is_unit(canon)) {
                cx_tokens_push(out, word, k);
                cx_tokens_push(out, canon, strlen(canon));
                return true;
            }
            /* the next word glued on too: "2.0LTTDI" -> "2.0" "L" "TDI" */
            bool split = false;
            for (size_t u = 4; al && u >= 2 && !split; u--) {
                if (k + u + 3 > len)
                    continue;
                char unit[8];
                memcpy(unit, word + k, u);
                unit[u] = '\0';
                const char *uc = cx_unit_word(al, unit);
                if (!uc && is_unit(unit))
                    uc = unit;
                if (uc && is_unit(uc)) {
                    cx_tokens_push(out, word, k);
                    cx_tokens_push(out, uc, strlen(uc));
                    cx_tokens_push(out, word + k + u, len - k - u);
                    split = true;
                }
            }
            if (split)
                return true;
        }
    }
    return false;
}

/* A long word glued to a designation: "XDRIVE20I" -> "XDRIVE" "20I"; true
 * when word (len bytes) was split into out. */
static bool split_designation(const codify_aliases *al, const char *word, size_t len, cx_tokens *out)
{
    size_t k = 0;
    while (k < len && is_alpha(word[k]))
        k++;
    if (k >= 4 && k < len && is_digit(word[k]) && !cx_synonym_word(al, word)) {
        bool rest_alnum = true;
        for (size_t j = k; j < len; j++)
            rest_alnum &= is_alnum(word[j]);
        const char *canon = NULL;
        char pre[64];
        memcpy(pre, word, k);
        pre[k] = '\0';
        canon = cx_synonym_word(al, pre);
        if (rest_alnum && !(canon && is_year_marker(canon)) && strcmp(pre, "MOD") != 0) {
            cx_tokens_push(out, word, k);
            cx_tokens_push(out, word + k, len - k);
            return true;
        }
    }
    return false;
}

/* An attribute word glued to the figure after it: "STD5", "AUT05", "CVT5"; true
 * when word (len bytes) was split into out. */
static bool split_attr_figure(const codify_aliases *al, const char *word, size_t len, cx_tokens *out)
{
    size_t k = 0;
    while (k < len && is_alpha(word[k]))
        k++;
    if (al && k >= 2 && k < len && k < 16) {
        bool rest_digits = true;
        for (size_t j = k; j < len; j++)
            rest_digits &= is_digit(word[j]);
        char pre[16];
        memcpy(pre, word, k);
        pre[k] = '\0';
        const char *canon = cx_synonym_word(al, pre);
        if (rest_digits && len - k <= 2 && (cx_attr_word(canon && *canon ? canon : pre)) &&
            !is_year_marker(canon ? canon : pre)) {
            cx_tokens_push(out, word, k);
            cx_tokens_push(out, word + k, len - k);
            return true;
        }
    }
    return false;
}

/* Letters followed by a 2- or 4-digit year: "MOD2016", "M2022", "MOD19"; true
 * when word (len bytes) was split into out. */
static bool split_year_marker(const codify_aliases *al, const char *word, size_t len, cx_tokens *out)
{
    size_t k = 0;
    while (k < len && is_alpha(word[k]))
        k++;
    if (k > 0 && k < len && (len - k == 2 || len - k == 4)) {
        bool all_digit = true;
        for (size_t j = k; j < len; j++)
            all_digit &= is_digit(word[j]);
        if (all_digit) {
            char pre[64];
            memcpy(pre, word, k);
            pre[k] = '\0';
            const char *canon = cx_synonym_word(al, pre);
            bool marker = is_year_marker(canon ? canon : pre) ||
                          (strcmp(pre, "M") == 0 && len - k == 4);
            if (marker) {
                cx_tokens_push(out, "MOD", 3);
                cx_tokens_push(out, word + k, len - k);
                return true;
            }
        }
    }
    return false;
}

void cx_tokenize(const codify_aliases *al, const char *norm, cx_tokens *out)
{
    cx_tokens_init(out);
    const char *p = norm;
    bool after_number = false;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - s);
        char word[64];
        bool prev_number = after_number;
        after_number = false;
        if (len >= sizeof word) {
            cx_tokens_push(out, s, len);
            continue;
        }
        memcpy(word, s, len);
        word[len] = '\0';
        if (is_number(word)) {
            after_number = true;
            cx_tokens_push(out, word, len);
            continue;
        }
        /* a VIN stays whole, also glued to "S/" ("S/3N1..." normalises to "S3N1...") */
        if (len == 17 && cx_vin_like(word)) {
            cx_tokens_push(out, word, len);
            continue;
        }
        if (len == 18 && word[0] == 'S' && cx_vin_like(word + 1)) {
            cx_tokens_push(out, word + 1, len - 1);
            continue;
        }
        if (prev_number) {
            const char *u = cx_unit_word(al, word);
            if (u) {
                cx_tokens_push(out, u, strlen(u));
                continue;
            }
        }

        /* words glued to what follows them, as typed in a hurry: "4X2AUT", "R16STD", "ZEN4P",
         * "2.4L4X2" */
        if (al && split_glued(al, word, len, out))
            continue;

        if (split_number_unit(al, word, len, out) || split_designation(al, word, len, out) ||
            split_attr_figure(al, word, len, out) || split_year_marker(al, word, len, out))
            continue;
        cx_tokens_push(out, word, len);
    }
}

size_t cx_format_uint(char *buf, unsigned v)
{
    char tmp[12];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof tmp);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}
