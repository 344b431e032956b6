/**
 * Scenario 2 of `deno task bench`: `POST /events/batch` of 100 and 500 events vs a bare multi-row INSERT.
 */
import type { LoadSpec } from "../load.ts";
import { alternate, databaseOf } from "../measure.ts";
import { CONNECTIONS, INGEST, P } from "../params.ts";
import type { Server } from "../procs.ts";
import { clean, diagnostics, figures, progress, raw, rows, target } from "../report.ts";
import { f0, f2, ms } from "../stats.ts";

export async function batchScenario(svc1: Server, base: Server): Promise<void> {
  raw.batch = {};
  for (const size of [100, 500]) {
    progress(`scenario 2: /events/batch with ${size} events, 10 connections`);
    const spec =
      (server: Server, headers: Record<string, string>) =>
      (prefix: string, seconds: number): LoadSpec => ({
        baseUrl: server.baseUrl,
        path: "/events/batch",
        method: "POST",
        mode: "batch",
        size,
        prefix,
        connections: CONNECTIONS,
        durationSeconds: seconds,
        headers,
      });
    const runs = await alternate(
      `batch${size}`,
      [
        {
          key: "service",
          server: svc1,
          database: databaseOf.get(svc1)!,
          spec: spec(svc1, INGEST),
        },
        { key: "baseline", server: base, database: databaseOf.get(base)!, spec: spec(base, {}) },
      ],
      P.batchRounds,
      P.batchSeconds,
    );
    const s = figures(runs.get("service")!);
    const b = figures(runs.get("baseline")!);
    (raw.batch as Record<string, unknown>)[String(size)] = { service: s, baseline: b };
    rows.push(...diagnostics(`POST /events/batch × ${size}`, s, b));
    rows.push({
      scenario: `POST /events/batch × ${size}, 10 conn: events/s`,
      service: f0(s.rps * size),
      baseline: f0(b.rps * size),
      ratio: `${f2(s.rps / b.rps)}×`,
    }, {
      scenario: `POST /events/batch × ${size}, 10 conn: p50 per batch`,
      service: ms(s.p50Ms),
      baseline: ms(b.p50Ms),
      ratio: `${f2(s.p50Ms / b.p50Ms)}×`,
    });
    target(
      `batch${size}`,
      `/events/batch × ${size} events/s ÷ bare multi-row INSERT`,
      s.rps / b.rps,
      ">=",
      0.9,
      "×",
      clean(s) ?? clean(b),
    );
  }
}
