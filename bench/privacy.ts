/**
 * `deno run -A --v8-flags=--expose-gc bench/privacy.ts [--events=100000]`: the data-subject rights figures of
 * docs/privacy.md, against the local Postgres (BENCH_DATABASE_URL) and the service in production
 * mode on a fresh database:
 *
 * 1. export memory — one participant with N raw events (1000 sessions, finalized, with summaries,
 *    a model and engagement sessions); the service's resident set is sampled every 5 ms while
 *    GET /admin/players/{id}/export is read, and compared with the document's size;
 * 2. retention under ingest — 8 clients post single events to new sessions; their latency while
 *    `purgeRawEvents` deletes those N events (finalized, a year old) is compared with the latency
 *    of the same load just before.
 */
import { exportPlayer } from "../services/privacy.ts";
import { purgeRawEvents, SERVICE_PURGE_SHARE } from "../services/retention.ts";
import { attemptEvent } from "./bodies.ts";
import { postJson, sqlFor } from "./measure.ts";
import { INGEST, SECRETS, serviceEnv } from "./params.ts";
import { type Server, SERVICE_ARGS, startServer, statusKb } from "./procs.ts";
import { createScratchDatabase } from "./scratch.ts";
import { f0, percentile } from "./stats.ts";

const arg = Deno.args.find((a) => a.startsWith("--events="));
const EVENTS = arg ? Number(arg.slice("--events=".length)) : 100_000;
const SESSIONS = 1000;
const PLAYER = "bench-export-player";
const SMALL = "bench-export-small";
const CLIENTS = 8;

const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
  "postgres://postgres@127.0.0.1:5432/postgres";

/** Stores `events` events of `player` in SESSIONS finalized sessions, a year before now. */
async function fill(sql: ReturnType<typeof sqlFor>, player: string, events: number): Promise<void> {
  const EVENTS = events;
  const PLAYER = player;
  const prefix = `bx-${player}-`;
  const perSession = Math.ceil(EVENTS / SESSIONS);
  await sql`
    insert into play_sessions (session_id, player_id, finalized_at)
    select ${prefix}::text || s, ${PLAYER}, now() - interval '360 days'
    from generate_series(1, ${SESSIONS}) s`;
  await sql`
    insert into raw_events (session_id, sequence_index, attempt_index, player_id, task_version,
      sequence_length, presented, input, is_correct, duration_ms, ts_utc, remediation_stage,
      volts_count, company_id)
    select ${prefix}::text || s, q, 1, ${PLAYER}, 'earth_v1', 4, '[1, 2, 3, 4]', '[4, 3, 2, 1]',
      q % 2 = 0, 5000, now() - interval '365 days' + (s * 1000 + q) * interval '1 second',
      'none', null, null
    from generate_series(1, ${SESSIONS}) s, generate_series(1, ${perSession}) q
    where (s - 1) * ${perSession} + q <= ${EVENTS}`;
  await sql`
    insert into session_summary (player_id, session_id, task_version, task, metrics,
      company_id, played_at, n_attempts, created_ts_utc)
    select ${PLAYER}, ${prefix}::text || s, 'earth_v1', 'earth',
      '{"fta_level": 0.5, "fta_strict": false, "repetition_burden": 1.5, "earth_score_bucket": 5}',
      null,
      now() - interval '365 days', ${perSession}, now() - interval '360 days'
    from generate_series(1, ${SESSIONS}) s`;
  await sql`
    insert into model_state (player_id, trained_ts_utc, n_samples, coefficients, intercept, mae,
      status)
    values (${PLAYER}, now(), ${SESSIONS}, '[0.1, -0.2]', 1.0, 0.1, 'trained')`;
  await sql`insert into engagement_users (external_id) values (${PLAYER})`;
  await sql`
    insert into engagement_sessions (source, session_id, user_external_id, started_at,
      duration_seconds, sentiment_hundredths)
    select 'earth_task', ${prefix}::text || s, ${PLAYER}, now() - interval '365 days', 600, null
    from generate_series(1, ${SESSIONS}) s`;
  await sql`analyze`;
}

/** Returns latencies (ms) of single-event posts by CLIENTS clients until `stop()` resolves. */
async function ingestLoad(url: string, tag: string, until: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  until.then(() => (done = true));
  let n = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (!done) {
      const s = n++;
      const started = performance.now();
      const res = await postJson(`${url}/events`, attemptEvent(tag, s, 0), INGEST);
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
      latencies.push(performance.now() - started);
    }
  }));
  return latencies;
}

const summary = (l: number[]) =>
  `${f0(l.length)} events, p50 ${percentile(l, 50).toFixed(2)} ms, p99 ${
    percentile(l, 99).toFixed(2)
  } ms`;

/** Prints the size, time and the service's resident set while one export is read. */
async function exportMemory(service: Server, player: string, events: number): Promise<void> {
  const admin = { "x-admin-key": SECRETS.admin };
  const url = `${service.baseUrl}/admin/players/${player}/export`;
  // Warm up the route (code paths, connection) on an unknown id.
  await (await fetch(`${service.baseUrl}/admin/players/nobody/export`, { headers: admin }))
    .arrayBuffer();
  const before = statusKb(service.pid, "VmRSS");
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, statusKb(service.pid, "VmRSS"));
  }, 5);
  const started = performance.now();
  const res = await fetch(url, { headers: admin });
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of res.body!) {
    bytes += chunk.length;
    chunks++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(
    `export of ${f0(events)} events: ${f0(bytes / 1024)} KiB in ${f0(chunks)} chunks, ${
      seconds.toFixed(2)
    } s; service RSS ${f0(before / 1024)} MiB before, peak ${f0(peak / 1024)} MiB ` +
      `(+${f0((peak - before) / 1024)} MiB)`,
  );
}

/**
 * Prints the live heap (after forced collections) while this process reads the same export
 * through the service function, next to the heap the whole document takes as one string and
 * parsed. Needs `--v8-flags=--expose-gc`.
 */
async function liveHeap(sql: ReturnType<typeof sqlFor>): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    console.log("live heap: run with --v8-flags=--expose-gc to measure it");
    return;
  }
  gc();
  const base = Deno.memoryUsage().heapUsed;
  let max = 0;
  let bytes = 0;
  let n = 0;
  for await (const chunk of await exportPlayer(sql, PLAYER, new Date())) {
    bytes += chunk.length;
    if (++n % 10 === 0) {
      gc();
      max = Math.max(max, Deno.memoryUsage().heapUsed - base);
    }
  }
  gc();
  const before = Deno.memoryUsage().heapUsed;
  const whole = await new Response(await exportPlayer(sql, PLAYER, new Date())).text();
  gc();
  const held = Deno.memoryUsage().heapUsed - before;
  console.log(
    `live heap while streaming ${f0(bytes / 1048576)} MiB: at most ${
      (max / 1048576).toFixed(1)
    } MiB above the start; the same document held as one string: ${
      (held / 1048576).toFixed(1)
    } MiB (${whole.length > 0 ? "read" : "empty"})`,
  );
}

async function main(): Promise<void> {
  const db = await createScratchDatabase(baseUrl);
  const sql = sqlFor(db.url);
  const service = await startServer("service", SERVICE_ARGS, serviceEnv(db.url, 1));
  try {
    console.log(`filling ${f0(EVENTS)} events of one participant …`);
    await fill(sql, PLAYER, EVENTS);
    await fill(sql, SMALL, EVENTS / 10);
    await exportMemory(service, SMALL, EVENTS / 10);
    await exportMemory(service, PLAYER, EVENTS);
    await liveHeap(sql);

    // Retention under ingest: the same load before and while the purge runs.
    const quiet = await ingestLoad(service.baseUrl, `q${Date.now()}`, sleep(5000));
    const purging = purgeRawEvents(sql, 30, new Date(), {
      exclusive: true,
      share: SERVICE_PURGE_SHARE,
    });
    const purgeStarted = performance.now();
    const during = await ingestLoad(service.baseUrl, `p${Date.now()}`, purging);
    const purgeSeconds = (performance.now() - purgeStarted) / 1000;
    const run = await purging;
    console.log(
      `retention: deleted ${f0(run.deleted)} events in ${run.chunks} chunks, ` +
        `${purgeSeconds.toFixed(1)} s`,
    );
    console.log(`ingest before the purge: ${summary(quiet)}`);
    console.log(`ingest during the purge: ${summary(during)}`);
  } finally {
    await service.stop();
    await sql.end();
    await db.drop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.main) await main();
