/**
 * The service's periodic raw event purge (RAW_EVENT_RETENTION_DAYS): a first run shortly after
 * start, then one every hour. Every worker and instance schedules it; the advisory lock taken by
 * `purgeRawEvents` lets one of them run at a time, and a run still going when the next is due is
 * not started twice in one process.
 */
import type { Sql } from "../db/client.ts";
import { type Periodic, schedulePeriodic } from "./_periodic.ts";
import { purgeRawEvents, SERVICE_PURGE_SHARE } from "./retention.ts";

/** When the service first purges old raw events after start (ms). */
export const RETENTION_FIRST_RUN_MS = 60_000;
/** How often it purges after that (ms). */
export const RETENTION_INTERVAL_MS = 3_600_000;

/** Where a run reports (the service passes its JSON logger). */
export type RetentionLog = (level: "info" | "warn", fields: Record<string, unknown>) => void;

export interface RetentionScheduleOptions {
  /** Take the advisory lock on a reserved connection (a server; the embedded one has one owner). */
  exclusive: boolean;
  log: RetentionLog;
  /** The clock (default: the system's). */
  now?: () => Date;
  firstRunMs?: number;
  intervalMs?: number;
}

/** A running schedule (stop: clears the timers, waits for a run under way). */
export type RetentionSchedule = Periodic;

/** Returns a schedule that purges raw events older than `days` now and then (see the module). */
export function scheduleRetention(
  sql: Sql,
  days: number,
  {
    exclusive,
    log,
    now = () => new Date(),
    firstRunMs = RETENTION_FIRST_RUN_MS,
    intervalMs = RETENTION_INTERVAL_MS,
  }: RetentionScheduleOptions,
): RetentionSchedule {
  const purge = async () => {
    try {
      const done = await purgeRawEvents(sql, days, now(), {
        exclusive,
        share: SERVICE_PURGE_SHARE,
      });
      if (done.ran) {
        log("info", {
          msg: "raw event retention",
          cutoff: done.cutoff.toISOString(),
          deleted: done.deleted,
          scanned: done.scanned,
        });
      }
    } catch (err) {
      log("warn", { msg: "raw event retention failed", error: String(err) });
    }
  };
  return schedulePeriodic(purge, { firstRunMs, intervalMs });
}
