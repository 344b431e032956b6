/**
 * Fleet maintenance (docs/devices.md "Compaction and retention"): compacts raw heartbeats older
 * than 2 hours into hourly summaries, deletes raw heartbeats older than 7 days, hourly summaries
 * older than 8 days and finished commands older than 90 days, and fails commands picked up and
 * not reported within COMMAND_TIMEOUT_SECONDS. Every step works in bounded chunks (one statement
 * each); one instance at a time runs it (a session-level advisory lock).
 */
import { maintenanceCutoffs } from "../core/devices.ts";
import type { Sql } from "../db/client.ts";
import {
  compactChunk,
  deleteFinishedCommandsChunk,
  deleteHoursChunk,
  deleteRawChunk,
  releaseFleetLock,
  timeOutCommandsChunk,
  tryFleetLock,
} from "../db/fleet_maintenance.ts";

/** Rows one statement handles at most. */
export const FLEET_CHUNK = 5000;

/** What a maintenance run did; `ran` is false when another instance held the lock. */
export interface FleetMaintenanceRun {
  ran: boolean;
  compacted: number;
  rawDeleted: number;
  hoursDeleted: number;
  commandsTimedOut: number;
  commandsDeleted: number;
  chunks: number;
}

export interface FleetMaintenanceOptions {
  /** Take the advisory lock on a reserved connection (a server; the embedded one has one owner). */
  exclusive: boolean;
  commandTimeoutSeconds: number;
  chunk?: number;
  /** Share of time spent working in (0, 1]: after a chunk of t ms it pauses t·(1/share − 1). */
  share?: number;
}

/** Returns the totals after one maintenance run at `now`. */
export async function runFleetMaintenance(
  sql: Sql,
  now: Date,
  { exclusive, commandTimeoutSeconds, chunk = FLEET_CHUNK, share = 1 }: FleetMaintenanceOptions,
): Promise<FleetMaintenanceRun> {
  const cut = maintenanceCutoffs(now);
  const run: FleetMaintenanceRun = {
    ran: true,
    compacted: 0,
    rawDeleted: 0,
    hoursDeleted: 0,
    commandsTimedOut: 0,
    commandsDeleted: 0,
    chunks: 0,
  };
  /** Repeats `step` until a chunk comes back short, adding what each did. */
  const drain = async (step: () => Promise<number>, add: (n: number) => void) => {
    for (;;) {
      const started = performance.now();
      const n = await step();
      add(n);
      run.chunks++;
      if (n < chunk) return;
      const pause = (performance.now() - started) * (1 / share - 1);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  };
  const timedOutBefore = new Date(now.getTime() - commandTimeoutSeconds * 1000);
  const work = async (q: Sql) => {
    await drain(() => compactChunk(q, cut.compactBefore, chunk), (n) => (run.compacted += n));
    await drain(() => deleteRawChunk(q, cut.deleteRawBefore, chunk), (n) => (run.rawDeleted += n));
    await drain(
      () => deleteHoursChunk(q, cut.deleteHoursBefore, chunk),
      (n) => (run.hoursDeleted += n),
    );
    await drain(
      () => timeOutCommandsChunk(q, timedOutBefore, now, chunk),
      (n) => (run.commandsTimedOut += n),
    );
    await drain(
      () => deleteFinishedCommandsChunk(q, cut.deleteFinishedBefore, chunk),
      (n) => (run.commandsDeleted += n),
    );
  };
  if (!exclusive) {
    await work(sql);
    return run;
  }
  const reserved = await sql.reserve();
  try {
    if (!await tryFleetLock(reserved)) return { ...run, ran: false };
    try {
      await work(reserved);
    } finally {
      await releaseFleetLock(reserved);
    }
    return run;
  } finally {
    reserved.release();
  }
}
