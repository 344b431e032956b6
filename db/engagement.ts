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
  /** The device that sent it (device sessions; null when not named). */
  deviceId?: string | null;
  /** How it ended; an `unattended` session is kept out of the rollup (docs/engagement.md). */
  status?: SessionStatus | null;
}

/** How a device session ended. */
export type SessionStatus = "success" | "unattended" | "early_exit" | "error_exit";

/** Resolves once the user exists (created with no sessions when new). */
export async function ensureEngagementUser(sql: Sql | Tx, userId: string): Promise<void> {
  await sql`insert into engagement_users (external_id) values (${userId})
    on conflict (external_id) do nothing`;
}

/**
 * Returns, per session, true when it was new and is now stored (false: its `(source,
 * session_id)` was already there, or earlier in `sessions`, and nothing changed). One statement
 * creates new users, inserts the sessions and advances each user's `last_session_end`, so they
 * happen together or not at all; a concurrent identical insert waits and then reports false.
 */
export async function insertEngagementSessions(
  sql: Sql | Tx,
  sessions: readonly NewEngagementSession[],
): Promise<boolean[]> {
  const stored = sessions.map(() => false);
  const firsts = new Map<string, number>();
  sessions.forEach((s, i) => {
    const key = `${s.source}|${s.sessionId}`;
    if (!firsts.has(key)) firsts.set(key, i);
  });
  const input = [...firsts.values()].map((i) => ({
    ord: i,
    source: sessions[i].source,
    session_id: sessions[i].sessionId,
    user_external_id: sessions[i].userId,
    started_at: sessions[i].startedAt.toISOString(),
    duration_seconds: sessions[i].durationSeconds,
    sentiment_hundredths: sessions[i].sentimentHundredths,
    device_id: sessions[i].deviceId ?? null,
    status: sessions[i].status ?? null,
  }));
  if (input.length === 0) return stored;
  // The sessions' foreign key is checked at the end of the statement, after the user upsert.
  const rows = await sql<{ ord: number; stored: boolean }[]>`
    with input as (
      select * from jsonb_to_recordset(${sql.json(input)}) as x(ord int, source text,
        session_id text, user_external_id text, started_at timestamptz, duration_seconds int,
        sentiment_hundredths smallint, device_id text, status text)
    ),
    inserted as (
      insert into engagement_sessions (source, session_id, user_external_id, started_at,
        duration_seconds, sentiment_hundredths, device_id, status)
      select source, session_id, user_external_id, started_at, duration_seconds,
        sentiment_hundredths, device_id, status
      from input
      order by source, session_id
      on conflict (source, session_id) do nothing
      returning source, session_id
    ),
    upserted as (
      insert into engagement_users as u (external_id, last_session_end)
      select i.user_external_id,
        max(i.started_at + i.duration_seconds * interval '1 second')
          filter (where n.session_id is not null and i.status is distinct from 'unattended')
      from input i
      left join inserted n on n.source = i.source and n.session_id = i.session_id
      group by i.user_external_id
      order by i.user_external_id
      on conflict (external_id) do update
        set last_session_end = greatest(u.last_session_end, excluded.last_session_end)
        where excluded.last_session_end is not null
      returning 1
    )
    select i.ord, n.session_id is not null as stored
    from input i
    left join inserted n on n.source = i.source and n.session_id = i.session_id`;
  for (const r of rows) stored[r.ord] = r.stored;
  return stored;
}

/** Returns true when the session was new and is now stored (see `insertEngagementSessions`). */
export async function insertEngagementSession(
  sql: Sql | Tx,
  s: NewEngagementSession,
): Promise<boolean> {
  return (await insertEngagementSessions(sql, [s]))[0];
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
      and status is distinct from 'unattended'
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
