/* A team desk's database: migrations and the mark that makes minca_user_add create roles. */
#include <glib.h>
#include "minca/core_config.h"
#include "minca/servers.h"
#include "minca/store.h"
#include "minca/store_bootstrap.h"
#include "minca/store_team.h"

#include <stdlib.h>

int store_team_prepare(minca_err *err)
{
    if (store_servers_ensure(err) < 0)
        return -1;
    PGconn *c = PQconnectdb(servers_database_url());
    int rc = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        minca_err_set(err, "cannot connect to the team desk's PostgreSQL as its owner: %s", PQerrorMessage(c));
        goto done;
    }
    char *dir = core_path_join(config_share_dir(), "migrations");
    rc = store_migrate(c, dir, NULL, err);
    g_free(dir);
    if (rc == 0)
        rc = store_exec(c, err,
                        "INSERT INTO desk_settings (key, value) VALUES ('mode', 'team')"
                        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        0, NULL);
done:
    PQfinish(c);
    return rc;
}
