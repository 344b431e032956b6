/**
 * Erase everything held about one device (DELETE /admin/devices/{device_id}): one transaction
 * running every step of DEVICE_ERASURE_STEPS, each reporting what it removed.
 *
 * Another area that keeps rows per device adds ONE step to DEVICE_ERASURE_STEPS: it runs in the
 * same transaction, after the device row is locked, and its count appears under its `kind`.
 * The device's voice recordings cannot be removed inside a transaction (their objects live in the
 * object store): with `recordings` given they are erased after the commit, objects first, then
 * rows (services/recording_erasure.ts; maintenance finishes a crash in between), and counted under
 * `recordings`.
 */
import type { Sql, Tx } from "../db/client.ts";
import { eraseDeviceRows } from "../db/device_erasure.ts";
import type { ObjectStore } from "../db/objects.ts";
import type { DeviceErasure } from "../openapi/devices.ts";
import { eraseDeviceRecordings } from "./recording_erasure.ts";

/** One step of a device erasure: removes its kind of data about the device inside `tx`. */
export interface DeviceErasureStep {
  /** The key its count is reported under (and its name in docs/privacy.md). */
  kind: string;
  /** Returns how many rows it removed. */
  erase(tx: Tx, deviceId: string): Promise<number>;
}

/** The further steps, after the fleet's own tables (state, heartbeats, commands, logs, links). */
export const DEVICE_ERASURE_STEPS: readonly DeviceErasureStep[] = [];

/** Options of eraseDevice. */
export interface DeviceErasureOptions {
  steps?: readonly DeviceErasureStep[];
  /** The object store holding the device's recordings, and the erasure's time. */
  recordings?: { store: ObjectStore; now: Date };
}

/** Returns what the erasure of `deviceId` removed (zeros when nothing was held). */
export async function eraseDevice(
  sql: Sql,
  deviceId: string,
  options: DeviceErasureOptions = {},
): Promise<DeviceErasure> {
  const steps = options.steps ?? DEVICE_ERASURE_STEPS;
  const deleted: Record<string, number> = await sql.begin(async (tx) => {
    const counts: Record<string, number> = { ...await eraseDeviceRows(tx, deviceId) };
    for (const step of steps) counts[step.kind] = await step.erase(tx, deviceId);
    return counts;
  });
  if (options.recordings) {
    const { store, now } = options.recordings;
    deleted.recordings = await eraseDeviceRecordings(sql, store, deviceId, now);
  }
  return { device_id: deviceId, deleted };
}
