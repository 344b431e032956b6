/** SQL of raw event retention: delete old attempt events of finalized sessions, chunk by chunk. */
import type { Sql } from "./client.ts";

/** Where a purge has walked to in (received_at, id) order. */
export interface PurgePosition {
  /** The stored received_at as text: microseconds kept (a JS Date would round them off and the
   * walk would never move past rows stored with them). */
  received_at: string;
  /** The event id (bigint, as text). */
  id: string;
}

/** What one chunk did. */
export interface PurgeChunk {
  /** Events older than the cutoff looked at (finalized sessions or not). */
  scanned: number;
  /** Of those, the ones deleted (their session is finalized). */
  deleted: number;
  /** The last event looked at, null when none was. */
  last: PurgePosition | null;
}

/** Key of the session-level advisory lock held by the instance running the purge. */
export const RETENTION_LOCK_KEY = 727_003;

/**
 * Returns what one statement did: it looks at the next `limit` events received (server time,
 * never the client's `ts_utc`) before `cutoff` after `after` in (received_at, id) order and deletes those of finalized sessions (no
 * writer adds to or changes a finalized session, so the rows deleted are locked by nobody else).
 */
export async function purgeChunk(
  sql: Sql,
  cutoff: Date,
  after: PurgePosition | null,
  limit: number,
): Promise<PurgeChunk> {
  // `::text` first: postgres.js would send a timestamptz parameter through a JS Date (ms).
  const from = after
    ? sql`and (received_at, id) > (${after.received_at}::text::timestamptz, ${after.id}::bigint)`
    : sql``;
  const [row] = await sql<
    { scanned: number; deleted: number; last_ts: string | null; last_id: string | null }[]
  >`
    with chunk as (
      select id, session_id, received_at from raw_events
      where received_at < ${cutoff}::timestamptz ${from}
      order by received_at, id
      limit ${limit}
    ),
    gone as (
      delete from raw_events e using chunk c
      where e.id = c.id and exists (
        select 1 from play_sessions s
        where s.session_id = c.session_id and s.finalized_at is not null)
      returning e.id
    ),
    last as (select received_at, id from chunk order by received_at desc, id desc limit 1)
    select (select count(*) from chunk)::int as scanned,
      (select count(*) from gone)::int as deleted,
      (select received_at::text from last) as last_ts, (select id::text from last) as last_id`;
  return {
    scanned: row.scanned,
    deleted: row.deleted,
    last: row.last_ts === null ? null : { received_at: row.last_ts, id: row.last_id! },
  };
}

/** Returns true when this connection now holds the retention lock (false: another one does). */
export async function tryRetentionLock(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ locked: boolean }[]>`
    select pg_try_advisory_lock(${RETENTION_LOCK_KEY}) as locked`;
  return row.locked;
}

/** Resolves once this connection released the retention lock. */
export async function releaseRetentionLock(sql: Sql): Promise<void> {
  await sql`select pg_advisory_unlock(${RETENTION_LOCK_KEY})`;
}
