/**
 * The service's periodic fleet maintenance (services/fleet_maintenance.ts): a first run shortly
 * after start, then one every 5 minutes. Every worker and instance schedules it; the advisory
 * lock lets one of them run at a time, and a run still going when the next is due is not
 * started twice in one process.
 */
import type { Sql } from "../db/client.ts";
import { type Periodic, schedulePeriodic } from "./_periodic.ts";
import { runFleetMaintenance } from "./fleet_maintenance.ts";

/** When the service first runs fleet maintenance after start (ms). */
export const FLEET_FIRST_RUN_MS = 30_000;
/** How often it runs after that (ms). */
export const FLEET_INTERVAL_MS = 300_000;
/** The service's share of time spent on maintenance (the rest is left to the fleet). */
export const SERVICE_FLEET_SHARE = 0.5;

/** Where a run reports (the service passes its JSON logger). */
export type FleetLog = (level: "info" | "warn", fields: Record<string, unknown>) => void;

export interface FleetScheduleOptions {
  exclusive: boolean;
  commandTimeoutSeconds: number;
  log: FleetLog;
  now?: () => Date;
  firstRunMs?: number;
  intervalMs?: number;
  /** Run after every maintenance run (the command hints' full reload: their safety net). */
  afterRun?: () => Promise<void>;
}

/** A running schedule (stop: clears the timers, waits for a run under way). */
export type FleetSchedule = Periodic;

/** Returns the schedule running fleet maintenance now and then (see the module). */
export function scheduleFleetMaintenance(
  sql: Sql,
  {
    exclusive,
    commandTimeoutSeconds,
    log,
    now = () => new Date(),
    firstRunMs = FLEET_FIRST_RUN_MS,
    intervalMs = FLEET_INTERVAL_MS,
    afterRun,
  }: FleetScheduleOptions,
): FleetSchedule {
  const once = async () => {
    try {
      const done = await runFleetMaintenance(sql, now(), {
        exclusive,
        commandTimeoutSeconds,
        share: SERVICE_FLEET_SHARE,
      });
      const did = done.compacted + done.rawDeleted + done.hoursDeleted + done.commandsTimedOut +
        done.commandsDeleted;
      if (done.ran && did > 0) {
        log("info", {
          msg: "fleet maintenance",
          compacted: done.compacted,
          raw_deleted: done.rawDeleted,
          hours_deleted: done.hoursDeleted,
          commands_timed_out: done.commandsTimedOut,
          commands_deleted: done.commandsDeleted,
        });
      }
    } catch (err) {
      log("warn", { msg: "fleet maintenance failed", error: String(err) });
    }
    if (afterRun) {
      try {
        await afterRun();
      } catch (err) {
        log("warn", { msg: "command hints refresh failed", error: String(err) });
      }
    }
  };
  return schedulePeriodic(once, { firstRunMs, intervalMs });
}
