/**
 * Scenario 1 of `deno task bench`: single-event `POST /events`, service vs bare baseline; peak RSS.
 */
import { sessionEvents } from "../bodies.ts";
import type { LoadSpec } from "../load.ts";
import { alternate, databaseOf, expectOk, postJson } from "../measure.ts";
import { CONNECTIONS, INGEST, P, RUN } from "../params.ts";
import type { Server } from "../procs.ts";
import { clean, diagnostics, figures, progress, raw, rows, target } from "../report.ts";
import { f0, f2, ms } from "../stats.ts";

export async function ingestScenario(svc1: Server, svc2: Server, base: Server): Promise<void> {
  progress("scenario 1: single-event ingest, 10 connections");
  const sample = sessionEvents(`${RUN}check`, 0)[0];
  await expectOk(await postJson(`${svc1.baseUrl}/events`, sample, INGEST), "service /events");
  await expectOk(await postJson(`${svc2.baseUrl}/events`, sample, INGEST), "service w2 /events");
  await expectOk(await postJson(`${base.baseUrl}/events`, sample), "baseline /events");
  const spec =
    (server: Server, headers: Record<string, string>) =>
    (prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path: "/events",
      method: "POST",
      mode: "event",
      prefix,
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const runs = await alternate(
    "ingest",
    [
      {
        key: "service_w1",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: spec(svc1, INGEST),
      },
      { key: "baseline", server: base, database: databaseOf.get(base)!, spec: spec(base, {}) },
      {
        key: "service_w2",
        server: svc2,
        database: databaseOf.get(svc2)!,
        spec: spec(svc2, INGEST),
      },
    ],
    P.ingestRounds,
    P.ingestSeconds,
  );
  const s1 = figures(runs.get("service_w1")!);
  const b = figures(runs.get("baseline")!);
  const s2 = figures(runs.get("service_w2")!);
  raw.ingest = { service_w1: s1, baseline: b, service_w2: s2 };
  rows.push(
    {
      scenario: "POST /events, 10 conn: req/s (WORKERS=1)",
      service: f0(s1.rps),
      baseline: f0(b.rps),
      ratio: `${f2(s1.rps / b.rps)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p50 (WORKERS=1)",
      service: ms(s1.p50Ms),
      baseline: ms(b.p50Ms),
      ratio: `${f2(s1.p50Ms / b.p50Ms)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p99 (WORKERS=1)",
      service: ms(s1.p99Ms),
      baseline: ms(b.p99Ms),
      ratio: `${f2(s1.p99Ms / b.p99Ms)}×`,
    },
    {
      scenario: "POST /events, 10 conn: req/s (WORKERS=2)",
      service: f0(s2.rps),
      baseline: f0(b.rps),
      ratio: `${f2(s2.rps / b.rps)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p99 (WORKERS=2)",
      service: ms(s2.p99Ms),
      baseline: ms(b.p99Ms),
      ratio: `${f2(s2.p99Ms / b.p99Ms)}×`,
    },
  );
  rows.push(...diagnostics("POST /events", s1, b, s2));
  const note = clean(s1) ?? clean(b);
  target(
    "ingest_rps",
    "POST /events req/s, 1 process ÷ bare single-insert",
    s1.rps / b.rps,
    ">=",
    1.5,
    "×",
    note,
  );
  target(
    "ingest_p99",
    "POST /events p99, 1 process ÷ bare single-insert",
    s1.p99Ms / b.p99Ms,
    "<=",
    1.5,
    "×",
    note,
  );
  target(
    "ingest_workers2",
    "POST /events req/s, WORKERS=2 ÷ bare single-insert (1 process)",
    s2.rps / b.rps,
    ">=",
    2,
    "×",
    clean(s2) ?? clean(b),
  );
}

export function rssScenario(svc1: Server, svc2: Server, base: Server): void {
  const s1 = svc1.peakRssKb();
  const s2 = svc2.peakRssKb();
  const b = base.peakRssKb();
  raw.peak_rss_kb = { service_w1: s1, service_w2_all_processes: s2, baseline: b };
  const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
  rows.push(
    {
      scenario: "peak RSS (VmHWM) after the ingest runs, WORKERS=1",
      service: mib(s1),
      baseline: mib(b),
      ratio: `${f2(s1 / b)}×`,
    },
    {
      scenario: "peak RSS, WORKERS=2 (supervisor + 2 workers, summed)",
      service: mib(s2),
      baseline: mib(b),
      ratio: `${f2(s2 / b)}×`,
    },
  );
  target("peak_rss", "peak RSS under the ingest load, service ÷ baseline", s1 / b, "<=", 1.3, "×");
}
