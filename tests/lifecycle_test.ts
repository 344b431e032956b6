/**
 * The real process under stress: graceful shutdown with requests in flight, SIGKILL mid-load
 * with every acknowledged event counted afterwards, and several workers on one port.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { createServerDatabase, serverUrl } from "./helpers/db.ts";
import { type Service, startService } from "./helpers/process.ts";
import { sessionEvents } from "./helpers/play.ts";

interface Target {
  env: Record<string, string>;
  /** Counts stored events through SQL (server) or the API (embedded). */
  cleanup(): Promise<void>;
  label: string;
}

async function target(): Promise<Target> {
  const base = serverUrl();
  if (base) {
    const created = await createServerDatabase(base);
    return { env: { DATABASE_URL: created.url }, cleanup: created.drop, label: "postgres" };
  }
  const dir = await Deno.makeTempDir({ prefix: "etl-life-" });
  return {
    env: { DATA_DIR: dir },
    cleanup: () => Deno.remove(dir, { recursive: true }),
    label: "embedded",
  };
}

function summaryOf(session: string): Record<string, unknown> {
  return {
    session_id: `sum-${session}`,
    user_external_id: "u-crash",
    started_at: "2026-11-20T10:00:00Z",
    duration_seconds: 120,
    sentiment_score: 0.5,
  };
}

/** Returns the ingest answer's status ("ok" / "duplicate"), or the HTTP status as text. */
async function ingestSummary(svc: Service, body: unknown): Promise<string> {
  const res = await fetch(`${svc.baseUrl}/internal/ingest/session_summary`, {
    method: "POST",
    headers: { "content-type": "application/json", Authorization: "Bearer dev-ingest-token" },
    body: JSON.stringify(body),
  });
  if (res.ok) return (await res.json()).status;
  await res.body?.cancel();
  return String(res.status);
}

async function post(svc: Service, path: string, body: unknown): Promise<number> {
  const res = await fetch(`${svc.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test("SIGTERM with 20 requests in flight: all complete, then exit 0 within 10 s", async () => {
  const t = await target();
  try {
    const svc = await startService(t.env);
    const requests = Array.from({ length: 20 }, (_, i) =>
      post(svc, "/events/batch", {
        events: sessionEvents({
          player: "p-drain",
          session: `drain-${i}`,
          pattern: [3, 3, 0],
          start: "2026-11-20T10:00:00Z",
        }),
      }));
    await new Promise((r) => setTimeout(r, 15));
    const started = performance.now();
    const stopped = svc.stop("SIGTERM");
    const statuses = await Promise.all(requests);
    const { code } = await stopped;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${t.label}: statuses ${JSON.stringify([...new Set(statuses)])}, exit ${code} after ${
        seconds.toFixed(2)
      } s`,
    );
    assert.deepEqual(statuses, Array(20).fill(200));
    assert.equal(code, 0);
    assert.ok(seconds < 10);
  } finally {
    await t.cleanup();
  }
});

Deno.test("SIGKILL mid-load: every acknowledged event and summary is there after the restart", async () => {
  const t = await target();
  try {
    let svc = await startService(t.env);
    const acknowledged: string[] = [];
    const summaries: Record<string, unknown>[] = [];
    let running = true;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let n = 0; running; n++) {
        const session = `crash-${c}-${n}`;
        const [event] = sessionEvents({
          player: `p-crash-${c}`,
          session,
          pattern: [1, 1, 1],
          start: "2026-11-20T10:00:00Z",
        });
        try {
          if ((await post(svc, "/events", event)) === 200) acknowledged.push(session);
          const summary = summaryOf(session);
          if ((await ingestSummary(svc, summary)) === "ok") summaries.push(summary);
        } catch {
          return; // connection reset by the kill
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    await svc.stop("SIGKILL");
    running = false;
    await Promise.all(clients);

    svc = await startService(t.env);
    let lost = 0;
    const base = serverUrl();
    if (base) {
      const sql = postgres(t.env.DATABASE_URL, { max: 1, onnotice: () => {} });
      const rows = await sql<{ session_id: string }[]>`
        select session_id from raw_events where session_id like 'crash-%'`;
      const present = new Set(rows.map((r) => r.session_id));
      lost = acknowledged.filter((s) => !present.has(s)).length;
      await sql.end();
    } else {
      // Embedded: finalize answers 404 for a session without stored events.
      for (const session of acknowledged) {
        const res = await fetch(`${svc.baseUrl}/sessions/${session}/finalize`, { method: "POST" });
        await res.body?.cancel();
        if (res.status === 404) lost++;
      }
    }
    console.log(
      `${t.label}: ${lost} of ${acknowledged.length} acknowledged events lost after SIGKILL`,
    );
    // An acknowledged summary that survived answers "duplicate" when sent again.
    let lostSummaries = 0;
    for (const summary of summaries) {
      if ((await ingestSummary(svc, summary)) !== "duplicate") lostSummaries++;
    }
    console.log(
      `${t.label}: ${lostSummaries} of ${summaries.length} acknowledged session summaries lost`,
    );
    assert.ok(summaries.length > 0);
    assert.equal(lostSummaries, 0);
    assert.ok(acknowledged.length > 0);
    assert.equal(lost, 0);
    await svc.stop();
  } finally {
    await t.cleanup();
  }
});

Deno.test("WORKERS=2 serves one port from two processes and drains on SIGTERM", {
  ignore: serverUrl() === null,
}, async () => {
  const t = await target();
  try {
    const svc = await startService({ ...t.env, WORKERS: "2" });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(
          svc,
          "/events",
          sessionEvents({
            player: "p-workers",
            session: `w-${i}`,
            pattern: [1, 1, 1],
            start: "2026-11-20T10:00:00Z",
          })[0],
        )),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const sql = postgres(t.env.DATABASE_URL, { max: 1, onnotice: () => {} });
    const rows = await sql`select count(*)::int as n from raw_events where player_id = 'p-workers'`;
    await sql.end();
    assert.equal(rows[0].n, 200);
    const { code, output } = await svc.stop("SIGTERM");
    assert.equal(code, 0, output);
    assert.match(
      output,
      /^Earth Task Telemetry \(test\) on http:\/\/127\.0\.0\.1:\d+ with 2 worker processes$/m,
    );
  } finally {
    await t.cleanup();
  }
});
