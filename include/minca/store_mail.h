/* store_mail: what became of a message handed to the pipeline (messages and their case).
 * Same conventions as store.h: JSON results owned by the caller. */
#ifndef MINCA_STORE_MAIL_H
#define MINCA_STORE_MAIL_H

#include "minca/store.h"

/* The newest stored message whose Message-ID header is message_id, with its case:
 * [{message_id (the row id), status, error, cot, case_status}], or [] when none is stored yet.
 * New reference, or NULL with err. */
json_t *store_mail_outcome(PGconn *c, const char *message_id, minca_err *err);

#endif
