-- Screening of requests for human rights before execution (arts. 6, 24,
-- 40(22)). screening_flags: the States whose every request a State
-- (holder) screens, flagged by its administrator, with why. screenings:
-- each screening a requested State made of a request, newest the highest
-- seq; body is casework.Screening as JSON (who, when, the grounds
-- considered, the concerns, the findings, the outcome). Both are the
-- holder's own deliberation: neither is sent to another node.
CREATE TABLE screening_flags (
    holder     TEXT NOT NULL,
    state      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    flagged_by TEXT NOT NULL,
    flagged_at TEXT NOT NULL,
    PRIMARY KEY (holder, state)
);
CREATE TABLE screenings (
    holder     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (holder, request_id, seq)
);
