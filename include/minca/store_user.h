/* store_user: the database session of the logged-in user, beside the users and roles in
 * store.h (user_repo.c). Same conventions as store.h: 0 / -1 with err. */
#ifndef MINCA_STORE_USER_H
#define MINCA_STORE_USER_H

#include "minca/store.h"

/* Who the connection is to the server. */
typedef struct store_session_info {
    char login[128];        /* session_user: the role that logged in */
    char acting_as[128];    /* current_user: the role whose rights apply */
    char insurers[8192];    /* the row-level security scope (minca.insurer_ids), "" when unset */
} store_session_info;
int store_session_describe(PGconn *c, store_session_info *out, minca_err *err);

#endif
