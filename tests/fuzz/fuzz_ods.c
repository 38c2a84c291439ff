/* libFuzzer target: ODS reader. Input starting with "PK" is taken as a whole package (ZIP
 * parsing, mimetype, manifest, limits); anything else is taken as content.xml and wrapped in
 * a valid package (mimetype stored first, a manifest), so the mutations reach the streaming
 * XML reader (repeats, spans, typed cells, text markup) instead of dying on ZIP checksums. */
#include "fuzz_common.h"

#include <glib.h>

#include <zip.h>

static const char *MIME = "application/vnd.oasis.opendocument.spreadsheet";
static const char *MANIFEST =
    "<?xml version=\"1.0\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">"
    "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/>"
    "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>";

static uint8_t *wrap(const uint8_t *content, size_t size, size_t *out_len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!src)
        return NULL;
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    if (!z) {
        zip_source_free(src);
        return NULL;
    }
    const char *names[] = { "mimetype", "content.xml", "META-INF/manifest.xml" };
    const void *texts[] = { MIME, content, MANIFEST };
    size_t lens[] = { strlen(MIME), size, strlen(MANIFEST) };
    for (int i = 0; i < 3; i++) {
        zip_source_t *s = zip_source_buffer(z, texts[i], lens[i], 0);
        zip_int64_t idx = zip_file_add(z, names[i], s, ZIP_FL_OVERWRITE);
        if (idx >= 0)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    uint8_t *buf = NULL;
    if (zip_close(z) == 0 && zip_source_open(src) == 0) {
        zip_source_seek(src, 0, SEEK_END);
        zip_int64_t n = zip_source_tell(src);
        zip_source_seek(src, 0, SEEK_SET);
        if (n > 0 && (buf = g_malloc((size_t)n)) != NULL &&
            zip_source_read(src, buf, (zip_uint64_t)n) == n) {
            *out_len = (size_t)n;
        } else {
            g_free(buf);
            buf = NULL;
        }
        zip_source_close(src);
    } else if (z) {
        zip_discard(z);
    }
    zip_source_free(src);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        fuzz_book(data, size);
        return 0;
    }
    size_t len = 0;
    uint8_t *x = wrap(data, size, &len);
    if (x) {
        fuzz_book(x, len);
        g_free(x);
    }
    return 0;
}
