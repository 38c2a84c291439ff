/* The answer of a model is data from outside: it is checked against the schema it was asked
 * for before any field of it is read, and refused when it reads like instructions. */
#include "minca/llm.h"

#include <glib.h>
#include <math.h>
#include <string.h>

static bool type_is(const char *type, const json_t *v)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "integer") == 0)
        return json_is_integer(v) || (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v));
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(type, "null") == 0)
        return json_is_null(v);
    return false;
}

static bool type_ok(const json_t *type, const json_t *v)
{
    if (!type)
        return true;
    if (json_is_string(type))
        return type_is(json_string_value(type), v);
    size_t i;
    json_t *t;
    json_array_foreach(type, i, t) if (json_is_string(t) && type_is(json_string_value(t), v)) return true;
    return false;
}

static int check(const json_t *schema, const json_t *v, const char *path, minca_err *err)
{
    if (!json_is_object(schema))
        return 0;
    if (!type_ok(json_object_get(schema, "type"), v))
        return minca_err_set(err, "%s: wrong type", path);
    const json_t *en = json_object_get(schema, "enum");
    if (json_is_array(en)) {
        bool found = false;
        size_t i;
        json_t *x;
        json_array_foreach(en, i, x) if (json_equal(x, (json_t *)v)) found = true;
        if (!found)
            return minca_err_set(err, "%s: not one of the allowed values", path);
    }
    if (json_is_string(v)) {
        json_t *max = json_object_get(schema, "maxLength");
        if (json_is_integer(max) && (json_int_t)g_utf8_strlen(json_string_value(v), -1) > json_integer_value(max))
            return minca_err_set(err, "%s: longer than %lld characters", path, (long long)json_integer_value(max));
    }
    if (json_is_number(v)) {
        json_t *lo = json_object_get(schema, "minimum"), *hi = json_object_get(schema, "maximum");
        if (json_is_number(lo) && json_number_value(v) < json_number_value(lo))
            return minca_err_set(err, "%s: below the minimum", path);
        if (json_is_number(hi) && json_number_value(v) > json_number_value(hi))
            return minca_err_set(err, "%s: above the maximum", path);
    }
    if (json_is_array(v)) {
        json_t *lo = json_object_get(schema, "minItems"), *hi = json_object_get(schema, "maxItems");
        if (json_is_integer(lo) && (json_int_t)json_array_size(v) < json_integer_value(lo))
            return minca_err_set(err, "%s: too few items", path);
        if (json_is_integer(hi) && (json_int_t)json_array_size(v) > json_integer_value(hi))
            return minca_err_set(err, "%s: too many items", path);
        const json_t *items = json_object_get(schema, "items");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            if (check(items, x, sub, err) < 0)
                return -1;
        }
    }
    if (json_is_object(v)) {
        const json_t *props = json_object_get(schema, "properties");
        const json_t *req = json_object_get(schema, "required");
        size_t i;
        json_t *r;
        json_array_foreach(req, i, r) if (json_is_string(r) && !json_object_get(v, json_string_value(r)))
            return minca_err_set(err, "%s: '%s' is missing", path, json_string_value(r));
        bool closed = json_is_false(json_object_get(schema, "additionalProperties"));
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            const json_t *ps = props ? json_object_get(props, k) : NULL;
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            if (!ps && closed)
                return minca_err_set(err, "%s: not allowed", sub);
            if (ps && check(ps, x, sub, err) < 0)
                return -1;
        }
    }
    return 0;
}

int llm_schema_check(const json_t *schema, const json_t *value, minca_err *err)
{
    if (!value)
        return minca_err_set(err, "$: no value");
    return check(schema, value, "$", err);
}

bool llm_looks_like_instructions(const char *s)
{
    if (!s)
        return false;
    static const char *const cues[] = {
        "ignore previous", "ignore the previous", "ignore all", "ignore any", "disregard", "previous instructions",
        "system prompt", "you are now", "new instructions", "auto-accept", "auto accept", "autoaccept",
        "ignora las instrucciones", "ignora todas", "instrucciones anteriores", "olvida las instrucciones",
        "acepta automaticamente", "acepta automáticamente", "mark the case", "<script", "```",
    };
    char *fold = g_utf8_casefold(s, -1);
    bool hit = false;
    for (size_t i = 0; i < sizeof cues / sizeof cues[0] && !hit; i++)
        hit = strstr(fold, cues[i]) != NULL;
    g_free(fold);
    return hit;
}
