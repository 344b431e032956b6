/**
 * SQL of fleet maintenance, one bounded chunk per statement: compact raw heartbeats into hourly
 * summaries (walking a watermark, never updating the raw rows), delete old raw heartbeats,
 * hourly summaries and finished commands, and fail commands picked up too long ago.
 */
import type { Sql } from "./client.ts";

/** Key of the session-level advisory lock held by the instance running fleet maintenance. */
export const FLEET_LOCK_KEY = 727_021;

/**
 * Returns how many heartbeats one statement compacted: the next `limit` after the watermark
 * received before `before`, added to their device-hours (counters only, so an hour split across
 * chunks adds up), with the watermark moved past them in the same statement.
 */
export async function compactChunk(sql: Sql, before: Date, limit: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    with mark as (select received_at, id from fleet_compaction for update),
    chunk as (
      select e.* from device_heartbeats e, mark m
      where (e.received_at, e.id) > (m.received_at, m.id) and e.received_at < ${before}
      order by e.received_at, e.id
      limit ${limit}
    ),
    summed as (
      insert into device_hours as h (device_id, hour, heartbeats, latency_count, latency_sum,
        latency_min, latency_max, wifi, lte, offline, ok, other, reboots)
      select device_id, date_trunc('hour', received_at, 'UTC'), count(*), count(latency_ms),
        coalesce(sum(latency_ms), 0), min(latency_ms), max(latency_ms),
        count(*) filter (where connectivity = 'wifi'),
        count(*) filter (where connectivity = 'lte'),
        count(*) filter (where connectivity = 'offline'),
        count(*) filter (where agent_status = 'ok'),
        count(*) filter (where agent_status <> 'ok'),
        count(*) filter (where reboot)
      from chunk
      group by 1, 2
      order by 1, 2
      on conflict (device_id, hour) do update set
        heartbeats = h.heartbeats + excluded.heartbeats,
        latency_count = h.latency_count + excluded.latency_count,
        latency_sum = h.latency_sum + excluded.latency_sum,
        latency_min = least(h.latency_min, excluded.latency_min),
        latency_max = greatest(h.latency_max, excluded.latency_max),
        wifi = h.wifi + excluded.wifi, lte = h.lte + excluded.lte,
        offline = h.offline + excluded.offline, ok = h.ok + excluded.ok,
        other = h.other + excluded.other, reboots = h.reboots + excluded.reboots
      returning 1
    ),
    last as (select received_at, id from chunk order by received_at desc, id desc limit 1),
    moved as (
      update fleet_compaction f set received_at = l.received_at, id = l.id
      from last l returning 1
    )
    select (select count(*) from chunk)::int as n,
      (select count(*) from summed)::int as summaries, (select count(*) from moved)::int as m`;
  return row.n;
}

/**
 * Returns how many raw heartbeats one statement deleted: up to `limit` received before
 * `before`, and never one compaction has not passed yet.
 */
export async function deleteRawChunk(sql: Sql, before: Date, limit: number): Promise<number> {
  const rows = await sql`
    delete from device_heartbeats where id in (
      select e.id from device_heartbeats e, fleet_compaction m
      where e.received_at < ${before} and (e.received_at, e.id) <= (m.received_at, m.id)
      order by e.received_at, e.id
      limit ${limit})`;
  return rows.count;
}

/** Returns how many hourly summaries one statement deleted: up to `limit` before `before`. */
export async function deleteHoursChunk(sql: Sql, before: Date, limit: number): Promise<number> {
  const rows = await sql`
    delete from device_hours where (device_id, hour) in (
      select device_id, hour from device_hours where hour < ${before}
      order by hour limit ${limit})`;
  return rows.count;
}

/** Returns how many finished commands one statement deleted: up to `limit` before `before`. */
export async function deleteFinishedCommandsChunk(
  sql: Sql,
  before: Date,
  limit: number,
): Promise<number> {
  const rows = await sql`
    delete from device_commands where id in (
      select id from device_commands
      where finished_at is not null and finished_at < ${before}
      order by finished_at limit ${limit})`;
  return rows.count;
}

/**
 * Returns how many picked-up commands one statement failed with "timed out": up to `limit`
 * picked up before `before` and still not reported.
 */
export async function timeOutCommandsChunk(
  sql: Sql,
  before: Date,
  at: Date,
  limit: number,
): Promise<number> {
  const rows = await sql`
    update device_commands set status = 'FAILED', error = 'timed out', finished_at = ${at}
    where id in (
      select id from device_commands
      where status = 'PICKED_UP' and picked_up_at < ${before}
      order by picked_up_at limit ${limit}
      for update skip locked)`;
  return rows.count;
}

/** Returns true when this connection now holds the fleet maintenance lock. */
export async function tryFleetLock(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ locked: boolean }[]>`
    select pg_try_advisory_lock(${FLEET_LOCK_KEY}) as locked`;
  return row.locked;
}

/** Resolves once this connection released the fleet maintenance lock. */
export async function releaseFleetLock(sql: Sql): Promise<void> {
  await sql`select pg_advisory_unlock(${FLEET_LOCK_KEY})`;
}
