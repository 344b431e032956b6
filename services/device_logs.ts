/** Log snapshot use cases: store an uploaded snapshot, read a device's latest. */
import { payloadTooLarge } from "../core/errors.ts";
import type { Sql } from "../db/client.ts";
import { insertLogSnapshot, latestLogSnapshot } from "../db/device_logs.ts";
import { LOG_CONTENT_MAX_BYTES, LOG_SNAPSHOTS_KEPT } from "../openapi/devices.ts";

/** Returns the id of the stored snapshot (the device keeps its newest LOG_SNAPSHOTS_KEPT);
 * content over LOG_CONTENT_MAX_BYTES of UTF-8 is 413. */
export async function storeLogSnapshot(
  sql: Sql,
  deviceId: string,
  content: string,
  now: Date,
): Promise<number> {
  if (new TextEncoder().encode(content).length > LOG_CONTENT_MAX_BYTES) {
    throw payloadTooLarge(`content over ${LOG_CONTENT_MAX_BYTES} bytes`);
  }
  return await insertLogSnapshot(sql, deviceId, content, now, LOG_SNAPSHOTS_KEPT);
}

/** Returns the device's latest snapshot as the API shows it, or null. */
export async function latestLog(sql: Sql, deviceId: string) {
  const row = await latestLogSnapshot(sql, deviceId);
  return row === null ? null : { ...row, created_at: row.created_at.toISOString() };
}
