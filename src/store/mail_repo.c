/* What became of a message handed to the pipeline by its Message-ID. */
#include "store_internal.h"
#include "minca/store_mail.h"

STORE_ROW_READER(store_mail_outcome_row, STORE_MAIL_OUTCOME_COLUMNS)

int store_mail_outcome(PGconn *c, const char *message_id, store_mail_outcome_row *out, minca_err *err)
{
    store_params p = {0};
    store_param_text(&p, message_id);
    return store_mail_outcome_row_query_one(c,
                              "SELECT m.id AS message_id, m.status, m.error, k.cot, k.status AS case_status"
                              "  FROM messages m LEFT JOIN cases k ON k.id = m.case_id"
                              " WHERE m.message_id = $1 ORDER BY m.id DESC LIMIT 1",
                              &p, out, err);
}
