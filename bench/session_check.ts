/**
 * `deno run -A bench/session_check.ts [postgres://…]`: what the session-revocation check (issue 20
 * item 6: one `session_revocations` primary-key probe per signed-in page request) costs a request.
 *
 * In one process and one run, on a fresh database (embedded PGlite without a URL, a scratch
 * database on the server with one): a player with 200 sessions, 100,000 revoked sessions in the
 * table (a busy fleet's eight hours of sign-outs), and a signed-in `GET /players/{id}` sent
 * through the app in-process, alternately with the check (A) and with the check's query answered
 * empty without reaching the database (B: the same app over a `sql` that short-cuts only that
 * statement). Then, back to back, the probe itself alternating with a bare `select 1` round trip.
 * Prints the medians and the means, and the probe's plan.
 */
import { createApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { openDatabase, type Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { createScratchDatabase } from "../db/scratch.ts";
import { isSessionRevoked } from "../db/sessions.ts";
import { verifiedSession } from "../routes/session.ts";
import { insertSummaries } from "./measure.ts";

const ROUNDS = Number(Deno.env.get("ROUNDS") ?? "2000");
const WARMUP = 200;
const REVOKED = 100_000;
const TOKEN = "bench-session-dashboard-token-kkkkk";
const PLAYER = "bench-session-player";

const url = Deno.args[0] ?? null;
const scratch = url ? await createScratchDatabase(url, "etl_bench_session_") : null;
const db = await openDatabase({ databaseUrl: scratch?.url ?? null, dataDir: null, max: 4 });
const sql = db.sql;
try {
  await migrate(sql);
  await insertSummaries(sql, {
    prefix: "bench-session-",
    count: 200,
    players: `'${PLAYER}'`,
    company: "null",
    from: "2026-01-01",
  });
  await sql`
    insert into session_revocations (session_id, expires_at)
    select md5(g::text), now() + interval '8 hours' from generate_series(1, ${REVOKED}) g`;
  await sql`analyze session_revocations`;

  const config = loadConfig({ APP_ENV: "test", DASHBOARD_TOKEN_MAP: `${TOKEN}:*` });
  const deps = { config, log: () => {}, now: () => new Date() };
  const withCheck = createApp({ ...deps, sql });
  // The same statements, except the revocation probe, which answers "not revoked" at once.
  const skipping = new Proxy(sql, {
    apply(target, thisArg, args) {
      const strings = args[0] as readonly string[] | undefined;
      if (Array.isArray(strings) && strings.join("$").includes("from session_revocations where")) {
        return Promise.resolve([]);
      }
      return Reflect.apply(target, thisArg, args);
    },
  }) as Sql;
  const withoutCheck = createApp({ ...deps, sql: skipping });

  const signIn = await withCheck.request(`/players/${PLAYER}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "sec-fetch-site": "same-origin",
    },
    body: `token=${TOKEN}`,
  });
  const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
  if (signIn.status !== 303 || !cookie) throw new Error(`sign-in answered ${signIn.status}`);
  const session = await verifiedSession(
    config,
    decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)),
    new Date(),
  );
  if (session === null) throw new Error("the sign-in cookie does not verify");
  const sessionId = session.id;

  const page = async (app: typeof withCheck): Promise<number> => {
    const t = performance.now();
    const res = await app.request(`/players/${PLAYER}`, { headers: { cookie } });
    const html = await res.text();
    const took = performance.now() - t;
    if (res.status !== 200 || !html.includes(PLAYER)) throw new Error(`page ${res.status}`);
    return took;
  };
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const a: number[] = [];
  const b: number[] = [];
  const probe: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const keep = i >= WARMUP;
    // Alternate the order so neither variant always runs second.
    const first = i % 2 === 0;
    const x = first ? await page(withCheck) : await page(withoutCheck);
    const y = first ? await page(withoutCheck) : await page(withCheck);
    if (!keep) continue;
    (first ? a : b).push(x);
    (first ? b : a).push(y);
  }
  // The probe alone, alternating with a bare round trip, back to back.
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const p = await timed(() => isSessionRevoked(sql, sessionId));
    const s = await timed(() => sql`select 1`);
    if (i < WARMUP) continue;
    probe.push(p);
    floor.push(s);
  }
  const plan = await sql.unsafe(
    `explain (analyze, costs off, timing off, summary off)
     select 1 from session_revocations where session_id = '${sessionId}'`,
  );
  const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const us = (x: number) => `${Math.round(x * 1000)} µs`;
  const line = (name: string, xs: number[]) =>
    console.log(`${name.padEnd(34)} median ${us(median(xs)).padStart(9)}   mean ${us(mean(xs))}`);
  console.log(
    `${db.kind}: ${ROUNDS} rounds, ${REVOKED} revoked sessions, player page of 200 sessions`,
  );
  line("A  signed-in page, with the check", a);
  line("B  signed-in page, without it", b);
  line("   the probe alone", probe);
  line("   `select 1` round trip", floor);
  console.log(
    `A − B: median ${us(median(a) - median(b))}, mean ${us(mean(a) - mean(b))} ` +
      `(${((mean(a) - mean(b)) / mean(b) * 100).toFixed(1)} % of B)`,
  );
  console.log("plan:", plan.map((r) => Object.values(r)[0]).join(" | "));
} finally {
  await db.close();
  await scratch?.drop();
}
