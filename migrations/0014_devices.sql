-- The companion-device fleet (issue 21): latest state and an append-only heartbeat log per
-- device, hourly summaries compacted from it, remote commands, log snapshots, and the device and
-- status of each engagement session (docs/devices.md).

-- Latest state per device: one row, upserted by every heartbeat. `last_seen` is the server's
-- receive time; `device_timestamp` is what the device said (stored, never used for freshness).
create table devices (
  device_id text primary key check (length(device_id) between 1 and 128),
  last_seen timestamptz not null,
  agent_version text not null,
  connectivity text not null check (connectivity in ('wifi', 'lte', 'offline')),
  network_interface text not null,
  -- Personal data (a home's address): only here and in the raw events (7 days).
  ip text not null,
  signal_rssi integer,
  latency_ms integer,
  agent_status text not null check (agent_status in ('ok', 'degraded', 'crashed')),
  last_session_at timestamptz,
  device_timestamp timestamptz,
  boot_time timestamptz,
  -- The newest non-null boot_time ever reported: a reboot is a change of it between heartbeats.
  known_boot_time timestamptz,
  -- Whether the latest heartbeat changed known_boot_time (returned to the statement that logs it).
  rebooted boolean not null default false,
  first_seen timestamptz not null
);
-- The fleet list: newest last_seen first (read backwards), keyset-paged by (last_seen, device_id).
create index devices_last_seen_idx on devices (last_seen, device_id);

-- Every validated heartbeat, append-only; compacted into device_hours after 2 hours (by the
-- watermark in fleet_compaction, never by updating these rows) and deleted after 7 days.
create table device_heartbeats (
  id bigint generated always as identity primary key,
  device_id text not null,
  received_at timestamptz not null,
  agent_version text not null,
  connectivity text not null,
  network_interface text not null,
  ip text not null,
  signal_rssi integer,
  latency_ms integer,
  agent_status text not null,
  last_session_at timestamptz,
  device_timestamp timestamptz,
  boot_time timestamptz,
  -- True when boot_time differs from the device's previous known boot time (decided by the
  -- upsert that stored this heartbeat, so hour boundaries play no part).
  reboot boolean not null
);
create index device_heartbeats_received_idx on device_heartbeats (received_at, id);
create index device_heartbeats_device_idx on device_heartbeats (device_id, received_at);

-- Hourly summaries: additive counters, so a chunk boundary inside an hour just adds to its row.
-- Uptime (min(count × 300, 3600) s) and the most frequent connectivity are derived on read.
create table device_hours (
  device_id text not null,
  hour timestamptz not null,
  heartbeats integer not null,
  latency_count integer not null,
  latency_sum bigint not null,
  latency_min integer,
  latency_max integer,
  wifi integer not null,
  lte integer not null,
  offline integer not null,
  ok integer not null,
  other integer not null,
  reboots integer not null,
  primary key (device_id, hour)
);
create index device_hours_hour_idx on device_hours (hour);

-- Where compaction has walked to in (received_at, id) order: one row.
create table fleet_compaction (
  singleton boolean primary key default true check (singleton),
  received_at timestamptz not null,
  id bigint not null
);
insert into fleet_compaction (received_at, id) values ('-infinity', 0);

create table device_commands (
  id uuid primary key default gen_random_uuid(),
  device_id text not null check (length(device_id) between 1 and 128),
  command_type text not null
    check (command_type in ('REBOOT', 'RESTART_SERVICE', 'UPLOAD_LOGS', 'UPDATE_NOW')),
  payload jsonb,
  status text not null default 'PENDING'
    check (status in ('PENDING', 'PICKED_UP', 'COMPLETED', 'FAILED')),
  error text,
  created_at timestamptz not null,
  picked_up_at timestamptz,
  finished_at timestamptz
);
-- The poll: the oldest pending command of one device. Pending commands are few, so an empty poll
-- is one probe into a small index.
create index device_commands_pending_idx on device_commands (device_id, created_at, id)
  where status = 'PENDING';
-- Pick-ups that may time out.
create index device_commands_picked_idx on device_commands (picked_up_at)
  where status = 'PICKED_UP';
-- A device's history, newest first.
create index device_commands_device_idx on device_commands (device_id, created_at desc, id);
create index device_commands_finished_idx on device_commands (finished_at)
  where finished_at is not null;

create table device_logs (
  id bigint generated always as identity primary key,
  device_id text not null check (length(device_id) between 1 and 128),
  log_content text not null,
  created_at timestamptz not null
);
create index device_logs_device_idx on device_logs (device_id, id desc);

-- Which device a session summary came from, and how it ended.
alter table engagement_sessions
  add column device_id text check (length(device_id) between 1 and 128),
  add column status text check (status in ('success', 'unattended', 'early_exit', 'error_exit'));
create index engagement_sessions_device_idx on engagement_sessions (device_id, user_external_id)
  where device_id is not null;
