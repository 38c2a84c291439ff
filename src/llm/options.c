/* llm options: the llm.* rows of the configuration, owned here and registered at start-up. */
#include "minca/core_config.h"
#include "minca/llm.h"

#include <stddef.h>

static llm_settings settings;

#define OPT(field) offsetof(llm_settings, field)

static const config_option options[] = {
    {"llm.base_url", CONFIG_STRING, NULL, "MINCA_LLM_BASE_URL", "llm.base_url", NULL, OPT(base_url), 0,
     CONFIG_OPT_URL, "(none)", "OpenAI-compatible API root of the optional language model"},
    {"llm.model", CONFIG_STRING, NULL, "MINCA_LLM_MODEL", "llm.model", NULL, OPT(model), 0, 0, "(none)",
     "model name sent with every request"},
    {"llm.api_key_env", CONFIG_STRING, "MINCA_LLM_API_KEY", NULL, "llm.api_key_env", NULL, OPT(api_key_env), 0,
     CONFIG_OPT_ENV_NAME, NULL, "environment variable holding the API key"},
    {"llm.api_key_file", CONFIG_STRING, NULL, NULL, "llm.api_key_file", NULL, OPT(api_key_file), 0, 0, "(none)",
     "or a file whose first line is the API key"},
    {"llm.timeout_seconds", CONFIG_INT, "30", NULL, "llm.timeout_seconds", "llm.timeout", OPT(timeout_seconds), 1, 0,
     NULL, "per request"},
    {"llm.max_tokens", CONFIG_INT, "800", NULL, "llm.max_tokens", NULL, OPT(max_tokens), 16, 0, NULL,
     "answer size limit"},
    {"llm.max_retries", CONFIG_INT, "3", NULL, "llm.max_retries", NULL, OPT(max_retries), 0, 0, NULL,
     "retries on 429 / 5xx"},
    {"llm.monthly_budget", CONFIG_DOUBLE, "0", NULL, "llm.monthly_budget", NULL, OPT(monthly_budget), 0, 0, NULL,
     "per insurer and calendar month, in price units; 0: unlimited"},
    {"llm.price_prompt", CONFIG_DOUBLE, "0", NULL, "llm.price_prompt", NULL, OPT(price_prompt), 0, 0, NULL,
     "price per million prompt tokens"},
    {"llm.price_completion", CONFIG_DOUBLE, "0", NULL, "llm.price_completion", NULL, OPT(price_completion), 0, 0,
     NULL, "price per million completion tokens"},
};

void llm_options_register(void)
{
    config_register(options, sizeof options / sizeof options[0], &settings, NULL);
}

const llm_settings *llm_settings_get(void) { return &settings; }

bool llm_enabled(void) { return !core_str_empty(settings.base_url) && !core_str_empty(settings.model); }
