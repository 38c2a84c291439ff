/* store_report: checks for the business report's parameters, beside the report queries in
 * store.h (report_repo.c). */
#ifndef MINCA_STORE_REPORT_H
#define MINCA_STORE_REPORT_H

#include "minca/store.h"

/* Whether the server reads since as a timestamp (an ISO date or timestamp): 0 when it does,
 * -1 with the server's message in err when not. */
int store_report_since_check(PGconn *c, const char *since, minca_err *err);

#endif
