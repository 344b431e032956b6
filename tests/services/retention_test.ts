/** Raw event retention: deletes exactly the old events of finalized sessions, nothing else. */
import assert from "node:assert/strict";
import { retentionCutoff } from "../../core/retention.ts";
import { RETENTION_LOCK_KEY } from "../../db/retention.ts";
import { purgeRawEvents, type RetentionProgress } from "../../services/retention.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql);
const opts = dbTestOptions;
const NOW = new Date("2024-03-01T00:00:00Z");
const DAYS = 30; // cutoff 2024-01-31T00:00:00Z
const COMPANY = "c_retention001";

// ret-old: finalized, 6 events, all old. ret-span: finalized, one event before the cutoff, one
// exactly at it, one after. ret-open: never finalized, 3 old events. ret-new: finalized, recent.
const open = sessionEvents({
  player: "r1",
  session: "ret-open",
  pattern: [1, 1, 1],
  start: "2024-01-05T09:00:00Z",
});
let old: Record<string, unknown>;
let span: Record<string, unknown>;
db.prepare(async () => {
  old = await playSession(t, {
    player: "r1",
    session: "ret-old",
    pattern: [1, 2, 0],
    start: "2024-01-10T09:00:00Z",
    company_id: COMPANY,
  });
  span = await playSession(t, {
    player: "r2",
    session: "ret-span",
    pattern: [1, 1, 1],
    start: "2024-01-30T23:59:50Z",
    company_id: COMPANY,
  });

  assert.equal((await t.request("/events/batch", postJson({ events: open }))).status, 200);
  await playSession(t, {
    player: "r1",
    session: "ret-new",
    pattern: [1, 1, 2],
    start: "2024-02-20T09:00:00Z",
  });
  // These sessions were received when they were played (retention goes by receive time).
  await db.sql`update raw_events set received_at = ts_utc`;
});

async function remaining(): Promise<string[]> {
  const rows = await db.sql<{ key: string }[]>`
    select session_id || '/' || sequence_index || '/' || attempt_index as key
    from raw_events order by session_id, sequence_index, attempt_index`;
  return rows.map((r) => r.key);
}

async function derived() {
  const [summaries, models, buckets, presence, engagement] = await Promise.all([
    db.sql`select * from session_summary order by id`,
    db.sql`select * from model_state order by player_id`,
    db.sql`select * from company_bucket order by company_id, kind, bucket_start`,
    db.sql`select * from company_bucket_player order by 1, 2, 3, 4`,
    db.sql`select * from engagement_sessions order by id`,
  ]);
  return { summaries, models, buckets, presence, engagement };
}

Deno.test("retentionCutoff is now minus the days", opts, () => {
  assert.deepEqual(retentionCutoff(NOW, DAYS), new Date("2024-01-31T00:00:00Z"));
  assert.deepEqual(retentionCutoff(NOW, 1), new Date("2024-02-29T00:00:00Z"));
});

Deno.test(
  "purgeRawEvents deletes old events of finalized sessions only, in bounded chunks",
  opts,
  async () => {
    const before = await derived();
    const progress: RetentionProgress[] = [];
    const run = await purgeRawEvents(db.sql, DAYS, NOW, {
      exclusive: db.kind === "postgres",
      chunk: 3,
      onProgress: (p) => progress.push(p),
    });
    // Older than the cutoff: 6 (ret-old) + 1 (ret-span) + 3 (ret-open, kept: still open).
    assert.deepEqual(run, {
      ran: true,
      cutoff: new Date("2024-01-31T00:00:00Z"),
      scanned: 10,
      deleted: 7,
      chunks: 4,
    });
    // In received_at order: ret-open's 3 (kept), ret-old's 6, ret-span's first.
    const totals = progress.map((p) => `${p.scanned}/${p.deleted}`);
    assert.deepEqual(totals, ["3/0", "6/3", "9/6", "10/7"]);
    assert.deepEqual(await remaining(), [
      "ret-new/1/1",
      "ret-new/2/1",
      "ret-new/3/1",
      "ret-new/3/2",
      "ret-open/1/1",
      "ret-open/2/1",
      "ret-open/3/1",
      "ret-span/2/1", // exactly at the cutoff: kept
      "ret-span/3/1",
    ]);
    assert.deepEqual(await derived(), before, "summaries, models, aggregates stay");

    const again = await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: db.kind === "postgres" });
    assert.deepEqual([again.scanned, again.deleted], [3, 0]);
  },
);

Deno.test("finalize of a purged session still answers its stored summary", opts, async () => {
  await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: false });
  for (const summary of [old, span]) {
    const res = await t.request(`/sessions/${summary.session_id}/finalize`, { method: "POST" });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), summary);
  }
  const late = { ...open[0], session_id: "ret-old" };
  const refused = await t.request("/events", postJson(late));
  assert.equal(refused.status, 409, "a purged session stays finalized");
  await refused.body?.cancel();
});

Deno.test("only one purge runs at a time (advisory lock)", opts, async () => {
  if (db.kind !== "postgres") return; // the embedded database has one owner process
  await playSession(t, {
    player: "r3",
    session: "ret-locked",
    pattern: [1, 1, 1],
    start: "2024-01-12T09:00:00Z",
  });
  await db.sql`update raw_events set received_at = ts_utc where session_id = 'ret-locked'`;
  const holder = await db.sql.reserve();
  try {
    await holder`select pg_advisory_lock(${RETENTION_LOCK_KEY})`;
    const skipped = await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: true });
    assert.deepEqual([skipped.ran, skipped.scanned, skipped.deleted], [false, 0, 0]);
    assert.ok((await remaining()).includes("ret-locked/1/1"));
    await holder`select pg_advisory_unlock(${RETENTION_LOCK_KEY})`;
  } finally {
    holder.release();
  }
  const ran = await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: true });
  assert.deepEqual([ran.ran, ran.deleted], [true, 3]);
  assert.ok(!(await remaining()).includes("ret-locked/1/1"));
});

Deno.test(
  "the walk moves past rows stored with microseconds (one timestamp, many rows)",
  opts,
  async () => {
    await db.sql`insert into play_sessions (session_id, player_id) values ('ret-micro', 'r4')`;
    await db.sql`
    insert into raw_events (session_id, sequence_index, attempt_index, player_id, task_version,
      sequence_length, presented, input, is_correct, duration_ms, ts_utc, remediation_stage,
      received_at)
    select 'ret-micro', q, 1, 'r4', 'earth_v1', 4, '[1]', '[1]', true, 1,
      '2024-01-03T00:00:00.123456Z', 'none', '2024-01-03T00:00:00.123456Z'
    from generate_series(1, 5) q`;
    const run = await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: false, chunk: 2 });
    // ret-open's 3 and ret-micro's 5, all kept (open sessions); the walk ends.
    assert.deepEqual([run.scanned, run.deleted, run.chunks], [8, 0, 5]);
  },
);

Deno.test(
  "retention goes by the server's receive time: a session played years ago, uploaded now, stays",
  opts,
  async () => {
    // Played offline in 2019 (a valid client time), received at NOW - 1 day.
    await playSession(t, {
      player: "r5",
      session: "ret-offline",
      pattern: [1, 1, 1],
      start: "2019-06-01T09:00:00Z",
    });
    await db.sql`
      update raw_events set received_at = ${new Date(NOW.getTime() - 86_400_000)}
      where session_id = 'ret-offline'`;
    await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: false });
    const kept = await db.sql`select 1 from raw_events where session_id = 'ret-offline'`;
    assert.equal(kept.length, 3, "client ts_utc 2019, received yesterday: kept");
    await db.sql`
      update raw_events set received_at = ${new Date(NOW.getTime() - 31 * 86_400_000)}
      where session_id = 'ret-offline'`;
    await purgeRawEvents(db.sql, DAYS, NOW, { exclusive: false });
    const gone = await db.sql`select 1 from raw_events where session_id = 'ret-offline'`;
    assert.equal(gone.length, 0, "received 31 days ago: purged");
  },
);
