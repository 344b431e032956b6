/**
 * The embedded-database scenario of `deno task bench` (`--only=embedded`): issue 7's "`POST
 * /events` ≥ 0.8× a bare handler over the same embedded PGlite; memory does not grow without bound
 * across repeated load runs".
 *
 * Starts, each on its own fresh temporary DATA_DIR and with no DATABASE_URL:
 * - the service (`main.ts`, APP_ENV=development with explicit salts and tokens: production refuses
 *   to start without DATABASE_URL; its JSON request log goes to /dev/null as in the other
 *   scenarios), which opens PGlite through `openDatabase` of db/client.ts (one postgres.js
 *   connection to pglite-socket in the same process);
 * - the bare baseline (`bench/baseline.ts` in its embedded mode: the same `openDatabase`, the same
 *   one connection, one INSERT per request).
 *
 * After a warm-up of each, it alternates single-event `POST /events` load runs at 10 connections
 * (service, baseline, service, …) and reads the resident set (VmRSS) of both processes after
 * every run. Throughput and latency are the medians over the runs; the memory criterion is the
 * service's RSS after the last run ÷ after the second run (the first run still loads code and
 * warms PGlite's buffers).
 */
import { attemptEvent } from "./bodies.ts";
import { type LoadResult, type LoadSpec, runLoad } from "./load.ts";
import {
  BASELINE_ARGS,
  cpuTicks,
  type Server,
  SERVICE_ARGS,
  startServer,
  statusKb,
  TICK_MS,
} from "./procs.ts";
import { f0, f2, median, mib, ms } from "./stats.ts";

/** A row of the benchmark's table (same shape as bench/run.ts's). */
export interface EmbeddedRow {
  scenario: string;
  service: string;
  baseline: string;
  ratio: string;
}

/** A target for bench/run.ts's `target()`. */
export interface EmbeddedTarget {
  id: string;
  label: string;
  value: number;
  op: ">=" | "<=";
  goal: number;
  unit: "×";
  note?: string;
}

export interface EmbeddedOptions {
  quick: boolean;
  connections: number;
  /** Unique per bench run (body prefixes). */
  run: string;
  progress(message: string): void;
}

export interface EmbeddedResult {
  rows: EmbeddedRow[];
  targets: EmbeddedTarget[];
  raw: Record<string, unknown>;
}

const INGEST_TOKEN = "bench-ingest-token";

/** Environment of the service over an embedded database in `dataDir`. */
function serviceEnv(dataDir: string): Record<string, string> {
  return {
    APP_ENV: "development",
    DATA_DIR: dataDir,
    COMPANY_SALT: "bench-company-salt",
    DASHBOARD_TOKEN_SALT: "bench-dashboard-token-salt",
    INGEST_SERVICE_TOKEN: INGEST_TOKEN,
    DASHBOARD_TOKEN_MAP: "bench-dashboard-token:*",
    ADMIN_KEY: "bench-admin-key",
  };
}

/** Returns the CPU time (utime + stime) of a server's processes in ms. */
function cpuMs(server: Server): number {
  return server.pids().reduce((sum, pid) => sum + (cpuTicks(pid) ?? 0), 0) * TICK_MS;
}

/** Returns the resident set of a server's processes in KiB. */
function rssKb(server: Server): number {
  return server.pids().reduce((sum, pid) => sum + statusKb(pid, "VmRSS"), 0);
}

/** One load run with the process's CPU per request and its RSS right after. */
interface EmbeddedRun extends LoadResult {
  cpuMsPerRequest: number;
  rssKbAfter: number;
}

/** Throws unless the server stores one event. */
async function check(server: Server, headers: Record<string, string>, run: string) {
  const res = await fetch(`${server.baseUrl}/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(attemptEvent(`check-${run}`, 0, 0)),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${server.name} /events: ${res.status} ${text}`);
}

/** Runs the embedded scenario and returns its rows, targets and raw figures. */
export async function embeddedScenario(o: EmbeddedOptions): Promise<EmbeddedResult> {
  const warmupSeconds = o.quick ? 1 : 2;
  const seconds = o.quick ? 2 : 8;
  const runs = o.quick ? 4 : 6;
  o.progress(
    `embedded: service and bare baseline over PGlite, ${runs} alternating runs of ${seconds} s`,
  );
  const dirs: string[] = [];
  const servers: Server[] = [];
  try {
    const svcDir = await Deno.makeTempDir({ prefix: "bench-embedded-service-" });
    dirs.push(svcDir);
    const baseDir = await Deno.makeTempDir({ prefix: "bench-embedded-baseline-" });
    dirs.push(baseDir);
    const svc = await startServer("service (embedded)", SERVICE_ARGS, serviceEnv(svcDir));
    servers.push(svc);
    const base = await startServer("baseline (embedded)", BASELINE_ARGS, { DATA_DIR: baseDir });
    servers.push(base);
    const ingest = { Authorization: `Bearer ${INGEST_TOKEN}` };
    await check(svc, ingest, o.run);
    await check(base, {}, o.run);

    const contenders = [
      { key: "service", server: svc, headers: ingest },
      { key: "baseline", server: base, headers: {} },
    ];
    const spec = (server: Server, headers: Record<string, string>) =>
    (
      prefix: string,
      s: number,
    ): LoadSpec => ({
      baseUrl: server.baseUrl,
      path: "/events",
      method: "POST",
      mode: "event",
      prefix,
      connections: o.connections,
      durationSeconds: s,
      headers,
    });
    const rssStart = { service: rssKb(svc), baseline: rssKb(base) };
    for (const c of contenders) {
      await runLoad(spec(c.server, c.headers)(`${o.run}ewarm${c.key}`, warmupSeconds));
    }
    const rssWarm = { service: rssKb(svc), baseline: rssKb(base) };
    const done = new Map<string, EmbeddedRun[]>(contenders.map((c) => [c.key, []]));
    for (let k = 0; k < runs; k++) {
      for (const c of contenders) {
        const cpu0 = cpuMs(c.server);
        const load = await runLoad(spec(c.server, c.headers)(`${o.run}emb${c.key}${k}`, seconds));
        const r: EmbeddedRun = {
          ...load,
          cpuMsPerRequest: (cpuMs(c.server) - cpu0) / Math.max(1, load.requests),
          rssKbAfter: rssKb(c.server),
        };
        done.get(c.key)!.push(r);
        o.progress(
          `embedded ${c.key} run ${k + 1}: ${f0(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${
            ms(r.p99Ms)
          }, RSS ${mib(r.rssKbAfter)} MiB${
            r.errors + r.badStatus ? `, ${r.errors} errors, ${r.badStatus} ≥400` : ""
          }`,
        );
      }
    }
    const peak = { service: svc.peakRssKb(), baseline: base.peakRssKb() };
    const s = done.get("service")!;
    const b = done.get("baseline")!;
    const fig = (rs: EmbeddedRun[]) => ({
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
      requests: rs.reduce((a, r) => a + r.requests, 0),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      badStatus: rs.reduce((a, r) => a + r.badStatus, 0),
      rssKbSeries: rs.map((r) => r.rssKbAfter),
    });
    const sf = fig(s);
    const bf = fig(b);
    const growth = sf.rssKbSeries[sf.rssKbSeries.length - 1] / sf.rssKbSeries[1];
    const baseGrowth = bf.rssKbSeries[bf.rssKbSeries.length - 1] / bf.rssKbSeries[1];
    const series = (f: typeof sf) => f.rssKbSeries.map(mib).join(", ");
    const dirty = (f: typeof sf) =>
      f.errors + f.badStatus > 0
        ? `${f.errors} socket errors, ${f.badStatus} answers ≥ 400`
        : undefined;

    /** A row comparing one figure of the service and the baseline. */
    const compare = (
      label: string,
      pick: (f: typeof sf) => number,
      show: (n: number) => string,
    ): EmbeddedRow => ({
      scenario: `embedded PGlite: ${label}`,
      service: show(pick(sf)),
      baseline: show(pick(bf)),
      ratio: `${f2(pick(sf) / pick(bf))}×`,
    });
    const rows: EmbeddedRow[] = [
      compare("POST /events, 10 conn: req/s", (f) => f.rps, f0),
      compare("POST /events, 10 conn: p50", (f) => f.p50Ms, ms),
      compare("POST /events, 10 conn: p99", (f) => f.p99Ms, ms),
      compare(
        "POST /events: CPU per request (process, PGlite included)",
        (f) => f.cpuMsPerRequest,
        ms,
      ),
      {
        scenario: `embedded PGlite: RSS (MiB) at start, after warm-up, after each of ${runs} runs`,
        service: `${mib(rssStart.service)}, ${mib(rssWarm.service)}; ${series(sf)}`,
        baseline: `${mib(rssStart.baseline)}, ${mib(rssWarm.baseline)}; ${series(bf)}`,
        ratio: `${f2(growth)}× / ${f2(baseGrowth)}× (run ${runs} ÷ run 2)`,
      },
    ];
    const targets: EmbeddedTarget[] = [
      {
        id: "embedded_ingest",
        label: "embedded PGlite: POST /events req/s ÷ bare handler over PGlite",
        value: sf.rps / bf.rps,
        op: ">=",
        goal: 0.8,
        unit: "×",
        note: dirty(sf) ?? dirty(bf),
      },
      {
        id: "embedded_rss_growth",
        label: `embedded: RSS growth over the last runs (after run ${runs} ÷ after run 2)`,
        value: growth,
        op: "<=",
        goal: 1.1,
        unit: "×",
      },
    ];
    return {
      rows,
      targets,
      raw: {
        runs,
        seconds,
        warmup_seconds: warmupSeconds,
        connections: o.connections,
        startup_ms: {
          service_fresh_data_dir: svc.startupMs,
          baseline_fresh_data_dir: base.startupMs,
        },
        rss_kb: {
          service: { start: rssStart.service, after_warmup: rssWarm.service, peak: peak.service },
          baseline: {
            start: rssStart.baseline,
            after_warmup: rssWarm.baseline,
            peak: peak.baseline,
          },
        },
        service: { ...sf, runs: s },
        baseline: { ...bf, runs: b },
      },
    };
  } finally {
    for (const server of servers) await server.stop().catch(() => {});
    for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const t0 = performance.now();
  const result = await embeddedScenario({
    quick: Deno.args.includes("--quick"),
    connections: 10,
    run: Date.now().toString(36),
    progress: (m) =>
      console.error(
        `[embedded ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`,
      ),
  });
  for (const r of result.rows) {
    console.log(`${r.scenario}: ${r.service} | ${r.baseline} | ${r.ratio}`);
  }
  for (const t of result.targets) {
    console.log(`${t.label}: ${t.value.toFixed(2)}× (goal ${t.op} ${t.goal}×)`);
  }
}
