-- An atomic batch ingest (db/events.ts ingestEvents with `atomic`) is one autocommitted
-- statement. When a concurrent writer hides one of its rows from it after it stored others, it
-- calls this to fail as a whole (nothing stored); the service then retries the batch in a
-- transaction. SQLSTATE 40001 (serialization_failure) says exactly that: retry.
create function ingest_raced() returns text
language plpgsql as $$
begin
  raise exception 'a concurrent writer raced this batch; nothing was stored'
    using errcode = '40001';
end
$$;
