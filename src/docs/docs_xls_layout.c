/* docs: what freexl does not expose of a legacy XLS workbook, read from the BIFF8 records of its
 * Workbook stream: merged ranges (MERGEDCELLS, 0x00E5) and hidden columns (COLINFO, 0x007D) of
 * each sheet. Runs in the XLS parser child only (the bytes may be hostile): every offset is
 * bounds-checked, chains are bounded by the file size, and any inconsistency gives up quietly
 * (the sheets are then read without merges or hidden columns, as before). */
#include "docs_xls_layout.h"

#include <glib.h>
#include <string.h>

#define ENDOFCHAIN 0xFFFFFFFEu

typedef struct cfb {
    const unsigned char *d;
    size_t len;
    size_t ssz;          /* sector size */
    guint32 *fat;
    size_t n_fat;        /* entries */
} cfb;

static guint16 rd16(const unsigned char *p) { return (guint16)(p[0] | p[1] << 8); }
static guint32 rd32(const unsigned char *p) { return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24; }

static const unsigned char *sector(const cfb *c, guint32 s)
{
    size_t off = (size_t)(s + 1) * c->ssz;
    if (s >= ENDOFCHAIN - 4 || off > c->len || c->len - off < c->ssz)
        return NULL;
    return c->d + off;
}

/* Appends the sectors of a chain starting at s to out (at most max bytes). */
static bool read_chain(const cfb *c, guint32 s, size_t max, GByteArray *out)
{
    size_t steps = 0, limit = c->len / c->ssz + 1;
    while (s != ENDOFCHAIN && out->len < max) {
        const unsigned char *p = sector(c, s);
        if (!p || s >= c->n_fat || ++steps > limit)
            return false;
        g_byte_array_append(out, p, (guint)c->ssz);
        s = c->fat[s];
    }
    return true;
}

static bool load_fat(cfb *c)
{
    const unsigned char *h = c->d;
    guint32 n_fat_sectors = rd32(h + 0x2C), difat = rd32(h + 0x44), n_difat = rd32(h + 0x48);
    if ((size_t)n_fat_sectors > c->len / c->ssz + 1)
        return false;
    GArray *secs = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (int i = 0; i < 109 && secs->len < n_fat_sectors; i++) {
        guint32 s = rd32(h + 0x4C + 4 * i);
        g_array_append_val(secs, s);
    }
    size_t per = c->ssz / 4 - 1, steps = 0;
    while (secs->len < n_fat_sectors && difat < ENDOFCHAIN - 4 && steps++ <= n_difat) {
        const unsigned char *p = sector(c, difat);
        if (!p)
            break;
        for (size_t i = 0; i < per && secs->len < n_fat_sectors; i++) {
            guint32 s = rd32(p + 4 * i);
            g_array_append_val(secs, s);
        }
        difat = rd32(p + 4 * per);
    }
    bool ok = secs->len == n_fat_sectors;
    c->n_fat = (size_t)secs->len * (c->ssz / 4);
    c->fat = g_new0(guint32, c->n_fat ? c->n_fat : 1);
    for (guint i = 0; ok && i < secs->len; i++) {
        const unsigned char *p = sector(c, g_array_index(secs, guint32, i));
        if (!p) {
            ok = false;
            break;
        }
        for (size_t k = 0; k < c->ssz / 4; k++)
            c->fat[i * (c->ssz / 4) + k] = rd32(p + 4 * k);
    }
    g_array_free(secs, TRUE);
    return ok;
}

/* A stream below the cutoff lives in 64-byte mini sectors inside the root entry's stream. */
static GByteArray *mini_stream(const cfb *c, const unsigned char *root, guint32 start, guint32 size)
{
    GByteArray *container = g_byte_array_new(), *minifat = g_byte_array_new(), *out = NULL;
    size_t msz = (size_t)1 << rd16(c->d + 0x20);
    if (msz != 64 || !read_chain(c, rd32(root + 0x74), c->len, container) ||
        !read_chain(c, rd32(c->d + 0x3C), c->len, minifat))
        goto done;
    out = g_byte_array_new();
    size_t n_mini = minifat->len / 4, steps = 0;
    for (guint32 s = start; s != ENDOFCHAIN && out->len < size; s = rd32(minifat->data + 4 * (size_t)s)) {
        if (s >= n_mini || (size_t)(s + 1) * msz > container->len || ++steps > n_mini) {
            g_byte_array_free(out, TRUE);
            out = NULL;
            goto done;
        }
        g_byte_array_append(out, container->data + (size_t)s * msz, (guint)msz);
    }
    if (out->len < size) {
        g_byte_array_free(out, TRUE);
        out = NULL;
    } else {
        g_byte_array_set_size(out, size);
    }
done:
    g_byte_array_free(container, TRUE);
    g_byte_array_free(minifat, TRUE);
    return out;
}

/* The Workbook stream. */
static GByteArray *workbook_stream(cfb *c)
{
    static const unsigned char sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
    if (c->len < 512 || memcmp(c->d, sig, 8) != 0)
        return NULL;
    guint16 shift = rd16(c->d + 0x1E);
    if (shift != 9 && shift != 12)
        return NULL;
    c->ssz = (size_t)1 << shift;
    if (!load_fat(c))
        return NULL;
    GByteArray *dir = g_byte_array_new();
    GByteArray *wb = NULL;
    if (!read_chain(c, rd32(c->d + 0x30), c->len, dir))
        goto done;
    const unsigned char *root = dir->len >= 128 && dir->data[0x42] == 5 ? dir->data : NULL;
    for (guint off = 0; off + 128 <= dir->len; off += 128) {
        const unsigned char *e = dir->data + off;
        guint16 nlen = rd16(e + 0x40);
        if (e[0x42] != 2 || nlen < 2 || nlen > 64)
            continue;
        char *name = g_utf16_to_utf8((const gunichar2 *)(const void *)e, nlen / 2 - 1, NULL, NULL, NULL);
        bool is_wb = name && (strcmp(name, "Workbook") == 0 || strcmp(name, "Book") == 0);
        g_free(name);
        if (!is_wb)
            continue;
        guint32 size = rd32(e + 0x78);
        if (size > c->len)
            break;
        if (size < rd32(c->d + 0x38)) {
            wb = root ? mini_stream(c, root, rd32(e + 0x74), size) : NULL;
            break;
        }
        wb = g_byte_array_new();
        if (!read_chain(c, rd32(e + 0x74), size, wb) || wb->len < size) {
            g_byte_array_free(wb, TRUE);
            wb = NULL;
        } else {
            g_byte_array_set_size(wb, size);
        }
        break;
    }
done:
    g_byte_array_free(dir, TRUE);
    return wb;
}

/* BOUNDSHEET name: ShortXLUnicodeString (cch, flags, 8-bit or UTF-16LE characters). */
static char *sheet_name(const unsigned char *p, size_t n)
{
    if (n < 8)
        return NULL;
    size_t cch = p[6];
    bool wide = p[7] & 1;
    if (8 + cch * (wide ? 2 : 1) > n)
        return NULL;
    if (wide)
        return g_utf16_to_utf8((const gunichar2 *)(const void *)(p + 8), (glong)cch, NULL, NULL, NULL);
    return g_convert((const char *)p + 8, (gssize)cch, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
}

static void sheet_records(const GByteArray *wb, size_t pos, xls_sheet_layout *s)
{
    size_t records = 0;
    while (pos + 4 <= wb->len && records++ < 10000000) {
        guint16 type = rd16(wb->data + pos), n = rd16(wb->data + pos + 2);
        const unsigned char *p = wb->data + pos + 4;
        if (pos + 4 + n > wb->len || type == 0x000A)   /* EOF of the sheet */
            return;
        if (type == 0x00E5 && n >= 2) {
            guint16 count = rd16(p);
            for (guint k = 0; k < count && 2 + 8 * (size_t)(k + 1) <= n && s->merges->len < 100000; k++) {
                const unsigned char *q = p + 2 + 8 * k;
                docs_range r = { rd16(q) + 1, rd16(q + 2) + 1, rd16(q + 4) + 1, rd16(q + 6) + 1 };
                if (r.last_row >= r.first_row && r.last_col >= r.first_col)
                    g_array_append_val(s->merges, r);
            }
        } else if (type == 0x007D && n >= 10 && (rd16(p + 8) & 1)) {
            for (guint c = rd16(p); c <= rd16(p + 2) && c < 256; c++) {
                guint16 col = (guint16)c;
                g_array_append_val(s->hidden_cols, col);
            }
        }
        pos += 4 + n;
    }
}

GPtrArray *docs_xls_layout_read(const void *data, size_t len)
{
    cfb c = { .d = data, .len = len };
    GByteArray *wb = workbook_stream(&c);
    g_free(c.fat);
    GPtrArray *sheets = g_ptr_array_new_with_free_func(docs_xls_layout_free1);
    if (!wb)
        return sheets;
    size_t pos = 0, records = 0;
    while (pos + 4 <= wb->len && records++ < 10000000) {
        guint16 type = rd16(wb->data + pos), n = rd16(wb->data + pos + 2);
        if (pos + 4 + n > wb->len || type == 0x000A)   /* end of the globals */
            break;
        if (type == 0x0085 && n >= 8) {   /* BOUNDSHEET: where the sheet's records start */
            xls_sheet_layout *s = g_new0(xls_sheet_layout, 1);
            s->name = sheet_name(wb->data + pos + 4, n);
            s->merges = g_array_new(FALSE, FALSE, sizeof(docs_range));
            s->hidden_cols = g_array_new(FALSE, FALSE, sizeof(guint16));
            guint32 at = rd32(wb->data + pos + 4);
            if (s->name && at < wb->len)
                sheet_records(wb, at, s);
            g_ptr_array_add(sheets, s);
        }
        pos += 4 + n;
    }
    g_byte_array_free(wb, TRUE);
    return sheets;
}

void docs_xls_layout_free1(gpointer p)
{
    xls_sheet_layout *s = p;
    if (!s)
        return;
    g_free(s->name);
    g_array_free(s->merges, TRUE);
    g_array_free(s->hidden_cols, TRUE);
    g_free(s);
}
