/**
 * `deno run -A bench/finalize_probe.ts [--root=DIR] [--n=150] [--players=10] [--explain] [--app]`
 *
 * Finalize in-process, without HTTP, as the finalize scenario of `deno task bench` drives it
 * (players with 100 earlier sessions in one company, a 9-attempt session posted before each
 * finalize), on a fresh database: the p50 / min of the finalize call, and the CPU per finalize
 * of this process (the client: postgres.js and the service) and of its Postgres backend, from
 * /proc. `--root` runs another checkout's code (`services/finalize.ts`, `services/events.ts`,
 * its migrations and its bench helpers), for a before/after comparison on one machine:
 * `deno run -A bench/finalize_probe.ts --root=/work/wt-23-before` (run from that checkout so
 * its import map applies). With track_functions the time of every plpgsql function per
 * finalize is printed (pg_stat_user_functions); `--explain` prints the plan of one finalize's
 * summary insert, triggers included (auto_explain of nested statements). `--app` finalizes
 * through the app (`app.request` of `POST /sessions/{id}/finalize`: middleware, validation and
 * the answer's JSON, no socket) instead of calling the service.
 */
import postgres from "postgres";
import { cpuMs } from "./procs.ts";
import { FINALIZE_COMPANY, finalizePlayer, seedFinalizePlayers } from "./seed.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROOT = new URL(`${arg("root", new URL("..", import.meta.url).pathname)}/`, "file:///");
const N = Number(arg("n", "150"));
const PLAYERS = Number(arg("players", "10"));
const EXPLAIN = Deno.args.includes("--explain");
const APP = Deno.args.includes("--app");

const { loadConfig } = await import(new URL("config.ts", ROOT).href);
const { migrate } = await import(new URL("db/migrate.ts", ROOT).href);
const { ingestBatch, toEventRow } = await import(new URL("services/events.ts", ROOT).href);
const { finalizeSession } = await import(new URL("services/finalize.ts", ROOT).href);
const { createScratchDatabase } = await import(new URL("bench/scratch.ts", ROOT).href);
const { insertSummaries } = await import(new URL("bench/measure.ts", ROOT).href);
const { sessionEvents } = await import(new URL("bench/bodies.ts", ROOT).href);
const { createApp } = await import(new URL("app.ts", ROOT).href);

const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
  "postgres://postgres@127.0.0.1:5432/postgres";
const db = await createScratchDatabase(baseUrl);
/** The statements of the finalize being timed: when each was sent. */
let trace: { t: number; query: string }[] | null = null;
const statements = new Map<string, number[]>();
const sql = postgres(db.url, {
  max: 1,
  onnotice: (n: { message?: string }) => EXPLAIN && console.log(n.message),
  debug: (_c: number, query: string) => trace?.push({ t: performance.now(), query }),
});
const config = loadConfig({ APP_ENV: "test", INGEST_SERVICE_TOKEN: "probe-ingest" });
const app = createApp({ config, sql, log: () => {}, now: () => new Date() });
/** Finalizes one session, through the app (`--app`) or the service. */
async function finalize(sessionId: string): Promise<void> {
  if (!APP) return void await finalizeSession(sql, config, sessionId, new Date());
  const res = await app.request(`/sessions/${encodeURIComponent(sessionId)}/finalize`, {
    method: "POST",
    headers: { Authorization: "Bearer probe-ingest" },
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`finalize: ${res.status} ${body}`);
}
try {
  await migrate(sql);
  await seedFinalizePlayers(sql, insertSummaries, PLAYERS);
  await sql`analyze`;
  const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  await sql`set track_functions = 'pl'`;
  const times: number[] = [];
  let client = 0;
  let backend = 0;
  for (let k = 0; k < N + 20; k++) {
    const events = sessionEvents("probe", k).map((e: Record<string, unknown>) =>
      toEventRow(
        { ...e, player_id: finalizePlayer(k, PLAYERS), company_id: FINALIZE_COMPANY },
        config.companySalt,
      )
    );
    await ingestBatch(sql, events);
    const sessionId = events[0].session_id;
    if (k === 20) {
      // Statistics still pending in this backend reach the shared ones at most once a second.
      await new Promise((r) => setTimeout(r, 1100));
      await sql`select 1`;
      await sql`select pg_stat_reset()`;
      await sql`select pg_stat_clear_snapshot()`;
    }
    if (EXPLAIN && k === N + 19) {
      await sql`load 'auto_explain'`;
      await sql`set auto_explain.log_min_duration = 0`;
      await sql`set auto_explain.log_analyze = on`;
      await sql`set auto_explain.log_buffers = on`;
      await sql`set auto_explain.log_nested_statements = on`;
      await sql`set client_min_messages = log`;
      await sql`set auto_explain.log_level = notice`;
    }
    const c0 = cpuMs(Deno.pid);
    const b0 = cpuMs(pid);
    trace = [];
    const t0 = performance.now();
    await finalize(sessionId);
    const end = performance.now();
    const t = end - t0;
    const sent = trace;
    trace = null;
    if (k >= 20) {
      sent.forEach((s, i) => {
        const key = `${String(i + 1).padStart(2)}. ${
          s.query.replace(/\s+/g, " ").trim().slice(0, 80)
        }`;
        const list = statements.get(key) ?? [];
        list.push((i + 1 < sent.length ? sent[i + 1].t : end) - s.t);
        statements.set(key, list);
      });
    }
    if (k >= 20) {
      times.push(t);
      client += cpuMs(Deno.pid) - c0;
      backend += cpuMs(pid) - b0;
    }
  }
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `${ROOT.pathname}: ${N} finalizes, p50 ${percentile(times, 50).toFixed(2)} ms, min ${
      Math.min(...times).toFixed(2)
    } ms, p90 ${percentile(times, 90).toFixed(2)} ms; CPU per finalize: client ${
      (client / N).toFixed(2)
    } ms, Postgres backend ${(backend / N).toFixed(2)} ms; load ${load}`,
  );
  for (const [key, list] of statements) {
    if (list.length >= N / 2) {
      console.log(`  ${percentile(list, 50).toFixed(3).padStart(7)} ms  ${key}`);
    }
  }
  // Function statistics reach the shared view at most once a second: wait, end a transaction.
  await new Promise((r) => setTimeout(r, 1100));
  await sql`select 1`;
  await sql`select pg_stat_clear_snapshot()`;
  const fns = await sql<{ funcname: string; calls: number; total: number; self: number }[]>`
    select funcname, calls::int, total_time as total, self_time as self
    from pg_stat_user_functions order by total_time desc`;
  for (const f of fns) {
    console.log(
      `  ${f.funcname}: ${(f.calls / N).toFixed(1)} calls, total ${
        (f.total / N).toFixed(3)
      } ms, self ${(f.self / N).toFixed(3)} ms per finalize`,
    );
  }
} finally {
  await sql.end({ timeout: 5 });
  await db.drop();
}
