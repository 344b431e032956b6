/**
 * Voice recordings: the object key layout of both upload endpoints, the admin paths that name a
 * recording, its manifest and its participant index, and the manifest and index documents built
 * from rows (so they always equal what the database holds). Pure.
 */
import { type Codec, extensionOf } from "./audio.ts";

export type Role = "user" | "assistant";

/** Returns `value` safe as one key segment: [A-Za-z0-9._-] kept, the rest percent-encoded,
 * and a segment of dots only (`.`, `..`) encoded too, so no key climbs out of its folder. */
export function keySegment(value: string): string {
  const kept = Array.from(new TextEncoder().encode(value), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
  return /^\.+$/.test(kept) ? kept.replace(/\./g, "%2E") : kept;
}

/** Returns `recordings/{device}/{yyyy}/{mm}/{dd}` for the UTC date of `recordedAt`. */
function datePrefix(deviceId: string, recordedAt: Date): string {
  const iso = recordedAt.toISOString();
  return `recordings/${keySegment(deviceId)}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${
    iso.slice(8, 10)
  }`;
}

/** Returns the key of a session turn: `recordings/{device}/{yyyy}/{mm}/{dd}/{session}/{turn:02d}_{role}.flac`. */
export function sessionTurnKey(
  deviceId: string,
  recordedAt: Date,
  sessionId: string,
  turn: number,
  role: Role,
): string {
  const t = String(turn).padStart(2, "0");
  return `${datePrefix(deviceId, recordedAt)}/${keySegment(sessionId)}/${t}_${role}.flac`;
}

/** Returns the key of an older-endpoint upload: `recordings/{device}/{yyyy}/{mm}/{dd}/{recording_id}.{ext}`. */
export function legacyKey(
  deviceId: string,
  recordedAt: Date,
  recordingId: string,
  codec: Codec,
): string {
  return `${datePrefix(deviceId, recordedAt)}/${keySegment(recordingId)}.${extensionOf(codec)}`;
}

/** Returns the admin path that streams a recording's audio. */
export const audioPath = (recordingId: string) => `/admin/recordings/${recordingId}/audio`;
/** Returns the admin path of a session's manifest. */
export const manifestPath = (sessionId: string) => `/admin/sessions/${sessionId}/recordings`;
/** Returns the admin path of a participant's index. */
export const indexPath = (participantId: string) =>
  `/admin/participants/${encodeURIComponent(participantId)}/recordings`;

/** One stored recording as the manifest needs it. */
export interface ManifestRow {
  recording_id: string;
  device_id: string;
  participant_id: string | null;
  activity_id: string | null;
  turn_number: number;
  role: Role;
  object_key: string;
  duration_ms: number;
  transcript: string | null;
  recorded_at: Date;
}

/** One side of a manifest turn (the later version's shape, plus the admin audio path). */
export interface ManifestSide {
  audio_filepath: string;
  duration_ms: number;
  text?: string;
  recording_id: string;
  audio_url: string;
}

export interface ManifestTurn {
  turn: number;
  activity_id?: string;
  user?: ManifestSide;
  assistant?: ManifestSide;
}

export interface Manifest {
  session_id: string;
  device_id: string;
  participant_id: string | null;
  started_at: string;
  turn_count: number;
  total_duration_ms: number;
  turns: ManifestTurn[];
}

/** Returns the manifest of a session from its rows (any order), or null when it has none. */
export function buildManifest(sessionId: string, rows: readonly ManifestRow[]): Manifest | null {
  if (rows.length === 0) return null;
  const sorted = [...rows].sort((a, b) =>
    a.turn_number - b.turn_number || (a.role < b.role ? 1 : a.role > b.role ? -1 : 0)
  );
  const turns: ManifestTurn[] = [];
  for (const row of sorted) {
    let turn = turns[turns.length - 1];
    if (!turn || turn.turn !== row.turn_number) {
      turn = { turn: row.turn_number };
      turns.push(turn);
    }
    if (row.activity_id !== null && turn.activity_id === undefined) {
      turn.activity_id = row.activity_id;
    }
    turn[row.role] = {
      audio_filepath: row.object_key,
      duration_ms: row.duration_ms,
      ...(row.transcript !== null ? { text: row.transcript } : {}),
      recording_id: row.recording_id,
      audio_url: audioPath(row.recording_id),
    };
  }
  const first = rows.reduce((a, b) => (b.recorded_at < a.recorded_at ? b : a));
  return {
    session_id: sessionId,
    device_id: first.device_id,
    participant_id: rows.find((r) => r.participant_id !== null)?.participant_id ?? null,
    started_at: first.recorded_at.toISOString(),
    turn_count: turns.length,
    total_duration_ms: rows.reduce((sum, r) => sum + r.duration_ms, 0),
    turns,
  };
}
