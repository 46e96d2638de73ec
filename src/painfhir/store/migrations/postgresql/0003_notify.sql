-- Notifications: what each subscriber is owed for each change, and every attempt to deliver it.
--
-- An outbox event is dispatched once: the deliveries it needs (one per Subscription that wants
-- it) are inserted and the event's `dispatched_at` set in one transaction, so an event either
-- still waits for dispatch or has all its deliveries. (The column held no value before: no
-- code wrote it, so renaming it loses nothing.)
ALTER TABLE outbox RENAME COLUMN delivered_at TO dispatched_at;
CREATE INDEX outbox_undispatched ON outbox (seq) WHERE dispatched_at IS NULL;

-- One change owed to one subscriber. A subscriber's queue is its (subscription, endpoint): each
-- queue is delivered in outbox order, one delivery at a time, so a receiver hears about the
-- steps of a referral in the order they happened. `status` is pending, delivered or dead
-- (given up after the last attempt, or impossible to build); a pending delivery is being sent
-- while `claimed_until` is in the future. `payload` is the message as first sent: a resend
-- carries the same control id, so a receiver can recognise it.
CREATE TABLE delivery (
    id              BIGSERIAL PRIMARY KEY,
    outbox_seq      BIGINT NOT NULL,
    subscription    TEXT NOT NULL,
    endpoint        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    res_type        TEXT NOT NULL,
    res_id          TEXT NOT NULL,
    version         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until   TEXT,
    payload         BYTEA,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (outbox_seq, subscription, endpoint)
);
CREATE INDEX delivery_queue ON delivery (subscription, endpoint, outbox_seq)
    WHERE status = 'pending';
CREATE INDEX delivery_due ON delivery (next_attempt_at, outbox_seq) WHERE status = 'pending';
CREATE INDEX delivery_by_status ON delivery (status, id);

-- Every attempt: when, what came of it (delivered, failed, dead) and what the receiver said.
CREATE TABLE delivery_attempt (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES delivery (id),
    attempted_at TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT
);
CREATE INDEX delivery_attempt_by_delivery ON delivery_attempt (delivery_id, id);
