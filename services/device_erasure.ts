/**
 * Erase everything held about one device (DELETE /admin/devices/{device_id}): one transaction
 * running every step of DEVICE_ERASURE_STEPS, each reporting what it removed.
 *
 * Another area that keeps data per device adds ONE step to DEVICE_ERASURE_STEPS (e.g. voice
 * recordings: `{ kind: "recordings", erase: eraseDeviceRecordings }`): it runs in the same
 * transaction, after the device row is locked, and its count appears under its `kind`.
 */
import type { Sql, Tx } from "../db/client.ts";
import { eraseDeviceRows } from "../db/device_erasure.ts";
import type { DeviceErasure } from "../openapi/devices.ts";

/** One step of a device erasure: removes its kind of data about the device inside `tx`. */
export interface DeviceErasureStep {
  /** The key its count is reported under (and its name in docs/privacy.md). */
  kind: string;
  /** Returns how many rows it removed. */
  erase(tx: Tx, deviceId: string): Promise<number>;
}

/** The further steps, after the fleet's own tables (state, heartbeats, commands, logs, links). */
export const DEVICE_ERASURE_STEPS: readonly DeviceErasureStep[] = [];

/** Returns what the erasure of `deviceId` removed (zeros when nothing was held). */
export async function eraseDevice(
  sql: Sql,
  deviceId: string,
  steps: readonly DeviceErasureStep[] = DEVICE_ERASURE_STEPS,
): Promise<DeviceErasure> {
  const deleted: Record<string, number> = await sql.begin(async (tx) => {
    const counts: Record<string, number> = { ...await eraseDeviceRows(tx, deviceId) };
    for (const step of steps) counts[step.kind] = await step.erase(tx, deviceId);
    return counts;
  });
  return { device_id: deviceId, deleted };
}
