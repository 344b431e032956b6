/**
 * `deno run -A bench/company_probe.ts [--root=DIR] [--n=300]`
 *
 * The company reads in-process (`app.request`, no socket, no front), as the company scenario of
 * `deno task bench --quick` loads them (10,000 sessions of 200 players over a year in the
 * measured company): the p50 / min of each read, its answer's size, and this process's CPU per
 * read, from /proc. `--root` runs another checkout's app and helpers for a before/after
 * comparison (run from that checkout so its import map applies). Exact company mode (the only
 * one of a checkout before issue 19).
 */
import postgres from "postgres";
import { cpuMs } from "./procs.ts";
import { READ_COMPANY, seedReadCompany } from "./seed.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROOT = new URL(`${arg("root", new URL("..", import.meta.url).pathname)}/`, "file:///");
const N = Number(arg("n", "300"));

const { loadConfig } = await import(new URL("config.ts", ROOT).href);
const { migrate } = await import(new URL("db/migrate.ts", ROOT).href);
const { createApp } = await import(new URL("app.ts", ROOT).href);
const { dashboardTokenFor } = await import(new URL("core/company.ts", ROOT).href);
const { createScratchDatabase } = await import(new URL("bench/scratch.ts", ROOT).href);
const { insertSummaries } = await import(new URL("bench/measure.ts", ROOT).href);

const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
  "postgres://postgres@127.0.0.1:5432/postgres";
const db = await createScratchDatabase(baseUrl);
const sql = postgres(db.url, { max: 10, onnotice: () => {} });
const config = loadConfig({ APP_ENV: "test", COMPANY_PRIVACY: "exact" });
try {
  await migrate(sql);
  const token = dashboardTokenFor(READ_COMPANY, config.dashboardTokenSalt);
  await seedReadCompany(sql, insertSummaries, token);
  await sql`vacuum analyze`;
  const app = createApp({ config, sql, log: () => {}, now: () => new Date() });
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(`${ROOT.pathname}: ${N} reads each, load ${load}`);
  for (
    const path of [
      `/dashboard/summary?t=${token}`,
      `/dashboard/timeseries?t=${token}&bucket=day`,
      `/dashboard/timeseries?t=${token}&bucket=week`,
    ]
  ) {
    const times: number[] = [];
    let bytes = 0;
    let cpu = 0;
    for (let i = 0; i < N + 50; i++) {
      const c0 = cpuMs(Deno.pid);
      const t0 = performance.now();
      const res = await app.request(path);
      const body = await res.text();
      const t = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body}`);
      if (i >= 50) {
        times.push(t);
        cpu += cpuMs(Deno.pid) - c0;
        bytes = body.length;
      }
    }
    console.log(
      `  ${path.replace(/t=[0-9a-f]+&?/, "")}: p50 ${percentile(times, 50).toFixed(2)} ms, min ${
        Math.min(...times).toFixed(2)
      } ms, ${bytes} bytes, CPU ${(cpu / N).toFixed(2)} ms per read`,
    );
  }
} finally {
  await sql.end({ timeout: 5 });
  await db.drop();
}
