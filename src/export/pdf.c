/* export pdf: the quote summary a broker receives, drawn with cairo and laid out with pango.
 *
 * Letter landscape. Every page: the insurer's name, COT and version on top, the vigencia and
 * "Página N de M" at the bottom, and the vehicle table's header. The first page adds the
 * client block; the last one the totals. Rows are measured first (descriptions wrap), then
 * paginated, then drawn, so the page count is known before the first footer is written. */
#include "minca/export.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <stdarg.h>
#include <glib.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_W 792.0          /* letter, landscape, in points */
#define PAGE_H 612.0
#define MARGIN 36.0
#define HEADER_H 46.0         /* insurer, COT line and rule */
#define FOOTER_H 24.0
#define CELL_PAD 3.0
#define MAX_CELL_LINES 12
#define FONT "DejaVu Sans"    /* carries Ñ, accents and the peso sign (fonts-dejavu-core;
                               * DejaVu Sans Mono for keys and VINs) */

typedef struct pdf_column {
    const char *header;       /* the heading; NULL: the staff's name of field */
    const char *field;        /* the vehicle field shown (VEHICLE_FIELDS), NULL for others */
    double width;
    bool right;               /* numbers align right */
    bool mono;                /* keys, VINs and plates: fixed width, read character by character */
} pdf_column;

enum { C_INCISO, C_KEY, C_DESC, C_YEAR, C_VIN, C_PLATES, C_USE, C_SUM, C_PACKAGE, C_PREMIUM, N_COLS };

static const pdf_column columns[N_COLS] = {
    {NULL, "inciso", 36, true, false},
    {"Clave", NULL, 56, false, true},
    {NULL, "description", 172, false, false},
    {NULL, "year", 28, true, false},
    {NULL, "vin", 96, false, true},
    {NULL, "plates", 58, false, true},
    {NULL, "use", 60, false, false},
    {NULL, "insured_amount", 82, true, false},
    {"Paquete", NULL, 64, false, false},
    {"Prima neta", NULL, 68, true, false},
};

static const char *column_header(int i)
{
    return columns[i].header ? columns[i].header : vehicle_field_label(columns[i].field);
}

typedef struct pdf_row {
    PangoLayout *cell[N_COLS];  /* a heading has only cell[0], across the table */
    double height;
    int page;                 /* 0-based */
    bool flagged;             /* no decided key: shaded */
    bool heading;             /* the source file of the rows below it */
} pdf_row;

typedef struct pdf_writer {
    const export_case *c;
    const export_coverage *cov;
    export_result *res;
    cairo_t *cr;
    PangoContext *pango;      /* at 72 dpi: a font's size in points is its size on the page */
    PangoFontDescription *font, *mono, *bold, *small, *title;
    pdf_row *rows;            /* the vehicles, with a heading before each file's when there are several */
    int n_items;
    double header_row_h;
    double client_h;          /* height of the client block on page 1 */
    double totals_h;
    int n_pages;
    char issued[32];          /* dd/mm/yyyy of the export */
    char valid_until[16];     /* dd/mm/yyyy: the quote holds until then */
    cairo_surface_t *logo;    /* the insurer's logo, NULL when none */
    export_quote quote;       /* the price, when a tariff priced the case */
    bool priced;
    char unpriced[200];       /* why not ("" when priced) */
    char vigencia[96];
} pdf_writer;

/* ---- text --------------------------------------------------------------------------------- */

static char *clean(const char *s)
{
    return s ? export_text_clean(s, 2000, NULL) : NULL;
}

/* 1234567.5 -> "$1,234,567.50" */
static void money(double v, char *out, size_t n)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.2f", v < 0 ? -v : v);
    char *dot = strchr(digits, '.');
    int int_len = (int)(dot - digits);
    GString *g = g_string_new(v < 0 ? "-$" : "$");
    for (int i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            g_string_append_c(g, ',');
        g_string_append_c(g, digits[i]);
    }
    g_string_append(g, dot);
    snprintf(out, n, "%s", g->str);
    g_string_free(g, TRUE);
}

/* "YYYY-MM-DD..." -> "dd/mm/yyyy"; "" when absent or not a date. */
static void day(const char *iso, char *out, size_t n)
{
    int y, m, d;
    if (iso && sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
        snprintf(out, n, "%02d/%02d/%04d", d, m, y);
    else
        snprintf(out, n, "%s", "");
}

static PangoLayout *layout(pdf_writer *w, const char *text, const PangoFontDescription *font,
                           double width, bool right)
{
    PangoLayout *l = pango_layout_new(w->pango);
    pango_layout_set_font_description(l, font);
    if (width > 0) {
        pango_layout_set_width(l, (int)(width * PANGO_SCALE));
        pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    }
    if (right)
        pango_layout_set_alignment(l, PANGO_ALIGN_RIGHT);
    char *t = clean(text);
    pango_layout_set_text(l, t ? t : "", -1);
    g_free(t);
    return l;
}

static double layout_height(PangoLayout *l)
{
    int wd, ht;
    pango_layout_get_size(l, &wd, &ht);
    return (double)ht / PANGO_SCALE;
}

static void draw(pdf_writer *w, PangoLayout *l, double x, double y)
{
    cairo_move_to(w->cr, x, y);
    pango_cairo_show_layout(w->cr, l);
}

static double text_at(pdf_writer *w, const char *text, const PangoFontDescription *font, double x,
                      double y, double width, bool right)
{
    PangoLayout *l = layout(w, text, font, width, right);
    draw(w, l, x, y);
    double h = layout_height(l);
    g_object_unref(l);
    return h;
}

/* ---- measuring ---------------------------------------------------------------------------- */

static void fill_heading(pdf_writer *w, int span, pdf_row *out)
{
    memset(out, 0, sizeof *out);
    char *note = export_span_note(w->res, span);
    out->cell[0] = layout(w, note, w->bold, PAGE_W - 2 * MARGIN - 2 * CELL_PAD, false);
    g_free(note);
    out->height = layout_height(out->cell[0]) + 2 * CELL_PAD + 4;
    out->heading = true;
}

static void fill_row(pdf_writer *w, const export_row *row, pdf_row *out)
{
    const vehicle_row *v = &row->vehicle;
    const export_match *m = &row->match;
    char inciso[16] = "", year[16] = "", sum[48] = "";
    int number = w->res->inciso[row - w->c->rows];
    if (number > 0)
        snprintf(inciso, sizeof inciso, "%d", number);
    int y = m->year > 0 ? m->year : v->year;
    if (y > 0)
        snprintf(year, sizeof year, "%d", y);
    if (v->insured_amount >= 0)
        money(v->insured_amount, sum, sizeof sum);
    else if (export_row_commercial(row))
        snprintf(sum, sizeof sum, "VALOR COMERCIAL");
    /* the catalog's description first, the broker's below it when they differ */
    GString *desc = g_string_new(NULL);
    GString *broker = g_string_new(NULL);
    if (!core_str_empty(v->description))
        g_string_append(broker, v->description);
    else
        g_string_append_printf(broker, "%s %s", v->marca ? v->marca : "", v->submarca ? v->submarca : "");
    if (!core_str_empty(m->description)) {
        if (!core_str_empty(m->brand) && g_ascii_strncasecmp(m->description, m->brand, strlen(m->brand)))
            g_string_append_printf(desc, "%s ", m->brand);
        g_string_append(desc, m->description);
        if (strcmp(m->description, broker->str))
            g_string_append_printf(desc, "\nBroker: %s", broker->str);
    } else {
        g_string_append(desc, broker->str);
    }
    g_string_free(broker, TRUE);
    char premium[48] = "";
    if (w->priced) {
        const export_unit_price *u = &w->quote.units[row - w->c->rows];
        if (u->priced)
            export_money_cents(u->neta_cents, premium, sizeof premium);
        else
            snprintf(premium, sizeof premium, "REFERIDA");
    } else if (row->premium >= 0) {
        money(row->premium, premium, sizeof premium);
    }
    const export_coverage_package *pkg = export_row_package(w->cov, w->c, row);
    const char *text[N_COLS] = {
        [C_INCISO] = inciso,
        [C_KEY] = core_str_empty(m->cvegs) ? "SIN CLAVE" : m->cvegs,
        [C_DESC] = desc->str,
        [C_YEAR] = year,
        [C_VIN] = v->vin,
        [C_PLATES] = v->plates,
        [C_USE] = !core_str_empty(v->use) ? v->use : w->c->use,
        [C_SUM] = sum,
        [C_PACKAGE] = pkg ? pkg->name : "",
        [C_PREMIUM] = premium,
    };
    out->height = 0;
    for (int i = 0; i < N_COLS; i++) {
        out->cell[i] = layout(w, text[i], columns[i].mono ? w->mono : w->font,
                              columns[i].width - 2 * CELL_PAD, columns[i].right);
        /* a hostile cell (thousands of lines) must not grow a row past a page */
        pango_layout_set_height(out->cell[i], -MAX_CELL_LINES);
        pango_layout_set_ellipsize(out->cell[i], PANGO_ELLIPSIZE_END);
        double h = layout_height(out->cell[i]);
        if (h > out->height)
            out->height = h;
    }
    out->height += 2 * CELL_PAD;
    out->flagged = !export_row_decided(row) || core_str_empty(m->cvegs) ||
                   (w->priced && !w->quote.units[row - w->c->rows].priced);
    g_string_free(desc, TRUE);
}

static const char *or_dash(const char *s)
{
    return core_str_empty(s) ? "—" : s;
}

/* The client block: two columns of label / value pairs. Returns its height; draws when `paint`. */
static double client_block(pdf_writer *w, double top, bool paint)
{
    const export_case *c = w->c;
    const export_coverage_package *pkg = export_coverage_find(w->cov, c->coverage_package);
    char pay[128];
    snprintf(pay, sizeof pay, "%s%s%s", or_dash(c->payment_terms), c->currency ? " · " : "",
             c->currency ? c->currency : "");
    const char *left[][2] = {
        {"Cliente", or_dash(c->client_name)}, {"RFC", or_dash(c->client_rfc)},
        {"Broker / agente", or_dash(c->broker)}, {"Clave de agente", or_dash(c->agent)},
        {"Contacto", or_dash(c->contact)},
    };
    const char *right[][2] = {
        {"Cobertura", pkg ? pkg->name : (core_str_empty(c->coverage_package) ? "NO INDICADA" : c->coverage_package)},
        {"Uso", or_dash(c->use)}, {"Vigencia", w->vigencia[0] ? w->vigencia : "NO INDICADA"},
        {"Forma de pago", pay}, {"Fecha de recepción", or_dash(c->received_date)},
    };
    const double label_w = 104, half = (PAGE_W - 2 * MARGIN) / 2;
    double h[2] = {0, 0};
    for (int col = 0; col < 2; col++) {
        double y = top;
        for (int i = 0; i < 5; i++) {
            const char *label = col ? right[i][0] : left[i][0];
            const char *value = col ? right[i][1] : left[i][1];
            char recv[32];
            if (col && i == 4) {
                day(c->received_date, recv, sizeof recv);
                value = or_dash(recv);
            }
            PangoLayout *lv = layout(w, value, w->font, half - label_w - 12, false);
            double rh = layout_height(lv) + 2;
            if (paint) {
                double x = MARGIN + col * half;
                text_at(w, label, w->bold, x, y, label_w, false);
                draw(w, lv, x + label_w, y);
            }
            g_object_unref(lv);
            y += rh;
        }
        h[col] = y - top;
    }
    return (h[0] > h[1] ? h[0] : h[1]) + 10;
}

/* ---- drawing ------------------------------------------------------------------------------ */

static void page_frame(pdf_writer *w, int page)
{
    cairo_t *cr = w->cr;
    const export_case *c = w->c;
    char line[320];
    double name_x = MARGIN;
    if (w->logo) {
        double lw = cairo_image_surface_get_width(w->logo), lh = cairo_image_surface_get_height(w->logo);
        double scale = 30.0 / lh;
        if (lw * scale > 120)
            scale = 120 / lw;
        cairo_save(cr);
        cairo_translate(cr, MARGIN, MARGIN - 8);
        cairo_scale(cr, scale, scale);
        cairo_set_source_surface(cr, w->logo, 0, 0);
        cairo_paint(cr);
        cairo_restore(cr);
        name_x += lw * scale + 8;
    }
    cairo_set_source_rgb(cr, 0.12, 0.31, 0.47);
    /* one line: a long legal name is set smaller, never wrapped over the COT line */
    PangoLayout *title = layout(w, export_case_insurer_label(c), w->title, -1, false);
    double avail = PAGE_W / 2 + 40 - name_x;
    int tw, th;
    pango_layout_get_size(title, &tw, &th);
    if ((double)tw / PANGO_SCALE > avail) {
        PangoFontDescription *fd = pango_font_description_copy(w->title);
        double size = 14.0 * avail / ((double)tw / PANGO_SCALE);
        pango_font_description_set_size(fd, (gint)((size < 8 ? 8 : size) * PANGO_SCALE));
        pango_layout_set_font_description(title, fd);
        pango_font_description_free(fd);
        pango_layout_set_width(title, (int)(avail * PANGO_SCALE));
        pango_layout_set_ellipsize(title, PANGO_ELLIPSIZE_END);
    }
    draw(w, title, name_x, MARGIN - 6);
    g_object_unref(title);
    char rev[40] = "";
    if (c->revision > 1)
        snprintf(rev, sizeof rev, " · revisión %d", c->revision);
    if (c->version > 0)
        snprintf(line, sizeof line, "Cotización de flotilla %s · versión %d%s", c->cot, c->version, rev);
    else
        snprintf(line, sizeof line, "Cotización de flotilla %s%s", c->cot, rev);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(w, line, w->bold, name_x, MARGIN + 14, PAGE_W / 2, false);
    snprintf(line, sizeof line, "Emitida el %s · válida %d días, hasta el %s\n%s", w->issued,
             c->validity_days > 0 ? c->validity_days : 30, w->valid_until, or_dash(c->client_name));
    text_at(w, line, w->small, PAGE_W / 2, MARGIN + 4, PAGE_W / 2 - MARGIN, true);
    if (w->res->overridden || !w->priced) {
        cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
        text_at(w, "COTIZACIÓN PRELIMINAR", w->bold, PAGE_W / 4, MARGIN + 14, PAGE_W / 2, true);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    if (w->priced && w->quote.demo) {
        cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
        text_at(w, w->quote.tariff_name, w->bold, PAGE_W / 4, MARGIN + 24, PAGE_W / 2, true);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    cairo_set_source_rgb(cr, 0.12, 0.31, 0.47);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, MARGIN, MARGIN + HEADER_H - 14);
    cairo_line_to(cr, PAGE_W - MARGIN, MARGIN + HEADER_H - 14);
    cairo_stroke(cr);
    /* footer */
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    double fy = PAGE_H - MARGIN - 8;
    snprintf(line, sizeof line, "Vigencia: %s · Forma de pago: %s", w->vigencia[0] ? w->vigencia : "no indicada",
             or_dash(c->payment_terms));
    text_at(w, line, w->small, MARGIN, fy, PAGE_W / 2, false);
    snprintf(line, sizeof line, "%s · Página %d de %d", c->cot, page + 1, w->n_pages);
    text_at(w, line, w->small, PAGE_W / 2, fy, PAGE_W / 2 - MARGIN, true);
    cairo_set_source_rgb(cr, 0, 0, 0);
}

static double table_header(pdf_writer *w, double y)
{
    cairo_t *cr = w->cr;
    cairo_set_source_rgb(cr, 0.12, 0.31, 0.47);
    cairo_rectangle(cr, MARGIN, y, PAGE_W - 2 * MARGIN, w->header_row_h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    double x = MARGIN;
    for (int i = 0; i < N_COLS; i++) {
        text_at(w, column_header(i), w->bold, x + CELL_PAD, y + CELL_PAD, columns[i].width - 2 * CELL_PAD,
                columns[i].right);
        x += columns[i].width;
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    return y + w->header_row_h;
}

static void table_row(pdf_writer *w, pdf_row *r, int index, double y)
{
    cairo_t *cr = w->cr;
    if (r->heading) {
        cairo_set_source_rgb(cr, 0.86, 0.90, 0.95);
        cairo_rectangle(cr, MARGIN, y + 2, PAGE_W - 2 * MARGIN, r->height - 2);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        draw(w, r->cell[0], MARGIN + CELL_PAD, y + CELL_PAD + 2);
        return;
    }
    if (r->flagged || index % 2) {
        if (r->flagged)
            cairo_set_source_rgb(cr, 1.0, 0.92, 0.80);
        else
            cairo_set_source_rgb(cr, 0.95, 0.96, 0.98);
        cairo_rectangle(cr, MARGIN, y, PAGE_W - 2 * MARGIN, r->height);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
    }
    double x = MARGIN;
    for (int i = 0; i < N_COLS; i++) {
        draw(w, r->cell[i], x + CELL_PAD, y + CELL_PAD);
        x += columns[i].width;
    }
}

/* A grid of text: rows of n cells at the x offsets given (from the margin); the first row bold.
 * Returns its height. */
static double grid(pdf_writer *w, double y, bool paint, GPtrArray *cells, int n, const double *xs, const bool *right,
                   double right_edge)
{
    double top = y;
    for (guint i = 0; i + (guint)n <= cells->len; i += (guint)n) {
        double rh = 0;
        for (int k = 0; k < n; k++) {
            double width = (k + 1 < n ? xs[k + 1] : right_edge) - xs[k] - 6;
            PangoLayout *l = layout(w, g_ptr_array_index(cells, i + k), i == 0 ? w->bold : w->font, width, right[k]);
            if (paint)
                draw(w, l, MARGIN + xs[k], y);
            double lh = layout_height(l);
            rh = lh > rh ? lh : rh;
            g_object_unref(l);
        }
        y += rh + 1;
    }
    return y - top + 6;
}

static void add_cells(GPtrArray *cells, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        g_ptr_array_add(cells, g_strdup(va_arg(ap, const char *)));
    va_end(ap);
}

/* The price: coverages with limits, deductibles and prima neta; the premium table; the
 * receipts; the referrals. */
static double quote_block(pdf_writer *w, double y, bool paint)
{
    const export_quote *q = &w->quote;
    double top = y;
    char a[64], b[64], line[400];
    GPtrArray *cells = g_ptr_array_new_with_free_func(g_free);
    static const double xs4[] = {0, 280, 440, 560};
    static const bool r4[] = {false, false, false, true};
    bool all_imported = q->n_imported > 0 && q->n_imported == q->n_priced;
    snprintf(line, sizeof line, "Coberturas del paquete %s (%s)", q->package,
             all_imported ? "primas del sistema de la aseguradora" : q->tariff_name);
    add_cells(cells, 4, line, "Límite / suma asegurada", "Deducible", "Prima neta");
    for (int i = 0; i < q->n_coverages; i++) {
        if (all_imported)   /* the insurer returned each unit's prima neta, not its split */
            snprintf(a, sizeof a, "—");
        else
            export_money_cents(q->coverage_totals[i], a, sizeof a);
        const char *ded = q->coverages[i].deductible;
        char dtext[64];
        snprintf(dtext, sizeof dtext, "%s", !ded || !strcmp(ded, "0") ? "SIN DEDUCIBLE" : ded);
        add_cells(cells, 4, q->coverages[i].name, q->coverages[i].limit, dtext, a);
    }
    if (q->minimum_total) {
        export_money_cents(q->minimum_total, a, sizeof a);
        add_cells(cells, 4, "Ajuste a prima mínima por unidad", "", "", a);
    }
    y += grid(w, y, paint, cells, 4, xs4, r4, 660);
    g_ptr_array_set_size(cells, 0);

    static const double xs2[] = {0, 230};
    static const bool r2[] = {false, true};
    add_cells(cells, 2, "Prima", "Importe");
    export_money_cents(q->neta, a, sizeof a);
    add_cells(cells, 2, "Prima neta", a);
    export_money_cents(q->derecho, a, sizeof a);
    add_cells(cells, 2, "Derecho de póliza", a);
    export_money_cents(q->recargo, a, sizeof a);
    snprintf(line, sizeof line, "Recargo por pago fraccionado (%s, %d.%02d%%)", q->frequency, q->recargo_bp / 100,
             q->recargo_bp % 100);
    add_cells(cells, 2, line, a);
    export_money_cents(q->iva, a, sizeof a);
    snprintf(line, sizeof line, "IVA %d%%", q->iva_bp / 100);
    add_cells(cells, 2, line, a);
    export_money_cents(q->total, a, sizeof a);
    add_cells(cells, 2, "Prima total", a);
    double h1 = grid(w, y, paint, cells, 2, xs2, r2, 330);
    g_ptr_array_set_size(cells, 0);

    static const double xs3[] = {380, 480, 580};
    static const bool r3[] = {false, true, true};
    add_cells(cells, 3, "Recibos", "Importe", "Número");
    export_money_cents(q->receipts[0].total, a, sizeof a);
    add_cells(cells, 3, "Primer recibo", a, "1");
    if (q->n_receipts > 1) {
        export_money_cents(q->receipts[1].total, a, sizeof a);
        snprintf(b, sizeof b, "%d", q->n_receipts - 1);
        add_cells(cells, 3, "Subsecuentes", a, b);
    }
    double h2 = grid(w, y, paint, cells, 3, xs3, r3, 660);
    y += h1 > h2 ? h1 : h2;
    g_ptr_array_free(cells, TRUE);

    GString *note = g_string_new(NULL);
    g_string_append(note, "Importes en pesos, calculados en centavos: cada prima redondeada al centavo (mitad hacia "
                          "arriba); el recargo, el IVA y la prima neta se reparten por igual entre los recibos y el "
                          "residuo va en el primero, con el derecho de póliza.");
    if (q->n_imported)
        g_string_append_printf(note, "\nPrimas netas de %d unidad%s importadas del sistema de cotización de la "
                                     "aseguradora (%s); derecho de póliza, recargo e IVA según %s.",
                               q->n_imported, q->n_imported == 1 ? "" : "es", q->source ? q->source : "",
                               q->tariff_name);
    if (q->n_referrals) {
        g_string_append_printf(note, "\nUnidades referidas (%d, sin prima; la aseguradora las cotiza aparte):",
                               q->n_referrals);
        int shown = 0;
        for (int i = 0; i < q->n_units && shown < 8; i++)
            if (!q->units[i].priced) {
                g_string_append_printf(note, "%s inciso %d: %s", shown ? ";" : "", w->res->inciso[i],
                                       q->units[i].referral);
                shown++;
            }
        if (q->n_referrals > shown)
            g_string_append_printf(note, "; y %d más (ver el libro, hoja Prima)", q->n_referrals - shown);
    }
    PangoLayout *l = layout(w, note->str, w->small, PAGE_W - 2 * MARGIN, false);
    g_string_free(note, TRUE);
    if (paint)
        draw(w, l, MARGIN, y);
    y += layout_height(l) + 6;
    g_object_unref(l);
    return y - top;
}

static double totals_block(pdf_writer *w, double y, bool paint)
{
    const export_case *c = w->c;
    const export_result *res = w->res;
    char sum[48], premium[240];
    money(res->fleet_sum, sum, sizeof sum);
    double prem = 0;
    int rated = 0;
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].premium >= 0) {
            prem += c->rows[i].premium;
            rated++;
        }
    if (w->priced)
        export_money_cents(w->quote.total, premium, sizeof premium);
    else if (rated)
        money(prem, premium, sizeof premium);
    else
        snprintf(premium, sizeof premium, "sin tarifa (%s)", w->unpriced[0] ? w->unpriced : "la aseguradora la calcula");
    const char *missing[EXPORT_MAX_MISSING];
    int nm = export_case_missing(c, missing, EXPORT_MAX_MISSING);
    GString *pend = g_string_new(NULL);
    for (int i = 0; i < nm; i++)
        g_string_append_printf(pend, "%s%s", i ? ", " : "", missing[i]);
    int no_key = 0, flagged = 0;
    for (int i = 0; i < c->n_rows; i++) {
        no_key += core_str_empty(c->rows[i].match.cvegs);
        flagged += !export_row_decided(&c->rows[i]) || core_str_empty(c->rows[i].match.cvegs);
    }
    int without = res->n_rows - res->n_with_sum - res->n_commercial;
    GString *text = g_string_new(NULL);
    g_string_append_printf(text, "Vehículos: %d    Suma asegurada %s: %s %s    Prima%s: %s", res->n_rows,
                           res->n_with_sum < res->n_rows ? "de las unidades con suma" : "de la flotilla", sum,
                           c->currency ? c->currency : "", w->priced ? " total" : "", premium);
    if (res->n_commercial || without) {
        g_string_append(text, "\nFuera de la suma:");
        if (res->n_commercial)
            g_string_append_printf(text, " %d %s a VALOR COMERCIAL%s", res->n_commercial,
                                   res->n_commercial == 1 ? "unidad" : "unidades", without ? ";" : "");
        if (without)
            g_string_append_printf(text, " %d sin suma asegurada", without);
    }
    if (no_key)
        g_string_append_printf(text, "\nVehículos sin clave de catálogo: %d (se cotizan aparte)", no_key);
    if (res->n_unidentified) {
        g_string_append_printf(text, "\nUnidades sin serie (VIN) ni placas: %d (incisos", res->n_unidentified);
        int shown = 0;
        for (int i = 0; i < c->n_rows && shown < 12; i++)
            if (export_row_unidentified(&c->rows[i]))
                g_string_append_printf(text, "%s %d", shown++ ? "," : "", res->inciso ? res->inciso[i] : i + 1);
        g_string_append_printf(text, "%s); la póliza no podrá identificarlas", res->n_unidentified > shown ? "…" : "");
    }
    if (nm)
        g_string_append_printf(text, "\nRequisitos pendientes: %s", pend->str);
    if (res->vigencia_started) {
        char vs[16];
        day(c->vigencia_start, vs, sizeof vs);
        g_string_append_printf(text, "\nAviso: la vigencia solicitada inicia el %s, antes de la fecha de emisión (%s)",
                               vs, w->issued);
    }
    int referred = w->priced ? w->quote.n_referrals : 0;
    if (flagged)
        g_string_append_printf(text, "\nFilas sombreadas (%d): vehículos sin clave de catálogo confirmada%s; su "
                                     "cotización es preliminar", flagged,
                               referred ? " o referidos (la tarifa no los cubre)" : "");
    if (res->overridden)
        g_string_append(text, "\nCOTIZACIÓN PRELIMINAR: se emitió con requisitos o claves pendientes");
    g_string_free(pend, TRUE);
    PangoLayout *l = layout(w, text->str, w->bold, PAGE_W - 2 * MARGIN, false);
    g_string_free(text, TRUE);
    double h = layout_height(l) + 12;
    if (paint) {
        cairo_set_source_rgb(w->cr, 0.12, 0.31, 0.47);
        cairo_move_to(w->cr, MARGIN, y + 4);
        cairo_line_to(w->cr, PAGE_W - MARGIN, y + 4);
        cairo_stroke(w->cr);
        cairo_set_source_rgb(w->cr, 0, 0, 0);
        draw(w, l, MARGIN, y + 8);
    }
    g_object_unref(l);
    if (w->priced)
        h += quote_block(w, y + h, paint);
    return h;
}

/* ---- the document ------------------------------------------------------------------------- */

static cairo_status_t append_bytes(void *closure, const unsigned char *data, unsigned int len)
{
    g_byte_array_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static void paginate(pdf_writer *w)
{
    const double body_top = MARGIN + HEADER_H, body_bottom = PAGE_H - MARGIN - FOOTER_H;
    int page = 0;
    double y = body_top + w->client_h + w->header_row_h;
    for (int i = 0; i < w->n_items; i++) {
        pdf_row *r = &w->rows[i];
        if (y + r->height > body_bottom && y > body_top + w->header_row_h + (page ? 0 : w->client_h)) {
            page++;
            y = body_top + w->header_row_h;
        }
        r->page = page;
        y += r->height;
    }
    if (y + w->totals_h > body_bottom)
        page++;
    w->n_pages = page + 1;
}

static void set_metadata(cairo_surface_t *s, const export_case *c, time_t at)
{
    char *title = core_strdup_printf("Cotización %s", c->cot);
    struct tm tm;
    char when[32];
    minca_err ignored = {0};   /* the zone was checked by export_check_rules */
    if (export_case_local_time(c, at, &tm, &ignored) < 0)
        gmtime_r(&at, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, "Cotización de flotilla");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Minca " MINCA_VERSION);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, when);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR, export_case_insurer_label(c));
    g_free(title);
}

/* The drawing context and its fonts, on the PDF surface. */
static void start_drawing(pdf_writer *w, cairo_surface_t *surface)
{
    w->cr = cairo_create(surface);
    w->pango = pango_cairo_create_context(w->cr);
    pango_cairo_context_set_resolution(w->pango, 72);
    /* vector output: exact glyph advances, not rounded to whole points (a VIN must fit) */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    pango_cairo_context_set_font_options(w->pango, fo);
    cairo_font_options_destroy(fo);
    w->font = pango_font_description_from_string(FONT " 8");
    w->mono = pango_font_description_from_string(FONT " Mono 7.5");
    w->bold = pango_font_description_from_string(FONT " Bold 8");
    w->small = pango_font_description_from_string(FONT " 7");
    w->title = pango_font_description_from_string(FONT " Bold 14");
}

/* What the header and the client block show: the day issued, the validity, the logo and the
 * policy period. */
static void fill_case_data(pdf_writer *w, time_t at)
{
    const export_case *c = w->c;
    struct tm tm;
    minca_err ignored = {0};   /* the zone was checked by export_check_rules */
    if (export_case_local_time(c, at, &tm, &ignored) < 0)
        gmtime_r(&at, &tm);
    strftime(w->issued, sizeof w->issued, "%d/%m/%Y", &tm);
    export_case_valid_until(c, w->valid_until);
    if (!core_str_empty(c->logo_path)) {
        w->logo = cairo_image_surface_create_from_png(c->logo_path);
        if (cairo_surface_status(w->logo) != CAIRO_STATUS_SUCCESS || cairo_image_surface_get_height(w->logo) <= 0) {
            cairo_surface_destroy(w->logo);   /* an unreadable logo: the name alone */
            w->logo = NULL;
        }
    }
    char vs[16], ve[16];
    day(c->vigencia_start, vs, sizeof vs);
    day(c->vigencia_end, ve, sizeof ve);
    if (vs[0])
        snprintf(w->vigencia, sizeof w->vigencia, "%s al %s", vs, ve[0] ? ve : "—");
}

/* The price of the case by the insurer's tariff, or why there is none. */
static void price_case(pdf_writer *w)
{
    const export_case *c = w->c;
    export_result *res = w->res;
    if (c->tariff) {
        minca_err why = {0};
        if (export_quote_price(c->tariff, c, &w->quote, &why) == 0) {
            w->priced = res->priced = true;
            res->total_cents = w->quote.total;
            res->n_referrals = w->quote.n_referrals;
            res->n_imported = w->quote.n_imported;
        } else {
            snprintf(w->unpriced, sizeof w->unpriced, "%.190s", why.msg);
        }
    } else {
        snprintf(w->unpriced, sizeof w->unpriced, "la aseguradora no tiene tarifa cargada");
    }
}

/* Every row laid out (a heading before each file's rows when there are several), the client
 * and totals blocks measured, the rows placed on pages. */
static void measure_rows(pdf_writer *w)
{
    const export_case *c = w->c;
    export_result *res = w->res;
    bool headings = res->n_spans > 1;
    w->rows = g_malloc0_n((size_t)(c->n_rows + (headings ? res->n_spans : 0) + 1), sizeof *w->rows);
    double hh = 0;
    for (int i = 0; i < N_COLS; i++) {
        PangoLayout *l = layout(w, column_header(i), w->bold, columns[i].width - 2 * CELL_PAD, columns[i].right);
        double h = layout_height(l);
        hh = h > hh ? h : hh;
        g_object_unref(l);
    }
    w->header_row_h = hh + 2 * CELL_PAD;
    for (int s = 0, i = 0; i < c->n_rows; i++) {
        if (headings && s < res->n_spans && res->spans[s].first_row == i)
            fill_heading(w, s++, &w->rows[w->n_items++]);
        fill_row(w, &c->rows[i], &w->rows[w->n_items++]);
    }
    w->client_h = client_block(w, 0, false);
    w->totals_h = totals_block(w, 0, false);
    paginate(w);
}

static void draw_pages(pdf_writer *w)
{
    const double body_top = MARGIN + HEADER_H;
    int i = 0;
    for (int page = 0; page < w->n_pages; page++) {
        page_frame(w, page);
        double y = body_top;
        if (page == 0) {
            client_block(w, y, true);
            y += w->client_h;
        }
        if (i < w->n_items || page == 0)
            y = table_header(w, y);
        for (; i < w->n_items && w->rows[i].page == page; i++) {
            table_row(w, &w->rows[i], i, y);
            y += w->rows[i].height;
            for (int k = 0; k < N_COLS; k++)
                if (w->rows[i].cell[k])
                    g_object_unref(w->rows[i].cell[k]);
        }
        if (page == w->n_pages - 1)
            totals_block(w, page == 0 || w->rows[w->n_items ? w->n_items - 1 : 0].page == page ? y : body_top,
                         true);
        cairo_show_page(w->cr);
    }
}

int export_case_write_pdf_with(const export_case *c, const export_coverage *cov,
                               const export_options *opt, export_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    if (export_check_rules(c, opt && opt->force, res, err) < 0)
        return -1;
    if (!core_str_empty(c->coverage_package) && cov && !export_coverage_find(cov, c->coverage_package))
        return minca_err_set(err, "case %s: coverage package '%s' is not in %s", c->cot, c->coverage_package,
                             cov->path);
    int rc = -1;
    GByteArray *bytes = g_byte_array_new();
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(append_bytes, bytes, PAGE_W, PAGE_H);
    cairo_pdf_surface_restrict_to_version(surface, CAIRO_PDF_VERSION_1_5);
    time_t at = c->exported_at ? c->exported_at : time(NULL);
    set_metadata(surface, c, at);
    pdf_writer w = {.c = c, .cov = cov, .res = res};
    start_drawing(&w, surface);
    fill_case_data(&w, at);
    price_case(&w);
    measure_rows(&w);
    draw_pages(&w);
    g_object_unref(w.pango);
    cairo_destroy(w.cr);
    cairo_surface_finish(surface);
    cairo_status_t st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS) {
        minca_err_set(err, "case %s: cannot write the PDF: %s", c->cot, cairo_status_to_string(st));
        goto done;
    }
    res->len = bytes->len;
    res->data = g_malloc(bytes->len ? bytes->len : 1);
    memcpy(res->data, bytes->data, bytes->len);
    core_sha256_hex(res->data, res->len, res->sha256);
    if (opt && opt->out_path) {
        char *dir = g_path_get_dirname(opt->out_path);
        int mk = core_is_dir(dir) ? 0 : core_mkdir_p(dir, 0755, err);
        g_free(dir);
        if (mk < 0 || export_write_file(opt->out_path, res->data, res->len, err) < 0)
            goto done;
        res->path = g_strdup(opt->out_path);
    }
    res->template_name = g_strdup("resumen_pdf");
    res->template_version = g_strdup("1.0");
    rc = 0;
done:
    pango_font_description_free(w.font);
    pango_font_description_free(w.mono);
    pango_font_description_free(w.bold);
    pango_font_description_free(w.small);
    pango_font_description_free(w.title);
    g_free(w.rows);
    export_quote_clear(&w.quote);
    if (w.logo)
        cairo_surface_destroy(w.logo);
    g_byte_array_unref(bytes);
    if (rc < 0) {
        g_free(res->data);
        g_free(res->path);
        g_free(res->template_name);
        g_free(res->template_version);
        res->data = NULL;
        res->path = res->template_name = res->template_version = NULL;
        res->len = 0;
    }
    return rc;
}

int export_case_write_pdf(const export_case *c, const export_options *opt, export_result *res,
                          minca_err *err)
{
    memset(res, 0, sizeof *res);
    const char *share = opt ? opt->share_dir : NULL;
    char *cpath = export_coverage_resolve(share, c->insurer);
    export_coverage *cov = NULL;
    int rc = -1;
    if (export_coverage_load(cpath, &cov, err) == 0)
        rc = export_case_write_pdf_with(c, cov, opt, res, err);
    g_free(cpath);
    export_coverage_free(cov);
    return rc;
}
