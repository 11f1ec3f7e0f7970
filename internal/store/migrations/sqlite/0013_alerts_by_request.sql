-- An action on a request resolves its open alerts in the transaction that
-- records the action: they are found by request.
CREATE INDEX alerts_by_request ON alerts(state, request_id) WHERE acked_at = '';
