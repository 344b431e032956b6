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
  const cluster = Deno.env.get("CHAOS_PG_CLUSTER") ?? "main";
  const args = ["--skip-systemctl-redirect", versions.at(-1)!, cluster, action];
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
    const recoveredAt = performance.now();
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await Promise.all(clients);

    const during = samples.filter((s) => s.at >= stoppedAt && s.at < startedAt);
    const statuses: Record<number, number> = {};
    for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
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
    const unexpected = samples.filter((s) => s.status !== 200 && s.status !== 503);
    if (unexpected.length > 0 || recoveredMs < 0) {
      const { output } = await svc.stop();
      const errors = output.split("\n").filter((l) => !/"level":"info"/.test(l));
      console.log(`service output (errors):\n${errors.slice(0, 40).join("\n")}`);
      console.log(
        `unexpected: ${JSON.stringify(unexpected.slice(0, 10))}, stopped at ${stoppedAt}`,
      );
    }
    assert.ok(during.length > 0);
    assert.ok(during.some((s) => s.status === 503), "requests during the outage answer 503");
    assert.ok(samples.every((s) => s.status === 200 || s.status === 503), "only 200 or 503");
    assert.ok(slowest < 5000, "no request hangs");
    assert.equal(healthz, 503);
    assert.equal(health, 200);
    assert.ok(recoveredMs >= 0 && recoveredMs < 10_000, "recovers within 10 s");
    // Requests sent a second after recovery are served (earlier ones may still be waiting out
    // a connect attempt that began during the outage).
    const after = samples.filter((s) => s.at > recoveredAt + 1000);
    const notServed = after.filter((s) => s.status !== 200);
    assert.ok(
      after.length > 0 && notServed.length === 0,
      `serving after recovery: ${after.length} requests, not served ${JSON.stringify(notServed)}`,
    );
    assert.equal(lost, 0);
  } finally {
    running = false;
    await pg("start").catch(() => {});
    await Promise.all(clients);
    await cleanup();
  }
});
