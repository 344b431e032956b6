/** SQL of the device fleet: heartbeats (latest state + event log), the fleet list, uptime. */
import { HEARTBEAT_CONFIRMS_SECONDS, HOUR_SECONDS } from "../core/devices.ts";
import type { AgentStatus, Connectivity } from "../core/devices.ts";
import type postgres from "postgres";
import { type Sql, textArray, type Tx } from "./client.ts";

/** One validated heartbeat, stamped with the server's receive time. */
export interface NewHeartbeat {
  deviceId: string;
  receivedAt: Date;
  agentVersion: string;
  connectivity: Connectivity;
  networkInterface: string;
  ip: string;
  signalRssi: number | null;
  latencyMs: number | null;
  agentStatus: AgentStatus;
  lastSessionAt: Date | null;
  deviceTimestamp: Date | null;
  bootTime: Date | null;
}

/**
 * Resolves once the heartbeat is the device's latest state and appended to the event log, in
 * one statement: the upsert decides whether boot_time changed against the device's known boot
 * time (under the row lock, so concurrent heartbeats of one device are ordered), and the insert
 * logs the heartbeat with that verdict. Returns whether it was a reboot.
 */
export async function recordHeartbeat(sql: Sql | Tx, h: NewHeartbeat): Promise<boolean> {
  const [row] = await sql<{ reboot: boolean }[]>`
    with up as (
      insert into devices as d (device_id, last_seen, agent_version, connectivity,
        network_interface, ip, signal_rssi, latency_ms, agent_status, last_session_at,
        device_timestamp, boot_time, known_boot_time, rebooted, first_seen)
      values (${h.deviceId}, ${h.receivedAt}, ${h.agentVersion}, ${h.connectivity},
        ${h.networkInterface}, ${h.ip}, ${h.signalRssi}, ${h.latencyMs}, ${h.agentStatus},
        ${h.lastSessionAt}, ${h.deviceTimestamp}, ${h.bootTime}, ${h.bootTime}, false,
        ${h.receivedAt})
      on conflict (device_id) do update set
        last_seen = excluded.last_seen, agent_version = excluded.agent_version,
        connectivity = excluded.connectivity, network_interface = excluded.network_interface,
        ip = excluded.ip, signal_rssi = excluded.signal_rssi, latency_ms = excluded.latency_ms,
        agent_status = excluded.agent_status, last_session_at = excluded.last_session_at,
        device_timestamp = excluded.device_timestamp, boot_time = excluded.boot_time,
        known_boot_time = coalesce(excluded.boot_time, d.known_boot_time),
        rebooted = coalesce(excluded.boot_time <> d.known_boot_time, false)
      returning rebooted
    )
    insert into device_heartbeats (device_id, received_at, agent_version, connectivity,
      network_interface, ip, signal_rssi, latency_ms, agent_status, last_session_at,
      device_timestamp, boot_time, reboot)
    select ${h.deviceId}, ${h.receivedAt}, ${h.agentVersion}, ${h.connectivity},
      ${h.networkInterface}, ${h.ip}, ${h.signalRssi}, ${h.latencyMs}, ${h.agentStatus},
      ${h.lastSessionAt}, ${h.deviceTimestamp}, ${h.bootTime}, up.rebooted
    from up
    returning reboot`;
  return row.reboot;
}

/** A device's latest state as stored. */
export interface DeviceRow {
  device_id: string;
  last_seen: Date;
  agent_version: string;
  connectivity: Connectivity;
  network_interface: string;
  ip: string;
  signal_rssi: number | null;
  latency_ms: number | null;
  agent_status: AgentStatus;
  last_session_at: Date | null;
  device_timestamp: Date | null;
  boot_time: Date | null;
  first_seen: Date;
}

/** The keyset position of the fleet list: last_seen as stored text (microseconds) and id. */
export interface FleetPosition {
  last_seen: string;
  device_id: string;
}

/** Which devices a fleet page holds: by status (thresholds passed in from core/devices.ts). */
export interface FleetFilter {
  status: "healthy" | "degraded" | "dead" | null;
  /** Before this instant a last heartbeat is dead. */
  staleBefore: Date;
  healthyLatencyMs: number;
}

/** Returns up to `limit` devices (all when null) after `after`, newest last_seen first. */
export async function listDevices(
  sql: Sql,
  filter: FleetFilter,
  after: FleetPosition | null,
  limit: number | null,
): Promise<(DeviceRow & { position: string })[]> {
  const healthy = sql`(agent_status = 'ok' and latency_ms < ${filter.healthyLatencyMs})`;
  const where = filter.status === "dead"
    ? sql`last_seen < ${filter.staleBefore}`
    : filter.status === "healthy"
    ? sql`last_seen >= ${filter.staleBefore} and ${healthy}`
    : filter.status === "degraded"
    ? sql`last_seen >= ${filter.staleBefore} and not coalesce(${healthy}, false)`
    : sql`true`;
  // `::text` first: postgres.js would send a timestamptz parameter through a JS Date (ms).
  const from = after
    ? sql`and (last_seen, device_id) < (${after.last_seen}::text::timestamptz, ${after.device_id})`
    : sql``;
  return await sql<(DeviceRow & { position: string })[]>`
    select device_id, last_seen, agent_version, connectivity, network_interface, ip,
      signal_rssi, latency_ms, agent_status, last_session_at, device_timestamp, boot_time,
      first_seen, last_seen::text as position
    from devices
    where ${where} ${from}
    order by last_seen desc, device_id desc
    ${limit === null ? sql`` : sql`limit ${limit}`}`;
}

/** Returns a device's latest state, or null for a device never heard from. */
export async function findDevice(sql: Sql, deviceId: string): Promise<DeviceRow | null> {
  const [row] = await sql<DeviceRow[]>`
    select device_id, last_seen, agent_version, connectivity, network_interface, ip,
      signal_rssi, latency_ms, agent_status, last_session_at, device_timestamp, boot_time,
      first_seen
    from devices where device_id = ${deviceId}`;
  return row ?? null;
}

/** One device-hour of the uptime window: compacted and raw heartbeats together. */
export interface DeviceHourRow {
  device_id: string;
  hour: Date;
  heartbeats: number;
  uptime_seconds: number;
  reboots: number;
  wifi: number;
  lte: number;
  offline: number;
}

/**
 * The device-hours since `from` of the devices selected by `devices` (a fragment over
 * `devices d`): the compacted summaries plus the raw heartbeats after the compaction watermark,
 * grouped per device and hour (a chunk boundary may split an hour between both).
 */
function hoursSince(sql: Sql, from: Date, devices: postgres.Fragment) {
  return sql`
    with chosen as (${devices}),
    mark as (select received_at, id from fleet_compaction),
    parts as (
      select h.device_id, h.hour, h.heartbeats, h.reboots, h.wifi, h.lte, h.offline
      from device_hours h join chosen c on c.device_id = h.device_id
      where h.hour >= ${from}
      union all
      select e.device_id, date_trunc('hour', e.received_at, 'UTC'), 1, e.reboot::int,
        (e.connectivity = 'wifi')::int, (e.connectivity = 'lte')::int,
        (e.connectivity = 'offline')::int
      from device_heartbeats e join chosen c on c.device_id = e.device_id, mark m
      where e.received_at >= ${from} and (e.received_at, e.id) > (m.received_at, m.id)
    )
    select device_id, hour, sum(heartbeats)::int as heartbeats,
      least(sum(heartbeats) * ${HEARTBEAT_CONFIRMS_SECONDS}, ${HOUR_SECONDS})::int
        as uptime_seconds,
      sum(reboots)::int as reboots, sum(wifi)::int as wifi, sum(lte)::int as lte,
      sum(offline)::int as offline
    from parts group by device_id, hour`;
}

/** Returns one device's hours of the window starting at `from`, oldest first. */
export async function deviceHours(
  sql: Sql,
  deviceId: string,
  from: Date,
): Promise<DeviceHourRow[]> {
  const chosen = sql`select ${deviceId}::text as device_id`;
  return await sql<DeviceHourRow[]>`
    select * from (${hoursSince(sql, from, chosen)}) x order by hour`;
}

/** A device's totals over the uptime window. */
export interface UptimeRow {
  device_id: string;
  uptime_seconds: number;
  reboots: number;
  hours: number;
}

/** Returns the totals since `from` of the given devices (those known), by device id. */
export async function uptimeOfDevices(
  sql: Sql,
  from: Date,
  deviceIds: readonly string[],
): Promise<UptimeRow[]> {
  if (deviceIds.length === 0) return [];
  const chosen = sql`select device_id from devices where device_id = any(${
    textArray(sql, deviceIds)
  })`;
  return await totalsOf(sql, from, chosen);
}

/** Returns the totals since `from` per device of `chosen` (a fragment listing device ids). */
async function totalsOf(sql: Sql, from: Date, chosen: postgres.Fragment): Promise<UptimeRow[]> {
  return await sql<UptimeRow[]>`
    with hours as (${hoursSince(sql, from, chosen)}),
    chosen as (${chosen})
    select c.device_id, coalesce(sum(h.uptime_seconds), 0)::int as uptime_seconds,
      coalesce(sum(h.reboots), 0)::int as reboots, count(h.hour)::int as hours
    from chosen c left join hours h on h.device_id = c.device_id
    group by c.device_id
    order by c.device_id`;
}

/** Returns up to `limit` devices (all when null) after `after` (by id), with totals since `from`. */
export async function uptimeTotals(
  sql: Sql,
  from: Date,
  after: string | null,
  limit: number | null,
): Promise<UptimeRow[]> {
  const chosen = sql`
    select device_id from devices
    where ${after === null ? sql`true` : sql`device_id > ${after}`}
    order by device_id ${limit === null ? sql`` : sql`limit ${limit}`}`;
  return await totalsOf(sql, from, chosen);
}
