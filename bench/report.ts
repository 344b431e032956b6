/**
 * The report of `deno task bench`: the figures of load runs (medians), the targets and table rows
 * every scenario adds, the machine description, and the Markdown table printed at the end.
 */
import type postgres from "postgres";

type Sql = postgres.Sql;
import { findWrk, type LoadResult } from "./load.ts";
import { f2, median } from "./stats.ts";

/** Start of the run (for progress lines). */
export const T0 = performance.now();

/** A load run with where its CPU went and how many requests shared a transaction. */
export interface Measured extends LoadResult {
  /** CPU (user + system) of the server process(es) per request, ms. */
  serverCpuMs: number;
  /** CPU of the Postgres backends connected to the server's database per request, ms. */
  postgresCpuMs: number;
  /** Requests per committed transaction (pg_stat_database; approximate, stats lag ≤ 1 s). */
  requestsPerTransaction: number;
  /** Share of the machine's CPU time (all cores) that was busy during the run, 0..1. */
  machineBusy: number;
}

/** Median figures of a set of load runs. */
export interface Figures {
  /** Medians over the runs (CPU and transactions: runs of `alternate` only). */
  serverCpuMs?: number;
  postgresCpuMs?: number;
  requestsPerTransaction?: number;
  machineBusy?: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  errors: number;
  badStatus: number;
  runs: LoadResult[];
}

export interface Target {
  id: string;
  label: string;
  goal: string;
  measured: string;
  value: number | null;
  pass: boolean | null;
  note?: string;
}

export interface Row {
  scenario: string;
  service: string;
  baseline: string;
  ratio: string;
}

/** What the run measured: targets, table rows, raw figures per scenario, load averages. */
export const targets: Target[] = [];
export const rows: Row[] = [];
export const raw: Record<string, unknown> = {};
export const loadavg: { at: string; load: string }[] = [];

export function figures(runs: (LoadResult | Measured)[]): Figures {
  const measured = runs.filter((r): r is Measured => "serverCpuMs" in r);
  const extra = measured.length === runs.length && runs.length > 0
    ? {
      serverCpuMs: median(measured.map((r) => r.serverCpuMs)),
      postgresCpuMs: median(measured.map((r) => r.postgresCpuMs)),
      requestsPerTransaction: median(measured.map((r) => r.requestsPerTransaction)),
      machineBusy: median(measured.map((r) => r.machineBusy)),
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

/** Rows showing where a request's CPU went, how busy the machine was, requests per commit. */
export function diagnostics(scenario: string, s: Figures, b: Figures): Row[] {
  const ratio = (x?: number, y?: number) => `${f2((x ?? NaN) / (y ?? NaN))}×`;
  const pct = (x?: number) => `${((x ?? NaN) * 100).toFixed(0)} %`;
  return [{
    scenario: `${scenario}: CPU per request of the HTTP process`,
    service: `${f2(s.serverCpuMs ?? NaN)} ms`,
    baseline: `${f2(b.serverCpuMs ?? NaN)} ms`,
    ratio: ratio(s.serverCpuMs, b.serverCpuMs),
  }, {
    scenario: `${scenario}: CPU per request of its Postgres backends`,
    service: `${f2(s.postgresCpuMs ?? NaN)} ms`,
    baseline: `${f2(b.postgresCpuMs ?? NaN)} ms`,
    ratio: ratio(s.postgresCpuMs, b.postgresCpuMs),
  }, {
    scenario: `${scenario}: machine busy (all cores, everything running)`,
    service: pct(s.machineBusy),
    baseline: pct(b.machineBusy),
    ratio: "—",
  }, {
    scenario: `${scenario}: requests per committed transaction (≈)`,
    service: f2(s.requestsPerTransaction ?? NaN),
    baseline: f2(b.requestsPerTransaction ?? NaN),
    ratio: "—",
  }];
}

export function clean(f: Figures): string | undefined {
  return f.errors + f.badStatus > 0
    ? `${f.errors} socket errors, ${f.badStatus} answers ≥ 400`
    : undefined;
}

/** Records a target `value op goal` (ratios and milliseconds). */
export function target(
  id: string,
  label: string,
  value: number,
  op: ">=" | "<=",
  goal: number,
  unit: "×" | "ms" | "s" | "%",
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

export function info(id: string, label: string, measured: string, note?: string): void {
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

export function progress(message: string): void {
  console.error(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

export function noteLoad(at: string): void {
  try {
    loadavg.push({
      at,
      load: Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" "),
    });
  } catch {
    // not Linux
  }
}

export async function machine(sql: Sql): Promise<Record<string, string | number>> {
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

export function table(): string {
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
