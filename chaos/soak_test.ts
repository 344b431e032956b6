/**
 * Soak: mixed load (event ingest, finalize, summary ingest, dashboards, pages) at a steady rate
 * for CHAOS_SOAK_SECONDS (default 20; `deno task chaos --soak` runs 600). No request may fail
 * and memory must stay flat: start and end RSS are reported.
 */
import assert from "node:assert/strict";
import { rssKb, serviceOnFreshDatabase } from "./_load.ts";
import { sessionEvents } from "../tests/helpers/play.ts";

const SECONDS = Number(Deno.env.get("CHAOS_SOAK_SECONDS") ?? "20");
/** Rounds per second; each round is 9 events, 1 finalize, 1 summary and 3 reads. */
const ROUNDS_PER_SECOND = Number(Deno.env.get("CHAOS_SOAK_RATE") ?? "20");
const ingest = { "content-type": "application/json", Authorization: "Bearer dev-ingest-token" };

Deno.test(`soak: ${SECONDS} s of mixed load, no error, memory flat`, async () => {
  const { svc, cleanup } = await serviceOnFreshDatabase();
  const base = svc.baseUrl;
  const failures: string[] = [];
  let requests = 0;
  const check = async (label: string, res: Promise<Response>) => {
    requests++;
    try {
      const r = await res;
      await r.body?.cancel();
      if (r.status !== 200) failures.push(`${label} → ${r.status}`);
    } catch (err) {
      failures.push(`${label} → ${err instanceof Error ? err.message : err}`);
    }
  };
  const round = async (n: number) => {
    const player = `p-soak-${n % 50}`;
    const session = `soak-${n}`;
    const events = sessionEvents({
      player,
      session,
      pattern: [1 + (n % 3), 1, n % 4 === 0 ? 0 : 2],
      start: new Date(Date.UTC(2026, 10, 1) + n * 60_000).toISOString(),
    });
    await Promise.all(
      events.map((e) =>
        check(
          "event",
          fetch(`${base}/events`, { method: "POST", headers: ingest, body: JSON.stringify(e) }),
        )
      ),
    );
    await check("finalize", fetch(`${base}/sessions/${session}/finalize`, { method: "POST" }));
    await check(
      "summary",
      fetch(`${base}/internal/ingest/session_summary`, {
        method: "POST",
        headers: ingest,
        body: JSON.stringify({
          session_id: `soak-sum-${n}`,
          user_external_id: `u-soak-${n % 20}`,
          started_at: new Date().toISOString(),
          duration_seconds: 60 + (n % 600),
          sentiment_score: (n % 100) / 100,
        }),
      }),
    );
    await Promise.all([
      check(
        "dashboard",
        fetch(`${base}/api/dashboard/u-soak-${n % 20}`, {
          headers: { Authorization: "Bearer dev-dashboard-token" },
        }),
      ),
      check("model", fetch(`${base}/players/${player}/sessions`)),
      check("page", fetch(`${base}/players/${player}`)),
    ]);
  };

  try {
    const pid = svc.process.pid;
    const inFlight = new Set<Promise<void>>();
    let n = 0;
    /** Runs rounds at the steady rate for `ms`. */
    const drive = async (ms: number) => {
      const started = performance.now();
      const first = n;
      while (performance.now() - started < ms) {
        const due = first + Math.floor(((performance.now() - started) / 1000) * ROUNDS_PER_SECOND);
        while (n < due) {
          const p = round(n++).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(inFlight);
    };
    // Warm-up (islands bundle, JIT, pools, V8 heap sizing), then the measured run.
    await drive(Math.min(10_000, SECONDS * 200));
    const startRss = rssKb(pid)!;
    const started = performance.now();
    const warmRounds = n;
    const warmRequests = requests;
    await drive(SECONDS * 1000);
    const endRss = rssKb(pid)!;
    const peak = rssKb(pid, "VmHWM")!;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `soak: ${n - warmRounds} rounds, ${requests - warmRequests} requests in ${
        seconds.toFixed(0)
      } s ` +
        `(${
          ((requests - warmRequests) / seconds).toFixed(0)
        } req/s), ${failures.length} failures, ` +
        `RSS start ${(startRss / 1024).toFixed(1)} MiB, end ${(endRss / 1024).toFixed(1)} MiB, ` +
        `peak ${(peak / 1024).toFixed(1)} MiB`,
    );
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(endRss < startRss * 1.5 + 32 * 1024, "memory stays flat");
  } finally {
    await cleanup();
  }
});
