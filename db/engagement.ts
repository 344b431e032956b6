/** SQL of the engagement area: users, sessions and per-UTC-day aggregates. */
import type { DayAggregate } from "../core/rollup.ts";
import type { Sql, Tx } from "./client.ts";

/** Longest session the schema accepts (one day). */
export const MAX_SESSION_SECONDS = 86_400;

/** One engagement session to store. */
export interface NewEngagementSession {
  source: "device" | "earth_task";
  sessionId: string;
  userId: string;
  startedAt: Date;
  /** Whole seconds, 0..86400. */
  durationSeconds: number;
  /** Integer hundredths 0..100, or null (game sessions). */
  sentimentHundredths: number | null;
}

/** Resolves once the user exists (created with no sessions when new). */
export async function ensureEngagementUser(sql: Sql | Tx, userId: string): Promise<void> {
  await sql`insert into engagement_users (external_id) values (${userId})
    on conflict (external_id) do nothing`;
}

/**
 * Returns true when the session was new and is now stored (false: its `(source, session_id)`
 * was already there and nothing changed). One statement creates the user when new, inserts the
 * session and advances `last_session_end`, so they happen together or not at all; a concurrent
 * identical insert waits and then reports a duplicate.
 */
export async function insertEngagementSession(
  sql: Sql | Tx,
  s: NewEngagementSession,
): Promise<boolean> {
  const endedAt = new Date(s.startedAt.getTime() + s.durationSeconds * 1000);
  // The session's foreign key is checked at the end of the statement, after the user upsert.
  const rows = await sql<{ stored: boolean }[]>`
    with inserted as (
      insert into engagement_sessions
        (source, session_id, user_external_id, started_at, duration_seconds, sentiment_hundredths)
      values (${s.source}, ${s.sessionId}, ${s.userId}, ${s.startedAt}, ${s.durationSeconds},
        ${s.sentimentHundredths})
      on conflict (source, session_id) do nothing
      returning 1
    ),
    upserted as (
      insert into engagement_users as u (external_id, last_session_end)
      select ${s.userId}, case when exists (select 1 from inserted) then ${endedAt}::timestamptz end
      on conflict (external_id) do update
        set last_session_end = greatest(u.last_session_end, excluded.last_session_end)
        where excluded.last_session_end is not null
      returning 1
    )
    select exists (select 1 from inserted) as stored`;
  return rows[0].stored;
}

/**
 * Resolves once a finalized Earth Task session is recorded as an engagement session (no
 * sentiment, duration rounded and clamped to 0..86400), exactly once per session id.
 */
export async function recordGameSession(
  sql: Sql | Tx,
  s: { playerId: string; sessionId: string; startedAt: Date; durationSeconds: number },
): Promise<void> {
  const seconds = Number.isFinite(s.durationSeconds) ? Math.round(s.durationSeconds) : 0;
  await insertEngagementSession(sql, {
    source: "earth_task",
    sessionId: s.sessionId,
    userId: s.playerId,
    startedAt: s.startedAt,
    durationSeconds: Math.min(MAX_SESSION_SECONDS, Math.max(0, seconds)),
    sentimentHundredths: null,
  });
}

/** Returns the user's `last_session_end` (null: no sessions), or undefined for an unknown user. */
export async function findLastSessionEnd(
  sql: Sql | Tx,
  userId: string,
): Promise<Date | null | undefined> {
  const rows = await sql<{ last_session_end: Date | null }[]>`
    select last_session_end from engagement_users where external_id = ${userId}`;
  return rows.length === 0 ? undefined : rows[0].last_session_end;
}

/** Returns the user's per-UTC-day totals of sessions started in `[from, to)`, days ascending. */
export async function dailyAggregates(
  sql: Sql | Tx,
  userId: string,
  from: Date,
  to: Date,
): Promise<DayAggregate[]> {
  const rows = await sql<DayAggregate[]>`
    select to_char((started_at at time zone 'UTC')::date, 'YYYY-MM-DD') as day,
      count(*)::float8 as sessions,
      sum(duration_seconds)::float8 as seconds,
      coalesce(sum(sentiment_hundredths), 0)::float8 as "sentimentSum",
      count(sentiment_hundredths)::float8 as "sentimentCount"
    from engagement_sessions
    where user_external_id = ${userId} and started_at >= ${from} and started_at < ${to}
    group by 1
    order by 1`;
  return rows.map((r) => ({
    day: r.day,
    sessions: r.sessions,
    seconds: r.seconds,
    sentimentSum: r.sentimentSum,
    sentimentCount: r.sentimentCount,
  }));
}
