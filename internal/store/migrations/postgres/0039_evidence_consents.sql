-- Requests for the giving State's consent to a use its conditions bar
-- (art. 40(19), art. 36(3)), in the view of state: the receiving State
-- that asked, or the giving State that answers. Both views carry the
-- same id. items holds the receiving State's item ids and origin_items
-- the giving State's, as JSON arrays; to_state or proceedings is the
-- use asked for; status is asked, granted or refused.
CREATE TABLE evidence_consents (
    id           TEXT NOT NULL,
    state        TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    asking_state TEXT NOT NULL,
    giving_state TEXT NOT NULL,
    items        TEXT NOT NULL,
    origin_items TEXT NOT NULL,
    to_state     TEXT NOT NULL,
    proceedings  TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    status       TEXT NOT NULL,
    asked_by     TEXT NOT NULL,
    asked_at     TEXT NOT NULL,
    answered_by  TEXT NOT NULL DEFAULT '',
    answered_at  TEXT NOT NULL DEFAULT '',
    answer       TEXT NOT NULL DEFAULT '',
    conditions   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (state, id)
);
CREATE INDEX evidence_consents_by_request ON evidence_consents(state, request_id);
