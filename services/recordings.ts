/**
 * Admin reads of voice recordings: a session's manifest and a participant's index, both derived
 * from the database on every read (so they always equal what it holds), and a recording's audio
 * streamed from the object store, whole or one byte range.
 */
import { contentTypeOf } from "../core/audio.ts";
import { notFound } from "../core/errors.ts";
import { parseByteRange } from "../core/byte_range.ts";
import { buildManifest, type Manifest, manifestPath } from "../core/recordings.ts";
import type { Sql } from "../db/client.ts";
import type { ObjectStore } from "../db/objects.ts";
import {
  deviceSessionRecordings,
  participantIndexRows,
  recentDeviceSessions,
  recordingById,
  type RecordingRow,
  sessionRecordings,
} from "../db/recordings.ts";
import type { ParticipantIndex } from "../openapi/recordings.ts";

/** Returns the manifest of a session, or throws 404-kind when it has no recordings. */
export async function sessionManifest(sql: Sql, sessionId: string): Promise<Manifest> {
  const manifest = buildManifest(sessionId.toLowerCase(), await sessionRecordings(sql, sessionId));
  if (manifest === null) throw notFound("No recordings for this session");
  return manifest;
}

/** Returns the recording index of a participant (zeros and no sessions for an unknown id). */
export async function participantIndex(sql: Sql, participantId: string): Promise<ParticipantIndex> {
  const rows = await participantIndexRows(sql, participantId);
  return {
    participant_id: participantId,
    session_count: rows.length,
    total_duration_ms: rows.reduce((sum, r) => sum + r.total_duration_ms, 0),
    sessions: rows.map((r) => ({
      session_id: r.session_id,
      device_id: r.device_id,
      started_at: r.started_at.toISOString(),
      manifest_path: manifestPath(r.session_id),
      turn_count: r.turn_count,
      total_duration_ms: r.total_duration_ms,
    })),
  };
}

/** How many of a device's sessions the fleet device page lists (the latest recorded). */
export const DEVICE_PAGE_SESSIONS = 5;
/** How many recordings of each of those sessions it lists (by turn, user before assistant). */
export const DEVICE_PAGE_TURNS = 50;

/** A recent session of a device with (the first of) its recordings. */
export interface DeviceSession {
  session_id: string;
  started_at: Date;
  last_at: Date;
  /** Live recordings of the session from this device (may exceed `recordings.length`). */
  recording_count: number;
  recordings: RecordingRow[];
}

/**
 * Returns the device's `DEVICE_PAGE_SESSIONS` sessions with the latest recordings (newest
 * first), each with its first `DEVICE_PAGE_TURNS` recordings: two queries, bounded.
 */
export async function deviceRecordedSessions(sql: Sql, deviceId: string): Promise<DeviceSession[]> {
  const sessions = await recentDeviceSessions(sql, deviceId, DEVICE_PAGE_SESSIONS);
  const rows = await deviceSessionRecordings(
    sql,
    deviceId,
    sessions.map((s) => s.session_id),
    DEVICE_PAGE_TURNS,
  );
  return sessions.map((s) => ({
    ...s,
    recordings: rows.filter((r) => r.session_id === s.session_id),
  }));
}

/** A recording's audio as the edge serves it. */
export interface AudioBody {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** Bytes in this answer. */
  length: number;
  /** The file's size. */
  size: number;
  /** Set for a range answer (206). */
  range: { start: number; end: number } | null;
}

/** A range outside the file: answered 416 with `Content-Range: bytes *\/{size}`. */
export interface Unsatisfiable {
  unsatisfiable: true;
  size: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Returns the audio of a recording (the range `rangeHeader` names, or all of it), or
 * `Unsatisfiable` for a range starting past its end; throws 404-kind for an unknown (or erased)
 * recording, a missing object, or (with `deviceId`) a recording of another device.
 */
export async function recordingAudio(
  sql: Sql,
  store: ObjectStore,
  recordingId: string,
  rangeHeader: string | undefined,
  { deviceId }: { deviceId?: string } = {},
): Promise<AudioBody | Unsatisfiable> {
  const row = UUID.test(recordingId) ? await recordingById(sql, recordingId) : null;
  if (!row || (deviceId !== undefined && row.device_id !== deviceId)) {
    throw notFound("No such recording");
  }
  const range = parseByteRange(rangeHeader, row.size_bytes);
  if (range === "unsatisfiable") return { unsatisfiable: true, size: row.size_bytes };
  const body = await store.get(row.object_key, range ?? undefined);
  if (body === null) throw notFound("The recording's object is missing");
  return {
    body,
    contentType: contentTypeOf(row.codec),
    length: range ? range.end - range.start + 1 : row.size_bytes,
    size: row.size_bytes,
    range,
  };
}
