-- Each audit record belongs to the view of one State, whose auditors
-- alone read it: the State of the request, official, roster line or alert
-- it is about, or the home State for what the node shares.
ALTER TABLE audit ADD COLUMN state TEXT NOT NULL DEFAULT '';

-- Records written before the column name their State in their bytes,
-- which do not change: the column is derived from them once.
ALTER TABLE audit DISABLE TRIGGER audit_no_change;
UPDATE audit SET state = COALESCE(CASE
    WHEN subject LIKE 'request/%@%' THEN split_part(subject, '@', 2)
    WHEN action = 'request.create' THEN convert_from(record, 'UTF8')::jsonb ->> 'actor_state'
    WHEN subject LIKE 'alert/%' THEN convert_from(record, 'UTF8')::jsonb ->> 'actor_state'
    WHEN action IN ('user.add', 'roster.add', 'roster.remove') THEN convert_from(record, 'UTF8')::jsonb -> 'detail' ->> 'state'
    -- token.create, token.revoke, enrolment.issue, user.disable, user.enable
    WHEN subject LIKE 'user/%' THEN (SELECT u.state FROM users u WHERE 'user/' || u.id = audit.subject)
END, (SELECT home_state FROM node WHERE id = 1), '');
ALTER TABLE audit ENABLE TRIGGER audit_no_change;
CREATE INDEX audit_by_state ON audit(state, seq);

CREATE INDEX users_by_state ON users(state, id);
