-- The conditions that bind an item of evidence (art. 40(19), (20),
-- (27), art. 36), in the view of state: at the State that gave it,
-- those it set; at the State that received it, those its offer carried
-- and those set later on the answer covering it, one row each time
-- conditions were added, so that an item sent before the answer's
-- conditions is bound by them from the moment they arrive. source says
-- where they came from: item, offer, answer or consent.
CREATE TABLE evidence_conditions (
    state      TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    source     TEXT NOT NULL,
    conditions TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (state, item_id, seq)
);
