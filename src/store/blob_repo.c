#include <glib.h>
#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_blob_put(PGconn *c, const void *data, size_t len, char *sha_out, minca_err *err)
{
    char sha[65], size[32];
    core_sha256_hex(data, len, sha);
    snprintf(size, sizeof size, "%zu", len);
    const char *params[] = {sha, size, (const char *)data};
    int lengths[] = {0, 0, (int)len};
    int formats[] = {0, 0, 1};
    if (len > 512u * 1024 * 1024)
        return minca_err_set(err, "blob of %zu bytes is above the 512 MB limit", len);
    PGresult *r = PQexecParams(c,
                               "INSERT INTO blobs (sha256, size, data) VALUES ($1, $2::bigint, $3) "
                               "ON CONFLICT (sha256) DO NOTHING",
                               3, NULL, params, lengths, formats, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = minca_err_set(err, "cannot store blob: %s", PQerrorMessage(c));
    PQclear(r);
    if (rc == 0 && sha_out)
        memcpy(sha_out, sha, 65);
    return rc;
}

int store_blob_get(PGconn *c, const char *sha256, char **data, size_t *len, minca_err *err)
{
    *data = NULL;
    *len = 0;
    const char *params[] = {sha256};
    PGresult *r = PQexecParams(c, "SELECT data FROM blobs WHERE sha256 = $1", 1, NULL, params, NULL,
                               NULL, 1);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = minca_err_set(err, "cannot read blob %s: %s", sha256, PQerrorMessage(c));
    else if (PQntuples(r) == 0)
        rc = minca_err_set(err, "blob %s not found", sha256);
    else {
        int n = PQgetlength(r, 0, 0);
        *data = g_malloc((size_t)n + 1);
        memcpy(*data, PQgetvalue(r, 0, 0), (size_t)n);
        (*data)[n] = '\0';
        *len = (size_t)n;
    }
    PQclear(r);
    return rc;
}
