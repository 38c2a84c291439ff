/* minca llm log: what was sent to the optional language model, masked as it left. */
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/llm.h"
#include "minca/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int llm_run(int argc, char **argv);

CLI_COMMAND(llm_command, {
    .name = "llm",
    .summary = "audit the optional language model: the questions sent (masked), outcomes, tokens, cost",
    .usage = "usage: minca llm log [--insurer SLUG] [--limit N] [--prompts] [--json]\n\n"
             "Lists the latest questions put to the language model for the insurer, newest first:\n"
             "what they were for, whether the cache answered, the outcome and why, tokens and cost.\n"
             "--prompts prints each prompt as it was sent (personal data already masked).\n",
    .run = llm_run,
})

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int llm_run(int argc, char **argv)
{
    const char *insurer = config_get()->insurer;
    bool json = false, prompts = false;
    int limit = 20;
    const char *action = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            insurer = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = atoi(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--prompts") == 0)
            prompts = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&llm_command, "unknown option '%s'", argv[i]);
        else if (!action)
            action = argv[i];
        else
            return cli_usage_error(&llm_command, "unexpected argument '%s'", argv[i]);
    }
    if (!action || strcmp(action, "log") != 0)
        return cli_usage_error(&llm_command, "expected 'log'");
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c) {
        fprintf(stderr, "minca llm: %s\n", err.msg);
        return 1;
    }
    store_insurer ins;
    int found = store_insurer_find(c, insurer, &ins, &err);
    json_t *rows = found > 0 ? llm_requests_json(c, ins.id, limit, &err) : NULL;
    PQfinish(c);
    if (!rows) {
        fprintf(stderr, "minca llm: %s\n", found == 0 ? cli_unknown_insurer(c, insurer) : err.msg);
        return 1;
    }
    if (json) {
        char *s = json_dumps(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        if (!llm_enabled())
            printf("(no language model is configured now: nothing is being sent)\n");
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            printf("#%lld %s %-7s %-7s%s %lld+%lld tokens, cost %.4f%s%s\n",
                   (long long)json_integer_value(json_object_get(r, "id")), str(r, "at"), str(r, "purpose"),
                   str(r, "outcome"), json_is_true(json_object_get(r, "cached")) ? " (cache)" : "",
                   (long long)json_integer_value(json_object_get(r, "prompt_tokens")),
                   (long long)json_integer_value(json_object_get(r, "completion_tokens")),
                   json_number_value(json_object_get(r, "cost")), *str(r, "note") ? ": " : "", str(r, "note"));
            if (prompts)
                printf("%s\n\n", str(r, "masked_prompt"));
        }
    }
    json_decref(rows);
    return 0;
}
