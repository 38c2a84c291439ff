/* manual: messages composed at the desk (`minca mail add`, `m` in the Inbox) handed to the
 * same pipeline as any other source. The caller gives the composed bytes; each is known by
 * its Message-ID. */
#include <glib.h>
#include "intake_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct manual_state {
    const intake_item *items;
    size_t n, next;
} manual_state;

static int manual_open(const intake_source_args *args, void **state, minca_err *err)
{
    manual_state *m = g_malloc0_n(1, sizeof *m);
    m->items = args->items;
    m->n = args->n_items;
    *state = m;
    return 0;
}

static int manual_next(void *state, intake_item *item, minca_err *err)
{
    manual_state *m = state;
    if (m->next >= m->n)
        return 0;
    const intake_item *src = &m->items[m->next++];
    item->data = g_malloc(src->len + 1);
    memcpy(item->data, src->data, src->len);
    item->data[src->len] = '\0';
    item->len = src->len;
    item->source_id = src->source_id ? g_strdup(src->source_id) : NULL;
    item->origin = g_strdup(src->origin ? src->origin : "desk");
    return 1;
}

static long manual_count(void *state) { return (long)((manual_state *)state)->n; }

static void manual_close(void *state) { g_free(state); }

const intake_source_ops intake_source_manual_ops = {
    .kind = "manual",
    .summary = "typed in at the desk (minca mail add, m in the Inbox)",
    .example = "(not configured: minca mail add, or m in the Inbox)",
    .open = manual_open,
    .next = manual_next,
    .count = manual_count,
    .close = manual_close,
};
