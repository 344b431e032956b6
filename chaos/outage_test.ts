/**
 * Database outage under load: the local PostgreSQL server is stopped while clients post events.
 * Requests must answer 503 within 5 s (no hang, no 500), /healthz 503 and /health 200; once the
 * server is back the service recovers by itself within 10 s and nothing acknowledged is lost.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { postOne, type Sample, serviceOnFreshDatabase, statusOf } from "./_load.ts";

async function pg(action: "start" | "stop"): Promise<void> {
  const versions = [...Deno.readDirSync("/etc/postgresql")].map((d) => d.name).sort();
  const args = ["--skip-systemctl-redirect", versions.at(-1)!, "main", action];
  if (action === "stop") args.push("-m", "fast");
  const out = await new Deno.Command("pg_ctlcluster", { args, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("database outage: 503 fast, /health alive, recovery without restart, nothing lost", async () => {
  const { svc, url, cleanup } = await serviceOnFreshDatabase();
  const samples: (Sample & { session: string })[] = [];
  let running = true;
  let n = 0;
  const clients = Array.from({ length: 4 }, async (_, c) => {
    while (running) {
      const session = `outage-${c}-${n++}`;
      samples.push({ ...(await postOne(svc, session, `p-outage-${c}`)), session });
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const stoppedAt = performance.now();
    await pg("stop");
    await new Promise((r) => setTimeout(r, 2000));
    const healthz = await statusOf(svc, "/healthz");
    const health = await statusOf(svc, "/health");
    await new Promise((r) => setTimeout(r, 1000));
    await pg("start");
    const startedAt = performance.now();
    let recoveredMs = -1;
    while (performance.now() - startedAt < 15_000) {
      if ((await statusOf(svc, "/healthz")) === 200) {
        recoveredMs = performance.now() - startedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(clients);

    const during = samples.filter((s) => s.at >= stoppedAt && s.at < startedAt);
    const statuses = [...new Set(samples.map((s) => s.status))].sort();
    const slowest = Math.max(...during.map((s) => s.ms));
    const acked = samples.filter((s) => s.status === 200);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await sql<{ session_id: string }[]>`
      select session_id from raw_events where session_id like 'outage-%'`;
    await sql.end();
    const present = new Set(rows.map((r) => r.session_id));
    const lost = acked.filter((s) => !present.has(s.session)).length;
    console.log(
      `outage: ${samples.length} requests, statuses ${JSON.stringify(statuses)}, ` +
        `${during.length} during the outage (slowest ${slowest.toFixed(0)} ms), ` +
        `/healthz ${healthz}, /health ${health}, recovered in ${recoveredMs.toFixed(0)} ms, ` +
        `${lost} of ${acked.length} acknowledged events lost`,
    );
    assert.ok(during.length > 0);
    assert.ok(during.some((s) => s.status === 503), "requests during the outage answer 503");
    assert.ok(samples.every((s) => s.status === 200 || s.status === 503), "only 200 or 503");
    assert.ok(slowest < 5000, "no request hangs");
    assert.equal(healthz, 503);
    assert.equal(health, 200);
    assert.ok(recoveredMs >= 0 && recoveredMs < 10_000, "recovers within 10 s");
    assert.ok(samples.at(-1)!.status === 200, "serving again after recovery");
    assert.equal(lost, 0);
  } finally {
    running = false;
    await pg("start").catch(() => {});
    await Promise.all(clients);
    await cleanup();
  }
});
