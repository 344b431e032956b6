-- Family engagement: users, session summaries (device ingest and finalized game sessions).

create table engagement_users (
  external_id text primary key,
  -- End (started_at + duration) of the newest session ever ingested: "last seen" in O(1).
  last_session_end timestamptz,
  created_at timestamptz not null default now()
);

create table engagement_sessions (
  id bigint generated always as identity primary key,
  -- 'device' = POST /internal/ingest/session_summary; 'earth_task' = a finalized game session.
  source text not null check (source in ('device', 'earth_task')),
  session_id text not null,
  user_external_id text not null references engagement_users (external_id),
  started_at timestamptz not null,
  duration_seconds integer not null check (duration_seconds between 0 and 86400),
  -- Sentiment in exact hundredths (0.68 = 68); null for game sessions.
  sentiment_hundredths smallint check (sentiment_hundredths between 0 and 100),
  created_at timestamptz not null default now(),
  unique (source, session_id)
);
create index engagement_sessions_user_idx on engagement_sessions (user_external_id, started_at);
