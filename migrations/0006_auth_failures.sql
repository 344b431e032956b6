-- Failed credentials per client and window, shared by every worker and instance (the
-- failed-credential limiter, api/ratelimit.ts). Written only when a request's credential fails.
-- Unlogged: counters are worth no WAL; a crash or failover simply starts every window afresh.
create unlogged table auth_failures (
  client text primary key,
  window_started_at timestamptz not null,
  failures integer not null check (failures > 0)
);
create index auth_failures_window_started_at on auth_failures (window_started_at);
