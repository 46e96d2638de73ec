-- When the latest attempt at processing a message began: at its arrival, then at each claim
-- for a replay or a resend. An entry still `received` long after it was attempted was left
-- by a process that died, and may be claimed again; one attempted just now is in progress.
ALTER TABLE message_log ADD COLUMN attempted_at TEXT;
UPDATE message_log SET attempted_at = received_at;
