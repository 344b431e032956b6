/**
 * Scenario 3 of `deno task bench`: finalize latency for players with 100 earlier sessions.
 */
import type postgres from "postgres";
import { sessionEvents } from "../bodies.ts";
import { expectOk, insertSummaries, postJson } from "../measure.ts";
import { DASHBOARD, INGEST, P, RUN } from "../params.ts";
import type { Server } from "../procs.ts";
import { progress, raw, rows, target } from "../report.ts";
import { ms, percentile } from "../stats.ts";

type Sql = postgres.Sql;

export async function finalizeScenario(svc1: Server, sql: Sql): Promise<void> {
  progress(
    `scenario 3: finalize (9 attempts, players with ${P.earlierSessions} earlier sessions)`,
  );
  const players = P.finalizePlayers;
  await insertSummaries(sql, {
    prefix: `fz-${RUN}-`,
    count: players * P.earlierSessions,
    players: `'fp-${RUN}-' || (g % ${players})`,
    company: "'c_finalizebench'",
    from: "2024-01-01",
  });
  const times: number[] = [];
  const total = P.finalizeCount + 10;
  for (let k = 0; k < total; k++) {
    const player = `fp-${RUN}-${k % players}`;
    const events = sessionEvents(`${RUN}fin`, k).map((e) => ({
      ...e,
      player_id: player,
      company_id: "c_finalizebench",
    }));
    await expectOk(
      await postJson(`${svc1.baseUrl}/events/batch`, { events }, INGEST),
      "batch before finalize",
    );
    const sessionId = events[0].session_id;
    const t0 = performance.now();
    const res = await fetch(`${svc1.baseUrl}/sessions/${encodeURIComponent(sessionId)}/finalize`, {
      method: "POST",
      headers: INGEST,
    });
    const body = await res.text();
    const elapsed = performance.now() - t0;
    if (res.status !== 200) throw new Error(`finalize: ${res.status} ${body}`);
    if (k >= 10) times.push(elapsed);
  }
  const model = await expectOk(
    await fetch(`${svc1.baseUrl}/model/state/fp-${RUN}-0`, { headers: DASHBOARD }),
    "model state",
  ) as { n_samples: number };
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  raw.finalize = {
    count: times.length,
    players,
    earlier_sessions: P.earlierSessions,
    p50_ms: p50,
    p99_ms: p99,
    max_ms: Math.max(...times),
    model_n_samples_after: model.n_samples,
    client: "sequential fetch, one request at a time; includes loopback HTTP",
  };
  rows.push({
    scenario: `finalize, ${P.earlierSessions}+ earlier sessions: p50 / p99`,
    service: `${ms(p50)} / ${ms(p99)}`,
    baseline: "—",
    ratio: "—",
  });
  target("finalize_p50", "finalize p50 (player with 100 earlier sessions)", p50, "<=", 5, "ms");
  target("finalize_p99", "finalize p99 (player with 100 earlier sessions)", p99, "<=", 20, "ms");
  progress(`finalize: p50 ${ms(p50)}, p99 ${ms(p99)} over ${times.length}`);
}
