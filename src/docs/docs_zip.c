/* docs: ZIP containers (XLSX, ODS). libzip opens the container from memory; each XML part is
 * read through libxml2's streaming xmlTextReader fed by zip_fread, so a part never sits whole
 * in memory. No network, no DTD loading, no entity substitution. The declared sizes are checked
 * against docs_limits when the container opens, each part's size and compression ratio when it
 * opens, and the bytes actually inflated while it is read. */
#include "docs_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

struct docs_zip_part {
    docs_zip *z;
    docs_book *book;
    zip_file_t *zf;
    char *name;
    bool over_limit;
    bool zip_failed;
    char zip_msg[128];
    char xml_msg[256];
};

static int part_read(void *ctx, char *buf, int len)
{
    docs_zip_part *p = ctx;
    zip_int64_t n = zip_fread(p->zf, buf, (zip_uint64_t)len);
    if (n < 0) {
        p->zip_failed = true;
        snprintf(p->zip_msg, sizeof p->zip_msg, "%s", zip_error_strerror(zip_file_get_error(p->zf)));
        return -1;
    }
    p->z->total_read += (uint64_t)n;
    if (p->z->total_read > p->book->lim.max_uncompressed_bytes) {
        p->over_limit = true;
        return -1;
    }
    return (int)n;
}

static int part_noop_close(void *ctx)
{
    (void)ctx;
    return 0;
}

static void part_xml_error(void *ctx, xmlErrorPtr e)
{
    docs_zip_part *p = ctx;
    if (p->xml_msg[0] || !e)
        return;
    char *msg = g_strdup(e->message ? e->message : "malformed XML");
    g_strstrip(msg);
    snprintf(p->xml_msg, sizeof p->xml_msg, "line %d: %s", e->line, msg);
    g_free(msg);
}

int docs_zip_open(docs_book *b, const void *data, size_t len, const char *what, docs_zip *z,
                  minca_err *err)
{
    static gsize xml_ready;
    if (g_once_init_enter(&xml_ready)) {
        xmlInitParser();   /* once, before any thread parses */
        g_once_init_leave(&xml_ready, 1);
    }
    memset(z, 0, sizeof *z);
    z->what = what;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (!src) {
        minca_err_set(err, "%s: cannot read the ZIP container: %s", docs_book_label(b), zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    z->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!z->zip) {
        minca_err_set(err, "%s: not a readable %s: the ZIP container is truncated or damaged (%s)",
                      docs_book_label(b), what, zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return -1;
    }
    zip_error_fini(&ze);
    /* Declared sizes, before reading anything. */
    zip_int64_t n = zip_get_num_entries(z->zip, 0);
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(z->zip, (zip_uint64_t)i, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
            total += st.size;
    }
    if (total > b->lim.max_uncompressed_bytes)
        return minca_err_set(err, "%s: the %s expands to %llu bytes, above the limit "
                                  "(max_uncompressed_bytes = %llu)", docs_book_label(b), what,
                             (unsigned long long)total,
                             (unsigned long long)b->lim.max_uncompressed_bytes);
    return 0;
}

void docs_zip_close(docs_zip *z)
{
    if (z->zip)
        zip_discard(z->zip);
    z->zip = NULL;
}

zip_int64_t docs_zip_locate(docs_zip *z, const char *name)
{
    zip_int64_t idx = zip_name_locate(z->zip, name, 0);
    if (idx < 0)
        idx = zip_name_locate(z->zip, name, ZIP_FL_NOCASE);
    return idx;
}

/* Size and ratio of one part against the limits; *st filled. */
static int part_check(docs_book *b, docs_zip *z, const char *name, zip_int64_t *idx_out,
                      zip_stat_t *st, minca_err *err)
{
    zip_int64_t idx = docs_zip_locate(z, name);
    if (idx < 0)
        return minca_err_set(err, "%s: part '%s' is missing from the %s", docs_book_label(b), name, z->what);
    zip_stat_init(st);
    if (zip_stat_index(z->zip, (zip_uint64_t)idx, 0, st) != 0)
        return minca_err_set(err, "%s: cannot read part '%s': %s", docs_book_label(b), name,
                             zip_strerror(z->zip));
    if ((st->valid & ZIP_STAT_SIZE) && z->total_read + st->size > b->lim.max_uncompressed_bytes)
        return minca_err_set(err, "%s: part '%s' would bring the uncompressed size above the limit "
                                  "(max_uncompressed_bytes = %llu)", docs_book_label(b), name,
                             (unsigned long long)b->lim.max_uncompressed_bytes);
    if ((st->valid & ZIP_STAT_SIZE) && (st->valid & ZIP_STAT_COMP_SIZE) && st->size > (1u << 20)) {
        double ratio = st->comp_size ? (double)st->size / (double)st->comp_size : INFINITY;
        if (ratio > b->lim.max_ratio)
            return minca_err_set(err, "%s: part '%s' expands %.0f times, above the compression "
                                      "ratio limit (max_ratio = %.0f)", docs_book_label(b), name, ratio,
                                 b->lim.max_ratio);
    }
    *idx_out = idx;
    return 0;
}

int docs_zip_part_open(docs_book *b, docs_zip *z, const char *name, docs_zip_part **part_out,
                       xmlTextReaderPtr *rd_out, minca_err *err)
{
    *part_out = NULL;
    *rd_out = NULL;
    zip_int64_t idx;
    zip_stat_t st;
    if (part_check(b, z, name, &idx, &st, err) != 0)
        return -1;
    docs_zip_part *p = g_new0(docs_zip_part, 1);
    p->z = z;
    p->book = b;
    p->name = g_strdup(name);
    p->zf = zip_fopen_index(z->zip, (zip_uint64_t)idx, 0);
    if (!p->zf) {
        minca_err_set(err, "%s: cannot open part '%s': %s", docs_book_label(b), name, zip_strerror(z->zip));
        docs_zip_part_close(p, NULL);
        return -1;
    }
    xmlTextReaderPtr rd = xmlReaderForIO(part_read, part_noop_close, p, name, NULL, XML_OPTS);
    if (!rd) {
        minca_err_set(err, "%s: cannot start reading part '%s'", docs_book_label(b), name);
        docs_zip_part_close(p, NULL);
        return -1;
    }
    xmlTextReaderSetStructuredErrorHandler(rd, part_xml_error, p);
    *part_out = p;
    *rd_out = rd;
    return 0;
}

int docs_zip_part_fail(docs_book *b, const docs_zip_part *p, minca_err *err)
{
    if (p->over_limit)
        return minca_err_set(err, "%s: uncompressed content exceeds the limit "
                                  "(max_uncompressed_bytes = %llu)", docs_book_label(b),
                             (unsigned long long)b->lim.max_uncompressed_bytes);
    if (p->zip_failed)
        return minca_err_set(err, "%s: part '%s' is damaged (%s); the file is probably truncated",
                             docs_book_label(b), p->name, p->zip_msg);
    return minca_err_set(err, "%s: part '%s' is not well-formed XML (%s)", docs_book_label(b), p->name,
                         p->xml_msg[0] ? p->xml_msg : "parse error");
}

void docs_zip_part_close(docs_zip_part *p, xmlTextReaderPtr rd)
{
    if (rd)
        xmlFreeTextReader(rd);
    if (p) {
        if (p->zf)
            zip_fclose(p->zf);
        g_free(p->name);
        g_free(p);
    }
}

int docs_zip_read_small(docs_book *b, docs_zip *z, const char *name, size_t max, char **out,
                        minca_err *err)
{
    *out = NULL;
    zip_int64_t idx;
    zip_stat_t st;
    if (part_check(b, z, name, &idx, &st, err) != 0)
        return -1;
    zip_file_t *zf = zip_fopen_index(z->zip, (zip_uint64_t)idx, 0);
    if (!zf)
        return minca_err_set(err, "%s: cannot open part '%s': %s", docs_book_label(b), name,
                             zip_strerror(z->zip));
    char *buf = g_malloc(max + 1);
    zip_int64_t n = zip_fread(zf, buf, max);
    if (n < 0) {
        minca_err_set(err, "%s: part '%s' is damaged (%s); the file is probably truncated",
                      docs_book_label(b), name, zip_error_strerror(zip_file_get_error(zf)));
        zip_fclose(zf);
        g_free(buf);
        return -1;
    }
    zip_fclose(zf);
    z->total_read += (uint64_t)n;
    buf[n] = '\0';
    *out = buf;
    return 0;
}
