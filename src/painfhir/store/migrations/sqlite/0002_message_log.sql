-- The message log: every inbound message, raw, written before anything else is done with it.
-- `sending_application`, `sending_facility` and `control_id` are MSH-3, MSH-4 and MSH-10 as
-- sent; the first two are '' (not NULL) when absent, so that the unique index below still
-- catches a resend from a sender that leaves MSH-4 empty. A message without a control id
-- cannot be told apart from its resends and is never a duplicate.
CREATE TABLE message_log (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at         TEXT NOT NULL,
    channel             TEXT NOT NULL,
    remote_peer         TEXT,
    content_type        TEXT,
    sending_application TEXT NOT NULL DEFAULT '',
    sending_facility    TEXT NOT NULL DEFAULT '',
    control_id          TEXT,
    message_type        TEXT,
    raw                 BLOB NOT NULL,
    status              TEXT NOT NULL,
    duplicate_of        INTEGER REFERENCES message_log (id),
    ack_code            TEXT,
    ack                 BLOB,
    errors              BLOB,
    module              TEXT,
    output              BLOB,
    attempts            INTEGER NOT NULL DEFAULT 1,
    processed_at        TEXT
);
-- A resend is processed once: the first copy holds the (sender, control id) pair, every later
-- copy is logged with `duplicate_of` pointing at it.
CREATE UNIQUE INDEX message_log_once
    ON message_log (sending_application, sending_facility, control_id)
    WHERE duplicate_of IS NULL;
CREATE INDEX message_log_by_status ON message_log (status, id);
CREATE INDEX message_log_by_control_id ON message_log (control_id, id);
CREATE INDEX message_log_by_received ON message_log (received_at, id);
