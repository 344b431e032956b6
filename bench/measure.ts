/**
 * How the benchmark measures: A/B load runs with the CPU of the server and of its Postgres
 * backends read from /proc, single-connection latency runs, and the small HTTP and data-setup
 * helpers the scenarios share.
 */
import postgres from "postgres";
import { type LoadSpec, runLoad } from "./load.ts";
import { P, RUN } from "./params.ts";
import { cpuTicks, machineTicks, type Server, TICK_MS } from "./procs.ts";
import { type Figures, figures, type Measured, progress } from "./report.ts";
import { f0, ms } from "./stats.ts";

type Sql = postgres.Sql;

export async function expectOk(res: Response, what: string): Promise<unknown> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${text.slice(0, 500)}`);
  return text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text;
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export interface Contender {
  key: string;
  server: Server;
  /** Name of the server's database (for its Postgres backends and transaction count). */
  database: string;
  spec: (prefix: string, seconds: number) => LoadSpec;
}

let admin: Sql | null = null;
/** Sets the connection used to read pg_stat_activity and pg_stat_database (null when done). */
export function setAdmin(sql: Sql | null): void {
  admin = sql;
}
/** Database name of each server. */
export const databaseOf = new Map<Server, string>();

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
export async function alternate(
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
      const m0 = machineTicks();
      const load = await runLoad(c.spec(`${RUN}${label}${c.key}${round}`, seconds));
      const m1 = machineTicks();
      const after = await snapshot(c.server, c.database);
      const r: Measured = {
        ...load,
        serverCpuMs: spent(before.server, after.server) / load.requests,
        postgresCpuMs: spent(before.postgres, after.postgres) / load.requests,
        requestsPerTransaction: load.requests /
          Math.max(1, after.transactions - before.transactions),
        machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total),
      };
      runs.get(c.key)!.push(r);
      progress(
        `${label} ${c.key} round ${round + 1}: ${f0(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${
          ms(r.p99Ms)
        }, CPU/req ${r.serverCpuMs.toFixed(3)} + pg ${r.postgresCpuMs.toFixed(3)} ms, busy ${
          (r.machineBusy * 100).toFixed(0)
        } %, ${r.requestsPerTransaction.toFixed(1)} req/xact${
          r.errors + r.badStatus ? `, ${r.errors} errors, ${r.badStatus} ≥400` : ""
        }`,
      );
    }
  }
  return runs;
}

/** Returns the latency figures of one endpoint at one connection (after a 200 check). */
export async function latency(
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

export function sqlFor(url: string): Sql {
  return postgres(url, { max: 2, onnotice: () => {} });
}

/** Inserts finalized sessions directly (fast data setup; the service reads them like its own). */
export async function insertSummaries(
  sql: Sql | postgres.ReservedSql,
  opts: { prefix: string; count: number; players: string; company: string; from: string },
): Promise<void> {
  await sql.unsafe(`
    insert into play_sessions (session_id, player_id, finalized_at)
    select '${opts.prefix}' || lpad(g::text, 9, '0'), ${opts.players}, now()
    from generate_series(1, ${opts.count}) g`);
  await sql.unsafe(`
    insert into session_summary (player_id, session_id, task_version, task, metrics,
      company_id, played_at, n_attempts, created_ts_utc)
    select ${opts.players}, '${opts.prefix}' || lpad(g::text, 9, '0'), 'earth_v1', 'earth',
      jsonb_build_object('fta_level', ((g % 4) / 3.0)::float8, 'fta_strict', g % 4 = 3,
        'repetition_burden', (1 + (g % 5) * 0.5)::float8, 'earth_score_bucket',
        case when g % 4 = 3 then 10 when g % 7 = 0 then 0 else 5 end),
      ${opts.company},
      timestamptz '${opts.from}' + ((g::bigint * 7919) % 365) * interval '1 day'
        + (g % 86400) * interval '1 second',
      9, now()
    from generate_series(1, ${opts.count}) g`);
}
