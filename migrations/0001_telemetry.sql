-- Earth Task play telemetry: sessions, attempt events, session summaries, company registry,
-- per-player model state.

-- One row per play session, created by its first event. Its row lock serializes event ingest
-- with finalize, so an event is either part of the summary or refused with 409.
create table play_sessions (
  session_id text primary key,
  player_id text not null,
  first_seen_at timestamptz not null default now(),
  finalized_at timestamptz
);

create table raw_events (
  id bigint generated always as identity primary key,
  session_id text not null references play_sessions (session_id),
  sequence_index integer not null check (sequence_index >= 1),
  attempt_index smallint not null check (attempt_index between 1 and 3),
  player_id text not null,
  task_version text not null,
  sequence_length integer not null check (sequence_length >= 1),
  presented jsonb not null,
  input jsonb not null,
  is_correct boolean not null,
  duration_ms bigint not null check (duration_ms >= 0),
  ts_utc timestamptz not null,
  remediation_stage text not null check (remediation_stage in ('none', 'volts', 'space')),
  volts_count integer check (volts_count >= 0),
  company_id text,
  received_at timestamptz not null default now(),
  -- An attempt is identified by its session, sequence and attempt number: resends are no-ops.
  unique (session_id, sequence_index, attempt_index)
);
create index raw_events_player_idx on raw_events (player_id);

create table session_summary (
  id bigint generated always as identity primary key,
  player_id text not null,
  session_id text not null unique references play_sessions (session_id),
  task_version text not null,
  fta_level double precision not null,
  fta_strict boolean not null,
  repetition_burden double precision not null,
  earth_score_bucket smallint not null check (earth_score_bucket in (0, 5, 10)),
  company_id text,
  played_at timestamptz not null,
  n_attempts integer not null,
  created_ts_utc timestamptz not null default now()
);
-- The learner reads a player's sessions in play order; the player page lists them.
create index session_summary_player_idx on session_summary (player_id, played_at, id);
-- Company aggregates read one company's sessions by play time, never the whole table.
create index session_summary_company_idx on session_summary (company_id, played_at)
  include (player_id, fta_level, repetition_burden, earth_score_bucket);

create table company_registry (
  company_id text primary key,
  company_name text,
  dashboard_token text not null unique,
  created_ts_utc timestamptz not null default now()
);

create table model_state (
  player_id text primary key,
  trained_ts_utc timestamptz not null,
  n_samples integer not null,
  coefficients jsonb,
  intercept double precision,
  mae double precision,
  status text not null check (status in ('trained', 'insufficient_data'))
);
