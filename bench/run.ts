/**
 * `deno task bench [--quick] [--only=ingest,batch,finalize,engagement,player,company,embedded]`
 *
 * Starts, against the local Postgres (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), each on its own fresh database:
 * - the service with WORKERS=1 and with WORKERS=2 (APP_ENV=production: bearer tokens, JSON
 *   request log to /dev/null),
 * - the bare baseline (bench/baseline.ts: Hono + zod, one INSERT per request),
 * and (bench/embedded.ts) the service and the baseline each over its own embedded PGlite,
 * drives them with wrk (or bench/load.ts) on loopback, alternating A/B runs, and prints the
 * targets of issue 7 with the measured figures; writes bench/results.json. Every target is a
 * ratio against the baseline measured in the same run, or an absolute latency.
 *
 * Runs with --allow-all: Deno grants /proc (CPU time, VmHWM, load average) only with it.
 */
import postgres from "postgres";
import { dashboardTokenFor } from "../core/company.ts";
import { rebuildCompanyAggregates } from "../db/companies.ts";
import { createServerDatabase } from "../tests/helpers/db.ts";
import { sessionEvents } from "./bodies.ts";
import { embeddedScenario } from "./embedded.ts";
import { findWrk, type LoadResult, type LoadSpec, runLoad } from "./load.ts";
import {
  BASELINE_ARGS,
  cpuTicks,
  type Server,
  SERVICE_ARGS,
  startServer,
  TICK_MS,
} from "./procs.ts";
import { f0, f2, median, ms, percentile } from "./stats.ts";

type Sql = postgres.Sql;

const ROOT = new URL("../", import.meta.url);
const RESULTS = new URL("bench/results.json", ROOT);

const quick = Deno.args.includes("--quick");
const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
const only = onlyArg ? new Set(onlyArg.slice(7).split(",")) : null;
const wanted = (name: string) => only === null || only.has(name);

/** Durations, rounds and data sizes of a full run and of `--quick`. */
const P = quick
  ? {
    warmupSeconds: 1,
    ingestSeconds: 2,
    ingestRounds: 1,
    batchSeconds: 2,
    batchRounds: 1,
    engagementSeconds: 2,
    engagementRounds: 1,
    latencySeconds: 2,
    finalizePlayers: 10,
    finalizeCount: 40,
    earlierSessions: 100,
    companySessions: 10_000,
    companyPlayers: 200,
    otherSessions: 90_000,
    otherCompanies: 19,
    otherPlayers: 4_000,
    playerPageSessions: 200,
  }
  : {
    warmupSeconds: 2,
    ingestSeconds: 8,
    ingestRounds: 3,
    batchSeconds: 6,
    batchRounds: 2,
    engagementSeconds: 6,
    engagementRounds: 2,
    latencySeconds: 5,
    finalizePlayers: 50,
    finalizeCount: 250,
    earlierSessions: 100,
    companySessions: 100_000,
    companyPlayers: 2_000,
    otherSessions: 900_000,
    otherCompanies: 199,
    otherPlayers: 40_000,
    playerPageSessions: 200,
  };

const CONNECTIONS = 10;
const RUN = Date.now().toString(36);

const SECRETS = {
  ingest: "bench-ingest-token",
  dashboard: "bench-dashboard-token",
  companySalt: "bench-company-salt",
  dashboardSalt: "bench-dashboard-token-salt",
  admin: "bench-admin-key",
};
const INGEST = { Authorization: `Bearer ${SECRETS.ingest}` };
const DASHBOARD = { Authorization: `Bearer ${SECRETS.dashboard}` };

function serviceEnv(databaseUrl: string, workers: number): Record<string, string> {
  return {
    APP_ENV: "production",
    DATABASE_URL: databaseUrl,
    WORKERS: String(workers),
    COMPANY_SALT: SECRETS.companySalt,
    DASHBOARD_TOKEN_SALT: SECRETS.dashboardSalt,
    INGEST_SERVICE_TOKEN: SECRETS.ingest,
    DASHBOARD_TOKEN_MAP: `${SECRETS.dashboard}:*`,
    ADMIN_KEY: SECRETS.admin,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures and targets

/** Median figures of a set of load runs. */
interface Figures {
  /** Medians over the runs (CPU and transactions: runs of `alternate` only). */
  serverCpuMs?: number;
  postgresCpuMs?: number;
  requestsPerTransaction?: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  errors: number;
  badStatus: number;
  runs: LoadResult[];
}

interface Target {
  id: string;
  label: string;
  goal: string;
  measured: string;
  value: number | null;
  pass: boolean | null;
  note?: string;
}

interface Row {
  scenario: string;
  service: string;
  baseline: string;
  ratio: string;
}

const targets: Target[] = [];
const rows: Row[] = [];
const raw: Record<string, unknown> = {};
const loadavg: { at: string; load: string }[] = [];

function figures(runs: (LoadResult | Measured)[]): Figures {
  const measured = runs.filter((r): r is Measured => "serverCpuMs" in r);
  const extra = measured.length === runs.length && runs.length > 0
    ? {
      serverCpuMs: median(measured.map((r) => r.serverCpuMs)),
      postgresCpuMs: median(measured.map((r) => r.postgresCpuMs)),
      requestsPerTransaction: median(measured.map((r) => r.requestsPerTransaction)),
    }
    : {};
  return {
    ...extra,
    rps: median(runs.map((r) => r.rps)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    maxMs: Math.max(...runs.map((r) => r.maxMs)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    badStatus: runs.reduce((a, r) => a + r.badStatus, 0),
    runs,
  };
}

/** Rows showing where a request's CPU went and how many requests shared a transaction. */
function diagnostics(scenario: string, s: Figures, b: Figures, w2?: Figures): Row[] {
  const cpu = (f: Figures) => `${f2(f.serverCpuMs ?? NaN)} / ${f2(f.postgresCpuMs ?? NaN)} ms`;
  return [{
    scenario: `${scenario}: CPU per request, server process / its Postgres backends`,
    service: cpu(s) + (w2 ? ` (WORKERS=2: ${cpu(w2)})` : ""),
    baseline: cpu(b),
    ratio: `${
      f2(
        ((s.serverCpuMs ?? 0) + (s.postgresCpuMs ?? 0)) /
          ((b.serverCpuMs ?? 0) + (b.postgresCpuMs ?? 0)),
      )
    }× (sum)`,
  }, {
    scenario: `${scenario}: requests per committed transaction (≈)`,
    service: f2(s.requestsPerTransaction ?? NaN) +
      (w2 ? ` (WORKERS=2: ${f2(w2.requestsPerTransaction ?? NaN)})` : ""),
    baseline: f2(b.requestsPerTransaction ?? NaN),
    ratio: "—",
  }];
}

function clean(f: Figures): string | undefined {
  return f.errors + f.badStatus > 0
    ? `${f.errors} socket errors, ${f.badStatus} answers ≥ 400`
    : undefined;
}

/** Records a target `value op goal` (ratios and milliseconds). */
function target(
  id: string,
  label: string,
  value: number,
  op: ">=" | "<=",
  goal: number,
  unit: "×" | "ms" | "s",
  note?: string,
): void {
  const ok = Number.isFinite(value) && (op === ">=" ? value >= goal : value <= goal);
  const show = (n: number) => (unit === "×" ? `${n.toFixed(2)}×` : `${n.toFixed(2)} ${unit}`);
  targets.push({
    id,
    label,
    goal: `${op === ">=" ? "≥" : "≤"} ${show(goal)}`,
    measured: show(value),
    value,
    pass: note && /errors|answers/.test(note) ? false : ok,
    ...(note ? { note } : {}),
  });
}

function info(id: string, label: string, measured: string, note?: string): void {
  targets.push({
    id,
    label,
    goal: "—",
    measured,
    value: null,
    pass: null,
    ...(note ? { note } : {}),
  });
}

function progress(message: string): void {
  console.error(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

function noteLoad(at: string): void {
  try {
    loadavg.push({
      at,
      load: Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" "),
    });
  } catch {
    // not Linux
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${text.slice(0, 500)}`);
  return text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
}

function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

interface Contender {
  key: string;
  server: Server;
  /** Name of the server's database (for its Postgres backends and transaction count). */
  database: string;
  spec: (prefix: string, seconds: number) => LoadSpec;
}

/** A load run with where its CPU went and how many requests shared a transaction. */
interface Measured extends LoadResult {
  /** CPU (user + system) of the server process(es) per request, ms. */
  serverCpuMs: number;
  /** CPU of the Postgres backends connected to the server's database per request, ms. */
  postgresCpuMs: number;
  /** Requests per committed transaction (pg_stat_database; approximate, stats lag ≤ 1 s). */
  requestsPerTransaction: number;
}

let admin: Sql | null = null;
/** Database name of each server. */
const databaseOf = new Map<Server, string>();

interface Snapshot {
  server: Map<number, number>;
  postgres: Map<number, number>;
  transactions: number;
}

async function snapshot(server: Server, database: string): Promise<Snapshot> {
  const ticks = (pids: number[]) =>
    new Map(
      pids.map((pid) => [pid, cpuTicks(pid)]).filter((e): e is [number, number] => e[1] !== null),
    );
  const backends = await admin!<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${database}`;
  const [row] = await admin!<{ n: number }[]>`
    select (xact_commit + xact_rollback)::float8 as n from pg_stat_database
    where datname = ${database}`;
  return {
    server: ticks(server.pids()),
    postgres: ticks(backends.map((b) => b.pid)),
    transactions: row?.n ?? 0,
  };
}

function spent(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, t] of after) sum += t - (before.get(pid) ?? 0);
  return sum * TICK_MS;
}

/** Runs the contenders one after another, `rounds` times (A, B, A, B, …); returns their runs. */
async function alternate(
  label: string,
  contenders: Contender[],
  rounds: number,
  seconds: number,
): Promise<Map<string, Measured[]>> {
  const runs = new Map<string, Measured[]>(contenders.map((c) => [c.key, []]));
  for (const c of contenders) {
    await runLoad(c.spec(`${RUN}w${label}${c.key}`, P.warmupSeconds));
  }
  for (let round = 0; round < rounds; round++) {
    for (const c of contenders) {
      const before = await snapshot(c.server, c.database);
      const load = await runLoad(c.spec(`${RUN}${label}${c.key}${round}`, seconds));
      const after = await snapshot(c.server, c.database);
      const r: Measured = {
        ...load,
        serverCpuMs: spent(before.server, after.server) / load.requests,
        postgresCpuMs: spent(before.postgres, after.postgres) / load.requests,
        requestsPerTransaction: load.requests /
          Math.max(1, after.transactions - before.transactions),
      };
      runs.get(c.key)!.push(r);
      progress(
        `${label} ${c.key} round ${round + 1}: ${f0(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${
          ms(r.p99Ms)
        }${r.errors + r.badStatus ? `, ${r.errors} errors, ${r.badStatus} ≥400` : ""}`,
      );
    }
  }
  return runs;
}

/** Returns the latency figures of one endpoint at one connection (after a 200 check). */
async function latency(
  label: string,
  server: Server,
  path: string,
  headers: Record<string, string> = {},
): Promise<Figures> {
  await expectOk(await fetch(server.baseUrl + path, { headers }), label);
  await runLoad({
    baseUrl: server.baseUrl,
    path,
    method: "GET",
    connections: 1,
    durationSeconds: 1,
    headers,
  });
  const r = await runLoad({
    baseUrl: server.baseUrl,
    path,
    method: "GET",
    connections: 1,
    durationSeconds: P.latencySeconds,
    headers,
  });
  progress(`${label}: p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, ${f0(r.rps)} req/s`);
  return figures([r]);
}

function sqlFor(url: string): Sql {
  return postgres(url, { max: 2, onnotice: () => {} });
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/**
 * Postgres alone, no HTTP: the latency of one autocommitted single-row INSERT (its commit waits
 * for the WAL flush) and the rate of 10 concurrent connections doing them (Postgres merges
 * concurrent WAL flushes). Context for the ingest figures: a request that is acknowledged only
 * once durable cannot complete faster than one commit.
 */
async function postgresAloneScenario(url: string): Promise<void> {
  progress("scenario 0: Postgres alone (single-row INSERTs, no HTTP)");
  const sql = postgres(url, { max: CONNECTIONS, onnotice: () => {} });
  try {
    const insert = (k: number) => {
      const e = sessionEvents(`${RUN}pg`, k)[0];
      return sql`
        insert into bench_events (session_id, sequence_index, attempt_index, player_id,
          task_version, sequence_length, presented, input, is_correct, duration_ms, ts_utc,
          remediation_stage, volts_count, company_id)
        values (${e.session_id}, ${e.sequence_index}, ${e.attempt_index}, ${e.player_id},
          ${e.task_version}, ${e.sequence_length}, ${sql.json(e.presented)},
          ${sql.json(e.input)}, ${e.is_correct}, ${e.duration_ms}, ${new Date(e.ts_utc)},
          ${e.remediation_stage}, ${e.volts_count}, null)`;
    };
    let k = 0;
    for (let i = 0; i < 20; i++) await insert(k++);
    const times: number[] = [];
    for (let i = 0; i < (quick ? 50 : 300); i++) {
      const t0 = performance.now();
      await insert(k++);
      times.push(performance.now() - t0);
    }
    let count = 0;
    const seconds = quick ? 1 : 4;
    const deadline = performance.now() + seconds * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        await insert(k++);
        count++;
      }
    }));
    const rate = count / ((performance.now() - t0) / 1000);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    raw.postgres_alone = {
      sequential_insert_commit_p50_ms: p50,
      sequential_insert_commit_p99_ms: p99,
      concurrent_inserts_per_second: rate,
      connections: CONNECTIONS,
    };
    rows.push({
      scenario: "Postgres alone: one single-row INSERT + commit, sequential: p50 / p99",
      service: "—",
      baseline: `${ms(p50)} / ${ms(p99)}`,
      ratio: "—",
    }, {
      scenario: "Postgres alone: single-row INSERTs/s over 10 connections (no HTTP)",
      service: "—",
      baseline: f0(rate),
      ratio: "—",
    });
    progress(`postgres alone: commit p50 ${ms(p50)}, p99 ${ms(p99)}; ${f0(rate)} inserts/s`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function ingestScenario(svc1: Server, svc2: Server, base: Server): Promise<void> {
  progress("scenario 1: single-event ingest, 10 connections");
  const sample = sessionEvents(`${RUN}check`, 0)[0];
  await expectOk(await postJson(`${svc1.baseUrl}/events`, sample, INGEST), "service /events");
  await expectOk(await postJson(`${svc2.baseUrl}/events`, sample, INGEST), "service w2 /events");
  await expectOk(await postJson(`${base.baseUrl}/events`, sample), "baseline /events");
  const spec =
    (server: Server, headers: Record<string, string>) =>
    (prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path: "/events",
      method: "POST",
      mode: "event",
      prefix,
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const runs = await alternate(
    "ingest",
    [
      {
        key: "service_w1",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: spec(svc1, INGEST),
      },
      { key: "baseline", server: base, database: databaseOf.get(base)!, spec: spec(base, {}) },
      {
        key: "service_w2",
        server: svc2,
        database: databaseOf.get(svc2)!,
        spec: spec(svc2, INGEST),
      },
    ],
    P.ingestRounds,
    P.ingestSeconds,
  );
  const s1 = figures(runs.get("service_w1")!);
  const b = figures(runs.get("baseline")!);
  const s2 = figures(runs.get("service_w2")!);
  raw.ingest = { service_w1: s1, baseline: b, service_w2: s2 };
  rows.push(
    {
      scenario: "POST /events, 10 conn: req/s (WORKERS=1)",
      service: f0(s1.rps),
      baseline: f0(b.rps),
      ratio: `${f2(s1.rps / b.rps)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p50 (WORKERS=1)",
      service: ms(s1.p50Ms),
      baseline: ms(b.p50Ms),
      ratio: `${f2(s1.p50Ms / b.p50Ms)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p99 (WORKERS=1)",
      service: ms(s1.p99Ms),
      baseline: ms(b.p99Ms),
      ratio: `${f2(s1.p99Ms / b.p99Ms)}×`,
    },
    {
      scenario: "POST /events, 10 conn: req/s (WORKERS=2)",
      service: f0(s2.rps),
      baseline: f0(b.rps),
      ratio: `${f2(s2.rps / b.rps)}×`,
    },
    {
      scenario: "POST /events, 10 conn: p99 (WORKERS=2)",
      service: ms(s2.p99Ms),
      baseline: ms(b.p99Ms),
      ratio: `${f2(s2.p99Ms / b.p99Ms)}×`,
    },
  );
  rows.push(...diagnostics("POST /events", s1, b, s2));
  const note = clean(s1) ?? clean(b);
  target(
    "ingest_rps",
    "POST /events req/s, 1 process ÷ bare single-insert",
    s1.rps / b.rps,
    ">=",
    1.5,
    "×",
    note,
  );
  target(
    "ingest_p99",
    "POST /events p99, 1 process ÷ bare single-insert",
    s1.p99Ms / b.p99Ms,
    "<=",
    1.5,
    "×",
    note,
  );
  target(
    "ingest_workers2",
    "POST /events req/s, WORKERS=2 ÷ bare single-insert (1 process)",
    s2.rps / b.rps,
    ">=",
    2,
    "×",
    clean(s2) ?? clean(b),
  );
}

function rssScenario(svc1: Server, svc2: Server, base: Server): void {
  const s1 = svc1.peakRssKb();
  const s2 = svc2.peakRssKb();
  const b = base.peakRssKb();
  raw.peak_rss_kb = { service_w1: s1, service_w2_all_processes: s2, baseline: b };
  const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
  rows.push(
    {
      scenario: "peak RSS (VmHWM) after the ingest runs, WORKERS=1",
      service: mib(s1),
      baseline: mib(b),
      ratio: `${f2(s1 / b)}×`,
    },
    {
      scenario: "peak RSS, WORKERS=2 (supervisor + 2 workers, summed)",
      service: mib(s2),
      baseline: mib(b),
      ratio: `${f2(s2 / b)}×`,
    },
  );
  target("peak_rss", "peak RSS under the ingest load, service ÷ baseline", s1 / b, "<=", 1.3, "×");
}

async function batchScenario(svc1: Server, base: Server): Promise<void> {
  raw.batch = {};
  for (const size of [100, 500]) {
    progress(`scenario 2: /events/batch with ${size} events, 10 connections`);
    const spec =
      (server: Server, headers: Record<string, string>) =>
      (prefix: string, seconds: number): LoadSpec => ({
        baseUrl: server.baseUrl,
        path: "/events/batch",
        method: "POST",
        mode: "batch",
        size,
        prefix,
        connections: CONNECTIONS,
        durationSeconds: seconds,
        headers,
      });
    const runs = await alternate(
      `batch${size}`,
      [
        {
          key: "service_w1",
          server: svc1,
          database: databaseOf.get(svc1)!,
          spec: spec(svc1, INGEST),
        },
        { key: "baseline", server: base, database: databaseOf.get(base)!, spec: spec(base, {}) },
      ],
      P.batchRounds,
      P.batchSeconds,
    );
    const s = figures(runs.get("service_w1")!);
    const b = figures(runs.get("baseline")!);
    (raw.batch as Record<string, unknown>)[String(size)] = { service_w1: s, baseline: b };
    rows.push(...diagnostics(`POST /events/batch × ${size}`, s, b));
    rows.push({
      scenario: `POST /events/batch × ${size}, 10 conn: events/s`,
      service: f0(s.rps * size),
      baseline: f0(b.rps * size),
      ratio: `${f2(s.rps / b.rps)}×`,
    }, {
      scenario: `POST /events/batch × ${size}, 10 conn: p50 per batch`,
      service: ms(s.p50Ms),
      baseline: ms(b.p50Ms),
      ratio: `${f2(s.p50Ms / b.p50Ms)}×`,
    });
    target(
      `batch${size}`,
      `/events/batch × ${size} events/s ÷ bare multi-row INSERT`,
      s.rps / b.rps,
      ">=",
      0.9,
      "×",
      clean(s) ?? clean(b),
    );
  }
}

/** Inserts finalized sessions directly (fast data setup; the service reads them like its own). */
async function insertSummaries(
  sql: Sql | postgres.ReservedSql,
  opts: { prefix: string; count: number; players: string; company: string; from: string },
): Promise<void> {
  await sql.unsafe(`
    insert into play_sessions (session_id, player_id, finalized_at)
    select '${opts.prefix}' || lpad(g::text, 9, '0'), ${opts.players}, now()
    from generate_series(1, ${opts.count}) g`);
  await sql.unsafe(`
    insert into session_summary (player_id, session_id, task_version, fta_level, fta_strict,
      repetition_burden, earth_score_bucket, company_id, played_at, n_attempts, created_ts_utc)
    select ${opts.players}, '${opts.prefix}' || lpad(g::text, 9, '0'), 'earth_v1',
      (g % 4) / 3.0, g % 4 = 3, 1 + (g % 5) * 0.5,
      case when g % 4 = 3 then 10 when g % 7 = 0 then 0 else 5 end,
      ${opts.company},
      timestamptz '${opts.from}' + ((g::bigint * 7919) % 365) * interval '1 day'
        + (g % 86400) * interval '1 second',
      9, now()
    from generate_series(1, ${opts.count}) g`);
}

async function finalizeScenario(svc1: Server, sql: Sql): Promise<void> {
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

async function engagementScenario(svc1: Server, base: Server): Promise<void> {
  progress("scenario 4: /api/dashboard/{user} and session-summary ingest");
  const user = `eu-bench-${RUN}`;
  const now = Date.now();
  for (let k = 0; k < 30; k++) {
    await expectOk(
      await postJson(`${svc1.baseUrl}/internal/ingest/session_summary`, {
        session_id: `eb-${RUN}-${k}`,
        user_external_id: user,
        started_at: new Date(now - k * 5 * 3600_000).toISOString(),
        duration_seconds: 300 + k * 7,
        sentiment_score: (k % 10) / 10,
      }, INGEST),
      "session summary",
    );
  }
  const dash = await latency("dashboard", svc1, `/api/dashboard/${user}`, DASHBOARD);
  raw.engagement_dashboard = dash;
  rows.push({
    scenario: "GET /api/dashboard/{user}, 1 conn: p50 / p99",
    service: `${ms(dash.p50Ms)} / ${ms(dash.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  target("dashboard_p50", "/api/dashboard/{user} p50", dash.p50Ms, "<=", 3, "ms", clean(dash));

  await expectOk(
    await postJson(`${base.baseUrl}/summary`, {
      session_id: "check",
      user_external_id: "check",
      started_at: "2025-01-01T00:00:00Z",
      duration_seconds: 1,
      sentiment_score: 0.5,
    }),
    "baseline /summary",
  );
  const spec =
    (server: Server, path: string, headers: Record<string, string>) =>
    (prefix: string, seconds: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path,
      method: "POST",
      mode: "summary",
      prefix,
      connections: CONNECTIONS,
      durationSeconds: seconds,
      headers,
    });
  const runs = await alternate(
    "summary",
    [
      {
        key: "service_w1",
        server: svc1,
        database: databaseOf.get(svc1)!,
        spec: spec(svc1, "/internal/ingest/session_summary", INGEST),
      },
      {
        key: "baseline",
        server: base,
        database: databaseOf.get(base)!,
        spec: spec(base, "/summary", {}),
      },
    ],
    P.engagementRounds,
    P.engagementSeconds,
  );
  const s = figures(runs.get("service_w1")!);
  const b = figures(runs.get("baseline")!);
  raw.engagement_ingest = { service_w1: s, baseline: b };
  rows.push(...diagnostics("session-summary ingest", s, b));
  rows.push({
    scenario: "POST /internal/ingest/session_summary, 10 conn: req/s",
    service: f0(s.rps),
    baseline: f0(b.rps),
    ratio: `${f2(s.rps / b.rps)}×`,
  }, {
    scenario: "POST /internal/ingest/session_summary, 10 conn: p99",
    service: ms(s.p99Ms),
    baseline: ms(b.p99Ms),
    ratio: `${f2(s.p99Ms / b.p99Ms)}×`,
  });
  target(
    "engagement_ingest",
    "session-summary ingest req/s ÷ bare single-insert",
    s.rps / b.rps,
    ">=",
    0.8,
    "×",
    clean(s) ?? clean(b),
  );
}

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

async function playerPageScenario(svc1: Server, sql: Sql): Promise<void> {
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

async function companyScenario(svc1: Server, sql: Sql): Promise<void> {
  const companyId = "c_benchmeasured";
  const token = dashboardTokenFor(companyId, SECRETS.dashboardSalt);
  await sql`insert into company_registry (company_id, company_name, dashboard_token)
    values (${companyId}, 'Bench Measured', ${token}) on conflict do nothing`;
  const total = P.companySessions + P.otherSessions;
  const size = `${f0(P.companySessions)} of ${f0(total)}`;
  const sizeNote = quick ? `quick run: ${size} sessions, not 100,000 of 1,000,000` : undefined;

  const conn = await sql.reserve();
  let replica = true;
  try {
    // Data setup only: skip the foreign-key triggers (the play_sessions rows are inserted first)
    // and the company aggregate triggers (rebuilt in one pass after each load instead).
    await conn`set session_replication_role = replica`;
  } catch {
    replica = false;
  }
  const load = async (what: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    if (replica) await rebuildCompanyAggregates(conn);
    const tables = ["session_summary", "play_sessions", "company_bucket", "company_bucket_player"];
    for (const table of tables) await conn`vacuum analyze ${conn(table)}`;
    const s = (performance.now() - t0) / 1000;
    progress(`${what} loaded in ${s.toFixed(1)} s${replica ? "" : " (with FK checks)"}`);
    return s;
  };
  const measure = async (phase: string) => {
    const out: Record<string, Figures> = {};
    out.summary = await latency(`${phase} summary`, svc1, `/dashboard/summary?t=${token}`);
    out.timeseries_day = await latency(
      `${phase} timeseries day`,
      svc1,
      `/dashboard/timeseries?t=${token}&bucket=day`,
    );
    out.timeseries_week = await latency(
      `${phase} timeseries week`,
      svc1,
      `/dashboard/timeseries?t=${token}&bucket=week`,
    );
    return out;
  };

  let alone: Record<string, Figures>;
  let loadA: number;
  let loadB: number;
  try {
    progress(
      `scenario 5: company aggregates, company with ${f0(P.companySessions)} sessions alone`,
    );
    loadA = await load(`${f0(P.companySessions)} company sessions`, () =>
      insertSummaries(conn, {
        prefix: "cs-",
        count: P.companySessions,
        players: `'cp-' || (g % ${P.companyPlayers})`,
        company: `'${companyId}'`,
        from: "2025-01-01",
      }));
    alone = await measure("alone");
    progress(
      `scenario 5: adding ${f0(P.otherSessions)} sessions of ${P.otherCompanies} other companies`,
    );
    loadB = await load(`${f0(P.otherSessions)} other sessions`, () =>
      insertSummaries(conn, {
        prefix: "os-",
        count: P.otherSessions,
        players: `'op-' || (g % ${P.otherPlayers})`,
        company: `'c_other_' || ((g % ${P.otherPlayers}) % ${P.otherCompanies})`,
        from: "2025-01-01",
      }));
    if (replica) await conn`set session_replication_role = origin`;
  } finally {
    conn.release();
  }
  const full = await measure("full");
  const page = await latency("company page", svc1, `/company?t=${token}`);
  raw.company = {
    company_sessions: P.companySessions,
    company_players: P.companyPlayers,
    total_sessions: total,
    other_companies: P.otherCompanies,
    load_seconds: { company: loadA, others: loadB },
    company_alone: alone,
    with_all: full,
    company_page: page,
  };
  for (
    const [key, label] of [
      ["summary", "/dashboard/summary"],
      ["timeseries_day", "/dashboard/timeseries?bucket=day"],
      ["timeseries_week", "/dashboard/timeseries?bucket=week"],
    ] as const
  ) {
    rows.push({
      scenario: `${label} (${size}), 1 conn: p50 (company alone → with all)`,
      service: `${ms(alone[key].p50Ms)} → ${ms(full[key].p50Ms)}`,
      baseline: "—",
      ratio: `${f2(full[key].p50Ms / alone[key].p50Ms)}×`,
    });
    target(
      `company_${key}_p50`,
      `${label} p50, company with ${size} sessions`,
      full[key].p50Ms,
      "<=",
      20,
      "ms",
      clean(full[key]) ?? sizeNote,
    );
  }
  const growth = Math.max(
    ...(["summary", "timeseries_day", "timeseries_week"] as const).map((k) =>
      full[k].p50Ms / alone[k].p50Ms
    ),
  );
  target(
    "company_growth",
    "company p50 with all companies' data ÷ with the company alone (worst endpoint)",
    growth,
    "<=",
    1.5,
    "×",
  );
  rows.push({
    scenario: `GET /company?t= page (${size}), 1 conn: p50 / p99`,
    service: `${ms(page.p50Ms)} / ${ms(page.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  info(
    "company_page_p50",
    "company page server render p50",
    ms(page.p50Ms),
    "no target in issue 7",
  );
}

// ---------------------------------------------------------------------------------------------
// Machine, report

async function machine(sql: Sql): Promise<Record<string, string | number>> {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return "";
    }
  };
  const cpu = /model name\s*:\s*(.*)/.exec(read("/proc/cpuinfo"))?.[1] ?? "unknown";
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(read("/proc/meminfo"))?.[1] ?? 0);
  const os = /PRETTY_NAME="?([^"\n]*)/.exec(read("/etc/os-release"))?.[1] ?? Deno.build.os;
  const [pg] = await sql<{ version: string; fsync: string; sc: string; sb: string }[]>`
    select current_setting('server_version') as version, current_setting('fsync') as fsync,
      current_setting('synchronous_commit') as sc, current_setting('shared_buffers') as sb`;
  const wrk = await findWrk();
  let loadTool = "bench/load.ts (Deno fetch client; wrk not installed)";
  if (wrk) {
    const out = await new Deno.Command(wrk, { args: ["-v"], stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    loadTool = text.split("\n")[0].replace(/ Copyright.*/, "").trim();
  }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memory_gib: Math.round(memKb / 1024 / 1024),
    os,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    postgres:
      `${pg.version} on loopback (fsync=${pg.fsync}, synchronous_commit=${pg.sc}, shared_buffers=${pg.sb})`,
    load_generator: `${loadTool}, ${wrk ? "1 thread" : "one process"}, on the same machine`,
  };
}

function table(): string {
  const lines = [
    "| scenario | service | bare baseline | ratio |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.scenario} | ${r.service} | ${r.baseline} | ${r.ratio} |`),
    "",
    "| target | goal | measured | status |",
    "| --- | --- | --- | --- |",
    ...targets.map((t) =>
      `| ${t.label} | ${t.goal} | ${t.measured} | ${
        t.pass === null ? "info" : t.pass ? "met" : "**missed**"
      }${t.note ? ` (${t.note})` : ""} |`
    ),
  ];
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

const T0 = performance.now();

async function main(): Promise<void> {
  const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const started = new Date();
  noteLoad("start");
  const dbs = await Promise.all([
    createServerDatabase(baseUrl),
    createServerDatabase(baseUrl),
    createServerDatabase(baseUrl),
  ]);
  const [db1, db2, dbBase] = dbs;
  const servers: Server[] = [];
  admin = sqlFor(baseUrl);
  let sql1: Sql | null = null;
  try {
    const env = await machine(admin);
    progress(`starting the service (WORKERS=1, WORKERS=2) and the baseline`);
    const svc1 = await startServer("service", SERVICE_ARGS, serviceEnv(db1.url, 1));
    servers.push(svc1);
    const svc2 = await startServer("service-w2", SERVICE_ARGS, serviceEnv(db2.url, 2));
    servers.push(svc2);
    const base = await startServer("baseline", BASELINE_ARGS, { DATABASE_URL: dbBase.url });
    servers.push(base);
    for (const [server, db] of [[svc1, db1], [svc2, db2], [base, dbBase]] as const) {
      databaseOf.set(server, new URL(db.url).pathname.slice(1));
    }
    // Let the production start finish its background work (island bundles) before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    sql1 = sqlFor(db1.url);

    raw.startup_ms = {
      service_w1_fresh_database: svc1.startupMs,
      service_w2_fresh_database: svc2.startupMs,
      baseline_fresh_database: base.startupMs,
    };

    if (wanted("ingest")) {
      noteLoad("postgres");
      await postgresAloneScenario(dbBase.url);
      noteLoad("ingest");
      await ingestScenario(svc1, svc2, base);
      rssScenario(svc1, svc2, base);
    }
    await svc2.stop();
    if (wanted("batch")) {
      noteLoad("batch");
      await batchScenario(svc1, base);
    }
    if (wanted("finalize")) {
      noteLoad("finalize");
      await finalizeScenario(svc1, sql1);
    }
    if (wanted("engagement")) {
      noteLoad("engagement");
      await engagementScenario(svc1, base);
    }
    if (wanted("player")) {
      noteLoad("player");
      await playerPageScenario(svc1, sql1);
    }
    if (wanted("company")) {
      noteLoad("company");
      await companyScenario(svc1, sql1);
    }
    if (wanted("embedded")) {
      noteLoad("embedded");
      const e = await embeddedScenario({ quick, connections: CONNECTIONS, run: RUN, progress });
      raw.embedded = e.raw;
      rows.push(...e.rows);
      for (const t of e.targets) target(t.id, t.label, t.value, t.op, t.goal, t.unit, t.note);
    }

    progress("scenario 7: startup to healthy (restart on the populated database)");
    await svc1.stop();
    const again = await startServer("service", SERVICE_ARGS, serviceEnv(db1.url, 1));
    servers.push(again);
    (raw.startup_ms as Record<string, number>).service_w1_restart = again.startupMs;
    await again.stop();
    rows.push({
      scenario: "startup to healthy /health: fresh database (migrations) / restart",
      service: `${f0(svc1.startupMs)} ms / ${f0(again.startupMs)} ms`,
      baseline: `${f0(base.startupMs)} ms`,
      ratio: "—",
    }, {
      scenario: "startup, WORKERS=2 (supervisor migrates, then 2 workers)",
      service: `${f0(svc2.startupMs)} ms`,
      baseline: "—",
      ratio: "—",
    });
    target(
      "startup",
      "service restart to healthy (3 s goal of docs/performance.md)",
      again.startupMs / 1000,
      "<=",
      3,
      "s",
    );
    noteLoad("end");

    const report = {
      date: started.toISOString(),
      duration_seconds: Math.round((performance.now() - T0) / 1000),
      quick,
      machine: env,
      note: "Absolute figures are noisy; targets are ratios against the bare baseline measured " +
        "in the same run (medians of alternating runs) or absolute latencies. Load averages " +
        "below show what else ran on the machine.",
      loadavg,
      parameters: { connections: CONNECTIONS, ...P },
      targets,
      rows,
      scenarios: raw,
    };
    await Deno.writeTextFile(RESULTS, JSON.stringify(report, null, 2) + "\n");
    console.log(`\nMachine: ${Object.values(env).join("; ")}`);
    console.log(`Load average: ${loadavg.map((l) => `${l.at} ${l.load}`).join(", ")}\n`);
    console.log(table());
    console.log(`\nwrote ${RESULTS.pathname} (${report.duration_seconds} s)`);
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await sql1?.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
    admin = null;
    for (const db of dbs) await db.drop().catch((e) => console.error(`drop failed: ${e}`));
  }
}

if (import.meta.main) await main();
