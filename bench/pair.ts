/**
 * `deno task bench pair --root=DIR [--n=300] [--front] [--only=ingest,finalize,company]`
 *
 * Event ingest, finalize and the company reads over HTTP in two services at once, this
 * checkout's and another checkout's (`--root`), each on its own fresh database seeded by its own
 * checkout: for finalize as the finalize scenario of `deno task bench` (10 players with 100
 * earlier sessions in one company), for the reads as the quick company scenario (10,000 sessions
 * of 200 players over a year in the read company; exact company mode with
 * BENCH_COMPANY_PRIVACY=exact). Ingest is the 9-attempt-session load of the ingest scenario, in
 * runs of 3 s alternating between the two (8 each), with each side's HTTP process and Postgres
 * CPU per request; the other requests alternate one by one (one of each per round, the order
 * swapped every round). Both sides so meet the same moment of the machine: the VM here moves a
 * run's figures by 2× within minutes, which separate runs cannot tell from a difference of the
 * code. Prints each side's figures and the medians of the per-pair ratios (this ÷ other).
 * `--front` serves the other checkout behind this checkout's TCP front (bench/front_preload.ts),
 * for a checkout older than the front.
 */
import postgres from "postgres";
import { dashboardTokenFor } from "../core/company.ts";
import { sessionEvents } from "./bodies.ts";
import { alternate, expectOk, postJson, setAdmin, sqlFor } from "./measure.ts";
import { INGEST, SECRETS, serviceEnv } from "./params.ts";
import { type Server, SERVICE_ARGS, startServer } from "./procs.ts";
import { INGEST_CONNECTIONS } from "./scenarios/ingest.ts";
import { createScratchDatabase } from "./scratch.ts";
import {
  FINALIZE_COMPANY,
  finalizePlayer,
  READ_COMPANY,
  seedFinalizePlayers,
  seedReadCompany,
} from "./seed.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const HERE = new URL("..", import.meta.url).pathname;
const OTHER = arg("root", "");
const N = Number(arg("n", "300"));
const PLAYERS = 10;
const ONLY = arg("only", "ingest,finalize,company").split(",");
const TOKEN = dashboardTokenFor(READ_COMPANY, SECRETS.dashboardSalt);
const READS = {
  summary: `/dashboard/summary?t=${TOKEN}`,
  "day series": `/dashboard/timeseries?t=${TOKEN}&bucket=day`,
  "week series": `/dashboard/timeseries?t=${TOKEN}&bucket=week`,
};
if (OTHER === "") throw new Error("--root=DIR names the other checkout");

const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
  "postgres://postgres@127.0.0.1:5432/postgres";

interface Side {
  name: string;
  root: string;
  server: Server;
  database: string;
}

/** Returns a started service of a checkout on a fresh database, seeded by that checkout. */
async function startSide(name: string, root: string, args: string[]): Promise<Side> {
  const db = await createScratchDatabase(baseUrl);
  cleanups.push(() => db.drop());
  const server = await startServer(name, args, serviceEnv(db.url, 1), 60_000, root);
  cleanups.push(() => server.stop());
  const { insertSummaries } = await import(new URL("bench/measure.ts", `file://${root}/`).href);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await seedFinalizePlayers(sql, insertSummaries, PLAYERS);
    await seedReadCompany(sql, insertSummaries, TOKEN);
    await sql`analyze`;
  } finally {
    await sql.end();
  }
  return { name, root, server, database: new URL(db.url).pathname.slice(1) };
}

/** Prints the ingest figures of the two sides, their runs alternating. */
async function pairIngest(sides: Side[]): Promise<void> {
  const runs = await alternate(
    "event",
    sides.map((side) => ({
      key: side.name,
      server: side.server,
      database: side.database,
      spec: (prefix: string, seconds: number) => ({
        baseUrl: side.server.baseUrl,
        path: "/events",
        method: "POST" as const,
        mode: "event" as const,
        prefix,
        connections: INGEST_CONNECTIONS,
        durationSeconds: seconds,
        headers: INGEST,
      }),
    })),
    8,
    3,
  );
  const [a, b] = sides.map((side) => runs.get(side.name)!);
  const median = (f: (i: number) => number) => percentile(a.map((_, i) => f(i)), 50);
  const of = (side: Side, key: "rps" | "serverCpuMs" | "postgresCpuMs") =>
    percentile(runs.get(side.name)!.map((r) => r[key]), 50);
  console.log(
    `ingest: ${
      sides.map((s) =>
        `${s.name} ${of(s, "rps").toFixed(0)} req/s, CPU ${of(s, "serverCpuMs").toFixed(3)} + pg ${
          of(s, "postgresCpuMs").toFixed(3)
        } ms`
      ).join("; ")
    }; this ÷ other, medians of 8 pairs of runs: req/s ${
      median((i) => a[i].rps / b[i].rps).toFixed(3)
    }, HTTP CPU ${median((i) => a[i].serverCpuMs / b[i].serverCpuMs).toFixed(3)}, Postgres CPU ${
      median((i) => a[i].postgresCpuMs / b[i].postgresCpuMs).toFixed(3)
    }`,
  );
}

/** Returns the time one company read took (ms), its answer read whole. */
async function readOnce(side: Side, path: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${side.server.baseUrl}${path}`);
  const body = await res.text();
  const t = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${side.name} ${path}: ${res.status} ${body}`);
  return t;
}

/** Posts one session's attempts, then returns the time its finalize took (ms). */
async function finalizeOnce(side: Side, k: number): Promise<number> {
  const events = sessionEvents("pair", k).map((e) => ({
    ...e,
    player_id: finalizePlayer(k, PLAYERS),
    company_id: FINALIZE_COMPANY,
  }));
  const url = side.server.baseUrl;
  await expectOk(await postJson(`${url}/events/batch`, { events }, INGEST), "batch");
  const sessionId = encodeURIComponent(events[0].session_id as string);
  const t0 = performance.now();
  const res = await fetch(`${url}/sessions/${sessionId}/finalize`, {
    method: "POST",
    headers: INGEST,
  });
  const body = await res.text();
  const t = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${side.name} finalize: ${res.status} ${body}`);
  return t;
}

const cleanups: (() => Promise<unknown>)[] = [];
const admin = sqlFor(baseUrl);
setAdmin(admin);
cleanups.push(() => admin.end());
try {
  const front = Deno.args.includes("--front");
  const otherArgs = front
    ? ["run", "--unstable-net", "-A", `--preload=${HERE}bench/front_preload.ts`, "main.ts"]
    : SERVICE_ARGS;
  const sides = [
    await startSide("this", HERE, SERVICE_ARGS),
    await startSide(front ? "other behind the front" : "other", OTHER, otherArgs),
  ];
  const load = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  if (ONLY.includes("ingest")) await pairIngest(sides);
  type Once = (side: Side, k: number) => Promise<number>;
  const figures: (readonly [string, Once])[] = [
    ...(ONLY.includes("finalize") ? [["finalize", finalizeOnce] as const] : []),
    ...(ONLY.includes("company")
      ? Object.entries(READS).map(([name, path]) =>
        [name, (side: Side) => readOnce(side, path)] as const
      )
      : []),
  ];
  for (const [figure, once] of figures) {
    const times = new Map(sides.map((side) => [side, [] as number[]]));
    const ratios: number[] = [];
    for (let k = 0; k < N + 20; k++) {
      const order = k % 2 === 0 ? sides : [sides[1], sides[0]];
      const t = new Map<Side, number>();
      for (const side of order) t.set(side, await once(side, k));
      if (k < 20) continue;
      for (const side of sides) times.get(side)!.push(t.get(side)!);
      ratios.push(t.get(sides[0])! / t.get(sides[1])!);
    }
    const p50 = (side: Side) => percentile(times.get(side)!, 50);
    console.log(
      `${figure}: ${sides.map((s) => `${s.name} p50 ${p50(s).toFixed(2)} ms`).join(", ")}; ` +
        `${N} rounds, this ÷ other: median of the rounds ${percentile(ratios, 50).toFixed(3)}, ` +
        `of the p50s ${(p50(sides[0]) / p50(sides[1])).toFixed(3)}; load ${load()}`,
    );
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
