-- Requests are listed by arrival (requests_by_arrival) and by deadline,
-- never by creation any more: the index by creation only cost every new
-- request a write.
DROP INDEX requests_by_created;
