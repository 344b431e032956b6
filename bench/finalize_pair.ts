/**
 * `deno run -A bench/finalize_pair.ts --root=DIR [--n=300] [--front]`
 *
 * Finalize over HTTP in two services at once, this checkout's and another checkout's (`--root`),
 * each on its own fresh database seeded as the finalize scenario of `deno task bench` seeds it
 * (10 players with 100 earlier sessions in one company), with the finalizes alternating between
 * the two (one of each per round, the order swapped every round). Both therefore meet the same
 * machine: the VM here moves a run's figures by 2× within minutes, which separate runs cannot
 * tell from a difference of the code. Prints each side's p50 and the median of the per-round
 * ratios (this ÷ other). `--front` serves the other checkout behind this checkout's TCP front
 * (bench/front_preload.ts), for a checkout older than the front.
 */
import postgres from "postgres";
import { sessionEvents } from "./bodies.ts";
import { expectOk, postJson } from "./measure.ts";
import { INGEST, serviceEnv } from "./params.ts";
import { type Server, SERVICE_ARGS, startServer } from "./procs.ts";
import { createScratchDatabase } from "./scratch.ts";
import { percentile } from "./stats.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const HERE = new URL("..", import.meta.url).pathname;
const OTHER = arg("root", "");
const N = Number(arg("n", "300"));
const PLAYERS = 10;
if (OTHER === "") throw new Error("--root=DIR names the other checkout");

const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
  "postgres://postgres@127.0.0.1:5432/postgres";

interface Side {
  name: string;
  root: string;
  server: Server;
  times: number[];
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
    await insertSummaries(sql, {
      prefix: "fz-",
      count: PLAYERS * 100,
      players: `'fp-' || (g % ${PLAYERS})`,
      company: "'c_finalizebench'",
      from: "2024-01-01",
    });
    await sql`analyze`;
  } finally {
    await sql.end();
  }
  return { name, root, server, times: [] };
}

/** Posts one session's attempts, then returns the time its finalize took (ms). */
async function finalizeOnce(side: Side, k: number): Promise<number> {
  const events = sessionEvents("pair", k).map((e) => ({
    ...e,
    player_id: `fp-${k % PLAYERS}`,
    company_id: "c_finalizebench",
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
try {
  const front = Deno.args.includes("--front");
  const otherArgs = front
    ? ["run", "--unstable-net", "-A", `--preload=${HERE}bench/front_preload.ts`, "main.ts"]
    : SERVICE_ARGS;
  const sides = [
    await startSide("this", HERE, SERVICE_ARGS),
    await startSide(front ? "other behind the front" : "other", OTHER, otherArgs),
  ];
  const ratios: number[] = [];
  for (let k = 0; k < N + 20; k++) {
    const order = k % 2 === 0 ? sides : [sides[1], sides[0]];
    const t: Record<string, number> = {};
    for (const side of order) t[side.name] = await finalizeOnce(side, k);
    if (k < 20) continue;
    for (const side of sides) side.times.push(t[side.name]);
    ratios.push(t[sides[0].name] / t[sides[1].name]);
  }
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  for (const side of sides) {
    console.log(
      `${side.name} (${side.root}): p50 ${percentile(side.times, 50).toFixed(2)} ms, p90 ${
        percentile(side.times, 90).toFixed(2)
      } ms`,
    );
  }
  console.log(
    `${N} rounds: this ÷ other, median of the rounds ${percentile(ratios, 50).toFixed(3)}, ` +
      `ratio of the p50s ${
        (percentile(sides[0].times, 50) / percentile(sides[1].times, 50)).toFixed(3)
      }; load ${load}`,
  );
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}
