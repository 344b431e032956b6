-- Hardening (issue 20).
--
-- Signed-out page sessions: sign-out writes the session's id here and every instance refuses a
-- cookie whose id is listed, until the cookie would have expired anyway (then the row is pruned).
create table session_revocations (
  session_id text primary key,
  expires_at timestamptz not null
);
create index session_revocations_expiry_idx on session_revocations (expires_at);

-- Raw-event retention walks by the server's receive time, never the client's clock (a session
-- played offline years ago and uploaded today is today's); the ts_utc index of 0009 served only it.
create index raw_events_received_idx on raw_events (received_at, id);
drop index raw_events_ts_idx;
