/**
 * The companion-device fleet's formulas (docs/devices.md): a device's status, uptime per hour
 * and over seven days, the most frequent connectivity, reboots, and the maintenance cutoffs.
 * Pure: the clock is passed in.
 */

/** A device is dead when its last heartbeat is older than this many minutes. */
export const STALE_MINUTES = 20;
/** A device is healthy below this latency (ms), when its agent reports ok. */
export const HEALTHY_LATENCY_MS = 500;
/** Seconds of uptime one heartbeat confirms (the agent beats every 5 minutes). */
export const HEARTBEAT_CONFIRMS_SECONDS = 300;
/** Seconds in one hour: the most uptime one hour can hold. */
export const HOUR_SECONDS = 3600;
/** The uptime window in days, and in seconds (7 × 86,400). */
export const UPTIME_DAYS = 7;
export const UPTIME_WINDOW_SECONDS = UPTIME_DAYS * 86_400;
/** Raw heartbeats older than this are compacted into hourly summaries (hours). */
export const COMPACT_AFTER_HOURS = 2;
/** Raw heartbeats older than this are deleted (days). */
export const RAW_HEARTBEAT_DAYS = 7;
/** Hourly summaries older than this are deleted (days): the uptime window and one day more. */
export const HOURLY_SUMMARY_DAYS = 8;
/** Finished (completed or failed) commands older than this are deleted (days). */
export const FINISHED_COMMAND_DAYS = 90;

const MINUTE = 60_000;
const HOUR = 3_600_000;

export type DeviceStatus = "healthy" | "degraded" | "dead";
export const DEVICE_STATUSES: readonly DeviceStatus[] = ["healthy", "degraded", "dead"];
export type AgentStatus = "ok" | "degraded" | "crashed";
export type Connectivity = "wifi" | "lte" | "offline";
export const CONNECTIVITIES: readonly Connectivity[] = ["wifi", "lte", "offline"];

/** Returns the instant before which a last heartbeat makes a device dead. */
export function staleBefore(now: Date): Date {
  return new Date(now.getTime() - STALE_MINUTES * MINUTE);
}

/**
 * Returns a device's status at `now`: dead when `lastSeen` is more than 20 minutes old, healthy
 * when the agent says ok and the latency is known and below 500 ms, degraded otherwise.
 */
export function deviceStatus(
  s: { lastSeen: Date; agentStatus: AgentStatus; latencyMs: number | null },
  now: Date,
): DeviceStatus {
  if (s.lastSeen.getTime() < staleBefore(now).getTime()) return "dead";
  if (s.agentStatus === "ok" && s.latencyMs !== null && s.latencyMs < HEALTHY_LATENCY_MS) {
    return "healthy";
  }
  return "degraded";
}

/** Returns the uptime seconds an hour with `heartbeats` confirms: 300 each, at most 3,600. */
export function hourUptimeSeconds(heartbeats: number): number {
  return Math.min(heartbeats * HEARTBEAT_CONFIRMS_SECONDS, HOUR_SECONDS);
}

/** Returns uptime seconds × 100 / (7 × 86,400), rounded half up to 2 decimals. */
export function uptimePercent(seconds: number): number {
  // In whole hundredths of a percent, so no binary fraction decides the rounding.
  return Math.round((seconds * 10_000) / UPTIME_WINDOW_SECONDS) / 100;
}

/** Returns the most frequent connectivity of an hour (ties: wifi, then lte, then offline). */
export function mostFrequentConnectivity(
  counts: Record<Connectivity, number>,
): Connectivity | null {
  let best: Connectivity | null = null;
  for (const c of CONNECTIVITIES) {
    if (counts[c] > 0 && (best === null || counts[c] > counts[best])) best = c;
  }
  return best;
}

/**
 * Returns how many reboots a sequence of reported boot times holds, given the boot time known
 * before it: a reboot is a change of the known boot time; a heartbeat without one changes
 * nothing. Returns the known boot time after the sequence too.
 */
export function countReboots(
  bootTimes: readonly (Date | null)[],
  known: Date | null,
): { reboots: number; known: Date | null } {
  let reboots = 0;
  for (const boot of bootTimes) {
    if (boot === null) continue;
    if (known !== null && known.getTime() !== boot.getTime()) reboots++;
    known = boot;
  }
  return { reboots, known };
}

/** Returns the start of the UTC hour containing `t`. */
export function hourStart(t: Date): Date {
  return new Date(Math.floor(t.getTime() / HOUR) * HOUR);
}

/** Returns the first hour of the uptime window ending in the hour of `now` (168 hours). */
export function uptimeWindowStart(now: Date): Date {
  return new Date(hourStart(now).getTime() - (UPTIME_DAYS * 24 - 1) * HOUR);
}

/**
 * Returns the maintenance cutoffs at `now`: heartbeats received before `compactBefore` (the
 * start of the hour two hours back, so only whole hours are compacted) are compacted, raw ones
 * before `deleteRawBefore` and hourly summaries before `deleteHoursBefore` deleted.
 */
export function maintenanceCutoffs(now: Date): {
  compactBefore: Date;
  deleteRawBefore: Date;
  deleteHoursBefore: Date;
  deleteFinishedBefore: Date;
} {
  const t = now.getTime();
  return {
    compactBefore: hourStart(new Date(t - COMPACT_AFTER_HOURS * HOUR)),
    deleteRawBefore: new Date(t - RAW_HEARTBEAT_DAYS * 24 * HOUR),
    deleteHoursBefore: new Date(t - HOURLY_SUMMARY_DAYS * 24 * HOUR),
    deleteFinishedBefore: new Date(t - FINISHED_COMMAND_DAYS * 24 * HOUR),
  };
}
