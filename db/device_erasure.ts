/** SQL of a device's erasure: every row held about one device, in one transaction. */
import type { Tx } from "./client.ts";

/** Rows one device erasure removed (or unlinked), per kind. */
export interface DeviceErasedCounts {
  /** The latest state (1 or 0). */
  state: number;
  heartbeats: number;
  hourly_summaries: number;
  commands: number;
  log_snapshots: number;
  /** Engagement sessions that named the device: kept (they are the user's), the link removed. */
  session_links: number;
}

/**
 * Returns what was removed after deleting, inside `tx`, the device's state (locked first, so a
 * heartbeat in flight commits before or after the whole erasure), heartbeats, hourly summaries,
 * commands and log snapshots, and unlinking its engagement sessions.
 */
export async function eraseDeviceRows(tx: Tx, deviceId: string): Promise<DeviceErasedCounts> {
  await tx`select 1 from devices where device_id = ${deviceId} for update`;
  const [state, heartbeats, hours, commands, logs, links] = await Promise.all([
    tx`delete from devices where device_id = ${deviceId}`,
    tx`delete from device_heartbeats where device_id = ${deviceId}`,
    tx`delete from device_hours where device_id = ${deviceId}`,
    tx`delete from device_commands where device_id = ${deviceId}`,
    tx`delete from device_logs where device_id = ${deviceId}`,
    tx`update engagement_sessions set device_id = null where device_id = ${deviceId}`,
  ]);
  return {
    state: state.count,
    heartbeats: heartbeats.count,
    hourly_summaries: hours.count,
    commands: commands.count,
    log_snapshots: logs.count,
    session_links: links.count,
  };
}
