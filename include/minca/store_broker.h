/* store_broker: brokers, the sender domains bound to them, and the broker profiles stored
 * for an insurer, as the pipeline reads and writes them (broker_repo.c). Same conventions as
 * store.h: parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: the strings of a store_profile_texts belong to it (store_profile_texts_clear).
 * Every other string is borrowed for the call only. */
#ifndef MINCA_STORE_BROKER_H
#define MINCA_STORE_BROKER_H

#include "minca/store.h"

/* *broker_id receives the broker the insurer bound domain to, 0 when none (domain NULL: none). */
int store_broker_by_domain(PGconn *c, long long insurer_id, const char *domain, long long *broker_id, minca_err *err);
/* The insurer's broker named name, created when missing. */
int store_broker_ensure(PGconn *c, long long insurer_id, const char *name, long long *broker_id, minca_err *err);
/* Binds domain (lower-cased) to the broker unless the insurer bound it already. */
int store_broker_domain_add(PGconn *c, long long insurer_id, const char *domain, long long broker_id, minca_err *err);

typedef struct store_profile_text {
    long long id;          /* broker_profiles.id */
    char *name;
    int version;
    char *yaml;
} store_profile_text;
typedef struct store_profile_texts {
    store_profile_text *items;
    int n;
} store_profile_texts;
/* The insurer's active stored profiles, by name. */
int store_broker_profiles_active(PGconn *c, long long insurer_id, store_profile_texts *out, minca_err *err);
void store_profile_texts_clear(store_profile_texts *t);

#endif
