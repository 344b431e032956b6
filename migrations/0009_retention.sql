-- Raw event retention (issue 15, RAW_EVENT_RETENTION_DAYS): the purge walks the events older
-- than the cutoff in (ts_utc, id) order, a bounded chunk per statement, instead of scanning the
-- whole table. Client timestamps are mostly "now", so new entries land at the index's right edge.
create index raw_events_ts_idx on raw_events (ts_utc, id);
