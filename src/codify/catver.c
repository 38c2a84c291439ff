/* AMIS CATVER CSV loader (catalog files and the demo catalog). */
#include "internal.h"
#include "minca/core_vehicle.h"

#include "minca/core_csv.h"

#include <stdlib.h>
#include <string.h>

#define CATVER_MAX_BYTES (512u << 20)

void codify_catalog_free(codify_catalog *cat)
{
    if (!cat)
        return;
    g_free(cat->entries);
    if (cat->storage)
        g_string_chunk_free(cat->storage);
    memset(cat, 0, sizeof *cat);
}

static const char *field(char **f, int n, int i)
{
    return i >= 0 && i < n ? f[i] : NULL;
}

int codify_catalog_load_csv(const char *path, codify_catalog *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(path, CATVER_MAX_BYTES, &data, &len, err) != 0)
        return minca_err_prefix(err, "catalog");
    csv_reader *r = csv_reader_new(data, len, ',');
    GStringChunk *chunk = g_string_chunk_new(1 << 20);
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(codify_entry));
    char **f;
    int nf, rc;
    int col[7];
    static const char *const names[7] = {"MARCA", "SUBMARCA", "CVEGS", "MODELO", "DESCVEH", "TIPVEH", "TRANSMISION"};

    rc = csv_next(r, &f, &nf, err);
    if (rc <= 0) {
        if (rc == 0)
            minca_err_set(err, "%s: empty file", path);
        goto fail;
    }
    for (int i = 0; i < 7; i++) {
        col[i] = csv_header_index(f, nf, names[i]);
        if (col[i] < 0 && i < 5) {
            minca_err_set(err, "%s: header lacks column %s", path, names[i]);
            goto fail;
        }
    }
    while ((rc = csv_next(r, &f, &nf, err)) == 1) {
        if (nf == 1 && f[0][0] == '\0')
            continue;   /* blank line */
        const char *marca = field(f, nf, col[0]), *sub = field(f, nf, col[1]);
        const char *cvegs = field(f, nf, col[2]), *modelo = field(f, nf, col[3]);
        const char *desc = field(f, nf, col[4]);
        char *endp = NULL;
        long year = modelo ? strtol(modelo, &endp, 10) : 0;
        if (core_str_empty(marca) || core_str_empty(sub) || core_str_empty(cvegs) || !desc ||
            !endp || *endp || year < VEHICLE_YEAR_MIN || year > VEHICLE_YEAR_MAX || strlen(cvegs) > 7) {
            minca_err_set(err, "%s:%ld: bad row (need MARCA, SUBMARCA, CVEGS of up to 7 characters, "
                               "a 4-digit MODELO and DESCVEH)", path, csv_line(r));
            goto fail;
        }
        codify_entry e = {
            .marca = g_string_chunk_insert_const(chunk, marca),
            .submarca = g_string_chunk_insert_const(chunk, sub),
            .cvegs = g_string_chunk_insert_const(chunk, cvegs),
            .modelo = (int)year,
            .descveh = g_string_chunk_insert(chunk, desc),
            .tipveh = field(f, nf, col[5]) ? g_string_chunk_insert_const(chunk, field(f, nf, col[5])) : NULL,
            .transmision = field(f, nf, col[6]) ? g_string_chunk_insert_const(chunk, field(f, nf, col[6])) : NULL,
        };
        g_array_append_val(rows, e);
    }
    if (rc < 0) {
        minca_err_prefix(err, "%s", path);
        goto fail;
    }
    csv_reader_free(r);
    g_free(data);
    out->n_entries = rows->len;
    out->entries = (codify_entry *)g_array_free(rows, FALSE);
    out->storage = chunk;
    return 0;

fail:
    csv_reader_free(r);
    g_free(data);
    g_array_free(rows, TRUE);
    g_string_chunk_free(chunk);
    return -1;
}

int codify_index_from_csv(const char *csv_path, const char *aliases_dir, codify_index **out,
                          minca_err *err)
{
    *out = NULL;
    codify_aliases *al = NULL;
    int rc = aliases_dir ? codify_aliases_load_dir(aliases_dir, &al, err)
                         : codify_aliases_load_default(&al, err);
    if (rc != 0)
        return -1;
    codify_catalog cat;
    if (codify_catalog_load_csv(csv_path, &cat, err) != 0) {
        codify_aliases_free(al);
        return -1;
    }
    *out = codify_index_build(cat.entries, cat.n_entries, al, err);
    codify_catalog_free(&cat);
    codify_aliases_free(al);
    return *out ? 0 : -1;
}
