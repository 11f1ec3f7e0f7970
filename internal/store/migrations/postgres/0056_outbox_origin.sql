-- The request id (X-Request-Id) of the call that caused a message, sent
-- with each attempt to deliver it: one id then finds an official's call,
-- its deliveries and their arrival in both nodes' logs. NULL for a
-- message no call caused (a command, a timer).
ALTER TABLE outbox ADD COLUMN origin_request_id TEXT;
