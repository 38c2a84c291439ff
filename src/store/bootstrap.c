/* The database and role on a fresh embedded cluster, and the server's durability setting.
 * The servers module calls store_bootstrap_database back under its lock (servers_ensure), so
 * starting the servers and creating what lives in them stay in one step without the servers
 * module writing SQL. */
#include "minca/servers.h"
#include "minca/store_bootstrap.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#define APP_ROLE "minca_app"     /* the application's database login (see migration 050) */

int store_servers_ensure(minca_err *err)
{
    return servers_ensure(store_bootstrap_database, err);
}

int store_bootstrap_database(const char *admin_conninfo, minca_err *err)
{
    PGconn *c = PQconnectdb(admin_conninfo);
    int rc = 0;
    if (PQstatus(c) != CONNECTION_OK) {
        rc = minca_err_set(err, "cannot connect to the embedded PostgreSQL: %s", PQerrorMessage(c));
        goto done;
    }
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'minca'");
    bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    PQclear(r);
    if (!exists) {
        r = PQexec(c, "CREATE DATABASE minca ENCODING 'UTF8' TEMPLATE template0");
        /* A concurrent minca may have created it a moment ago: that is fine. */
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !strstr(PQerrorMessage(c), "already exists"))
            rc = minca_err_set(err, "cannot create database minca: %s", PQerrorMessage(c));
        PQclear(r);
    }
    /* The application's login role: ordinary, owning nothing (migration 050 grants it rows). */
    if (rc == 0) {
        r = PQexec(c, "DO $$ BEGIN"
                      "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" APP_ROLE "') THEN"
                      "    CREATE ROLE " APP_ROLE " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;"
                      "  ELSE ALTER ROLE " APP_ROLE " LOGIN NOSUPERUSER NOBYPASSRLS; END IF;"
                      " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = minca_err_set(err, "cannot create the application role %s: %s", APP_ROLE, PQerrorMessage(c));
        PQclear(r);
    }
done:
    PQfinish(c);
    return rc;
}

void store_server_fsync(const char *conninfo, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, "SELECT current_setting('fsync')");
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    PQfinish(c);
}
