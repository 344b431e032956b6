/** SQL of data-subject rights: erase or read page by page everything held under one id. */
import type { Sql, Tx } from "./client.ts";
import type { EventRow } from "./events.ts";
import type { ModelRow } from "./models.ts";
import { summariesByIds, type SummaryRow } from "./summaries.ts";

/** Rows one erasure removed, per kind. */
export interface ErasedCounts {
  raw_events: number;
  sessions: number;
  models: number;
  engagement_sessions: number;
  device_links: number;
}

/**
 * Takes the locks an erasure of `playerId` needs, in the order every writer takes them:
 * play_sessions in SHARE ROW EXCLUSIVE mode first (waits for every event ingest and finalize in
 * flight — they hold ROW EXCLUSIVE on it from their first statement — and holds new ones back
 * until commit), then the engagement user row (upserted, so a concurrent first insert of that
 * user is waited for as well and any later device ingest of the user queues behind it).
 */
async function lockParticipant(tx: Tx, playerId: string): Promise<void> {
  await tx`lock table play_sessions in share row exclusive mode`;
  await tx`
    insert into engagement_users as u (external_id) values (${playerId})
    on conflict (external_id) do update set external_id = u.external_id`;
}

/**
 * Returns what was removed after deleting, in one transaction, every row held under
 * `playerId`: attempt events, session summaries (the company aggregate trigger recomputes the
 * companies they counted in, in the same transaction), play sessions, models of every task,
 * engagement sessions (and with them their device links) and the engagement user of the same id.
 */
export async function eraseParticipant(sql: Sql, playerId: string): Promise<ErasedCounts> {
  return await sql.begin(async (tx) => {
    await lockParticipant(tx, playerId);
    // Pipelined (one round trip), run in the order sent; summaries go before the sessions
    // they reference.
    const [events, , sessions, models, [links], engagement] = await Promise.all([
      tx`delete from raw_events where player_id = ${playerId}
        or session_id in (select session_id from play_sessions where player_id = ${playerId})`,
      tx`delete from session_summary where player_id = ${playerId}
        or session_id in (select session_id from play_sessions where player_id = ${playerId})`,
      tx`delete from play_sessions where player_id = ${playerId}`,
      tx`delete from model_state where player_id = ${playerId}`,
      tx<{ n: number }[]>`select count(distinct device_id)::int as n from engagement_sessions
        where user_external_id = ${playerId}`,
      tx`delete from engagement_sessions where user_external_id = ${playerId}`,
      tx`delete from engagement_users where external_id = ${playerId}`,
    ]);
    return {
      raw_events: events.count,
      sessions: sessions.count,
      models: models.count,
      engagement_sessions: engagement.count,
      device_links: links.n,
    };
  });
}

/** A play session of the participant with its summary columns (null while open). */
export interface SessionExportRow {
  session_id: string;
  first_seen_at: Date;
  finalized_at: Date | null;
  summary: SummaryRow | null;
}

/** Returns up to `limit` of the participant's play sessions after `after`, by session_id. */
export async function participantSessions(
  sql: Sql,
  playerId: string,
  after: string | null,
  limit: number,
): Promise<SessionExportRow[]> {
  const rows = await sql<(Omit<SessionExportRow, "summary"> & { summary_id: number | null })[]>`
    select p.session_id, p.first_seen_at, p.finalized_at, s.id::float8 as summary_id
    from play_sessions p left join session_summary s on s.session_id = p.session_id
    where p.player_id = ${playerId} ${after === null ? sql`` : sql`and p.session_id > ${after}`}
    order by p.session_id
    limit ${limit}`;
  const summaries = await summariesByIds(sql, rows.flatMap((r) => r.summary_id ?? []));
  return rows.map(({ summary_id, ...r }) => ({
    ...r,
    summary: summary_id === null ? null : summaries.get(summary_id) ?? null,
  }));
}

/** A stored attempt event, in the shape it was posted (plus when it was stored). */
export interface EventExportRow extends Omit<EventRow, "ts_utc"> {
  ts_utc: Date;
  received_at: Date;
}

/** An attempt key: the keyset position of the event pages. */
export type AttemptPosition = [session_id: string, sequence_index: number, attempt_index: number];

/**
 * Returns up to `limit` of the participant's events in sessions `first` to `last` (by session
 * id) after `after`, in attempt-key order. The bounds let the attempt-key index return the rows
 * in order and stop at the limit (an id list was planned as a bitmap scan and a sort of every
 * event of the listed sessions, for every page).
 */
export async function sessionsEvents(
  sql: Sql,
  playerId: string,
  sessions: { first: string; last: string },
  after: AttemptPosition | null,
  limit: number,
): Promise<EventExportRow[]> {
  const from = after
    ? sql`and (session_id, sequence_index, attempt_index) > (${after[0]}, ${after[1]}, ${after[2]})`
    : sql``;
  return await sql<EventExportRow[]>`
    select player_id, session_id, task_version, sequence_index, sequence_length,
      attempt_index::int as attempt_index, presented, input, is_correct,
      duration_ms::float8 as duration_ms, ts_utc, remediation_stage, volts_count, company_id,
      received_at
    from raw_events
    where session_id >= ${sessions.first} and session_id <= ${sessions.last} ${from}
      and player_id = ${playerId}
    order by session_id, sequence_index, attempt_index
    limit ${limit}`;
}

/** Returns every model state of the participant (one per task). */
export async function participantModels(sql: Sql, playerId: string): Promise<ModelRow[]> {
  return await sql<ModelRow[]>`
    select * from model_state where player_id = ${playerId} order by trained_ts_utc`;
}

/** An engagement session as stored. */
export interface EngagementExportRow {
  id: number;
  source: "device" | "earth_task";
  session_id: string;
  started_at: Date;
  duration_seconds: number;
  sentiment_hundredths: number | null;
  device_id: string | null;
  status: string | null;
  created_at: Date;
}

/** The keyset position of the engagement pages: the stored started_at as text (microseconds
 * kept: a JS Date would round them off and never move past a row stored with them) and id. */
export interface EngagementPosition {
  started_at_text: string;
  id: number;
}

/** Returns up to `limit` engagement sessions of the user after `after`, by (started_at, id). */
export async function engagementSessionsOf(
  sql: Sql,
  userId: string,
  after: EngagementPosition | null,
  limit: number,
): Promise<(EngagementExportRow & EngagementPosition)[]> {
  // `::text` first: postgres.js would send a timestamptz parameter through a JS Date (ms).
  const from = after
    ? sql`and (started_at, id) > (${after.started_at_text}::text::timestamptz, ${after.id})`
    : sql``;
  return await sql<(EngagementExportRow & EngagementPosition)[]>`
    select id::float8 as id, source, session_id, started_at, duration_seconds,
      sentiment_hundredths, device_id, status, created_at, started_at::text as started_at_text
    from engagement_sessions
    where user_external_id = ${userId} ${from}
    order by started_at, id
    limit ${limit}`;
}
