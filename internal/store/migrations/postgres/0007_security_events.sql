-- Refusals of calls that proved nothing (unreadable or unsigned envelopes,
-- envelopes whose signature does not verify, unknown tokens). Unlike the
-- audit log, which only grows, this table is capped: the node deletes its
-- oldest rows, so that no one on the network can fill its disk. A sender
-- is only what the envelope claimed, never a State's act.
CREATE TABLE security_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              TEXT NOT NULL,
    kind            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    source          TEXT NOT NULL,
    claimed_sender  TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
