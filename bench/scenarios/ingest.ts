/**
 * Scenario 1 of `deno task bench`: single-event `POST /events`, service vs bare baseline, in two
 * workloads — sessions of 9 attempts interleaved across the connections (a game client's traffic)
 * and one new session per event (the worst case: every event creates a session) — with the CPU
 * per request of the HTTP process and of Postgres and the machine's busy share; peak RSS.
 */
import { sessionEvents } from "../bodies.ts";
import type { PostMode } from "../bodies.ts";
import type { LoadSpec } from "../load.ts";
import { alternate, databaseOf, expectOk, postJson } from "../measure.ts";
import { INGEST, P, RUN } from "../params.ts";
import type { Server } from "../procs.ts";
import {
  clean,
  diagnostics,
  type Figures,
  figures,
  info,
  progress,
  raw,
  rows,
  target,
} from "../report.ts";
import { f0, f2, ms } from "../stats.ts";

/** Connections of the ingest runs (`wrk -t1 -c16`, as in issue 12's measurement). */
export const INGEST_CONNECTIONS = 16;

async function workload(
  mode: PostMode,
  label: string,
  svc: Server,
  base: Server,
): Promise<{ s: Figures; b: Figures }> {
  const spec =
    (server: Server, headers: Record<string, string>) =>
    (prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path: "/events",
      method: "POST",
      mode,
      prefix,
      connections: INGEST_CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const runs = await alternate(
    mode,
    [
      { key: "service", server: svc, database: databaseOf.get(svc)!, spec: spec(svc, INGEST) },
      { key: "baseline", server: base, database: databaseOf.get(base)!, spec: spec(base, {}) },
    ],
    P.ingestRounds,
    P.ingestSeconds,
  );
  const s = figures(runs.get("service")!);
  const b = figures(runs.get("baseline")!);
  const conn = `${INGEST_CONNECTIONS} conn`;
  rows.push(
    {
      scenario: `POST /events, ${label}, ${conn}: req/s`,
      service: f0(s.rps),
      baseline: f0(b.rps),
      ratio: `${f2(s.rps / b.rps)}×`,
    },
    {
      scenario: `POST /events, ${label}, ${conn}: p50 / p99`,
      service: `${ms(s.p50Ms)} / ${ms(s.p99Ms)}`,
      baseline: `${ms(b.p50Ms)} / ${ms(b.p99Ms)}`,
      ratio: `${f2(s.p50Ms / b.p50Ms)}× / ${f2(s.p99Ms / b.p99Ms)}×`,
    },
    ...diagnostics(`POST /events, ${label}`, s, b),
  );
  return { s, b };
}

export async function ingestScenario(svc: Server, base: Server): Promise<void> {
  progress(`scenario 1: single-event ingest, ${INGEST_CONNECTIONS} connections, two workloads`);
  const sample = sessionEvents(`${RUN}check`, 0)[0];
  await expectOk(await postJson(`${svc.baseUrl}/events`, sample, INGEST), "service /events");
  await expectOk(await postJson(`${base.baseUrl}/events`, sample), "baseline /events");

  const nine = await workload("event", "9-attempt sessions", svc, base);
  const fresh = await workload("event-new", "one new session per event", svc, base);
  raw.ingest = { sessions9: nine, new_session_per_event: fresh };

  const note = clean(nine.s) ?? clean(nine.b);
  target(
    "ingest_rps",
    "POST /events req/s on 9-attempt sessions, one process ÷ bare (stretch 1.5×)",
    nine.s.rps / nine.b.rps,
    ">=",
    1.0,
    "×",
    note,
  );
  target(
    "ingest_new_session_rps",
    "POST /events req/s, one new session per event ÷ bare",
    fresh.s.rps / fresh.b.rps,
    ">=",
    0.8,
    "×",
    clean(fresh.s) ?? clean(fresh.b),
  );
  target(
    "ingest_postgres_cpu",
    "Postgres CPU per event ÷ bare (9-attempt sessions)",
    (nine.s.postgresCpuMs ?? NaN) / (nine.b.postgresCpuMs ?? NaN),
    "<=",
    0.5,
    "×",
  );
  info(
    "ingest_postgres_cpu_new_session",
    "Postgres CPU per event ÷ bare (one new session per event)",
    `${f2((fresh.s.postgresCpuMs ?? NaN) / (fresh.b.postgresCpuMs ?? NaN))}×`,
  );
  target(
    "ingest_machine_busy",
    "machine busy at saturation (service, 9-attempt sessions)",
    (nine.s.machineBusy ?? NaN) * 100,
    ">=",
    90,
    "%",
  );
  target(
    "ingest_p99",
    "POST /events p99 ÷ bare (9-attempt sessions)",
    nine.s.p99Ms / nine.b.p99Ms,
    "<=",
    1.5,
    "×",
    note,
  );
}

export function rssScenario(svc: Server, base: Server): void {
  const s = svc.peakRssKb();
  const b = base.peakRssKb();
  raw.peak_rss_kb = { service: s, baseline: b };
  const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
  rows.push({
    scenario: "peak RSS (VmHWM) after the ingest runs",
    service: mib(s),
    baseline: mib(b),
    ratio: `${f2(s / b)}×`,
  });
  target("peak_rss", "peak RSS under the ingest load, service ÷ baseline", s / b, "<=", 1.3, "×");
}
