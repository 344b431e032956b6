-- The event ingest statement (db/events.ts ingestEvents, issue 12).
--
-- raw_events_player_idx stays: erasure (db/privacy.ts, issue 15) deletes a participant's events
-- by player_id as well as by their sessions, and without the index that delete would scan the
-- whole table while it holds the lock that stops ingest. It costs one index insertion per event
-- (measured in docs/performance.md).

-- An atomic batch ingest is one autocommitted statement that stores nothing when any of its rows
-- conflicts with what is stored. It calls this for the first such row, which rolls back what the
-- statement did (its session rows too); the detail "<row>:<status>" names the row (0-based) and
-- why: 'different', 'finalized' or 'other_player'.
create function ingest_refused(p_row integer, p_status text) returns text
language plpgsql as $$
begin
  raise exception 'the batch has a conflicting event; nothing was stored'
    using errcode = 'ETR01', detail = p_row || ':' || p_status;
end
$$;
