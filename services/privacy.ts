/**
 * Data-subject rights: erase everything held under a participant id, and export it as one JSON
 * document produced page by page (never one string of the whole history).
 */
import type { Sql } from "../db/client.ts";
import {
  type AttemptPosition,
  type EngagementPosition,
  engagementSessionsOf,
  type ErasedCounts,
  eraseParticipant,
  participantModels,
  participantSessions,
  sessionsEvents,
} from "../db/privacy.ts";
import type { ObjectStore } from "../db/objects.ts";
import { participantRecordings } from "../db/recordings.ts";
import { audioPath } from "../core/recordings.ts";
import { participantDevices } from "../db/device_links.ts";
import type {
  Erasure,
  ExportedDeviceLink,
  ExportedEngagementSession,
  ExportedEvent,
  ExportedModel,
  ExportedRecording,
} from "../openapi/admin.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { toSessionSummary } from "./finalize.ts";
import { eraseParticipantRecordings } from "./recording_erasure.ts";

/**
 * Returns what the erasure of `playerId` deleted (zeros when nothing was held): its rows in one
 * transaction, then its voice recordings (objects first, then rows; a crash in between is
 * finished by the recordings' maintenance, and a retry of the erasure finishes it too).
 */
export async function erasePlayer(
  sql: Sql,
  store: ObjectStore,
  playerId: string,
  now: Date,
): Promise<Erasure> {
  const counts: ErasedCounts = await eraseParticipant(sql, playerId);
  const recordings = await eraseParticipantRecordings(sql, store, playerId, now);
  return { player_id: playerId, deleted: { ...counts, recordings } };
}

/** Rows per page: bounds what one export holds in memory at a time. */
export interface ExportPages {
  sessions: number;
  events: number;
  engagement: number;
  /** Recordings per page (default 500). */
  recordings?: number;
}

export const EXPORT_PAGE: ExportPages = {
  sessions: 500,
  events: 2000,
  engagement: 2000,
  recordings: 500,
};

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Returns the JSON array `name` with its items produced by `pages`, as text chunks. */
async function* jsonArray<T>(
  name: string,
  first: boolean,
  pages: AsyncIterable<T[]>,
): AsyncGenerator<string> {
  yield `${first ? "" : ","}${JSON.stringify(name)}:[`;
  let separator = "";
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield separator + page.map((item) => JSON.stringify(item)).join(",");
    separator = ",";
  }
  yield "]";
}

async function* sessionPages(sql: Sql, playerId: string, pages: ExportPages) {
  for (let after: string | null = null;;) {
    const rows = await participantSessions(sql, playerId, after, pages.sessions);
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1].session_id;
  }
}

async function* eventPages(
  sql: Sql,
  playerId: string,
  pages: ExportPages,
): AsyncGenerator<ExportedEvent[]> {
  for await (const sessions of sessionPages(sql, playerId, pages)) {
    const range = { first: sessions[0].session_id, last: sessions[sessions.length - 1].session_id };
    for (let after: AttemptPosition | null = null;;) {
      const rows = await sessionsEvents(sql, playerId, range, after, pages.events);
      if (rows.length === 0) break;
      yield rows.map((e) => ({
        ...e,
        ts_utc: e.ts_utc.toISOString(),
        received_at: iso(e.received_at)!,
      }));
      const last = rows[rows.length - 1];
      after = [last.session_id, last.sequence_index, last.attempt_index];
    }
  }
}

async function* engagementPages(sql: Sql, userId: string, pages: ExportPages) {
  for (let after: EngagementPosition | null = null;;) {
    const rows = await engagementSessionsOf(sql, userId, after, pages.engagement);
    if (rows.length === 0) return;
    yield rows.map(({ id: _, started_at_text: _text, ...s }): ExportedEngagementSession => ({
      ...s,
      status: s.status as ExportedEngagementSession["status"],
      started_at: s.started_at.toISOString(),
      created_at: s.created_at.toISOString(),
    }));
    after = rows[rows.length - 1];
  }
}

async function* recordingPages(
  sql: Sql,
  participantId: string,
  pages: ExportPages,
): AsyncGenerator<ExportedRecording[]> {
  const size = pages.recordings ?? 500;
  for (let after: string | null = null;;) {
    const rows = await participantRecordings(sql, participantId, after, size);
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      recording_id: r.recording_id,
      session_id: r.session_id,
      turn_number: r.turn_number,
      role: r.role,
      device_id: r.device_id,
      activity_id: r.activity_id,
      recorded_at: r.recorded_at.toISOString(),
      duration_ms: r.duration_ms,
      codec: r.codec,
      size_bytes: r.size_bytes,
      sha256: r.sha256,
      object_key: r.object_key,
      transcript: r.transcript,
      download_path: audioPath(r.recording_id),
    }));
    if (rows.length < size) return;
    after = rows[rows.length - 1].recording_id;
  }
}

async function* once<T>(page: () => Promise<T[]>): AsyncGenerator<T[]> {
  yield await page();
}

/** Returns a model row with its timestamps as ISO strings (every stored column kept). */
function exportedModel(row: Record<string, unknown>): ExportedModel {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
  ) as ExportedModel;
}

/**
 * Returns the export of everything held under `playerId` as UTF-8 chunks of one JSON document
 * `{player_id, exported_at, sessions, events, models, engagement_sessions, recordings,
 * device_links}`, read page by page
 * as the consumer pulls. The first page of sessions is read before this resolves, so an
 * unreachable database fails the request instead of truncating the document.
 */
export async function exportPlayer(
  sql: Sql,
  playerId: string,
  now: Date,
  pages: ExportPages = EXPORT_PAGE,
  registry: TaskRegistry = REGISTRY,
): Promise<ReadableStream<Uint8Array>> {
  const firstSessions = await participantSessions(sql, playerId, null, pages.sessions);
  async function* sessions() {
    let rows = firstSessions;
    while (rows.length > 0) {
      yield rows.map((s) => ({
        session_id: s.session_id,
        first_seen_at: s.first_seen_at.toISOString(),
        finalized_at: iso(s.finalized_at),
        summary: s.summary === null ? null : toSessionSummary(s.summary, registry),
      }));
      if (rows.length < pages.sessions) return;
      rows = await participantSessions(
        sql,
        playerId,
        rows[rows.length - 1].session_id,
        pages.sessions,
      );
    }
  }
  async function* document(): AsyncGenerator<string> {
    yield `{"player_id":${JSON.stringify(playerId)},"exported_at":"${now.toISOString()}",`;
    yield* jsonArray("sessions", true, sessions());
    yield* jsonArray("events", false, eventPages(sql, playerId, pages));
    yield* jsonArray(
      "models",
      false,
      once(async () =>
        (await participantModels(sql, playerId)).map((m) => exportedModel({ ...m }))
      ),
    );
    yield* jsonArray("engagement_sessions", false, engagementPages(sql, playerId, pages));
    yield* jsonArray("recordings", false, recordingPages(sql, playerId, pages));
    yield* jsonArray(
      "device_links",
      false,
      once(async () =>
        (await participantDevices(sql, playerId)).map((d): ExportedDeviceLink => ({
          device_id: d.device_id,
          session_count: d.session_count,
          first_session_at: d.first_session_at.toISOString(),
          last_session_at: d.last_session_at.toISOString(),
        }))
      ),
    );
    yield "}";
  }
  const encoder = new TextEncoder();
  return ReadableStream.from(document()).pipeThrough(
    new TransformStream<string, Uint8Array>({
      transform: (chunk, controller) => controller.enqueue(encoder.encode(chunk)),
    }),
  );
}
