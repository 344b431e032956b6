/**
 * The service's periodic upkeep of voice recordings: shortly after start and then every hour,
 * recordings past AUDIO_RETENTION_DAYS are removed (when set) and `recordingMaintenance` runs
 * (interrupted removals finished, orphaned objects, expired leases and stale spool files swept).
 * A run still going when the next is due is not started twice in one process; every removal is
 * idempotent, so instances running it at once only repeat each other's deletes.
 */
import type { Sql } from "../db/client.ts";
import { type Periodic, schedulePeriodic } from "./_periodic.ts";
import type { ObjectStore } from "../db/objects.ts";
import { purgeOldRecordings, recordingMaintenance } from "./recording_erasure.ts";
import type { RetentionLog } from "./retention_schedule.ts";

/** When the first upkeep runs after start (ms). */
export const RECORDING_UPKEEP_FIRST_MS = 90_000;
/** How often it runs after that (ms). */
export const RECORDING_UPKEEP_INTERVAL_MS = 3_600_000;

export interface RecordingUpkeepOptions {
  /** AUDIO_RETENTION_DAYS (null: recordings are kept). */
  retentionDays: number | null;
  log: RetentionLog;
  now?: () => Date;
  firstRunMs?: number;
  intervalMs?: number;
}

/** A running schedule (stop: clears the timers, waits for a run under way). */
export type RecordingUpkeep = Periodic;

/** Returns a schedule running the recordings' retention and maintenance (see the module). */
export function scheduleRecordingUpkeep(
  sql: Sql,
  store: ObjectStore,
  {
    retentionDays,
    log,
    now = () => new Date(),
    firstRunMs = RECORDING_UPKEEP_FIRST_MS,
    intervalMs = RECORDING_UPKEEP_INTERVAL_MS,
  }: RecordingUpkeepOptions,
): RecordingUpkeep {
  const upkeep = async () => {
    try {
      if (retentionDays !== null) {
        const purge = await purgeOldRecordings(sql, store, retentionDays, now());
        log("info", {
          msg: "recording retention",
          cutoff: purge.cutoff.toISOString(),
          deleted: purge.deleted,
        });
      }
      const done = await recordingMaintenance(sql, store, now());
      log("info", { msg: "recording maintenance", ...done });
    } catch (err) {
      log("warn", { msg: "recording upkeep failed", error: String(err) });
    }
  };
  return schedulePeriodic(upkeep, { firstRunMs, intervalMs });
}
