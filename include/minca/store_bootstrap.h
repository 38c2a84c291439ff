/* store_bootstrap: what the store needs of a database server before any connection to the
 * application's database: the database and the application's login role (on the embedded
 * cluster, which starts empty), and the server's durability setting. The servers module
 * starts and stops the servers and knows nothing of SQL; these functions do the SQL. */
#ifndef MINCA_STORE_BOOTSTRAP_H
#define MINCA_STORE_BOOTSTRAP_H

#include "minca/core.h"

#include <stddef.h>

/* Starts the servers that are needed (servers_ensure) and, on a freshly started embedded
 * cluster, creates the database and role with store_bootstrap_database. The usual first step
 * of anything that connects. */
int store_servers_ensure(minca_err *err);

/* Creates the database "minca" (UTF8) when missing and makes sure the application's login
 * role minca_app exists as an ordinary role (login, not superuser, no row-level security
 * bypass). admin_conninfo: the cluster owner's login to the maintenance database. Safe when
 * two processes do it at once. A servers_bootstrap_fn (servers.h). */
int store_bootstrap_database(const char *admin_conninfo, minca_err *err);

/* The server's fsync setting ("on" / "off") into out, as the server has it; "" when it
 * cannot be read. */
void store_server_fsync(const char *conninfo, char *out, size_t outlen);

#endif
