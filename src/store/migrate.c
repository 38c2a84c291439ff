/* Schema migrations: numbered SQL files applied once, in order, under an advisory lock. */
#include "minca/store.h"
#include "store_internal.h"

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK_KEY "727710001"   /* pg_advisory_lock key shared by every minca */

static int is_migration_name(const char *name)
{
    size_t n = strlen(name);
    return n > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' && name[1] <= '9' &&
           name[2] >= '0' && name[2] <= '9' && name[3] == '_' && strcmp(name + n - 4, ".sql") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The migration file names of dir, sorted; *names is a GPtrArray of g_strdup'd names that frees
 * them (g_ptr_array_unref). */
static int list_migrations(const char *dir, GPtrArray **names, minca_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return minca_err_set(err, "cannot open migrations directory %s", dir);
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d)))
        if (is_migration_name(e->d_name))
            g_ptr_array_add(v, g_strdup(e->d_name));
    closedir(d);
    g_ptr_array_sort(v, by_name);
    /* The version is the name's first three digits: two files with one version would apply
     * one and refuse the other as already applied with another checksum. */
    for (guint i = 1; i < v->len; i++) {
        const char *a = g_ptr_array_index(v, i - 1), *b = g_ptr_array_index(v, i);
        if (strncmp(a, b, 3) == 0) {
            minca_err_set(err, "migrations %s and %s in %s share the version %.3s", a, b, dir, a);
            g_ptr_array_unref(v);
            return -1;
        }
    }
    *names = v;
    return 0;
}

static int apply_one(PGconn *c, const char *dir, const char *name, int *applied, minca_err *err)
{
    char *path = core_path_join(dir, name);
    char *sql = NULL;
    size_t len = 0;
    int rc = -1;
    PGresult *r = NULL;
    if (core_read_file(path, 16 << 20, &sql, &len, err) < 0)
        goto done;
    char sha[65];
    core_sha256_hex(sql, len, sha);
    char version[4] = {name[0], name[1], name[2], 0};
    const char *p1[] = {version};
    r = store_query(c, err, "SELECT checksum FROM schema_migrations WHERE version = $1::int", 1, p1);
    if (!r)
        goto done;
    if (PQntuples(r) > 0) {
        if (strcmp(PQgetvalue(r, 0, 0), sha) != 0) {
            minca_err_set(err, "migration %s was edited after it was applied (recorded checksum %.12s…, "
                               "file now %.12s…); restore the original file and put the change in a "
                               "new migration", name, PQgetvalue(r, 0, 0), sha);
            goto done;
        }
        rc = 0;
        goto done;
    }
    if (store_begin(c, err) < 0)
        goto done;
    PGresult *ex = PQexec(c, sql);   /* a migration is trusted project SQL with many statements */
    if (PQresultStatus(ex) != PGRES_COMMAND_OK && PQresultStatus(ex) != PGRES_TUPLES_OK) {
        minca_err_set(err, "migration %s failed: %s", name, PQerrorMessage(c));
        PQclear(ex);
        store_rollback(c);
        goto done;
    }
    PQclear(ex);
    const char *p2[] = {version, name, sha};
    if (store_exec(c, err, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1::int, $2, $3)",
                   3, p2) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto done;
    }
    log_info("applied migration %s", name);
    (*applied)++;
    rc = 0;
done:
    PQclear(r);
    g_free(sql);
    g_free(path);
    return rc;
}

int store_migrate(PGconn *c, const char *dir, int *applied_out, minca_err *err)
{
    GPtrArray *names = NULL;
    int applied = 0, rc = -1;
    if (list_migrations(dir, &names, err) < 0)
        return -1;
    if (store_exec(c, err, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL) < 0)
        goto done;
    if (store_exec(c, err,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   0, NULL) < 0)
        goto unlock;
    rc = 0;
    for (guint i = 0; i < names->len && rc == 0; i++)
        rc = apply_one(c, dir, g_ptr_array_index(names, i), &applied, err);
unlock:
    store_exec(c, NULL, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", 0, NULL);
done:
    g_ptr_array_unref(names);
    if (applied_out)
        *applied_out = applied;
    return rc;
}

int store_migrations_pending(PGconn *c, const char *dir, int *pending, int *unknown, minca_err *err)
{
    GPtrArray *names = NULL;
    if (list_migrations(dir, &names, err) < 0)
        return -1;
    GString *versions = g_string_new("{");
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(versions, "%s%.3s", i ? "," : "", (const char *)g_ptr_array_index(names, i));
    g_string_append_c(versions, '}');
    const char *p[] = {versions->str};
    PGresult *r = store_query(c, err,
                              "SELECT (SELECT count(*) FROM unnest($1::int[]) f(v)"
                              "         WHERE v NOT IN (SELECT version FROM schema_migrations)),"
                              "       (SELECT count(*) FROM schema_migrations WHERE version <> ALL ($1::int[]))",
                              1, p);
    g_string_free(versions, TRUE);
    g_ptr_array_unref(names);
    if (!r)
        return -1;
    *pending = store_get_int(r, 0, 0);
    if (unknown)
        *unknown = store_get_int(r, 0, 1);
    PQclear(r);
    return 0;
}
