/** Fleet use cases: record a heartbeat, list the fleet with statuses, uptime, a device's users. */
import {
  type Connectivity,
  deviceStatus,
  HEALTHY_LATENCY_MS,
  hourStart,
  hourUptimeSeconds,
  mostFrequentConnectivity,
  STALE_MINUTES,
  staleBefore,
  uptimePercent,
  uptimeWindowStart,
} from "../core/devices.ts";
import { badRequest } from "../core/errors.ts";
import { parseTimestamp } from "../core/time.ts";
import type { Sql } from "../db/client.ts";
import {
  type DeviceHourRow,
  deviceHours,
  findDevice,
  type FleetPosition,
  listDevices,
  type NewHeartbeat,
  recordHeartbeat,
  recordHeartbeats,
  uptimeOfDevices,
  uptimeTotals,
} from "../db/devices.ts";
import { deviceUsers } from "../db/device_links.ts";
import { createGroupCommit } from "./group_commit.ts";
import type {
  DeviceStatusItem,
  DeviceUsers,
  Fleet,
  Heartbeat,
  Uptime,
} from "../openapi/devices.ts";

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Returns the instant of a validated offset timestamp (null stays null), or throws 400. */
function instant(name: string, value: string | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  const t = parseTimestamp(value);
  if (t === null) throw badRequest(`${name} is not an ISO-8601 timestamp`);
  return t;
}

/** Returns whether the heartbeat, received at `now`, reported a reboot, once it is stored. */
export async function recordAgentHeartbeat(sql: Sql, body: Heartbeat, now: Date): Promise<boolean> {
  return await recordHeartbeat(sql, toHeartbeat(body, now));
}

/** Group-commit writer of heartbeats: concurrent heartbeats share one statement and commit. */
export interface HeartbeatWriter {
  /** Returns whether the heartbeat, received at `now`, was a reboot, once it has committed. */
  record(body: Heartbeat, now: Date): Promise<boolean>;
}

/** Returns the group-commit heartbeat writer over `sql` (services/group_commit.ts). */
export function createHeartbeatWriter(
  sql: Sql,
  onBatch?: (size: number) => void,
): HeartbeatWriter {
  const queue = createGroupCommit((hs: NewHeartbeat[]) => recordHeartbeats(sql, hs), { onBatch });
  return {
    // The body is converted (and a bad timestamp refused) before it joins a batch.
    record: (body, now) => queue.submit(toHeartbeat(body, now)),
  };
}

/** Returns the heartbeat to store for a validated body received at `now` (400: bad timestamp). */
function toHeartbeat(body: Heartbeat, now: Date): NewHeartbeat {
  return {
    deviceId: body.device_id,
    receivedAt: now,
    agentVersion: body.agent_version,
    connectivity: body.connectivity,
    networkInterface: body.network.interface,
    ip: body.network.ip,
    signalRssi: body.network.signal_rssi ?? null,
    latencyMs: body.network.latency_ms ?? null,
    agentStatus: body.agent_status,
    lastSessionAt: instant("last_session_at", body.last_session_at),
    deviceTimestamp: instant("timestamp", body.timestamp),
    bootTime: instant("boot_time", body.boot_time),
  };
}

/** A timestamptz as PostgreSQL prints it (the cursor carries it with its microseconds). */
const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

function encodeCursor(p: FleetPosition): string {
  return btoa(JSON.stringify([p.last_seen, p.device_id])).replace(/=+$/, "");
}

function decodeCursor(text: string): FleetPosition {
  try {
    const value: unknown = JSON.parse(atob(text));
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === "string" &&
      typeof value[1] === "string" && STORED_TIMESTAMP.test(value[0])
    ) {
      return { last_seen: value[0], device_id: value[1] };
    }
  } catch {
    // answered below
  }
  throw badRequest("after is not a cursor of this list");
}

/** What a fleet read asks for. */
export interface FleetQuery {
  status?: "healthy" | "degraded" | "dead";
  limit?: number;
  after?: string;
}

/**
 * Returns the devices of the fleet at `now` with their statuses, newest lastSeen first: every
 * device without `limit`, else one page of `limit` after the cursor `after`.
 */
export async function fleetStatus(sql: Sql, query: FleetQuery, now: Date): Promise<Fleet> {
  const after = query.after === undefined ? null : decodeCursor(query.after);
  const limit = query.limit ?? null;
  const rows = await listDevices(
    sql,
    {
      status: query.status ?? null,
      staleBefore: staleBefore(now),
      healthyLatencyMs: HEALTHY_LATENCY_MS,
    },
    after,
    limit === null ? null : limit + 1,
  );
  const page = limit === null ? rows : rows.slice(0, limit);
  const last = page[page.length - 1];
  const devices: DeviceStatusItem[] = page.map((r) => ({
    deviceId: r.device_id,
    status: deviceStatus(
      { lastSeen: r.last_seen, agentStatus: r.agent_status, latencyMs: r.latency_ms },
      now,
    ),
    lastSeen: r.last_seen.toISOString(),
    connectivity: r.connectivity,
    agentVersion: r.agent_version,
    signalRssi: r.signal_rssi,
    latencyMs: r.latency_ms,
    lastSessionAt: iso(r.last_session_at),
    bootTime: iso(r.boot_time),
  }));
  return {
    devices,
    asOf: now.toISOString(),
    staleThresholdMinutes: STALE_MINUTES,
    next: limit !== null && rows.length > limit
      ? encodeCursor({ last_seen: last.position, device_id: last.device_id })
      : null,
  };
}

/** Returns every device's (or one page's) uptime and reboots over the 168 hours to `now`. */
export async function fleetUptime(
  sql: Sql,
  query: { limit?: number; after?: string },
  now: Date,
): Promise<Uptime> {
  const limit = query.limit ?? null;
  const rows = await uptimeTotals(
    sql,
    uptimeWindowStart(now),
    query.after ?? null,
    limit === null ? null : limit + 1,
  );
  const page = limit === null ? rows : rows.slice(0, limit);
  return {
    devices: page.map((r) => ({
      device_id: r.device_id,
      uptime_pct_7d: uptimePercent(r.uptime_seconds),
      reboots_7d: r.reboots,
      total_hours_tracked: r.hours,
    })),
    as_of: now.toISOString(),
    next: limit !== null && rows.length > limit ? page[page.length - 1].device_id : null,
  };
}

/** Returns the users of a device, most recent first. */
export async function listDeviceUsers(sql: Sql, deviceId: string): Promise<DeviceUsers> {
  const rows = await deviceUsers(sql, deviceId);
  return {
    device_id: deviceId,
    users: rows.map((r) => ({
      user_external_id: r.user_external_id,
      last_session_at: r.last_session_at.toISOString(),
      session_count: r.session_count,
    })),
  };
}

/** One hour of a device's coverage chart. */
export interface CoverageHour {
  hour: string;
  heartbeats: number;
  uptimeSeconds: number;
  reboots: number;
}

/** A device's page: latest state, 168 hours of coverage (oldest first) and 7-day totals. */
export interface DeviceOverview {
  device: NonNullable<Awaited<ReturnType<typeof findDevice>>>;
  status: DeviceStatusItem["status"];
  hours: CoverageHour[];
  uptimePct: number;
  reboots: number;
  /** The most frequent connectivity of the window's heartbeats (null: none). */
  usualConnectivity: Connectivity | null;
}

/** Returns the device's overview at `now`, or null for a device never heard from. */
export async function deviceOverview(
  sql: Sql,
  deviceId: string,
  now: Date,
): Promise<DeviceOverview | null> {
  const device = await findDevice(sql, deviceId);
  if (device === null) return null;
  const from = uptimeWindowStart(now);
  const byHour = new Map<number, DeviceHourRow>();
  for (const r of await deviceHours(sql, deviceId, from)) byHour.set(r.hour.getTime(), r);
  const hours: CoverageHour[] = [];
  for (let t = from.getTime(); t <= hourStart(now).getTime(); t += 3_600_000) {
    const r = byHour.get(t);
    hours.push({
      hour: new Date(t).toISOString(),
      heartbeats: r?.heartbeats ?? 0,
      uptimeSeconds: hourUptimeSeconds(r?.heartbeats ?? 0),
      reboots: r?.reboots ?? 0,
    });
  }
  const seconds = hours.reduce((sum, h) => sum + h.uptimeSeconds, 0);
  const counts = { wifi: 0, lte: 0, offline: 0 };
  for (const r of byHour.values()) {
    counts.wifi += r.wifi;
    counts.lte += r.lte;
    counts.offline += r.offline;
  }
  return {
    device,
    status: deviceStatus({
      lastSeen: device.last_seen,
      agentStatus: device.agent_status,
      latencyMs: device.latency_ms,
    }, now),
    hours,
    uptimePct: uptimePercent(seconds),
    reboots: hours.reduce((sum, h) => sum + h.reboots, 0),
    usualConnectivity: mostFrequentConnectivity(counts),
  };
}

/** One row of the fleet page: the status item with its 7-day uptime and reboots. */
export interface FleetPageRow extends DeviceStatusItem {
  uptimePct: number;
  reboots: number;
}

/** Returns one page (100 devices) of the fleet page at `now`, newest lastSeen first. */
export async function fleetPage(
  sql: Sql,
  after: string | undefined,
  now: Date,
): Promise<{ rows: FleetPageRow[]; next: string | null; asOf: string }> {
  const fleet = await fleetStatus(sql, { limit: FLEET_PAGE_SIZE, after }, now);
  const totals = await uptimeOfDevices(
    sql,
    uptimeWindowStart(now),
    fleet.devices.map((d) => d.deviceId),
  );
  const byId = new Map(totals.map((t) => [t.device_id, t]));
  return {
    rows: fleet.devices.map((d) => ({
      ...d,
      uptimePct: uptimePercent(byId.get(d.deviceId)?.uptime_seconds ?? 0),
      reboots: byId.get(d.deviceId)?.reboots ?? 0,
    })),
    next: fleet.next,
    asOf: fleet.asOf,
  };
}

/** Devices per fleet page. */
export const FLEET_PAGE_SIZE = 100;
