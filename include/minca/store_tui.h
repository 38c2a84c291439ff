/* store_tui: read queries the terminal desk needs beyond store.h. Same conventions: every
 * query through PQexecParams, JSON results are new references owned by the caller, NULL
 * with the reason in err on failure. */
#ifndef MINCA_STORE_TUI_H
#define MINCA_STORE_TUI_H

#include "minca/store.h"

/* One message of the insurer with its full text body, headers of interest, problems and its
 * attachments[] (ordinal, filename, content_type, size, status, error, extraction). */
json_t *store_tui_message_show(PGconn *c, long long insurer_id, long long message_id, minca_err *err);
/* Broker profiles stored for the insurer, newest version first per name: id, name, version,
 * broker, author, active, created, yaml. */
json_t *store_tui_profile_list(PGconn *c, long long insurer_id, minca_err *err);

/* A short text that changes whenever what the desk shows for the insurer changes (messages,
 * cases, profiles, and the vehicle rows and matches of case `cot` when not NULL): compared
 * between polls to refresh open panes. Written into out (NUL-terminated). */
int store_tui_change_stamp(PGconn *c, long long insurer_id, const char *cot, char *out, size_t outlen,
                           minca_err *err);

#endif
