/**
 * `deno run -A bench/poll_path.ts [--n=20000]`
 *
 * Where the HTTP process spends its time on an empty command poll, in-process (no socket, no
 * HTTP parsing: `app.fetch` of a built Request, one at a time; this process's CPU time from
 * `process.cpuUsage()`, so a loaded machine does not inflate it): the light path (api/devices.ts lightPoll, the hinted empty poll) against the full
 * middleware chain of app.ts for the same answer (a query string sends the poll down the full
 * path; the command hints still spare it the SQL), with the request log line serialized as the
 * service does (JSON to a discarded sink) or not logged at all. Median of 5 rounds, µs/request.
 */
import process from "node:process";
import { Hono } from "hono";
import { createApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createCommandHints } from "../services/command_hints.ts";

const N = Number(Deno.args.find((a) => a.startsWith("--n="))?.slice(4) ?? 20_000);
const db = await openDatabase({ databaseUrl: null, dataDir: null });
await migrate(db.sql);
const hints = createCommandHints(db.sql);
await hints.listening();
const config = loadConfig({ APP_ENV: "test", INGEST_SERVICE_TOKEN: "svc-token-0123456789" });
let sink = 0;
const jsonLog = (level: string, fields: Record<string, unknown>) => {
  sink += JSON.stringify({ level, time: new Date().toISOString(), ...fields }).length;
};
const app = (log: typeof jsonLog) =>
  createApp({ config, sql: db.sql, log, now: () => new Date(), commandHints: hints });
const headers = { Authorization: "Bearer svc-token-0123456789", "X-Device-ID": "dev-000042" };

// The floor: a bare Hono app with the one route answering the same bytes.
const bare = new Hono();
bare.get(
  "/internal/commands/pending",
  () => new Response('{"command":null}', { headers: { "content-type": "application/json" } }),
);

async function perRequest(
  a: { fetch(r: Request): Response | Promise<Response> },
  url: string,
): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const res = await a.fetch(new Request(url, { headers }));
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      await res.arrayBuffer();
    }
    const used = process.cpuUsage(t0);
    rounds.push((used.user + used.system) / N);
  }
  return rounds.sort((x, y) => x - y)[2];
}

const floor = await perRequest(bare, "http://127.0.0.1/internal/commands/pending");
const withLog = app(jsonLog);
const noLog = app(() => {});
const light = await perRequest(withLog, "http://127.0.0.1/internal/commands/pending");
const full = await perRequest(withLog, "http://127.0.0.1/internal/commands/pending?v=1");
const fullNoLog = await perRequest(noLog, "http://127.0.0.1/internal/commands/pending?v=1");
console.log(`empty poll, in-process, CPU µs/request (median of 5 × ${N}):`);
console.log(`  bare Hono, one route (the floor):    ${floor.toFixed(1)}`);
console.log(`  light path (hinted):                 ${light.toFixed(1)}`);
console.log(`  full middleware chain + log line:    ${full.toFixed(1)}`);
console.log(`  full middleware chain, no log line:  ${fullNoLog.toFixed(1)}`);
console.log(`  (log bytes serialized: ${sink})`);
await db.close();
