-- Each audit record belongs to the view of one State, whose auditors
-- alone read it: the State of the request, official, roster line or alert
-- it is about, or the home State for what the node shares.
ALTER TABLE audit ADD COLUMN state TEXT NOT NULL DEFAULT '';

-- Records written before the column name their State in their bytes,
-- which do not change: the column is derived from them once.
DROP TRIGGER audit_no_update;
UPDATE audit SET state = COALESCE(CASE
    WHEN subject LIKE 'request/%@%' THEN substr(subject, instr(subject, '@') + 1)
    WHEN action = 'request.create' THEN json_extract(CAST(record AS TEXT), '$.actor_state')
    WHEN subject LIKE 'alert/%' THEN json_extract(CAST(record AS TEXT), '$.actor_state')
    WHEN action IN ('user.add', 'roster.add', 'roster.remove') THEN json_extract(CAST(record AS TEXT), '$.detail.state')
    -- token.create, token.revoke, enrolment.issue, user.disable, user.enable
    WHEN subject LIKE 'user/%' THEN (SELECT u.state FROM users u WHERE 'user/' || u.id = audit.subject)
END, (SELECT home_state FROM node WHERE id = 1), '');
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE INDEX audit_by_state ON audit(state, seq);

CREATE INDEX users_by_state ON users(state, id);
