-- Event ingest creates or share-locks the play_sessions row in the same statement that inserts
-- the events (db/events.ts ingestEvents), and sessions are never deleted, so the foreign key from
-- raw_events to play_sessions only re-checked what that statement guarantees — at the price of
-- one lookup and row lock per inserted event. Measured in docs/performance.md.
alter table raw_events drop constraint raw_events_session_id_fkey;
