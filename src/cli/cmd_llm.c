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
    store_llm_request_row_list rows = {0};
    int rc = found > 0 ? llm_requests(c, ins.id, limit, &rows, &err) : -1;
    if (rc < 0) {
        fprintf(stderr, "minca llm: %s\n", found == 0 ? cli_unknown_insurer(c, insurer) : err.msg);
        store_llm_request_row_list_clear(&rows);
        PQfinish(c);
        return 1;
    }
    PQfinish(c);
    if (json) {
        json_t *js = store_llm_request_row_list_json(&rows);
        char *s = json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(js);
    } else {
        if (!llm_enabled())
            printf("(no language model is configured now: nothing is being sent)\n");
        for (size_t i = 0; i < rows.n; i++) {
            const store_llm_request_row *r = &rows.items[i];
            const char *note = r->note ? r->note : "";
            printf("#%lld %s %-7s %-7s%s %lld+%lld tokens, cost %.4f%s%s\n", r->id, r->at, r->purpose, r->outcome,
                   r->cached ? " (cache)" : "", r->prompt_tokens, r->completion_tokens, r->cost, *note ? ": " : "",
                   note);
            if (prompts)
                printf("%s\n\n", r->masked_prompt);
        }
    }
    store_llm_request_row_list_clear(&rows);
    return 0;
}
