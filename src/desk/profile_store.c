/* Broker profiles in the database, and re-running a case with them. */
#include "minca/access.h"
#include "minca/profile.h"
#include "minca/desk_profile_store.h"
#include "minca/queue.h"
#include "minca/engine_steps.h"
#include "minca/store_profile.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bind_domain(PGconn *c, long long insurer_id, long long broker_id, const char *domain, minca_err *err)
{
    char *lower = g_ascii_strdown(domain, -1);
    int rc = store_profile_domain_bind(c, insurer_id, lower, broker_id, err);
    g_free(lower);
    return rc;
}

int profile_store_save(PGconn *c, long long insurer_id, const char *yaml, const char *domain, const char *author,
                       profile_saved *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (access_require(c, insurer_id, ACCESS_EDIT_PROFILE, err) < 0)
        return -1;
    profile *pr = NULL;
    if (profile_load_string(yaml, strlen(yaml), "new profile", &pr, err) < 0)
        return -1;
    const char *name = profile_name(pr);
    const char *broker_name = *profile_description(pr) ? profile_description(pr) : name;
    const char *const *domains = NULL;
    int nd = profile_domains(pr, &domains);
    long long broker_id = 0;
    int rc = -1;
    if (store_begin(c, err) < 0)
        goto done;
    if (nd > 0 || !core_str_empty(domain)) {
        if (store_profile_broker_ensure(c, insurer_id, broker_name, &broker_id, err) < 0)
            goto fail;
        for (int i = 0; i < nd; i++)
            if (bind_domain(c, insurer_id, broker_id, domains[i], err) < 0)
                goto fail;
        if (!core_str_empty(domain) && bind_domain(c, insurer_id, broker_id, domain, err) < 0)
            goto fail;
        out->broker_id = broker_id;
    }
    if (store_profile_add_version(c, insurer_id, broker_id, name, yaml, author, &out->id, &out->version, err) < 0)
        goto fail;
    char pid[32];
    snprintf(pid, sizeof pid, "%lld", out->id);
    json_t *details = json_pack("{s:s, s:i, s:s?}", "name", name, "version", out->version, "domain", domain);
    int arc = store_audit(c, insurer_id, author, "profile.save", "broker_profile", pid, details, err);
    json_decref(details);
    if (arc < 0 || store_commit(c, err) < 0)
        goto fail;
    rc = 0;
    goto done;
fail:
    store_rollback(c);
done:
    profile_free(pr);
    return rc;
}

int profile_store_list(PGconn *c, long long insurer_id, store_profile_version_list *out, minca_err *err)
{
    return store_profile_list(c, insurer_id, out, err);
}

char *profile_store_get(PGconn *c, long long insurer_id, const char *name, int *version, minca_err *err)
{
    char *yaml = NULL;
    if (store_profile_active(c, insurer_id, name, &yaml, version, err) == 0)
        minca_err_set(err, "no stored profile '%s'", name);
    return yaml;
}

int profile_store_rerun_case(PGconn *c, long long insurer_id, long long case_id, const char *user,
                             const char *batch_id, long long *job_id, minca_err *err)
{
    if (access_require(c, insurer_id, ACCESS_RERUN, err) < 0)
        return -1;
    if (store_begin(c, err) < 0)
        return -1;
    bool exported = false;
    long long broker_id = 0;
    int found = store_profile_rerun_lock_case(c, insurer_id, case_id, &exported, &broker_id, err);
    if (found < 0)
        goto fail;
    if (found == 0) {
        minca_err_set(err, "no case %lld", case_id);
        goto fail;
    }
    if (exported) {
        minca_err_set(err, "the case was exported; its rows are kept as they were sent");
        goto fail;
    }
    if (store_profile_rerun_reset(c, case_id, broker_id, err) < 0)
        goto fail;
    /* A fresh idempotency key per re-run: the earlier extract/codify jobs are done. */
    char key[96], cid[32];
    snprintf(key, sizeof key, "case:%lld:rerun:%lld", case_id, (long long)g_get_real_time());
    snprintf(cid, sizeof cid, "%lld", case_id);
    queue_enqueue_opts o = {.insurer_id = insurer_id, .idempotency_key = key, .batch_id = batch_id};
    int rc = engine_enqueue(c, &steps_extract, &(steps_case_job){.case_id = case_id}, &o, job_id, err);
    if (rc == 0)
        rc = store_audit(c, insurer_id, user, "case.rerun", "case", cid, NULL, err);
    if (rc < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}
