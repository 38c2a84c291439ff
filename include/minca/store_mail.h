/* store_mail: what became of a message handed to the pipeline (messages and their case).
 * Same conventions as store.h; rows typed (store_rows.h), cleared by the caller. */
#ifndef MINCA_STORE_MAIL_H
#define MINCA_STORE_MAIL_H

#include "minca/store.h"
#include "minca/store_rows.h"

/* A stored message and its case: message_id is the row id; error NULL when none; cot and
 * case_status NULL when it opened or joined no case. */
#define STORE_MAIL_OUTCOME_COLUMNS(X)                                                             \
    X(message_id, LL) X(status, TEXT) X(error, OPT_TEXT) X(cot, OPT_TEXT) X(case_status, OPT_TEXT)
STORE_ROW_TYPES(store_mail_outcome_row, STORE_MAIL_OUTCOME_COLUMNS)
/* The newest stored message whose Message-ID header is message_id, with its case, into *out
 * (zeroed first; the caller clears it with store_mail_outcome_row_clear, also on error):
 * 1 found, 0 none stored yet, -1 with err. */
int store_mail_outcome(PGconn *c, const char *message_id, store_mail_outcome_row *out, minca_err *err);

#endif
