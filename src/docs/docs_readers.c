/* docs: the table of readers. Each format is one row: its name, how its bytes are recognised,
 * how it is opened, its row callbacks, the parse function of its isolated child (for parser
 * libraries that may crash or hang on crafted input) and what its rows look like. A new
 * reader is one file (its open function, ops and, when isolated, child) and one row here. */
#include "docs_internal.h"

#include <string.h>
#include <zip.h>

static bool starts(const docs_sniffed *s, const char *magic, size_t n)
{
    return s->len >= n && memcmp(s->data, magic, n) == 0;
}

static bool sniff_xlsx(const docs_sniffed *s)
{
    return starts(s, "PK\x03\x04", 4) || starts(s, "PK\x05\x06", 4);
}

/* An OpenDocument package stores its `mimetype` entry first and uncompressed, so the type is
 * readable at a fixed place; a package written without it is recognised by its content.xml
 * beside no [Content_Types].xml (which every XLSX has). Other OpenDocument kinds (.odt) are
 * sniffed too, to be refused by name when opened. */
static bool sniff_ods(const docs_sniffed *s)
{
    if (!starts(s, "PK\x03\x04", 4) || s->len < 30)
        return false;
    size_t name_len = s->data[26] | (size_t)s->data[27] << 8;
    size_t extra_len = s->data[28] | (size_t)s->data[29] << 8;
    static const char odf[] = "application/vnd.oasis.opendocument.";
    if (name_len == 8 && s->len >= 38 && memcmp(s->data + 30, "mimetype", 8) == 0)
        return s->len >= 38 + extra_len + sizeof odf - 1 &&
               memcmp(s->data + 38 + extra_len, odf, sizeof odf - 1) == 0;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(s->data, s->len, 0, &ze);
    zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    bool ods = z && zip_name_locate(z, "content.xml", 0) >= 0 &&
               zip_name_locate(z, "[Content_Types].xml", ZIP_FL_NOCASE) < 0;
    if (z)
        zip_discard(z);
    else if (src)
        zip_source_free(src);
    zip_error_fini(&ze);
    return ods;
}

static bool sniff_xls(const docs_sniffed *s) { return starts(s, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8); }
static bool sniff_pdf(const docs_sniffed *s) { return starts(s, "%PDF", 4); }

static bool sniff_image(const docs_sniffed *s)
{
    return starts(s, "\x89PNG", 4) || starts(s, "\xFF\xD8\xFF", 3) || starts(s, "GIF8", 4) ||
           starts(s, "II*\0", 4) || starts(s, "MM\0*", 4);
}

/* Markup: an XML Spreadsheet 2003 or an HTML page saved under a spreadsheet name. */
static bool sniff_xmlss(const docs_sniffed *s)
{
    return s->markup && strstr(s->markup, "urn:schemas-microsoft-com:office:spreadsheet");
}

static bool sniff_html(const docs_sniffed *s)
{
    return s->markup && (strstr(s->markup, "<table") || strstr(s->markup, "<html"));
}

/* Any other text, and UTF-16 text with a BOM. */
static bool sniff_csv(const docs_sniffed *s)
{
    return s->text || starts(s, "\xFF\xFE", 2) || starts(s, "\xFE\xFF", 2);
}

/* Tried in this order by docs_sniff(): magic numbers first, then markup, then plain text. */
static const docs_reader readers[] = {
    { DOCS_FMT_ODS, "ods", sniff_ods, docs_ods_open, &docs_ods_ops, NULL, NULL, true, false },
    { DOCS_FMT_XLSX, "xlsx", sniff_xlsx, docs_xlsx_open, &docs_xlsx_ops, NULL, NULL, true, false },
    { DOCS_FMT_XLS, "xls", sniff_xls, docs_xls_open, &docs_xls_ops, docs_xls_child, NULL, true, false },
    { DOCS_FMT_PDF, "pdf", sniff_pdf, docs_pdf_open, &docs_pdf_ops, docs_pdf_child, NULL, false, true },
    { DOCS_FMT_IMAGE, "image", sniff_image, docs_ocr_open, &docs_pdf_ops, docs_ocr_child, NULL, false, true },
    { DOCS_FMT_XMLSS, "xmlss", sniff_xmlss, docs_xmlss_open, &docs_xmlss_ops, NULL, NULL, true, false },
    { DOCS_FMT_HTML, "html", sniff_html, docs_html_open, &docs_html_ops, NULL, NULL, false, true },
    { DOCS_FMT_CSV, "csv", sniff_csv, docs_csv_open, &docs_csv_ops, NULL, NULL, false, true },
    { DOCS_FMT_GRID, "grid", NULL, NULL, &docs_grid_ops, NULL, NULL, false, true },
};

const docs_reader *docs_reader_first(size_t *n)
{
    *n = sizeof readers / sizeof *readers;
    return readers;
}

const docs_reader *docs_reader_of(docs_format f)
{
    for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
        if (readers[i].format == f)
            return &readers[i];
    return NULL;
}

const docs_reader *docs_reader_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof readers / sizeof *readers; i++)
        if (strcmp(readers[i].name, name) == 0)
            return &readers[i];
    return NULL;
}

const char *docs_format_name(docs_format f)
{
    const docs_reader *r = docs_reader_of(f);
    if (r)
        return r->name;
    return f == DOCS_FMT_EMPTY ? "empty" : "unknown";
}

bool docs_format_has_sheets(docs_format f)
{
    const docs_reader *r = docs_reader_of(f);
    return r && r->has_sheets;
}

bool docs_format_text_cells(docs_format f)
{
    const docs_reader *r = docs_reader_of(f);
    return r && r->text_cells;
}
