-- Voice recordings (issue 22). One row per stored audio object; the row commits only after the
-- object is fully stored. Manifests and participant indexes are derived from these rows.
create table recordings (
  recording_id uuid primary key,
  session_id uuid not null,
  turn_number integer not null check (turn_number between 0 and 10000),
  role text not null check (role in ('user', 'assistant')),
  device_id text not null check (char_length(device_id) between 1 and 128),
  participant_id text,
  activity_id text check (char_length(activity_id) <= 100),
  -- Which endpoint stored it: session_audio (key by turn) or audio (the older one, key by id).
  endpoint text not null check (endpoint in ('session_audio', 'audio')),
  codec text not null check (codec in ('flac', 'opus')),
  object_key text not null unique,
  size_bytes bigint not null check (size_bytes > 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  recorded_at timestamptz not null,
  -- As the device gave it; the file's own duration (FLAC STREAMINFO) is kept beside it.
  duration_ms integer not null check (duration_ms >= 0),
  file_duration_ms integer,
  sample_rate integer,
  channels integer,
  bits_per_sample integer,
  duration_warning text,
  transcript text,
  created_at timestamptz not null default now(),
  -- Set when an erasure or retention took the row: hidden from every read; its object is
  -- deleted, then the row (maintenance finishes what a crash interrupted).
  erasing_since timestamptz,
  unique (session_id, turn_number, role)
);
create index recordings_participant_idx on recordings (participant_id, session_id)
  where participant_id is not null;
create index recordings_device_idx on recordings (device_id);
create index recordings_recorded_at_idx on recordings (recorded_at, recording_id);
create index recordings_erasing_idx on recordings (erasing_since) where erasing_since is not null;

-- An upload under way holds leases on its turn and on its object key (committed before the object
-- is written), so a concurrent upload of different content for the same turn is refused with 409
-- instead of overwriting the object; the orphan sweep leaves objects under a live lease alone.
create table recording_leases (
  lease_key text primary key,
  sha256 text not null,
  expires_at timestamptz not null
);
