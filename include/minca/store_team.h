/* store_team: a team desk's database, as its service account prepares it. A team desk is one
 * host's servers run by a service account; each person is a database role of their login's
 * name (peer authentication), a member of the group role minca_staff (migration 080). */
#ifndef MINCA_STORE_TEAM_H
#define MINCA_STORE_TEAM_H

#include "minca/core.h"

/* As the service account: starts the servers (store_servers_ensure), applies the migrations
 * and marks the database a team desk, so that `minca user add` creates each person's role.
 * Idempotent. */
int store_team_prepare(minca_err *err);

#endif
