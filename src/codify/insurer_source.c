/* Index of an insurer's active catalog as kept in storage. */
#include "internal.h"

int codify_load_insurer_index(const char *slug, codify_index **out, minca_err *err)
{
    *out = NULL;
    return minca_err_set(err, "insurer '%s': loading catalogs from the database is not available yet; "
                              "use --catalog FILE.csv", slug ? slug : "");
}
