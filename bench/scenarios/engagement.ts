/**
 * Scenario 4 of `deno task bench`: the engagement dashboard latency and session-summary ingest vs bare.
 */
import type { LoadSpec } from "../load.ts";
import { alternate, databaseOf, expectOk, latency, postJson } from "../measure.ts";
import { CONNECTIONS, DASHBOARD, INGEST, P, RUN } from "../params.ts";
import type { Server } from "../procs.ts";
import { clean, diagnostics, figures, progress, raw, rows, target } from "../report.ts";
import { f0, f2, ms } from "../stats.ts";

export async function engagementScenario(svc1: Server, base: Server): Promise<void> {
  progress("scenario 4: /api/dashboard/{user} and session-summary ingest");
  const user = `eu-bench-${RUN}`;
  const now = Date.now();
  for (let k = 0; k < 30; k++) {
    await expectOk(
      await postJson(`${svc1.baseUrl}/internal/ingest/session_summary`, {
        session_id: `eb-${RUN}-${k}`,
        user_external_id: user,
        started_at: new Date(now - k * 5 * 3600_000).toISOString(),
        duration_seconds: 300 + k * 7,
        sentiment_score: (k % 10) / 10,
      }, INGEST),
      "session summary",
    );
  }
  const dash = await latency("dashboard", svc1, `/api/dashboard/${user}`, DASHBOARD);
  raw.engagement_dashboard = dash;
  rows.push({
    scenario: "GET /api/dashboard/{user}, 1 conn: p50 / p99",
    service: `${ms(dash.p50Ms)} / ${ms(dash.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  target("dashboard_p50", "/api/dashboard/{user} p50", dash.p50Ms, "<=", 3, "ms", clean(dash));

  await expectOk(
    await postJson(`${base.baseUrl}/summary`, {
      session_id: "check",
      user_external_id: "check",
      started_at: "2025-01-01T00:00:00Z",
      duration_seconds: 1,
      sentiment_score: 0.5,
    }),
    "baseline /summary",
  );
  const spec =
    (server: Server, path: string, headers: Record<string, string>) =>
    (prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path,
      method: "POST",
      mode: "summary",
      prefix,
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const runs = await alternate(
    "summary",
    [
      {
        key: "service",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: spec(svc1, "/internal/ingest/session_summary", INGEST),
      },
      {
        key: "baseline",
        server: base,
        database: databaseOf.get(base)!,
        spec: spec(base, "/summary", {}),
      },
    ],
    P.engagementRounds,
    P.engagementSeconds,
  );
  const s = figures(runs.get("service")!);
  const b = figures(runs.get("baseline")!);
  raw.engagement_ingest = { service: s, baseline: b };
  rows.push(...diagnostics("session-summary ingest", s, b));
  rows.push({
    scenario: "POST /internal/ingest/session_summary, 10 conn: req/s",
    service: f0(s.rps),
    baseline: f0(b.rps),
    ratio: `${f2(s.rps / b.rps)}×`,
  }, {
    scenario: "POST /internal/ingest/session_summary, 10 conn: p99",
    service: ms(s.p99Ms),
    baseline: ms(b.p99Ms),
    ratio: `${f2(s.p99Ms / b.p99Ms)}×`,
  });
  target(
    "engagement_ingest",
    "session-summary ingest req/s ÷ bare single-insert",
    s.rps / b.rps,
    ">=",
    0.8,
    "×",
    clean(s) ?? clean(b),
  );
}
