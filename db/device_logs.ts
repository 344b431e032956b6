/** SQL of device log snapshots: store one (keeping the newest few per device), read the latest. */
import type { Sql } from "./client.ts";

/** A log snapshot as stored. */
export interface LogSnapshotRow {
  id: number;
  device_id: string;
  log_content: string;
  created_at: Date;
}

/**
 * Returns the id of the stored snapshot; the same statement deletes the device's older snapshots
 * beyond the newest `keep` (the new one counted).
 */
export async function insertLogSnapshot(
  sql: Sql,
  deviceId: string,
  content: string,
  at: Date,
  keep: number,
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    with added as (
      insert into device_logs (device_id, log_content, created_at)
      values (${deviceId}, ${content}, ${at})
      returning id
    ),
    pruned as (
      delete from device_logs where device_id = ${deviceId} and id not in (
        select id from device_logs where device_id = ${deviceId}
        order by id desc limit ${keep - 1})
      returning 1
    )
    select id::float8 as id, (select count(*) from pruned) as pruned from added`;
  return row.id;
}

/** Returns the device's latest snapshot, or null. */
export async function latestLogSnapshot(
  sql: Sql,
  deviceId: string,
): Promise<LogSnapshotRow | null> {
  const [row] = await sql<LogSnapshotRow[]>`
    select id::float8 as id, device_id, log_content, created_at from device_logs
    where device_id = ${deviceId} order by id desc limit 1`;
  return row ?? null;
}
