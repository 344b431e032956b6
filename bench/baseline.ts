/**
 * The bare baseline of `deno task bench`: a minimal Hono + zod server doing exactly one
 * parameterized postgres.js statement per request, nothing else (no group commit, no session
 * bookkeeping, no logging, no middleware).
 *
 * - `POST /events`: validates the AttemptSubmitted shape with zod, one single-row INSERT.
 * - `POST /events/batch`: validates `{events: [...]}` (1..500), one multi-row INSERT.
 * - `POST /summary`: validates the engagement session-summary shape, one single-row INSERT.
 * - `POST /heartbeat`: validates the agent heartbeat shape, one single-row INSERT.
 * - `GET /pk`: one primary-key SELECT of a row that is not there (the empty poll's yardstick).
 * - `GET /health`.
 *
 * Tables mirror the service's (`raw_events` columns, identity key, the attempt unique key and
 * the player index; `engagement_sessions` columns, its unique key and its user index) without
 * foreign keys and without the service's session/user bookkeeping rows.
 *
 * Environment: `DATABASE_URL` (a server: pool of 10), or, when it is unset, `DATA_DIR` (the
 * embedded PGlite under that directory, opened exactly as the service's embedded mode opens it:
 * `openDatabase` of db/client.ts, one connection); `PORT` (default 8100), `HOST` (127.0.0.1).
 */
import { Hono } from "hono";
import postgres from "postgres";
import { z } from "zod";
import { openDatabase } from "../db/client.ts";

const url = Deno.env.get("DATABASE_URL")?.trim() || null;
const dataDir = Deno.env.get("DATA_DIR")?.trim() || null;
if (!url && !dataDir) {
  console.error("DATABASE_URL (a server) or DATA_DIR (embedded PGlite) is required");
  Deno.exit(1);
}
const embedded = url ? null : await openDatabase({ databaseUrl: null, dataDir });
const sql = embedded?.sql ?? postgres(url!, { max: 10, onnotice: () => {} });

await sql`
  create table if not exists bench_events (
    id bigint generated always as identity primary key,
    session_id text not null,
    sequence_index integer not null check (sequence_index >= 1),
    attempt_index smallint not null check (attempt_index between 1 and 3),
    player_id text not null,
    task_version text not null,
    sequence_length integer not null check (sequence_length >= 1),
    presented jsonb not null,
    input jsonb not null,
    is_correct boolean not null,
    duration_ms bigint not null check (duration_ms >= 0),
    ts_utc timestamptz not null,
    remediation_stage text not null,
    volts_count integer,
    company_id text,
    received_at timestamptz not null default now(),
    unique (session_id, sequence_index, attempt_index)
  )`;
await sql`create index if not exists bench_events_player_idx on bench_events (player_id)`;
await sql`
  create table if not exists bench_sessions (
    id bigint generated always as identity primary key,
    source text not null,
    session_id text not null,
    user_external_id text not null,
    started_at timestamptz not null,
    duration_seconds integer not null check (duration_seconds between 0 and 86400),
    sentiment_hundredths smallint,
    created_at timestamptz not null default now(),
    unique (source, session_id)
  )`;
await sql`create index if not exists bench_sessions_user_idx
  on bench_sessions (user_external_id, started_at)`;

await sql`
  create table if not exists bench_heartbeats (
    id bigint generated always as identity primary key,
    device_id text not null,
    received_at timestamptz not null default now(),
    agent_version text not null,
    connectivity text not null,
    ip text not null,
    latency_ms integer,
    agent_status text not null,
    boot_time timestamptz
  )`;

const Heartbeat = z.object({
  device_id: z.string().min(1).max(128),
  agent_version: z.string().min(1).max(64),
  connectivity: z.enum(["wifi", "lte", "offline"]),
  network: z.object({
    interface: z.string().min(1).max(64),
    ip: z.string().min(1).max(64),
    signal_rssi: z.number().int().nullable().optional(),
    latency_ms: z.number().int().nullable().optional(),
  }),
  agent_status: z.enum(["ok", "degraded", "crashed"]),
  boot_time: z.string().nullable().optional(),
});

const Item = z.union([z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1), z.string().max(256)]);
const isTimestamp = (v: string) => !Number.isNaN(Date.parse(v));

const Event = z.object({
  player_id: z.string().min(1).max(128),
  session_id: z.string().min(1).max(128),
  task_version: z.string().min(1).max(64).default("earth_v1"),
  sequence_index: z.number().int().min(1).max(1_000_000),
  sequence_length: z.number().int().min(1).max(1_000_000),
  attempt_index: z.number().int().min(1).max(3),
  presented: z.array(Item).max(64),
  input: z.array(Item).max(64),
  is_correct: z.boolean(),
  duration_ms: z.number().int().min(0).max(86_400_000),
  ts_utc: z.string().max(64).refine(isTimestamp),
  remediation_stage: z.enum(["none", "volts", "space"]),
  volts_count: z.number().int().min(0).max(1_000_000).nullable().default(null),
  company_name: z.string().max(256).optional(),
  company_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
});
type Event = z.infer<typeof Event>;
const Batch = z.object({ events: z.array(Event).min(1).max(500) });

const Summary = z.object({
  session_id: z.string().min(1).max(128),
  user_external_id: z.string().min(1).max(128),
  started_at: z.string().refine(isTimestamp),
  duration_seconds: z.number().int().min(0).max(86400),
  sentiment_score: z.number().min(0).max(1),
});

function row(e: Event) {
  return {
    session_id: e.session_id,
    sequence_index: e.sequence_index,
    attempt_index: e.attempt_index,
    player_id: e.player_id,
    task_version: e.task_version,
    sequence_length: e.sequence_length,
    presented: sql.json(e.presented),
    input: sql.json(e.input),
    is_correct: e.is_correct,
    duration_ms: e.duration_ms,
    ts_utc: new Date(e.ts_utc),
    remediation_stage: e.remediation_stage,
    volts_count: e.volts_count,
    company_id: e.company_id ?? null,
  };
}

const COLUMNS = [
  "session_id",
  "sequence_index",
  "attempt_index",
  "player_id",
  "task_version",
  "sequence_length",
  "presented",
  "input",
  "is_correct",
  "duration_ms",
  "ts_utc",
  "remediation_stage",
  "volts_count",
  "company_id",
] as const;

async function body(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    return undefined;
  }
}

const app = new Hono();
app.get("/health", (c) => c.json({ status: "ok" }));

app.post("/events", async (c) => {
  const parsed = Event.safeParse(await body(c.req.raw));
  if (!parsed.success) return c.json({ detail: parsed.error.issues }, 422);
  const r = row(parsed.data);
  await sql`insert into bench_events ${sql(r, ...COLUMNS)}`;
  return c.json({ stored: true });
});

app.post("/events/batch", async (c) => {
  const parsed = Batch.safeParse(await body(c.req.raw));
  if (!parsed.success) return c.json({ detail: parsed.error.issues }, 422);
  const rows = parsed.data.events.map(row);
  await sql`insert into bench_events ${sql(rows, ...COLUMNS)}`;
  return c.json({ stored: rows.length, duplicates: 0 });
});

app.post("/summary", async (c) => {
  const parsed = Summary.safeParse(await body(c.req.raw));
  if (!parsed.success) return c.json({ detail: parsed.error.issues }, 422);
  const s = parsed.data;
  await sql`
    insert into bench_sessions
      (source, session_id, user_external_id, started_at, duration_seconds, sentiment_hundredths)
    values ('device', ${s.session_id}, ${s.user_external_id}, ${new Date(s.started_at)},
      ${s.duration_seconds}, ${Math.round(s.sentiment_score * 100)})`;
  return c.json({ status: "ok" });
});

app.post("/heartbeat", async (c) => {
  const parsed = Heartbeat.safeParse(await body(c.req.raw));
  if (!parsed.success) return c.json({ detail: parsed.error.issues }, 422);
  const h = parsed.data;
  await sql`
    insert into bench_heartbeats (device_id, agent_version, connectivity, ip, latency_ms,
      agent_status, boot_time)
    values (${h.device_id}, ${h.agent_version}, ${h.connectivity}, ${h.network.ip},
      ${h.network.latency_ms ?? null}, ${h.agent_status},
      ${h.boot_time ? new Date(h.boot_time) : null})`;
  return c.json({ status: "ok" });
});

app.get("/pk", async (c) => {
  const rows = await sql`select id from bench_heartbeats where id = ${-1}`;
  return c.json({ command: rows[0] ?? null });
});

const server = Deno.serve({
  port: Number(Deno.env.get("PORT") ?? 8100),
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
  onListen: () => {},
}, app.fetch);

const stop = async () => {
  await server.shutdown();
  if (embedded) await embedded.close();
  else await sql.end({ timeout: 5 });
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
