/* libFuzzer target: XLSX reader. Input starting with "PK" is taken as a whole container
 * (ZIP parsing, parts, limits); anything else is taken as the XML of the first worksheet and
 * wrapped in a valid container with shared strings and styles, so the mutations reach the
 * streaming XML reader instead of dying on ZIP checksums. */
#include "fuzz_common.h"

#include <glib.h>

#include <zip.h>

static const char *CT = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
static const char *RELS =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
static const char *WB_RELS =
    "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>";
static const char *WB =
    "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><workbookPr/>"
    "<sheets><sheet name=\"Hoja1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char *SST =
    "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<si><t>MARCA</t></si><si><t>MODELO</t></si><si><t>SERIE</t></si><si><r><t>FO</t></r><r><t>RD</t></r></si>"
    "<si><t>3N1AB7AP5KY123456</t></si></sst>";
static const char *STYLES =
    "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
    "<numFmts><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/></numFmts>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"164\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>";

static uint8_t *wrap(const uint8_t *sheet, size_t size, size_t *out_len)
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
    const char *names[] = { "[Content_Types].xml", "_rels/.rels", "xl/_rels/workbook.xml.rels",
                            "xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml" };
    const char *texts[] = { CT, RELS, WB_RELS, WB, SST, STYLES };
    for (int i = 0; i < 6; i++) {
        zip_source_t *s = zip_source_buffer(z, texts[i], strlen(texts[i]), 0);
        zip_int64_t idx = zip_file_add(z, names[i], s, ZIP_FL_OVERWRITE);
        if (idx >= 0)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    zip_source_t *s = zip_source_buffer(z, sheet, size, 0);
    zip_int64_t idx = zip_file_add(z, "xl/worksheets/sheet1.xml", s, ZIP_FL_OVERWRITE);
    if (idx >= 0)
        zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
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
