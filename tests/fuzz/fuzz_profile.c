/* libFuzzer target: the profile YAML loader, then the loaded profile applied to a small
 * broker grid (normalise, regex replace, value maps, parse, compute, validate). */
#include "fuzz_common.h"

#include <glib.h>

static docs_book *grid(void)
{
    docs_grid *g = docs_grid_new("Hoja1");
    const char *hdr[] = { "No.", "Marca", "Submarca", "Año MOdelos", "Descripcion", "SERIE", "Placas",
                          "Suma Asegurada", "Paquete De Cobert", "#" };
    const char *r1[] = { "1", "FORD", "RANGER", "2019", "XL DC PK", "8afre9eu3kx923696", "EN TRAMITE",
                         "$ 450,000.00", "Amplia", "x" };
    const char *r2[] = { "2", "RAM", "700", "20I8", "", "3C6D9ZW05HT638639", "48-NH-3A", "VALOR COMERCIAL",
                         "Limitada", "" };
    const char *tot[] = { "", "TOTAL", "", "", "", "", "", "450000", "", "" };
    docs_grid_add_row(g, 0, hdr, 10);
    docs_grid_add_row(g, 0, r1, 10);
    docs_grid_add_row(g, 0, r2, 10);
    docs_grid_add_row(g, 0, tot, 10);
    docs_book *b = NULL;
    minca_err err = { 0 };
    docs_open_grid(g, NULL, &b, &err);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    profile *p = NULL;
    minca_err err = { 0 };
    if (profile_load_string((const char *)data, size, "fuzz.yaml", &p, &err) != 0)
        return 0;
    docs_book *b = grid();
    profile_result res;
    const char *headers[] = { "Marca", "SERIE" };
    profile_detect_score(p, "broker.example.mx", headers, 2, "Hoja1");
    if (b && profile_extract_book(b, p, NULL, &res, &err) == 0) {
        char *json = profile_result_json(&res, true);
        g_free(json);
        profile_result_clear(&res);
    }
    docs_close(b);
    profile_free(p);
    return 0;
}
