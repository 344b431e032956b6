/**
 * Scenario 8 of `deno task bench` (`deno task bench fleet`, `--quick` for the short mode): the
 * device fleet (issue 21).
 *
 * - Heartbeat ingest vs the bare baseline's single INSERT, with server and Postgres CPU per
 *   request (10,000 devices cycled, so nearly every request upserts an existing row).
 * - The empty poll (`GET /internal/commands/pending` for a device with nothing pending, while
 *   other devices have pending commands) vs the baseline's primary-key SELECT of a missing row:
 *   Postgres CPU per request, the target being "no more than a primary-key SELECT".
 * - The planned fleet, 100,000 devices: 333 heartbeats/s and 3,333 polls/s, must fit in half of
 *   this 2-core machine: (333 × CPU per heartbeat + 3,333 × CPU per poll) ≤ 1 core.
 * - `GET /api/heartbeats?limit=100` latency with `fleetDevices` devices (100,000; 10,000 quick).
 */
import type postgres from "postgres";
import type { LoadSpec } from "../load.ts";
import { alternate, databaseOf, expectOk, latency, postJson } from "../measure.ts";
import { CONNECTIONS, DASHBOARD, INGEST, P, RUN } from "../params.ts";
import type { Server } from "../procs.ts";
import {
  clean,
  diagnostics,
  type Figures,
  figures,
  progress,
  raw,
  rows,
  target,
} from "../report.ts";
import { heartbeatBody } from "../bodies.ts";
import { f0, f2, ms } from "../stats.ts";

type Sql = postgres.Sql;

/** The planned fleet's request rates (100,000 devices, a heartbeat per 5 min, a poll per 30 s). */
export const PLANNED = { heartbeatsPerSecond: 100_000 / 300, pollsPerSecond: 100_000 / 30 };

const cpu = (f: Figures) => (f.serverCpuMs ?? 0) + (f.postgresCpuMs ?? 0);

export async function fleetScenario(svc1: Server, base: Server, sql1: Sql): Promise<void> {
  progress("scenario 8: device fleet (heartbeats, empty polls, the fleet list)");
  await expectOk(
    await postJson(`${svc1.baseUrl}/internal/heartbeat`, heartbeatBody(`${RUN}c`, 0), INGEST),
    "heartbeat",
  );
  await expectOk(
    await postJson(`${base.baseUrl}/heartbeat`, heartbeatBody(`${RUN}c`, 0)),
    "baseline /heartbeat",
  );
  const post =
    (server: Server, path: string, headers: Record<string, string>) =>
    (_prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path,
      method: "POST",
      mode: "heartbeat",
      // One prefix per contender: the service's devices exist after the warm-up, as in the field.
      prefix: `${RUN}hb`,
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const beats = await alternate(
    "heartbeat",
    [
      {
        key: "service",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: post(svc1, "/internal/heartbeat", INGEST),
      },
      {
        key: "baseline",
        server: base,
        database: databaseOf.get(base)!,
        spec: post(base, "/heartbeat", {}),
      },
    ],
    P.fleetRounds,
    P.fleetSeconds,
  );
  const hs = figures(beats.get("service")!);
  const hb = figures(beats.get("baseline")!);
  raw.fleet_heartbeat = { service: hs, baseline: hb };
  rows.push(...diagnostics("heartbeat", hs, hb));
  rows.push({
    scenario: "POST /internal/heartbeat, 10 conn: req/s",
    service: f0(hs.rps),
    baseline: f0(hb.rps),
    ratio: `${f2(hs.rps / hb.rps)}×`,
  });
  target(
    "fleet_heartbeat",
    "heartbeat req/s ÷ bare single-insert (one upsert + one insert per heartbeat)",
    hs.rps / hb.rps,
    ">=",
    0.7,
    "×",
    clean(hs) ?? clean(hb),
  );

  // Pending commands of other devices, so the poll's partial index is not empty.
  await sql1`
    insert into device_commands (device_id, command_type, created_at)
    select 'busy-' || g, 'REBOOT', now() from generate_series(1, 1000) g`;
  const idle = `hb-${RUN}hb-1`;
  await expectOk(
    await fetch(`${svc1.baseUrl}/internal/commands/pending`, {
      headers: { ...INGEST, "X-Device-ID": idle },
    }),
    "poll",
  );
  await expectOk(await fetch(`${base.baseUrl}/pk`), "baseline /pk");
  const get =
    (server: Server, path: string, headers: Record<string, string>) =>
    (_prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path,
      method: "GET",
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const polls = await alternate(
    "poll",
    [
      {
        key: "service",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: get(svc1, "/internal/commands/pending", { ...INGEST, "X-Device-ID": idle }),
      },
      {
        key: "baseline",
        server: base,
        database: databaseOf.get(base)!,
        spec: get(base, "/pk", {}),
      },
    ],
    P.fleetRounds,
    P.fleetSeconds,
  );
  const ps = figures(polls.get("service")!);
  const pb = figures(polls.get("baseline")!);
  raw.fleet_poll = { service: ps, baseline: pb };
  rows.push(...diagnostics("empty poll vs primary-key SELECT", ps, pb));
  rows.push({
    scenario: "GET /internal/commands/pending (empty), 10 conn: req/s",
    service: f0(ps.rps),
    baseline: f0(pb.rps),
    ratio: `${f2(ps.rps / pb.rps)}×`,
  });
  target(
    "fleet_poll_pg_cpu",
    "empty poll Postgres CPU/request ÷ a primary-key SELECT's (10 % measurement allowance)",
    (ps.postgresCpuMs ?? 0) / Math.max(1e-9, pb.postgresCpuMs ?? 0),
    "<=",
    1.1,
    "×",
    clean(ps) ?? clean(pb),
  );

  const coreMs = PLANNED.heartbeatsPerSecond * cpu(hs) + PLANNED.pollsPerSecond * cpu(ps);
  raw.fleet_planned = { ...PLANNED, cpuMsPerSecond: coreMs };
  rows.push({
    scenario: "planned fleet (333 heartbeats/s + 3,333 polls/s): CPU ms per second",
    service: f0(coreMs),
    baseline: "—",
    ratio: `${f2(coreMs / 1000)} cores`,
  });
  target(
    "fleet_capacity",
    "planned fleet's CPU (service + Postgres) as a share of this 2-core machine (half to spare)",
    (coreMs / 2000) * 100,
    "<=",
    50,
    "%",
  );

  progress(`fleet list: inserting ${P.fleetDevices} devices`);
  await sql1`
    insert into devices (device_id, last_seen, agent_version, connectivity, network_interface,
      ip, signal_rssi, latency_ms, agent_status, first_seen)
    select 'fleet-' || lpad(g::text, 6, '0'), now() - (g % 3600) * interval '1 second', '2.4.1',
      'wifi', 'wlan0', '10.0.0.1', -60, 20 + g % 600, 'ok', now()
    from generate_series(1, ${P.fleetDevices}) g
    on conflict do nothing`;
  await sql1`analyze devices`;
  const list = await latency("fleet list", svc1, "/api/heartbeats?limit=100", DASHBOARD);
  raw.fleet_list = { devices: P.fleetDevices, ...list };
  rows.push({
    scenario: `GET /api/heartbeats?limit=100 at ${P.fleetDevices} devices, 1 conn: p50 / p99`,
    service: `${ms(list.p50Ms)} / ${ms(list.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  target("fleet_list_p50", "/api/heartbeats?limit=100 p50", list.p50Ms, "<=", 10, "ms");
}
