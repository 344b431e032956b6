/**
 * `deno run -A bench/profile.ts [--target=service|baseline] [--mode=event|batch|summary]
 *   [--path=/events] [--size=100] [--seconds=8] [--connections=10] [--out=file.cpuprofile]
 *   [--database=server|embedded]`
 *
 * Profiles one load run: starts the service (WORKERS=1, production settings as in
 * bench/run.ts) or the baseline on a fresh database with the V8 inspector on, drives it with the
 * same load as the benchmark, records a CPU profile over the Chrome DevTools protocol (Deno has
 * no --cpu-prof), and prints where the time went: by package, the top functions by self and by
 * inclusive time, and the database transactions and round trips per request (from
 * pg_stat_database). The .cpuprofile opens in Chrome DevTools.
 *
 * `--database=embedded`: the process runs over its own embedded PGlite in a fresh temporary
 * DATA_DIR instead (no DATABASE_URL; the service with APP_ENV=development and the same tokens, the
 * baseline in its embedded mode). PGlite runs inside the profiled process, so its WASM shows in
 * the profile; the transaction counts are not available (PGlite serves one connection).
 */
import postgres from "postgres";
import { createScratchDatabase, freePort } from "./scratch.ts";
import { type LoadSpec, runLoad } from "./load.ts";
import { startServer } from "./procs.ts";
import type { PostMode } from "./bodies.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

function flag(name: string, fallback: string): string {
  const hit = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

const target = flag("target", "service");
const mode = flag("mode", "event") as PostMode;
const path = flag("path", mode === "batch" ? "/events/batch" : "/events");
const size = Number(flag("size", "100"));
const seconds = Number(flag("seconds", "8"));
const connections = Number(flag("connections", "10"));
const database = flag("database", "server");
const embedded = database === "embedded";
const out = flag(
  "out",
  `/tmp/bench-${target}-${mode}${embedded ? "-embedded" : ""}.cpuprofile`,
);

/** Returns a readable package or area name for a script URL. */
function area(url: string): string {
  if (url === "") return "(native / V8)";
  const npm = /(?:node_modules\/\.deno\/|registry\.npmjs\.org\/)(@?[^@/]+(?:\/[^@/]+)?)@?/
    .exec(url);
  if (npm) return `npm:${npm[1].replace(/\+/, "/")}`;
  const m = /\/work\/[^/]+\/[^/]+\/([^/]+)\//.exec(url) ?? /file:\/\/\/.*?\/([^/]+)\/[^/]+$/.exec(
    url,
  );
  if (url.startsWith("ext:")) return "deno runtime (ext:)";
  return m ? `app:${m[1]}/` : url;
}

class Cdp {
  #ws: WebSocket;
  #next = 1;
  #waiting = new Map<number, (result: unknown) => void>();
  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.#waiting.get(msg.id)?.(msg.result);
    };
  }
  static async open(port: number): Promise<Cdp> {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Cdp(ws);
  }
  send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve) => {
      this.#waiting.set(id, (r) => resolve(r as T));
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }
  close(): void {
    this.#ws.close();
  }
}

function analyse(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const all = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const idle = profile.nodes.filter((n) => n.callFrame.functionName === "(idle)")
    .reduce((a, n) => a + (n.hitCount ?? 0), 0);
  // Shares are of the busy (non-idle) samples: where the process spent its CPU.
  const total = Math.max(1, all - idle);
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
  const key = (f: CallFrame) =>
    `${f.functionName || "(anonymous)"} ${area(f.url)}${
      f.url ? `:${f.url.split("/").pop()}:${f.lineNumber + 1}` : ""
    }`;

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0 || n.callFrame.functionName === "(idle)") continue;
    const k = key(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + hits);
    const special = n.callFrame.functionName.startsWith("(") && n.callFrame.url === "";
    const a = special ? n.callFrame.functionName : area(n.callFrame.url);
    areas.set(a, (areas.get(a) ?? 0) + hits);
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id)!.callFrame);
      if (seen.has(kk)) continue;
      seen.add(kk);
      inclusive.set(kk, (inclusive.get(kk) ?? 0) + hits);
    }
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${pct(v)}  ${k}`).join(
      "\n",
    );
  console.log(
    `\nsamples: ${all} over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ` +
      `${((100 * idle) / Math.max(1, all)).toFixed(1)} % idle; shares below are of busy samples`,
  );
  console.log(`\nself time by area:\n${top(areas, 20)}`);
  console.log(`\ntop self time:\n${top(self, 30)}`);
  const inc = new Map([...inclusive].filter(([k]) => !/^\(root\)|^\(anonymous\) $/.test(k)));
  console.log(`\ntop inclusive time:\n${top(inc, 40)}`);
}

async function main(): Promise<void> {
  const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const dataDir = embedded ? await Deno.makeTempDir({ prefix: "bench-profile-" }) : null;
  const db = embedded ? null : await createScratchDatabase(baseUrl);
  const where: Record<string, string> = db ? { DATABASE_URL: db.url } : { DATA_DIR: dataDir! };
  const inspect = freePort();
  const server = target === "baseline"
    ? await startServer("baseline", [
      "run",
      `--inspect=127.0.0.1:${inspect}`,
      "-A",
      "bench/baseline.ts",
    ], where)
    : await startServer("service", [
      "run",
      "--unstable-net",
      `--inspect=127.0.0.1:${inspect}`,
      "-A",
      "main.ts",
    ], {
      // Production refuses to start without DATABASE_URL.
      APP_ENV: embedded ? "development" : "production",
      ...where,
      WORKERS: "1",
      COMPANY_SALT: "bench-company-salt-kkkkkkkkkkkkk",
      DASHBOARD_TOKEN_SALT: "bench-dashboard-token-salt-kkkkk",
      INGEST_SERVICE_TOKEN: "bench-ingest-token-kkkkkkkkkkkkk",
      DASHBOARD_TOKEN_MAP: "bench-dashboard-token-kkkkkkkkkk:*",
      LOG_LEVEL: Deno.env.get("LOG_LEVEL") ?? "info",
    });
  const sql = db ? postgres(db.url, { max: 1, onnotice: () => {} }) : null;
  try {
    const spec = (prefix: string, s: number): LoadSpec => ({
      baseUrl: server.baseUrl,
      path: target === "baseline" && mode === "summary" ? "/summary" : path,
      method: "POST",
      mode,
      size,
      prefix,
      connections,
      durationSeconds: s,
      headers: target === "baseline"
        ? {}
        : { Authorization: "Bearer bench-ingest-token-kkkkkkkkkkkkk" },
    });
    await runLoad(spec(`warm${Date.now()}`, 2));
    const stats = async () => {
      if (!sql) return { xact: NaN, tup: NaN };
      await new Promise((r) => setTimeout(r, 1500));
      const [row] = await sql<{ xact: number; tup: number }[]>`
        select (xact_commit + xact_rollback)::float8 as xact, tup_inserted::float8 as tup
        from pg_stat_database where datname = current_database()`;
      return row;
    };
    const before = await stats();
    const cdp = await Cdp.open(inspect);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    const r = await runLoad(spec(`prof${Date.now()}`, seconds));
    const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
    cdp.close();
    const after = await stats();
    await Deno.writeTextFile(out, JSON.stringify(profile));
    console.log(
      `${target} ${mode} ${path}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
        `p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}, ≥400 ${r.badStatus}`,
    );
    const xact = after.xact - before.xact;
    if (sql) {
      console.log(
        `database: ${(xact / r.requests).toFixed(3)} transactions per request ` +
          `(${(r.requests / xact).toFixed(2)} requests per transaction), ` +
          `${((after.tup - before.tup) / r.requests).toFixed(2)} rows inserted per request ` +
          `(includes the stats query itself)`,
      );
    }
    console.log(`profile written to ${out}`);
    analyse(profile);
  } finally {
    await sql?.end({ timeout: 5 });
    await server.stop();
    await db?.drop();
    if (dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
