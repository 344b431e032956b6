/**
 * `deno run -A bench/statement.ts [--sizes=10000,1000000] [--statements=300] [--batch=10]
 *   [--explain]`
 *
 * The ingest statement alone (db/events.ts `ingestEvents`), without HTTP: on one connection of a
 * fresh database holding `size` stored events, it sends statements of `batch` rows as the group
 * commit does under load, in two workloads, and reads the Postgres backend's CPU time from /proc:
 * - `sessions9`: sessions of 9 attempts interleaved (each statement holds attempt k of `batch`
 *   sessions; the first attempt creates the session, the 8 others find it),
 * - `new`: one new session per event.
 * Next to it, on the same connection and table sizes, the bare single-row autocommitted INSERT
 * into a copy of raw_events (the bench baseline's statement). Prints CPU and wall time per event.
 * `--explain` prints the `EXPLAIN (ANALYZE, BUFFERS)` plan of one statement of each workload at
 * each size (auto_explain, sent to the client as a notice).
 */
import postgres from "postgres";
import { loadConfig } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import type { AttemptEvent } from "../openapi/telemetry.ts";
import { toEventRow } from "../services/events.ts";
import { attemptEvent } from "./bodies.ts";
import { cpuTicks, TICK_MS } from "./procs.ts";
import { createScratchDatabase } from "./scratch.ts";
import { f2, median } from "./stats.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const SIZES = arg("sizes", "10000,1000000").split(",").map(Number);
const STATEMENTS = Number(arg("statements", "300"));
const BATCH = Number(arg("batch", "10"));
const EXPLAIN = Deno.args.includes("--explain");
const MODULE = arg("module", "../db/events.ts");

const { ingestEvents } = await import(MODULE) as typeof import("../db/events.ts");
const config = loadConfig({ APP_ENV: "test" });
const row = (prefix: string, s: number, i: number) =>
  toEventRow(attemptEvent(prefix, s, i) as AttemptEvent, config.companySalt);

/** Fills raw_events (and play_sessions) up to `target` events of 9-attempt sessions. */
async function fill(sql: postgres.Sql, target: number): Promise<void> {
  const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from raw_events`;
  const sessions = Math.ceil((target - n) / 9);
  if (sessions <= 0) return;
  const from = Math.ceil(n / 9);
  await sql`
    insert into play_sessions (session_id, player_id, finalized_at)
    select 'fill-' || g, 'fill-p-' || (g % 5000), case when g % 2 = 0 then now() end
    from generate_series(${from}::int, ${from + sessions - 1}::int) g`;
  await sql`
    insert into raw_events (player_id, session_id, task_version, sequence_index, sequence_length,
      attempt_index, presented, input, is_correct, duration_ms, ts_utc, remediation_stage,
      volts_count, company_id)
    select 'fill-p-' || (g % 5000), 'fill-' || g, 'earth_v1', 1 + k / 3, 4 + k / 3, 1 + k % 3,
      '[1,2,3,4]', '[1,2,3,4]', k % 3 = 2, 5000, now() - g * interval '1 second',
      (array['none','volts','space'])[1 + k % 3], nullif(k % 3, 0), null
    from generate_series(${from}::int, ${from + sessions - 1}::int) g, generate_series(0, 8) k`;
  await sql`
    insert into bare_events (player_id, session_id, task_version, sequence_index, sequence_length,
      attempt_index, presented, input, is_correct, duration_ms, ts_utc, remediation_stage,
      volts_count, company_id)
    select player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
      presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count,
      company_id
    from raw_events where session_id like 'fill-%' and id > (select coalesce(max(id), 0)
      from bare_events)`;
  await sql`vacuum analyze play_sessions`;
  await sql`vacuum analyze raw_events`;
  await sql`vacuum analyze bare_events`;
}

interface Result {
  cpuMsPerEvent: number;
  wallMsPerEvent: number;
}

async function timed(
  pid: number,
  events: number,
  fn: () => Promise<void>,
): Promise<Result> {
  const c0 = cpuTicks(pid)!;
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const cpu = (cpuTicks(pid)! - c0) * TICK_MS;
  return { cpuMsPerEvent: cpu / events, wallMsPerEvent: wall / events };
}

async function main(): Promise<void> {
  const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const db = await createScratchDatabase(baseUrl);
  const plans: string[] = [];
  const sql = postgres(db.url, {
    max: 1,
    onnotice: (n) => plans.push(String(n.message)),
  });
  try {
    await migrate(sql);
    await sql`create table bare_events (like raw_events including all)`;
    // bench/baseline.ts's table: the columns, the identity key, the attempt key, the player index.
    await sql`create index if not exists bare_events_player_idx on bare_events (player_id)`;
    const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const run = Date.now().toString(36);
    let s = 0;
    for (const size of SIZES) {
      await fill(sql, size);
      const out: Record<string, Result[]> = { sessions9: [], new: [], bare: [] };
      for (let round = 0; round < 3; round++) {
        // Sessions of 9 attempts interleaved: statement k holds attempt k % 9 of BATCH sessions.
        const base = s;
        s += BATCH;
        const rounds9 = Math.ceil(STATEMENTS / 9);
        out.sessions9.push(
          await timed(pid, rounds9 * 9 * BATCH, async () => {
            for (let r = 0; r < rounds9; r++) {
              const first = base + r * BATCH * 1000;
              for (let i = 0; i < 9; i++) {
                const rows = Array.from({ length: BATCH }, (_, j) => row(run, first + j, i));
                await ingestEvents(sql, rows);
              }
            }
          }),
        );
        const newBase = 1e9 + round * 1e7 + size;
        out.new.push(
          await timed(pid, STATEMENTS * BATCH, async () => {
            for (let k = 0; k < STATEMENTS; k++) {
              const rows = Array.from(
                { length: BATCH },
                (_, j) => row(`${run}n`, newBase + k * BATCH + j, 0),
              );
              await ingestEvents(sql, rows);
            }
          }),
        );
        out.bare.push(
          await timed(pid, STATEMENTS * BATCH, async () => {
            for (let k = 0; k < STATEMENTS * BATCH; k++) {
              const e = row(`${run}b`, 2e9 + round * 1e7 + size + k, k % 9);
              await sql`
                insert into bare_events (player_id, session_id, task_version, sequence_index,
                  sequence_length, attempt_index, presented, input, is_correct, duration_ms, ts_utc,
                  remediation_stage, volts_count, company_id)
                values (${e.player_id}, ${e.session_id}, ${e.task_version}, ${e.sequence_index},
                  ${e.sequence_length}, ${e.attempt_index}, ${sql.json(e.presented)},
                  ${sql.json(e.input)}, ${e.is_correct}, ${e.duration_ms}, ${e.ts_utc},
                  ${e.remediation_stage}, ${e.volts_count}, ${e.company_id})`;
            }
          }),
        );
      }
      const bare = median(out.bare.map((r) => r.cpuMsPerEvent));
      for (const [name, results] of Object.entries(out)) {
        const cpu = median(results.map((r) => r.cpuMsPerEvent));
        const wall = median(results.map((r) => r.wallMsPerEvent));
        console.log(
          `${size} stored, ${name.padEnd(9)} batch ${name === "bare" ? 1 : BATCH}: Postgres CPU ` +
            `${f2(cpu * 1000)} µs/event (${f2(cpu / bare)}× bare), wall ${f2(wall * 1000)} ` +
            `µs/event (rounds: ${results.map((r) => f2(r.cpuMsPerEvent * 1000)).join(", ")})`,
        );
      }
      if (EXPLAIN) {
        await sql`load 'auto_explain'`;
        await sql`set auto_explain.log_min_duration = 0`;
        await sql`set auto_explain.log_analyze = on`;
        await sql`set auto_explain.log_buffers = on`;
        await sql`set auto_explain.log_level = notice`;
        const k = 3e9 + size;
        const label = (what: string) => plans.push(`--- ${size} stored events, ${what}`);
        label("9-attempt sessions: attempt 1 (creates the sessions)");
        await ingestEvents(sql, Array.from({ length: BATCH }, (_, j) => row(run, k + j, 0)));
        label("9-attempt sessions: attempt 2 (sessions exist)");
        await ingestEvents(sql, Array.from({ length: BATCH }, (_, j) => row(run, k + j, 1)));
        label("resend of attempt 2 (duplicates)");
        await ingestEvents(sql, Array.from({ length: BATCH }, (_, j) => row(run, k + j, 1)));
        await sql`set auto_explain.log_min_duration = -1`;
      }
    }
    if (EXPLAIN) console.log(plans.join("\n"));
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

if (import.meta.main) await main();
