/**
 * `deno run -A bench/breakdown.ts [--n=200]`
 *
 * Where the time of the service's database writes goes, in-process and without HTTP: runs the
 * service's own functions (services/events.ts `ingestBatch`, services/finalize.ts
 * `finalizeSession`) one at a time on one connection of a fresh database, timestamps every
 * statement postgres.js sends (its `debug` hook), and prints the median time per statement
 * (statement i lasts until statement i+1 is sent; the last one until the call returns, so
 * COMMIT includes the WAL flush). A bare single-row INSERT (autocommit) is measured alongside:
 * its latency is the commit (WAL flush) latency of this machine at this moment.
 */
import postgres from "postgres";
import { loadConfig } from "../config.ts";
import { migrate } from "../db/migrate.ts";
import type { AttemptEvent } from "../openapi/telemetry.ts";
import { ingestBatch, toEventRow } from "../services/events.ts";
import { finalizeSession } from "../services/finalize.ts";
import { createScratchDatabase } from "./scratch.ts";
import { attemptEvent } from "./bodies.ts";

const N = Number(Deno.args.find((a) => a.startsWith("--n="))?.slice(4) ?? 200);

interface Sent {
  t: number;
  query: string;
}
let trace: Sent[] | null = null;

function label(query: string): string {
  return query.replace(/\s+/g, " ").trim().slice(0, 70);
}

interface Case {
  totals: number[];
  statements: Map<string, number[]>;
}
const cases = new Map<string, Case>();

async function measure(name: string, fn: () => Promise<unknown>): Promise<void> {
  const entry: Case = cases.get(name) ?? { totals: [], statements: new Map() };
  cases.set(name, entry);
  trace = [];
  const t0 = performance.now();
  await fn();
  const end = performance.now();
  const sent = trace;
  trace = null;
  entry.totals.push(end - t0);
  sent.forEach((s, i) => {
    const until = i + 1 < sent.length ? sent[i + 1].t : end;
    const list = entry.statements.get(`${i + 1}. ${label(s.query)}`) ?? [];
    list.push(until - s.t);
    entry.statements.set(`${i + 1}. ${label(s.query)}`, list);
  });
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function main(): Promise<void> {
  const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const db = await createScratchDatabase(baseUrl);
  const sql = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, query) => trace?.push({ t: performance.now(), query }),
  });
  const config = loadConfig({ APP_ENV: "test" });
  try {
    await migrate(sql);
    await sql`create table bare_events (like raw_events including all)`;
    const events = (prefix: string, s: number, n: number, player?: string) =>
      Array.from({ length: n }, (_, i) => {
        const e = attemptEvent(prefix, s, i) as AttemptEvent;
        return toEventRow(player ? { ...e, player_id: player } : e, config.companySalt);
      });
    const players = 20;
    await sql`
      insert into play_sessions (session_id, player_id, finalized_at)
      select 'early-' || g, 'fp-' || (g % ${players}), now() from generate_series(1, ${
      players * 100
    }) g`;
    await sql`
      insert into session_summary (player_id, session_id, task_version, task, metrics,
        company_id, played_at, n_attempts)
      select 'fp-' || (g % ${players}), 'early-' || g, 'earth_v1', 'earth',
        jsonb_build_object('fta_level', ((g % 4) / 3.0)::float8, 'fta_strict', g % 4 = 3,
          'repetition_burden', (1 + (g % 5) * 0.5)::float8, 'earth_score_bucket', 5),
        null, timestamptz '2024-01-01' + g * interval '1 hour', 9
      from generate_series(1, ${players * 100}) g`;

    for (let k = 0; k < N + 20; k++) {
      const [r] = events("bare", k, 1);
      const single = () =>
        sql`insert into bare_events (player_id, session_id, task_version, sequence_index,
          sequence_length, attempt_index, presented, input, is_correct, duration_ms, ts_utc,
          remediation_stage, volts_count)
        values (${r.player_id}, ${r.session_id}, ${r.task_version}, ${r.sequence_index},
          ${r.sequence_length}, ${r.attempt_index}, ${sql.json(r.presented)},
          ${sql.json(r.input)}, ${r.is_correct}, ${r.duration_ms}, ${r.ts_utc},
          ${r.remediation_stage}, ${r.volts_count})`;
      const hundred = Array.from({ length: 100 }, (_, i) => {
        const e = attemptEvent("hund", k * 12 + Math.floor(i / 9), i % 9) as AttemptEvent;
        return toEventRow(e, config.companySalt);
      });
      const bareHundred = Array.from({ length: 100 }, (_, i) => {
        const r = toEventRow(
          attemptEvent("barehund", k * 12 + Math.floor(i / 9), i % 9) as AttemptEvent,
          config.companySalt,
        );
        return { ...r, presented: sql.json(r.presented), input: sql.json(r.input) };
      });
      const multi = () =>
        sql`insert into bare_events ${
          sql(
            bareHundred,
            "player_id",
            "session_id",
            "task_version",
            "sequence_index",
            "sequence_length",
            "attempt_index",
            "presented",
            "input",
            "is_correct",
            "duration_ms",
            "ts_utc",
            "remediation_stage",
            "volts_count",
            "company_id",
          )
        }`;
      const one = events("one", k, 1);
      const nine = events("nine", k, 9);
      const player = `fp-${k % players}`;
      const session = events("fin", k, 9, player);
      if (k < 20) {
        await single();
        await ingestBatch(sql, one);
        await ingestBatch(sql, nine);
        await ingestBatch(sql, hundred);
        await multi();
        await ingestBatch(sql, session);
        await finalizeSession(sql, config, session[0].session_id, new Date());
        continue;
      }
      await measure("bare single-row INSERT (autocommit = commit latency)", single);
      await measure("service event transaction, 1 event", () => ingestBatch(sql, one));
      await measure("service event transaction, 9 events", () => ingestBatch(sql, nine));
      await measure("bare multi-row INSERT, 100 events (autocommit)", multi);
      await measure("service batch transaction, 100 events", () => ingestBatch(sql, hundred));
      await ingestBatch(sql, session);
      await measure(
        "finalize, 9 attempts, player with 100+ earlier sessions",
        () => finalizeSession(sql, config, session[0].session_id, new Date()),
      );
    }

    const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
    console.log(`${N} runs of each, one connection, sequential; load average ${load}\n`);
    for (const [name, c] of cases) {
      console.log(
        `${name}: p50 ${pct(c.totals, 50).toFixed(2)} ms, p99 ${pct(c.totals, 99).toFixed(2)} ms`,
      );
      for (const [statement, times] of c.statements) {
        if (times.length < N / 2) continue;
        console.log(`  ${pct(times, 50).toFixed(3).padStart(7)} ms  ${statement}`);
      }
      console.log("");
    }
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

if (import.meta.main) await main();
