-- The on-call roster of the 24/7 network (art. 41): who is alerted, when,
-- and how. A webhook's secret stays in the node's database, like its keys:
-- it is never shown again, logged or sent.
CREATE TABLE roster (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    position    INTEGER NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    address     TEXT NOT NULL,
    secret      TEXT NOT NULL DEFAULT '',
    from_at     TEXT NOT NULL DEFAULT '',
    until_at    TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX roster_by_user ON roster(user_id);

-- Alerts, written in the transaction of what raised them. escalate_at is
-- when the next step of the escalation is due ('' for none): the table is
-- its own durable queue, like the outbox.
CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    request_id  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    escalate_at TEXT NOT NULL DEFAULT '',
    acked_at    TEXT NOT NULL DEFAULT '',
    ack_ms      BIGINT NOT NULL DEFAULT 0,
    body        TEXT NOT NULL
);
CREATE INDEX alerts_due ON alerts(escalate_at) WHERE escalate_at <> '';
CREATE INDEX alerts_by_state ON alerts(state, created_at DESC, id DESC);

-- What happened to each alert, for the live feed. seq is the sequence
-- number of the event's audit record, so it follows the order of commit.
CREATE TABLE alert_events (
    seq         BIGINT PRIMARY KEY,
    alert_id    TEXT NOT NULL REFERENCES alerts(id),
    state       TEXT NOT NULL,
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX alert_events_by_state ON alert_events(state, seq);

-- Each e-mail or webhook an alert's escalation sends: written with the
-- step, sent after commit, retried at next_attempt until sent or failed.
CREATE TABLE alert_notifications (
    id            TEXT PRIMARY KEY,
    alert_id      TEXT NOT NULL REFERENCES alerts(id),
    level         INTEGER NOT NULL,
    user_id       TEXT NOT NULL DEFAULT '',
    entry_id      TEXT NOT NULL DEFAULT '',
    channel       TEXT NOT NULL,
    address       TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    body          BYTEA NOT NULL,
    created_at    TEXT NOT NULL,
    next_attempt  TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT NOT NULL DEFAULT '',
    failed_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_notifications_due ON alert_notifications(next_attempt) WHERE sent_at = '' AND failed_at = '';
CREATE INDEX alert_notifications_by_alert ON alert_notifications(alert_id);
