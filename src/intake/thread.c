/* What ties a message to an earlier one: the ids it answers and the COT numbers it mentions. */
#include "minca/intake.h"

#include <glib.h>
#include <string.h>

/* At most this many ids of a References header are looked up (a long thread names every
 * earlier message; its newest ones are the likeliest to be known). */
#define THREAD_MAX_IDS 64
/* COT numbers are looked for in the first part of a body only: a quoted history can be long. */
#define THREAD_BODY_SCAN 65536
#define THREAD_MAX_COTS 8

static bool has_id(GPtrArray *v, const char *id)
{
    for (guint i = 0; i < v->len; i++)
        if (strcmp(g_ptr_array_index(v, i), id) == 0)
            return true;
    return false;
}

static void add_id(GPtrArray *v, const char *start, size_t len)
{
    /* "<x>" at least; an id with a line break or a space inside is no id. */
    if (len < 3 || len > 998 || v->len >= THREAD_MAX_IDS)
        return;
    for (size_t i = 0; i < len; i++)
        if (g_ascii_isspace(start[i]) || start[i] == '\0')
            return;
    char *id = g_strndup(start, len);
    if (has_id(v, id) || !g_utf8_validate(id, -1, NULL))
        g_free(id);
    else
        g_ptr_array_add(v, id);
}

char **intake_thread_ids(const intake_message *m, size_t *n)
{
    GPtrArray *v = g_ptr_array_new();
    if (m->in_reply_to)
        add_id(v, m->in_reply_to, strlen(m->in_reply_to));
    if (m->references) {
        /* The bracketed ids of References, the newest (last) first. */
        GPtrArray *refs = g_ptr_array_new();
        for (const char *p = m->references; (p = strchr(p, '<'));) {
            const char *end = strchr(p, '>');
            if (!end)
                break;
            g_ptr_array_add(refs, (gpointer)p);
            p = end + 1;
        }
        for (guint i = refs->len; i-- > 0;) {
            const char *p = g_ptr_array_index(refs, i);
            add_id(v, p, (size_t)(strchr(p, '>') - p) + 1);
        }
        g_ptr_array_free(refs, TRUE);
    }
    *n = v->len;
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}

static bool digits(const char *s, int k)
{
    for (int i = 0; i < k; i++)
        if (!g_ascii_isdigit(s[i]))
            return false;
    return true;
}

char **intake_cot_mentions(const char *text, const char *prefix, size_t *n)
{
    GPtrArray *v = g_ptr_array_new();
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t tlen = text ? strnlen(text, THREAD_BODY_SCAN) : 0;
    /* PREFIX-YYYY-NNNNNN, as store_cot_next writes it, in any letter case, not inside a longer word. */
    for (size_t i = 0; plen && i + plen + 12 <= tlen && v->len < THREAD_MAX_COTS; i++) {
        if (g_ascii_strncasecmp(text + i, prefix, plen) != 0)
            continue;
        if (i > 0 && (g_ascii_isalnum(text[i - 1]) || text[i - 1] == '-'))
            continue;
        const char *s = text + i + plen;
        if (s[0] != '-' || !digits(s + 1, 4) || s[5] != '-' || !digits(s + 6, 6))
            continue;
        if (i + plen + 12 < tlen && (g_ascii_isalnum(s[12]) || s[12] == '-'))
            continue;
        char *cot = g_strdup_printf("%s-%.4s-%.6s", prefix, s + 1, s + 6);
        if (has_id(v, cot))
            g_free(cot);
        else
            g_ptr_array_add(v, cot);
        i += plen + 11;
    }
    *n = v->len;
    g_ptr_array_add(v, NULL);
    return (char **)g_ptr_array_free(v, FALSE);
}
