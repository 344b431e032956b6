/**
 * Load generation for `deno task bench`: wrk (Debian's `wrk`, with bench/wrk/*.lua for unique
 * POST bodies) when it is installed, otherwise this file's own Deno client, run as a separate
 * process so that its CPU is accounted like wrk's: N concurrent keep-alive connections for a
 * fixed duration, unique bodies (bench/bodies.ts), per-request latency.
 *
 * Both report one line `WRKJSON {…}` (requests, duration, errors, latency percentiles in µs).
 *
 * CLI (the fallback client): `deno run -A bench/load.ts '<LoadSpec as JSON>'`.
 */
import { bodyGenerator, type PostMode } from "./bodies.ts";

/** One load run against one target. */
export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:8000 */
  baseUrl: string;
  /** Path (and query) of every request. */
  path: string;
  method: "GET" | "POST";
  /** Body kind of POST requests. */
  mode?: PostMode;
  /** Events per request (batch mode). */
  size?: number;
  /** Unique per run, so bodies never repeat across runs on the same database. */
  prefix?: string;
  connections: number;
  durationSeconds: number;
  headers?: Record<string, string>;
}

/** What a load run measured. */
export interface LoadResult {
  tool: "wrk" | "deno";
  requests: number;
  seconds: number;
  /** Requests per second. */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers with a status of 400 or more. */
  badStatus: number;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  errors: {
    connect: number;
    read: number;
    write: number;
    status: number;
    timeout: number;
  };
  latency_us: { p50: number; p90: number; p99: number; max: number };
}

const WRK_DIR = new URL("./wrk/", import.meta.url).pathname;
const SELF = new URL(import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

let wrkPath: string | null | undefined;

/** Returns the path of wrk, or null when it is not installed. */
export async function findWrk(): Promise<string | null> {
  if (wrkPath !== undefined) return wrkPath;
  wrkPath = null;
  if (Deno.env.get("BENCH_NO_WRK") === "1") return wrkPath;
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/usr/local/bin").split(":")) {
    try {
      const candidate = `${dir}/wrk`;
      if ((await Deno.stat(candidate)).isFile) {
        wrkPath = candidate;
        break;
      }
    } catch {
      // not here
    }
  }
  return wrkPath;
}

function parse(tool: "wrk" | "deno", stdout: string, stderr: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!line) throw new Error(`${tool} reported nothing:\n${stdout}\n${stderr}`);
  const r = JSON.parse(line.slice(8)) as WrkJson;
  const seconds = r.duration_us / 1e6;
  const e = r.errors;
  return {
    tool,
    requests: r.requests,
    seconds,
    rps: r.requests / seconds,
    p50Ms: r.latency_us.p50 / 1000,
    p90Ms: r.latency_us.p90 / 1000,
    p99Ms: r.latency_us.p99 / 1000,
    maxMs: r.latency_us.max / 1000,
    errors: e.connect + e.read + e.write + e.timeout,
    badStatus: e.status,
  };
}

function headerLines(headers: Record<string, string> | undefined): string[] {
  return Object.entries(headers ?? {}).map(([k, v]) => `${k}: ${v}`);
}

/** Returns the result of one load run (wrk when installed, else the Deno client). */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const wrk = await findWrk();
  let command: Deno.Command;
  if (wrk) {
    const common = [
      "-t1",
      `-c${spec.connections}`,
      `-d${spec.durationSeconds}s`,
      "--timeout",
      "10s",
    ];
    const args = spec.method === "GET"
      ? [...common, "-s", `${WRK_DIR}get.lua`, spec.baseUrl + spec.path, "--"].concat(
        headerLines(spec.headers),
      )
      : [
        ...common,
        "-s",
        `${WRK_DIR}post.lua`,
        spec.baseUrl,
        "--",
        spec.mode ?? "event",
        spec.prefix ?? `r${Date.now()}`,
        String(spec.connections),
        String(spec.size ?? 100),
        spec.path,
      ].concat(headerLines(spec.headers));
    command = new Deno.Command(wrk, { args, stdout: "piped", stderr: "piped", stdin: "null" });
  } else {
    command = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SELF, JSON.stringify(spec)],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    });
  }
  const out = await command.output();
  const decoder = new TextDecoder();
  return parse(wrk ? "wrk" : "deno", decoder.decode(out.stdout), decoder.decode(out.stderr));
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** Runs the Deno client and prints its WRKJSON line (latencies in µs, like wrk). */
async function client(spec: LoadSpec): Promise<void> {
  const url = spec.baseUrl + spec.path;
  const next = spec.method === "POST"
    ? bodyGenerator(
      spec.mode ?? "event",
      spec.prefix ?? `r${Date.now()}`,
      spec.connections,
      spec.size ?? 100,
    )
    : null;
  const headers = { ...(next ? { "Content-Type": "application/json" } : {}), ...spec.headers };
  const latencies: number[] = [];
  let status = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + spec.durationSeconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          method: spec.method,
          headers,
          body: next ? next() : undefined,
        });
        await res.arrayBuffer();
        if (res.status >= 400) status++;
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, loop));
  const elapsed = performance.now() - started;
  const sorted = Float64Array.from(latencies).sort();
  const us = (ms: number) => Math.round(ms * 1000);
  const report = {
    requests: latencies.length,
    duration_us: us(elapsed),
    bytes: 0,
    errors: { connect: 0, read: errors, write: 0, status, timeout: 0 },
    latency_us: {
      p50: us(percentile(sorted, 50)),
      p90: us(percentile(sorted, 90)),
      p99: us(percentile(sorted, 99)),
      max: us(sorted.length ? sorted[sorted.length - 1] : 0),
      mean: us(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    },
  };
  console.log(`WRKJSON ${JSON.stringify(report)}`);
}

if (import.meta.main) {
  const raw = Deno.args[0];
  if (!raw) {
    console.error("usage: deno run -A bench/load.ts '<LoadSpec JSON>'");
    Deno.exit(2);
  }
  await client(JSON.parse(raw) as LoadSpec);
}
