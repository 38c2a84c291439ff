-- The optional language model: every request (masked prompt, outcome, tokens, cost) is kept for
-- audit and for the monthly budget; fields of a case the model suggested stay marked until a
-- person confirms them.
CREATE TABLE llm_requests (
    id                bigserial PRIMARY KEY,
    insurer_id        bigint NOT NULL REFERENCES insurers(id),
    at                timestamptz NOT NULL DEFAULT now(),
    purpose           text NOT NULL,
    model             text NOT NULL,
    prompt_sha256     text NOT NULL,
    masked_prompt     text NOT NULL,
    cached            boolean NOT NULL DEFAULT false,
    outcome           text NOT NULL CHECK (outcome IN ('ok', 'failed', 'refused')),
    http_status       int,
    attempts          int NOT NULL DEFAULT 0,
    prompt_tokens     bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    cost              numeric NOT NULL DEFAULT 0,
    note              text
);
CREATE INDEX llm_requests_month ON llm_requests (insurer_id, at);

-- field -> {"value": ..., "by": "model", "confirmed_by": null}
ALTER TABLE cases ADD COLUMN suggested jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Why the model gave no ranking for a row that needs review (its ranking itself lives in the
-- candidates: model_rank, model_reason). Never read by the codifier or its calibration.
ALTER TABLE matches ADD COLUMN model_note text;
