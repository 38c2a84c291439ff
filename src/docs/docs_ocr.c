/* docs: image-only attachments (photos, screen captures, scanned PDFs) read by OCR.
 *
 * Tesseract and Leptonica run in the isolated parser child (docs_parse_isolated, kind
 * "image"), like poppler for text PDFs: they decode hostile bytes. The child turns each page
 * into a grey picture (images: Leptonica decodes PNG, JPEG, GIF and TIFF; scanned PDFs: poppler
 * renders each page with cairo at OCR_DPI), scales small text up, straightens a tilted page
 * and runs Tesseract (which binarises the page itself: a white-on-dark header band survives
 * that better than a fixed threshold). Characters that ruling lines read as ("|", "[") are
 * trimmed off the ends of words. What it read goes out as the PDF child's record stream, one
 * 'P' record per page (the page text and one rectangle per character, from Tesseract's
 * symbol boxes) followed by a 'C' record with each character's confidence:
 *
 *   'C' u32 page u32 n {u8 confidence 0..100}*n    (n = characters of the page text)
 *
 * so the parent rebuilds the table with the PDF reader's own geometry (docs_pdf_from_stream):
 * one table detector for text PDFs and scans, and every cell read by OCR carries the lowest
 * confidence of its characters (DOCS_CELL_OCR).
 *
 * Limits: the picture's size is read from its header before anything is decoded (a picture
 * over max_pixels is refused at once), a scanned PDF over max_ocr_pages pages is refused
 * without being rendered, and the child has a CPU limit per page and a memory cap. */
#include "docs_internal.h"

#include <cairo.h>
#include <leptonica/allheaders.h>
#include <math.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>
#include <tesseract/capi.h>

#define OCR_DPI 300.0                  /* scanned PDF pages are rendered at this resolution */
#define OCR_SECONDS_PER_PAGE 40        /* CPU seconds of the child per page */
#define OCR_MAX_MEMORY ((size_t)2 << 30)
#define OCR_LANGS "spa+eng"
#define OCR_TEXT_HEIGHT 30.0           /* letters are scaled to about this many pixels high */
#define OCR_MAX_UPSCALE 4.0
#define OCR_VIN_LANG "eng"          /* a VIN is read again with this language alone */

/* ---- picture size from the header, without decoding ---- */

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p) { return be16(p) << 16 | be16(p + 2); }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le32(const unsigned char *p) { return le16(p + 2) << 16 | le16(p); }

static bool jpeg_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    size_t pos = 2;
    while (pos + 4 <= len) {
        if (d[pos] != 0xFF)
            return false;
        unsigned m = d[pos + 1];
        if (m == 0xFF) {
            pos++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
            pos += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA)
            return false;   /* image data before any frame header */
        size_t seg = be16(d + pos + 2);
        bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (pos + 9 > len)
                return false;
            *h = be16(d + pos + 5);
            *w = be16(d + pos + 7);
            return true;
        }
        if (seg < 2)
            return false;
        pos += 2 + seg;
    }
    return false;
}

static bool tiff_size(const unsigned char *d, size_t len, uint32_t *w, uint32_t *h)
{
    bool le = d[0] == 'I';
    uint32_t (*u16)(const unsigned char *) = le ? le16 : be16;
    uint32_t (*u32)(const unsigned char *) = le ? le32 : be32;
    if (len < 8)
        return false;
    size_t ifd = u32(d + 4);
    if (ifd > len - 2 || ifd < 8)
        return false;
    uint32_t n = u16(d + ifd);
    *w = *h = 0;
    for (uint32_t i = 0; i < n && i < 512; i++) {
        size_t e = ifd + 2 + 12 * (size_t)i;
        if (e + 12 > len)
            return false;
        uint32_t tag = u16(d + e), type = u16(d + e + 2);
        uint32_t v = type == 3 ? u16(d + e + 8) : u32(d + e + 8);
        if (tag == 256)
            *w = v;
        else if (tag == 257)
            *h = v;
    }
    return *w > 0 && *h > 0;
}

bool docs_image_size(const void *data, size_t len, uint32_t *w, uint32_t *h)
{
    const unsigned char *d = data;
    *w = *h = 0;
    if (len >= 24 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0 && memcmp(d + 12, "IHDR", 4) == 0) {
        *w = be32(d + 16);
        *h = be32(d + 20);
        return true;
    }
    if (len >= 10 && memcmp(d, "GIF8", 4) == 0) {
        *w = le16(d + 6);
        *h = le16(d + 8);
        return true;
    }
    if (len >= 4 && d[0] == 0xFF && d[1] == 0xD8)
        return jpeg_size(d, len, w, h);
    if (len >= 8 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0))
        return tiff_size(d, len, w, h);
    return false;
}

/* ---- child: pictures -> Tesseract -> stream ---- */

typedef struct ocr_out {
    FILE *f;
    uint64_t written, max;
    bool full;
} ocr_out;

static void put(ocr_out *o, const void *p, size_t n)
{
    /* An empty page has no bytes to write (and its array may have no storage at all). */
    if (o->full || n == 0)
        return;
    if (o->written + n > o->max) {
        o->full = true;
        return;
    }
    fwrite(p, 1, n, o->f);
    o->written += n;
}

static void put_u32(ocr_out *o, uint32_t v) { put(o, &v, 4); }
static void put_f64(ocr_out *o, double v) { put(o, &v, 8); }

typedef struct ocr_engines {
    TessBaseAPI *page;   /* the whole page */
    TessBaseAPI *vin;    /* VIN-shaped words again, restricted to VIN_ALPHABET; may be NULL */
} ocr_engines;

/* One page being written: its text, a rectangle and a confidence per character. */
typedef struct ocr_page {
    GString *text;
    GArray *rects;    /* double[4] per character */
    GByteArray *conf;
    /* the word being read */
    GString *word;
    GArray *wrects;
    GByteArray *wconf;
    int wbox[4];         /* the word's own box (union of Tesseract's words), wbox[2] < 0: none */
    size_t words;
    /* VIN-shaped words are read again on this engine and picture (NULL: never) */
    TessBaseAPI *vin_api;
    PIX *pix;            /* the page's picture */
} ocr_page;

static void page_char(GString *text, GArray *rects, GByteArray *conf, const char *utf8,
                      const double r[4], guint8 c)
{
    for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
        g_string_append_unichar(text, g_utf8_get_char(p));
        g_array_append_vals(rects, r, 4);
        g_byte_array_append(conf, &c, 1);
    }
}

/* Characters that a ruling line or a speck reads as, never a value's own at a word's ends. */
static bool junk_char(gunichar c)
{
    return c && strchr("|[]{}_!'\"`~;", (int)c) != NULL ? true
           : c == 0xA1 || c == 0x2018 || c == 0x2019 || c == 0x201C || c == 0x201D || c == 0xAB || c == 0xBB;
}

/* ---- a VIN read again ----
 *
 * A word of the shape of a VIN (17 letters and digits, give or take what OCR drops or adds)
 * is read again from its own box, cut out onto white (a ruling line beside it reads as a
 * character), as one line restricted to the characters ISO 3779 allows (no I, O, Q), at its
 * size and at twice its size: the page-wide read takes a G for a 6 or a B for an 8 where the
 * language model expects words. Of the readings, the first the check digit confirms is
 * written (the word's own before the page's); else the one combination of their characters,
 * position by position, that it confirms; else the word's two readings when they agree on
 * 17 VIN characters and the page's are not. Anything else keeps the page's reading for the
 * profile's repairs (profile_vin_ocr.c). */
#define VIN_ALPHABET "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
#define VIN_LEN 17
#define VIN_SHAPE_MIN 14   /* characters of a word read again: a VIN with some dropped... */
#define VIN_SHAPE_MAX 20   /* ... or some added */
#define VIN_PAD 0.25       /* of the word's height, around its box */

static bool vin_alphabet(const char *v)
{
    return strlen(v) == VIN_LEN && strspn(v, VIN_ALPHABET) == VIN_LEN;
}

static int vin_value(char c)
{
    static const char *const letters = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9 };
    if (c >= '0' && c <= '9')
        return c - '0';
    const char *p = c ? strchr(letters, c) : NULL;
    return p ? values[p - letters] : -1;
}

/* ISO 3779: position 9 is the weighted sum of the others mod 11 (10 written X). */
static bool vin_check_ok(const char *v)
{
    static const int weights[VIN_LEN] = { 8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2 };
    if (strlen(v) != VIN_LEN)
        return false;
    int sum = 0;
    for (int i = 0; i < VIN_LEN; i++) {
        int x = vin_value(v[i]);
        if (x < 0)
            return false;
        sum += x * weights[i];
    }
    return v[8] == (sum % 11 == 10 ? 'X' : '0' + sum % 11);
}

/* Whether characters u[a..z) look like a VIN: letters and digits, both present, and at most
 * VIN_SHAPE_MARKS other characters (a J read as ')', a speck as '.'), none of them a currency
 * sign or a slash (amounts, dates). */
#define VIN_SHAPE_MARKS 2
static bool vin_shaped(const gunichar *u, glong a, glong z)
{
    int digits = 0, letters = 0, marks = 0;
    if (z - a < VIN_SHAPE_MIN || z - a > VIN_SHAPE_MAX)
        return false;
    for (glong i = a; i < z; i++) {
        if (g_unichar_isdigit(u[i]))
            digits++;
        else if (g_unichar_isalpha(u[i]))
            letters++;
        else if (u[i] == '$' || u[i] == '/' || g_unichar_isspace(u[i]) || ++marks > VIN_SHAPE_MARKS)
            return false;
    }
    return digits >= 4 && letters >= 2;
}

/* The box's characters read again: their text (ASCII, VIN_ALPHABET), one rectangle and one
 * confidence each, into text/rects/conf; false when nothing was read. */
static bool vin_reread(TessBaseAPI *api, PIX *page, const int box[4], const double line[2], float scale,
                       GString *text, GArray *rects, GByteArray *conf)
{
    /* the word alone on white: a ruling line beside it reads as a character */
    int w = box[2] - box[0], h = box[3] - box[1], pad = (int)(VIN_PAD * h) + 2;
    BOX *b = boxCreate(box[0], box[1], w, h);
    PIX *word = b ? pixClipRectangle(page, b, NULL) : NULL;
    PIX *alone = word ? pixAddBorder(word, pad, 255) : NULL;
    boxDestroy(&b);
    pixDestroy(&word);
    if (alone && scale != 1.0f) {
        PIX *big = pixScaleGrayLI(alone, scale, scale);
        pixDestroy(&alone);
        alone = big;
    }
    if (!alone)
        return false;
    TessBaseAPISetImage2(api, alone);
    TessBaseAPISetSourceResolution(api, 300);
    int rc = TessBaseAPIRecognize(api, NULL);
    pixDestroy(&alone);
    if (rc != 0)
        return false;
    TessResultIterator *ri = TessBaseAPIGetIterator(api);
    if (!ri)
        return false;
    TessPageIterator *pi = TessResultIteratorGetPageIterator(ri);
    do {
        char *sym = TessResultIteratorGetUTF8Text(ri, RIL_SYMBOL);
        int sl, st, sr, sb;
        if (sym && strlen(sym) == 1 && strchr(VIN_ALPHABET, sym[0]) &&
            TessPageIteratorBoundingBox(pi, RIL_SYMBOL, &sl, &st, &sr, &sb)) {
            double r[4] = { box[0] + sl / scale - pad, line[0], box[0] + sr / scale - pad, line[1] };
            float c = TessResultIteratorConfidence(ri, RIL_SYMBOL);
            guint8 c8 = (guint8)(c < 0 ? 0 : c > 100 ? 100 : lrint(c));
            g_string_append_c(text, sym[0]);
            g_array_append_vals(rects, r, 4);
            g_byte_array_append(conf, &c8, 1);
        }
        TessDeleteText(sym);
    } while (TessPageIteratorNext(pi, RIL_SYMBOL));
    TessResultIteratorDelete(ri);
    TessBaseAPIClear(api);
    return text->len > 0;
}

/* The first reading u[a..z) as ASCII upper case, the letters ISO 3779 never uses read as
 * the digits they stand for (I 1, O and Q 0), '?' for anything else. */
static char *vin_first(const gunichar *u, glong a, glong z)
{
    char *s = g_new0(char, (gsize)(z - a) + 1);
    for (glong i = a; i < z; i++) {
        char c = u[i] < 128 ? g_ascii_toupper((char)u[i]) : '?';
        s[i - a] = c == 'I' ? '1' : c == 'O' || c == 'Q' ? '0' : strchr(VIN_ALPHABET, c) ? c : '?';
    }
    return s;
}

#define VIN_READINGS 3      /* the page's, the word's, the word's at twice its size */
#define VIN_MAX_COMBINATIONS 4096

/* Readings of 17 characters: the one combination of their characters, position by
 * position, that the check digit confirms, into out (17 + 1); false when none or several. */
static bool vin_combine(const char *const *readings, int n, char *out)
{
    char choice[VIN_LEN][VIN_READINGS + 1];
    int count[VIN_LEN], found = 0;
    long combinations = 1;
    for (int i = 0; i < VIN_LEN; i++) {
        count[i] = 0;
        for (int r = 0; r < n; r++) {
            char c = readings[r][i];
            if (c != '?' && !memchr(choice[i], c, (size_t)count[i]))
                choice[i][count[i]++] = c;
        }
        if (!count[i])
            return false;
        combinations *= count[i];
        if (combinations > VIN_MAX_COMBINATIONS)
            return false;
    }
    char v[VIN_LEN + 1] = { 0 };
    for (long k = 0; k < combinations && found < 2; k++) {
        long rest = k;
        for (int i = 0; i < VIN_LEN; i++) {
            v[i] = choice[i][rest % count[i]];
            rest /= count[i];
        }
        if (vin_check_ok(v) && !found++)
            memcpy(out, v, VIN_LEN + 1);
    }
    return found == 1;
}

/* The reading to write for a VIN-shaped word, given its readings (the first the page's, as
 * vin_first gives it): the first the check digit confirms, the word's own before the page's;
 * else the one combination of their characters it confirms; else the word's two readings
 * when they agree on 17 VIN characters and the page's are not; else NULL: the page's
 * reading is kept as it was read (a photo's second readings are no better than its first). */
char *docs_ocr_vin_choose(const char *const *readings, int n)
{
    char out[VIN_LEN + 1];
    const char *full[VIN_READINGS];
    int n_full = 0;
    if (n < 1 || n > VIN_READINGS)
        return NULL;
    for (int r = 1; r <= n; r++)
        if (vin_check_ok(readings[r % n]))
            return g_strdup(readings[r % n]);
    for (int r = 0; r < n; r++)
        if (strlen(readings[r]) == VIN_LEN)
            full[n_full++] = readings[r];
    if (n_full && vin_combine(full, n_full, out))
        return g_strdup(out);
    /* the word's two readings agree on 17 VIN characters where the page's has others */
    if (n == VIN_READINGS && strcmp(readings[1], readings[2]) == 0 && vin_alphabet(readings[1]) &&
        !vin_alphabet(readings[0]))
        return g_strdup(readings[1]);
    return NULL;
}

typedef struct vin_reading {
    GString *text;
    GArray *rects;     /* double[4] per character */
    GByteArray *conf;
} vin_reading;

/* A VIN-shaped word u[a..z) read again from its box: writes the chosen reading to the page
 * and returns true, or false when the first reading is to be written as it was read. */
static bool flush_vin(ocr_page *pg, const gunichar *u, glong a, glong z)
{
    static const float scales[VIN_READINGS - 1] = { 1.0f, 2.0f };
    /* the first character's top and bottom: its text line's, as every character's */
    const double *r0 = &g_array_index(pg->wrects, double, 4 * (guint)a);
    const double line[2] = { r0[1], r0[3] };
    /* across the characters kept (the junk trimmed off the ends stays out), as high as the
     * word's own box */
    const double *rz = &g_array_index(pg->wrects, double, 4 * (guint)(z - 1));
    int box[4] = { (int)r0[0], pg->wbox[1], (int)ceil(rz[2]), pg->wbox[3] };
    vin_reading rd[VIN_READINGS - 1];
    const char *texts[VIN_READINGS];
    char *first = vin_first(u, a, z);
    int n = 1;
    texts[0] = first;
    for (int k = 0; k < VIN_READINGS - 1; k++) {
        rd[k] = (vin_reading){ g_string_new(NULL), g_array_new(FALSE, FALSE, sizeof(double)), g_byte_array_new() };
        if (vin_reread(pg->vin_api, pg->pix, box, line, scales[k], rd[k].text, rd[k].rects, rd[k].conf))
            texts[n++] = rd[k].text->str;
    }
    char *chosen = docs_ocr_vin_choose(texts, n);
    size_t len = chosen ? strlen(chosen) : 0;
    /* each character's box from a reading of as many characters (the page's else), its
     * confidence from a reading that has it there */
    const vin_reading *boxes = NULL;
    for (int k = VIN_READINGS - 2; k >= 0; k--)
        if (rd[k].text->len == len && len)
            boxes = &rd[k];
    for (size_t i = 0; i < len; i++) {
        const double *r = boxes ? &g_array_index(boxes->rects, double, 4 * (guint)i)
                                : &g_array_index(pg->wrects, double, 4 * (guint)(a + (glong)i));
        guint8 c = 0;
        bool from_page = (size_t)(z - a) == len && first[i] == chosen[i];
        if (from_page)
            c = pg->wconf->data[a + (glong)i];
        for (int k = 0; k < VIN_READINGS - 1; k++)
            if (rd[k].text->len == len && rd[k].text->str[i] == chosen[i])
                c = MAX(c, rd[k].conf->data[i]);
        char buf[2] = { chosen[i], 0 };
        page_char(pg->text, pg->rects, pg->conf, buf, r, c);
    }
    for (int k = 0; k < VIN_READINGS - 1; k++) {
        g_string_free(rd[k].text, TRUE);
        g_array_free(rd[k].rects, TRUE);
        g_byte_array_free(rd[k].conf, TRUE);
    }
    g_free(chosen);
    g_free(first);
    return len > 0;
}

/* The word read so far, its junk ends trimmed, goes to the page when something is left that
 * can be a value (a letter, a digit or a currency sign). */
static void flush_word(ocr_page *pg)
{
    GString *w = pg->word;
    glong n = g_utf8_strlen(w->str, (gssize)w->len);
    gunichar *u = g_utf8_to_ucs4_fast(w->str, (glong)w->len, NULL);
    glong a = 0, z = n;
    for (bool again = true; again;) {
        again = false;
        while (a < z && junk_char(u[a]))
            a++;
        while (z > a && junk_char(u[z - 1]))
            z--;
        /* a bracket with no partner in the word is a ruling line too */
        int open = 0, close = 0;
        for (glong i = a; i < z; i++) {
            open += u[i] == '(';
            close += u[i] == ')';
        }
        if (a < z && u[a] == '(' && close == 0)
            a++, again = true;
        else if (z > a && u[z - 1] == ')' && open == 0)
            z--, again = true;
    }
    bool value = false;
    for (glong i = a; i < z; i++)
        value = value || g_unichar_isalnum(u[i]) || u[i] == '$';
    if (value) {
        if (pg->text->len) {
            static const double none[4] = { 0, 0, 0, 0 };
            page_char(pg->text, pg->rects, pg->conf, " ", none, 100);
        }
        if (!(pg->vin_api && pg->wbox[2] > pg->wbox[0] && vin_shaped(u, a, z) && flush_vin(pg, u, a, z)))
            for (glong i = a; i < z; i++) {
                char buf[8] = { 0 };
                g_unichar_to_utf8(u[i], buf);
                page_char(pg->text, pg->rects, pg->conf, buf,
                          &g_array_index(pg->wrects, double, 4 * (guint)i), pg->wconf->data[i]);
            }
        pg->words++;
    }
    g_free(u);
    g_string_truncate(w, 0);
    g_array_set_size(pg->wrects, 0);
    g_byte_array_set_size(pg->wconf, 0);
    pg->wbox[2] = -1;
}

/* Tesseract's symbols of one recognised page -> words of the page. Tesseract splits a word
 * whose letters are spaced out ("VERS A"): a gap under OCR_JOIN_GAP x the letter height joins
 * the two words again. */
#define OCR_JOIN_GAP 0.18
#define OCR_LINE_ROWS 1.9   /* a text line taller than this x its word holds two rows */
#define OCR_OWN_BOX_CHARS 3 /* characters a word needs to be placed by its own box */

/* Whether the word at the iterator is placed by its own box (top, bottom) rather than its
 * text line's. */
static bool word_box(TessResultIterator *ri, TessPageIterator *pi, int *top, int *bottom)
{
    int lx0, lt, lx1, lb, wx0, wx1;
    if (!TessPageIteratorBoundingBox(pi, RIL_TEXTLINE, &lx0, &lt, &lx1, &lb) ||
        !TessPageIteratorBoundingBox(pi, RIL_WORD, &wx0, top, &wx1, bottom) || *bottom <= *top ||
        lb - lt <= OCR_LINE_ROWS * (*bottom - *top))
        return false;
    char *text = TessResultIteratorGetUTF8Text(ri, RIL_WORD);
    bool enough = text && g_utf8_validate(text, -1, NULL) && g_utf8_strlen(text, -1) >= OCR_OWN_BOX_CHARS;
    TessDeleteText(text);
    return enough;
}
/* Tesseract's word at the iterator joins the box of the word being read. */
static void word_extent(TessPageIterator *pi, int box[4])
{
    int l, t, r, b;
    if (!TessPageIteratorBoundingBox(pi, RIL_WORD, &l, &t, &r, &b))
        return;
    if (box[2] < 0) {
        box[0] = l, box[1] = t, box[2] = r, box[3] = b;
        return;
    }
    box[0] = MIN(box[0], l), box[1] = MIN(box[1], t), box[2] = MAX(box[2], r), box[3] = MAX(box[3], b);
}

bool docs_ocr_word_goes_on(int l, int h, int prev_r, int prev_h, bool prev_junk)
{
    return prev_r >= 0 && l - prev_r < OCR_JOIN_GAP * MAX(h, prev_h) && (l >= prev_r - 1 || !prev_junk);
}

static void read_symbols(TessBaseAPI *api, ocr_page *pg)
{
    TessResultIterator *ri = TessBaseAPIGetIterator(api);
    if (!ri)
        return;
    TessPageIterator *pi = TessResultIteratorGetPageIterator(ri);
    int prev_r = -1, prev_h = 0, ot = 0, ob = 0;
    bool own = false, prev_junk = false;
    do {
        bool line = TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE);
        bool word = TessPageIteratorIsAtBeginningOf(pi, RIL_WORD);
        char *sym = TessResultIteratorGetUTF8Text(ri, RIL_SYMBOL);
        int l = 0, t = 0, r = 0, b = 0;
        if (!sym || !*g_strstrip(sym) || !g_utf8_validate(sym, -1, NULL) ||
            !TessPageIteratorBoundingBox(pi, RIL_SYMBOL, &l, &t, &r, &b)) {
            TessDeleteText(sym);
            continue;
        }
        int h = b - t;
        if (line || (word && !docs_ocr_word_goes_on(l, h, prev_r, prev_h, prev_junk)))
            flush_word(pg);
        prev_r = r;
        prev_h = h;
        prev_junk = junk_char(g_utf8_get_char(sym));
        /* Every character takes the height of its text line, as a PDF's glyph boxes take the
         * font's: a comma or a dot keeps to its line instead of starting one of its own. But
         * on a tilted or dense page Tesseract's line may hold two rows: a line much taller than
         * a word of a few characters gives way to the word's own box (a speck or a lone
         * character keeps its line's). */
        if (line || word) {
            own = word_box(ri, pi, &ot, &ob);
            word_extent(pi, pg->wbox);
        }
        int lt = t, lb = b, lx0, lx1;
        if (own) {
            t = ot;
            b = ob;
        } else if (TessPageIteratorBoundingBox(pi, RIL_TEXTLINE, &lx0, &lt, &lx1, &lb) && lb > lt) {
            t = lt;
            b = lb;
        }
        float c = TessResultIteratorConfidence(ri, RIL_SYMBOL);
        double box[4] = { l, t, r, b };
        page_char(pg->word, pg->wrects, pg->wconf, sym, box, (guint8)(c < 0 ? 0 : c > 100 ? 100 : lrint(c)));
        TessDeleteText(sym);
    } while (TessPageIteratorNext(pi, RIL_SYMBOL));
    flush_word(pg);
    TessResultIteratorDelete(ri);
}

/* Median height of the letter-sized dark blobs of a grey picture (0 when none). */
static double letter_height(PIX *grey)
{
    PIX *bin = pixThresholdToBinary(grey, 140);
    if (!bin)
        return 0;
    BOXA *boxes = pixConnCompBB(bin, 8);
    pixDestroy(&bin);
    if (!boxes)
        return 0;
    int n = boxaGetCount(boxes), ph = pixGetHeight(grey);
    GArray *hs = g_array_new(FALSE, FALSE, sizeof(int));
    for (int i = 0; i < n && i < 200000; i++) {
        l_int32 x, y, bw, bh;
        if (boxaGetBoxGeometry(boxes, i, &x, &y, &bw, &bh) == 0 && bh >= 5 && bh <= ph / 8 &&
            bw <= 2 * bh && bw * 5 >= bh)
            g_array_append_val(hs, bh);
    }
    boxaDestroy(&boxes);
    double med = 0;
    if (hs->len >= 10) {
        int *v = (int *)(void *)hs->data;
        for (guint i = 1; i < hs->len; i++)   /* insertion sort: few thousand blobs at most */
            for (guint k = i; k > 0 && v[k - 1] > v[k]; k--) {
                int s = v[k];
                v[k] = v[k - 1];
                v[k - 1] = s;
            }
        med = v[hs->len / 2];
    }
    g_array_free(hs, TRUE);
    return med;
}

/* A decoded picture (any depth, consumed) -> the grey picture Tesseract reads. */
static PIX *prepare(PIX *pix, bool rendered, uint64_t max_pixels)
{
    PIX *grey = pixConvertTo8(pix, 0);
    pixDestroy(&pix);
    if (!grey)
        return NULL;
    /* A rendered page already has OCR_DPI; a picture's scanner or camera resolution is
     * unknown (and often wrong in its header): its letters are measured. */
    double lh = rendered ? 0 : letter_height(grey);
    double f = lh > 0 ? OCR_TEXT_HEIGHT / lh : 1;
    double area = (double)pixGetWidth(grey) * pixGetHeight(grey);
    if (f > OCR_MAX_UPSCALE)
        f = OCR_MAX_UPSCALE;
    if (f * f * area > (double)max_pixels)
        f = sqrt((double)max_pixels / area);
    if (f > 1.25) {
        PIX *big = pixScaleGrayLI(grey, (l_float32)f, (l_float32)f);
        if (big) {
            pixDestroy(&grey);
            grey = big;
        }
    }
    PIX *straight = pixDeskew(grey, 0);
    if (straight) {
        pixDestroy(&grey);
        grey = straight;
    }
    return grey;
}

/* One picture through Tesseract, written as page `index`. */
static int ocr_picture(ocr_engines *e, PIX *grey, uint32_t index, ocr_out *o)
{
    ocr_page pg = { .text = g_string_new(NULL), .rects = g_array_new(FALSE, FALSE, sizeof(double)),
                    .conf = g_byte_array_new(), .word = g_string_new(NULL),
                    .wrects = g_array_new(FALSE, FALSE, sizeof(double)), .wconf = g_byte_array_new(),
                    .wbox = { 0, 0, -1, 0 }, .vin_api = e->vin, .pix = grey };
    TessBaseAPISetImage2(e->page, grey);
    TessBaseAPISetSourceResolution(e->page, 300);
    int rc = TessBaseAPIRecognize(e->page, NULL) == 0 ? 0 : -1;
    if (rc == 0)
        read_symbols(e->page, &pg);
    TessBaseAPIClear(e->page);
    uint32_t n = (uint32_t)(pg.rects->len / 4);
    put(o, "P", 1);
    put_u32(o, index);
    put_f64(o, pixGetWidth(grey));
    put_f64(o, pixGetHeight(grey));
    put_u32(o, (uint32_t)pg.text->len);
    put(o, pg.text->str, pg.text->len);
    put_u32(o, n);
    put(o, pg.rects->data, (size_t)n * 4 * sizeof(double));
    put(o, "C", 1);
    put_u32(o, index);
    put_u32(o, n);
    put(o, pg.conf->data, n);
    g_string_free(pg.text, TRUE);
    g_array_free(pg.rects, TRUE);
    g_byte_array_free(pg.conf, TRUE);
    g_string_free(pg.word, TRUE);
    g_array_free(pg.wrects, TRUE);
    g_byte_array_free(pg.wconf, TRUE);
    return rc;
}

/* A rendered PDF page (cairo RGB24) -> 8-bit grey picture. */
static PIX *surface_to_pix(cairo_surface_t *s)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    PIX *pix = pixCreate(w, h, 8);
    if (!pix || !data)
        return pix;
    l_uint32 *line = pixGetData(pix);
    int wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++, line += wpl) {
        const uint32_t *px = (const uint32_t *)(const void *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            uint32_t v = px[x];
            unsigned g = (((v >> 16) & 0xFF) * 30 + ((v >> 8) & 0xFF) * 59 + (v & 0xFF) * 11) / 100;
            SET_DATA_BYTE(line, x, g);
        }
    }
    return pix;
}

static PIX *render_page(PopplerPage *page, uint64_t max_pixels)
{
    double pw = 0, ph = 0;
    poppler_page_get_size(page, &pw, &ph);
    if (!(pw > 0 && ph > 0 && pw < 1e5 && ph < 1e5))
        return NULL;
    double scale = OCR_DPI / 72.0;
    if (pw * ph * scale * scale > (double)max_pixels)
        scale = sqrt((double)max_pixels / (pw * ph));
    int w = (int)ceil(pw * scale), h = (int)ceil(ph * scale);
    if (w < 1 || h < 1)
        return NULL;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, scale, scale);
    poppler_page_render_for_printing(page, cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    PIX *pix = surface_to_pix(s);
    cairo_surface_destroy(s);
    return pix;
}

/* The page's engine and the one VINs are read again on (NULL when it cannot start: the
 * page's reading stands). */
static bool ocr_engines_start(ocr_engines *e, FILE *f)
{
    e->page = TessBaseAPICreate();
    if (TessBaseAPIInit3(e->page, NULL, OCR_LANGS) != 0) {
        docs_child_fail(f, "the OCR engine cannot start: its Spanish and English language data "
                           "(tesseract-ocr-spa, tesseract-ocr-eng) are not installed");
        TessBaseAPIDelete(e->page);
        e->page = NULL;
        return false;
    }
    TessBaseAPISetVariable(e->page, "preserve_interword_spaces", "1");
    TessBaseAPISetVariable(e->page, "debug_file", "/dev/null");
    TessBaseAPISetPageSegMode(e->page, PSM_SINGLE_COLUMN);
    e->vin = TessBaseAPICreate();
    if (TessBaseAPIInit3(e->vin, NULL, OCR_VIN_LANG) != 0) {
        TessBaseAPIDelete(e->vin);
        e->vin = NULL;
        return true;
    }
    TessBaseAPISetVariable(e->vin, "debug_file", "/dev/null");
    TessBaseAPISetVariable(e->vin, "tessedit_char_whitelist", VIN_ALPHABET);
    TessBaseAPISetVariable(e->vin, "load_system_dawg", "0");
    TessBaseAPISetVariable(e->vin, "load_freq_dawg", "0");
    TessBaseAPISetPageSegMode(e->vin, PSM_SINGLE_LINE);
    return true;
}

static void ocr_engines_end(ocr_engines *e)
{
    for (TessBaseAPI **a = (TessBaseAPI *[]){ e->page, e->vin }, **end = a + 2; a < end; a++)
        if (*a) {
            TessBaseAPIEnd(*a);
            TessBaseAPIDelete(*a);
        }
    e->page = e->vin = NULL;
}

static int child_pdf(const void *data, size_t len, FILE *f, ocr_out *o, const docs_limits *lim)
{
    char msg[300];
    GBytes *bytes = g_bytes_new_static(data, len);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, NULL);
    if (!doc) {
        docs_child_fail(f, "not a readable PDF document");
        return 2;
    }
    int pages = poppler_document_get_n_pages(doc);
    if (pages > lim->max_ocr_pages) {
        snprintf(msg, sizeof msg, "a scanned PDF of %d pages: OCR reads at most %d (max_ocr_pages)",
                 pages, lim->max_ocr_pages);
        docs_child_fail(f, msg);
        return 2;
    }
    ocr_engines e = { 0 };
    if (!ocr_engines_start(&e, f))
        return 2;
    int rc = 0;
    for (int i = 0; i < pages && rc == 0 && !o->full; i++) {
        PopplerPage *pg = poppler_document_get_page(doc, i);
        PIX *pix = pg ? render_page(pg, lim->max_pixels) : NULL;
        if (pg)
            g_object_unref(pg);
        PIX *grey = pix ? prepare(pix, true, lim->max_pixels) : NULL;
        if (!grey) {
            snprintf(msg, sizeof msg, "page %d of the scanned PDF cannot be rendered", i + 1);
            docs_child_fail(f, msg);
            rc = 2;
            break;
        }
        if (ocr_picture(&e, grey, (uint32_t)i, o) != 0) {
            snprintf(msg, sizeof msg, "the OCR engine failed on page %d", i + 1);
            docs_child_fail(f, msg);
            rc = 2;
        }
        pixDestroy(&grey);
    }
    ocr_engines_end(&e);
    g_object_unref(doc);
    g_bytes_unref(bytes);
    return rc;
}

static int child_image(const void *data, size_t len, FILE *f, ocr_out *o, const docs_limits *lim)
{
    char msg[300];
    uint32_t w = 0, h = 0;
    if (!docs_image_size(data, len, &w, &h)) {
        docs_child_fail(f, "not a readable image: its header is damaged or truncated");
        return 2;
    }
    if ((uint64_t)w * h > lim->max_pixels) {
        snprintf(msg, sizeof msg, "a %u x %u pixel image exceeds the size limit (max_pixels = %llu)",
                 w, h, (unsigned long long)lim->max_pixels);
        docs_child_fail(f, msg);
        return 2;
    }
    PIX *pix = pixReadMem(data, len);
    PIX *grey = pix ? prepare(pix, false, lim->max_pixels) : NULL;
    if (!grey) {
        docs_child_fail(f, "not a readable image: it is damaged or truncated");
        return 2;
    }
    ocr_engines e = { 0 };
    int rc = ocr_engines_start(&e, f) ? 0 : 2;
    if (rc == 0 && ocr_picture(&e, grey, 0, o) != 0) {
        docs_child_fail(f, "the OCR engine failed on the image");
        rc = 2;
    }
    ocr_engines_end(&e);
    pixDestroy(&grey);
    return rc;
}

int docs_ocr_child(const void *data, size_t len, int in_fd, FILE *f, const docs_limits *lim)
{
    (void)in_fd;
    setMsgSeverity(L_SEVERITY_NONE);
    ocr_out o = { .f = f, .max = lim->max_uncompressed_bytes };
    bool pdf = len >= 4 && memcmp(data, "%PDF", 4) == 0;
    int rc = pdf ? child_pdf(data, len, f, &o, lim) : child_image(data, len, f, &o, lim);
    if (rc == 0 && o.full) {
        docs_child_fail(f, "the text read exceeds the limit (max_uncompressed_bytes)");
        rc = 2;
    }
    fflush(f);
    return rc;
}

/* ---- parent ---- */

/* Pages of a record stream and whether any of them holds a character that is not a space. */
static bool stream_text(const unsigned char *buf, size_t len, int *pages)
{
    size_t pos = 0;
    bool text = false;
    *pages = 0;
    while (pos < len) {
        uint8_t tag = buf[pos++];
        uint32_t n;
        if (tag == 'C') {
            if (pos + 8 > len)
                break;
            memcpy(&n, buf + pos + 4, 4);
            pos += 8 + (size_t)n;
            continue;
        }
        if (tag != 'P' || pos + 24 > len)
            break;
        (*pages)++;
        memcpy(&n, buf + pos + 20, 4);
        pos += 24;
        if (n > len - pos)
            break;
        for (uint32_t i = 0; i < n && !text; i++)
            text = !g_ascii_isspace(buf[pos + i]);
        pos += n;
        if (pos + 4 > len)
            break;
        memcpy(&n, buf + pos, 4);
        pos += 4;
        if ((size_t)n > (len - pos) / 32)
            break;
        pos += 32 * (size_t)n;
    }
    return text;
}

bool docs_ocr_stream_empty(const unsigned char *buf, size_t len, int *pages)
{
    return !stream_text(buf, len, pages);
}

static int ocr_run(const void *data, size_t len, int pages, const char *what, docs_book *b,
                   minca_err *err)
{
    const docs_isolation iso = { .kind = "image", .what = what,
                                 .seconds = OCR_SECONDS_PER_PAGE * (pages > 0 ? pages : 1),
                                 .max_memory = OCR_MAX_MEMORY, .quiet = true };
    unsigned char *buf = NULL;
    size_t n = 0;
    if (docs_parse_isolated(b, data, len, &iso, &buf, &n, err) != 0)
        return -1;
    int read_pages = 0;
    int rc = 0;
    if (!stream_text(buf, n, &read_pages))
        rc = minca_err_set(err, "%s: %s: OCR found no text in it", docs_book_label(b),
                           strcmp(what, "image") == 0 ? "an image" : "a scanned PDF (no text layer)");
    else
        rc = docs_pdf_from_stream(buf, n, b, err);
    g_free(buf);
    return rc;
}

int docs_ocr_scan(const void *data, size_t len, int pages, docs_book *b, minca_err *err)
{
    if (pages > b->lim.max_ocr_pages)
        return minca_err_set(err, "%s: a scanned PDF (no text layer) of %d pages: OCR reads at most "
                                  "%d (max_ocr_pages); ask the broker for the spreadsheet",
                             docs_book_label(b), pages, b->lim.max_ocr_pages);
    return ocr_run(data, len, pages, "scanned PDF", b, err);
}

int docs_ocr_open(const void *data, size_t len, docs_book *b, minca_err *err)
{
    uint32_t w = 0, h = 0;
    if (!docs_image_size(data, len, &w, &h))
        return minca_err_set(err, "%s: not a readable image: its header is damaged or truncated",
                             docs_book_label(b));
    if ((uint64_t)w * h > b->lim.max_pixels)
        return minca_err_set(err, "%s: a %u x %u pixel image exceeds the size limit "
                                  "(max_pixels = %llu)", docs_book_label(b), w, h,
                             (unsigned long long)b->lim.max_pixels);
    return ocr_run(data, len, 1, "image", b, err);
}
