-- A Microsoft Graph source's change-notification subscription: its id and expiry (renewed
-- before it), and the last lifecycle notification Graph sent about it (reauthorizationRequired,
-- subscriptionRemoved, missed) with when it came and whether it was acted on.
ALTER TABLE intake_sources ADD COLUMN subscription_id text;
ALTER TABLE intake_sources ADD COLUMN subscription_expires_at timestamptz;
ALTER TABLE intake_sources ADD COLUMN subscription_error text;
ALTER TABLE intake_sources ADD COLUMN lifecycle_event text;
ALTER TABLE intake_sources ADD COLUMN lifecycle_at timestamptz;
ALTER TABLE intake_sources ADD COLUMN lifecycle_pending boolean NOT NULL DEFAULT false;
