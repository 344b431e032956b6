/**
 * Scenario 6 of `deno task bench`: the server-rendered player page with 200 sessions.
 */
import type postgres from "postgres";
import { sessionEvents } from "../bodies.ts";
import { expectOk, insertSummaries, latency, postJson } from "../measure.ts";
import { INGEST, P, RUN, SECRETS } from "../params.ts";
import type { Server } from "../procs.ts";
import { clean, progress, raw, rows, target } from "../report.ts";
import { ms } from "../stats.ts";

type Sql = postgres.Sql;

async function login(server: Server, path: string): Promise<string> {
  const res = await fetch(server.baseUrl + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: `token=${encodeURIComponent(SECRETS.dashboard)}`,
    redirect: "manual",
  });
  await res.body?.cancel();
  const cookie = res.headers.get("set-cookie");
  if (res.status !== 303 || !cookie) throw new Error(`sign-in: ${res.status}`);
  return cookie.split(";")[0];
}

export async function playerPageScenario(svc1: Server, sql: Sql): Promise<void> {
  progress(`scenario 6: player page with ${P.playerPageSessions} sessions`);
  const player = `pp-${RUN}`;
  await insertSummaries(sql, {
    prefix: `pz-${RUN}-`,
    count: P.playerPageSessions - 1,
    players: `'${player}'`,
    company: "null",
    from: "2025-01-01",
  });
  const events = sessionEvents(`${RUN}page`, 0).map((e) => ({ ...e, player_id: player }));
  await expectOk(await postJson(`${svc1.baseUrl}/events/batch`, { events }, INGEST), "batch");
  await expectOk(
    await fetch(`${svc1.baseUrl}/sessions/${events[0].session_id}/finalize`, {
      method: "POST",
      headers: INGEST,
    }),
    "finalize",
  );
  const path = `/players/${player}`;
  const cookie = await login(svc1, path);
  const html = String(
    await expectOk(await fetch(svc1.baseUrl + path, { headers: { Cookie: cookie } }), "page"),
  );
  if (!html.includes(`Player ${player}`)) {
    throw new Error("player page did not render the dashboard");
  }
  const page = await latency("player page", svc1, path, { Cookie: cookie });
  raw.player_page = { ...page, sessions: P.playerPageSessions, html_bytes: html.length };
  rows.push({
    scenario: `GET /players/{id} (${P.playerPageSessions} sessions), 1 conn: p50 / p99`,
    service: `${ms(page.p50Ms)} / ${ms(page.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  target(
    "player_page_p50",
    "player page server render p50 (200 sessions)",
    page.p50Ms,
    "<=",
    30,
    "ms",
    clean(page),
  );
}
