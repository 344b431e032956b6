/**
 * SQL of voice recordings: the row written after its object is stored, the leases of uploads
 * under way, the manifest and index reads (aggregated here), and the two-step removal (a row is
 * marked `erasing_since`, its object deleted, then the row) that erasure, device erasure and
 * retention share.
 */
import type { Codec } from "../core/audio.ts";
import type { Role } from "../core/recordings.ts";
import { type Sql, textArray, type Tx } from "./client.ts";

/** A stored recording as the database holds it. */
export interface RecordingRow {
  recording_id: string;
  session_id: string;
  turn_number: number;
  role: Role;
  device_id: string;
  participant_id: string | null;
  activity_id: string | null;
  endpoint: "session_audio" | "audio";
  codec: Codec;
  object_key: string;
  size_bytes: number;
  sha256: string;
  recorded_at: Date;
  duration_ms: number;
  file_duration_ms: number | null;
  sample_rate: number | null;
  channels: number | null;
  bits_per_sample: number | null;
  duration_warning: string | null;
  transcript: string | null;
}

/** A recording to remove: its id and object key. */
export interface DoomedRecording {
  recording_id: string;
  object_key: string;
}

const COLUMNS = [
  "recording_id",
  "session_id",
  "turn_number",
  "role",
  "device_id",
  "participant_id",
  "activity_id",
  "endpoint",
  "codec",
  "object_key",
  "size_bytes",
  "sha256",
  "recorded_at",
  "duration_ms",
  "file_duration_ms",
  "sample_rate",
  "channels",
  "bits_per_sample",
  "duration_warning",
  "transcript",
] as const;

function selected(sql: Sql | Tx) {
  return sql`recording_id::text, session_id::text, turn_number, role, device_id, participant_id,
    activity_id, endpoint, codec, object_key, size_bytes::float8 as size_bytes, sha256,
    recorded_at, duration_ms, file_duration_ms, sample_rate, channels, bits_per_sample,
    duration_warning, transcript`;
}

/** Returns the live recording of a turn (session, turn, role), or null. */
export async function recordingOfTurn(
  sql: Sql,
  sessionId: string,
  turn: number,
  role: Role,
): Promise<RecordingRow | null> {
  const [row] = await sql<RecordingRow[]>`
    select ${selected(sql)} from recordings
    where session_id = ${sessionId}::uuid and turn_number = ${turn} and role = ${role}
      and erasing_since is null`;
  return row ?? null;
}

/** Returns a live recording by id, or null. */
export async function recordingById(sql: Sql, recordingId: string): Promise<RecordingRow | null> {
  const [row] = await sql<RecordingRow[]>`
    select ${selected(sql)} from recordings
    where recording_id = ${recordingId}::uuid and erasing_since is null`;
  return row ?? null;
}

class LeaseRefused extends Error {}

/**
 * Returns true when every lease of `keys` is now held for `sha256` until `expiresAt`: a key
 * free, expired or already held for the same content is taken; one held for other content is
 * not, and then none is (all or nothing).
 */
export async function takeLeases(
  sql: Sql,
  keys: readonly string[],
  sha256: string,
  now: Date,
  expiresAt: Date,
): Promise<boolean> {
  return await sql.begin(async (tx) => {
    const taken = await tx`
      insert into recording_leases as l (lease_key, sha256, expires_at)
      select k, ${sha256}, ${expiresAt} from unnest(${textArray(tx, keys)}) as k
      on conflict (lease_key) do update set sha256 = excluded.sha256,
        expires_at = excluded.expires_at
      where l.expires_at < ${now} or l.sha256 = excluded.sha256
      returning lease_key`;
    if (taken.length === keys.length) return true;
    throw new LeaseRefused(); // rolls back the leases this statement did take
  }).catch((err) => {
    if (err instanceof LeaseRefused) return false;
    throw err;
  });
}

/** Resolves once the leases of `keys` held for `sha256` are released. */
export async function releaseLeases(
  sql: Sql | Tx,
  keys: readonly string[],
  sha256: string,
): Promise<void> {
  await sql`delete from recording_leases
    where lease_key = any(${textArray(sql, keys)}) and sha256 = ${sha256}`;
}

/**
 * Returns the inserted row, or null when a row already holds its id, object key or turn; the
 * leases of `leaseKeys` are released in the same transaction.
 */
export async function insertRecording(
  sql: Sql,
  row: RecordingRow,
  leaseKeys: readonly string[],
): Promise<RecordingRow | null> {
  return await sql.begin(async (tx) => {
    const values = Object.fromEntries(COLUMNS.map((c) => [c, row[c]]));
    const [inserted] = await tx<RecordingRow[]>`
      insert into recordings ${tx(values, COLUMNS)}
      on conflict do nothing
      returning ${selected(tx as unknown as Sql)}`;
    await releaseLeases(tx, leaseKeys, row.sha256);
    return inserted ?? null;
  });
}

/** Returns the live recordings of a session (for its manifest), by turn and role. */
export async function sessionRecordings(sql: Sql, sessionId: string): Promise<RecordingRow[]> {
  return await sql<RecordingRow[]>`
    select ${selected(sql)} from recordings
    where session_id = ${sessionId}::uuid and erasing_since is null
    order by turn_number, role desc`;
}

/** A recent session of a device, with how many live recordings it holds (for the fleet page). */
export interface DeviceSessionRow {
  session_id: string;
  started_at: Date;
  last_at: Date;
  recording_count: number;
}

/** Returns the device's `limit` sessions with the latest recordings, newest first. */
export async function recentDeviceSessions(
  sql: Sql,
  deviceId: string,
  limit: number,
): Promise<DeviceSessionRow[]> {
  return await sql<DeviceSessionRow[]>`
    select session_id::text, min(recorded_at) as started_at, max(recorded_at) as last_at,
      count(*)::int as recording_count
    from recordings
    where device_id = ${deviceId} and erasing_since is null
    group by session_id
    order by max(recorded_at) desc, session_id
    limit ${limit}`;
}

/**
 * Returns the device's live recordings of the given sessions, at most `perSession` of each, by
 * turn and role (user first); recordings of those sessions from another device are left out.
 */
export async function deviceSessionRecordings(
  sql: Sql,
  deviceId: string,
  sessionIds: readonly string[],
  perSession: number,
): Promise<RecordingRow[]> {
  if (sessionIds.length === 0) return [];
  return await sql<RecordingRow[]>`
    select ${selected(sql)} from (
      select *, row_number() over (partition by session_id order by turn_number, role desc) as n
      from recordings
      where device_id = ${deviceId} and erasing_since is null
        and session_id = any(${textArray(sql, sessionIds)}::uuid[])
    ) ranked
    where n <= ${perSession}
    order by session_id, turn_number, role desc`;
}

/** One session of a participant's index, aggregated in SQL. */
export interface IndexSessionRow {
  session_id: string;
  device_id: string;
  started_at: Date;
  turn_count: number;
  total_duration_ms: number;
}

/** Returns the participant's sessions with their turn counts and durations, by start. */
export async function participantIndexRows(
  sql: Sql,
  participantId: string,
): Promise<IndexSessionRow[]> {
  return await sql<IndexSessionRow[]>`
    select session_id::text, min(device_id) as device_id, min(recorded_at) as started_at,
      count(distinct turn_number)::int as turn_count,
      sum(duration_ms)::float8 as total_duration_ms
    from recordings
    where participant_id = ${participantId} and erasing_since is null
    group by session_id
    order by min(recorded_at), session_id`;
}

/** Returns a page of the participant's live recordings after `after` (by id), for the export. */
export async function participantRecordings(
  sql: Sql,
  participantId: string,
  after: string | null,
  limit: number,
): Promise<RecordingRow[]> {
  const from = after === null ? sql`` : sql`and recording_id > ${after}::uuid`;
  return await sql<RecordingRow[]>`
    select ${selected(sql)} from recordings
    where participant_id = ${participantId} and erasing_since is null ${from}
    order by recording_id limit ${limit}`;
}

/** Returns the recordings of a participant, now marked for removal (with those marked before). */
export async function markParticipantRecordings(
  sql: Sql,
  participantId: string,
  now: Date,
): Promise<DoomedRecording[]> {
  return await sql<DoomedRecording[]>`
    update recordings set erasing_since = coalesce(erasing_since, ${now})
    where participant_id = ${participantId}
    returning recording_id::text, object_key`;
}

/** Returns the recordings of a device, now marked for removal (with those marked before). */
export async function markDeviceRecordings(
  sql: Sql,
  deviceId: string,
  now: Date,
): Promise<DoomedRecording[]> {
  return await sql<DoomedRecording[]>`
    update recordings set erasing_since = coalesce(erasing_since, ${now})
    where device_id = ${deviceId}
    returning recording_id::text, object_key`;
}

/** Returns up to `limit` live recordings recorded before `cutoff`, now marked for removal. */
export async function markRecordingsBefore(
  sql: Sql,
  cutoff: Date,
  limit: number,
  now: Date,
): Promise<DoomedRecording[]> {
  return await sql<DoomedRecording[]>`
    update recordings set erasing_since = ${now}
    where recording_id in (
      select recording_id from recordings
      where recorded_at < ${cutoff} and erasing_since is null
      order by recorded_at, recording_id limit ${limit}
      for update skip locked)
    returning recording_id::text, object_key`;
}

/** Returns up to `limit` recordings marked for removal before `before` (an interrupted one). */
export async function markedRecordings(
  sql: Sql,
  before: Date,
  limit: number,
): Promise<DoomedRecording[]> {
  return await sql<DoomedRecording[]>`
    select recording_id::text, object_key from recordings
    where erasing_since is not null and erasing_since <= ${before}
    order by erasing_since, recording_id limit ${limit}`;
}

/** Returns how many of the marked rows `ids` were deleted. */
export async function deleteMarkedRecordings(sql: Sql, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const gone = await sql`
    delete from recordings
    where recording_id = any(${textArray(sql, ids)}::uuid[]) and erasing_since is not null`;
  return gone.count;
}

/** Returns which of `keys` a recording row (live or being removed) holds. */
export async function keysWithRows(sql: Sql, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql<{ object_key: string }[]>`
    select object_key from recordings where object_key = any(${textArray(sql, keys)})`;
  return new Set(rows.map((r) => r.object_key));
}

/** Returns which of the lease keys `keys` are held and unexpired at `now`. */
export async function liveLeases(
  sql: Sql,
  keys: readonly string[],
  now: Date,
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await sql<{ lease_key: string }[]>`
    select lease_key from recording_leases
    where lease_key = any(${textArray(sql, keys)}) and expires_at >= ${now}`;
  return new Set(rows.map((r) => r.lease_key));
}

/** Returns how many expired leases were deleted. */
export async function deleteExpiredLeases(sql: Sql, now: Date): Promise<number> {
  return (await sql`delete from recording_leases where expires_at < ${now}`).count;
}

/** Returns the number and total size of live recordings (for /metrics-free checks and tests). */
export async function recordingTotals(sql: Sql): Promise<{ count: number; bytes: number }> {
  const [row] = await sql<{ count: number; bytes: number }[]>`
    select count(*)::int as count, coalesce(sum(size_bytes), 0)::float8 as bytes
    from recordings where erasing_since is null`;
  return row;
}
