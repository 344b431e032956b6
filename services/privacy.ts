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
import { participantDevices } from "../db/device_links.ts";
import type {
  Erasure,
  ExportedDeviceLink,
  ExportedEngagementSession,
  ExportedEvent,
  ExportedModel,
} from "../openapi/admin.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { toSessionSummary } from "./finalize.ts";

/** Returns what the erasure of `playerId` deleted (zeros when nothing was held). */
export async function erasePlayer(sql: Sql, playerId: string): Promise<Erasure> {
  const deleted: ErasedCounts = await eraseParticipant(sql, playerId);
  return { player_id: playerId, deleted };
}

/** Rows per page: bounds what one export holds in memory at a time. */
export interface ExportPages {
  sessions: number;
  events: number;
  engagement: number;
}

export const EXPORT_PAGE: ExportPages = { sessions: 500, events: 2000, engagement: 2000 };

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
 * `{player_id, exported_at, sessions, events, models, engagement_sessions, device_links}`, read page by page
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
