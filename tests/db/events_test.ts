/** The one-statement event ingest (db/events.ts) and the batch use case built on it. */
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  arrayLiteral,
  AtomicIngestRefused,
  type EventRow,
  INGEST_RACED,
  ingestEvents,
} from "../../db/events.ts";
import { createEventWriter, ingestBatch } from "../../services/events.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { serverUrl, testDatabase } from "../helpers/db.ts";

const db = testDatabase();

function event(session: string, seq: number, overrides: Partial<EventRow> = {}): EventRow {
  return {
    player_id: "p-ev",
    session_id: session,
    task_version: "earth_v1",
    sequence_index: seq,
    sequence_length: 3,
    attempt_index: 1,
    presented: [1, 2, 3],
    input: [1, 2, 3],
    is_correct: true,
    duration_ms: 1500,
    ts_utc: new Date(`2026-11-20T10:00:0${seq}Z`),
    remediation_stage: "none",
    volts_count: null,
    company_id: null,
    ...overrides,
  };
}

async function stored(session: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from raw_events where session_id = ${session}`;
  return r.n;
}

async function sessionRows(session: string): Promise<number> {
  const [r] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from play_sessions where session_id = ${session}`;
  return r.n;
}

Deno.test("ingestEvents: one status per row, in order", dbTestOptions, async () => {
  assert.deepEqual(await ingestEvents(db.sql, [event("ev-1", 1)]), ["stored"]);
  const statuses = await ingestEvents(db.sql, [
    event("ev-1", 2),
    event("ev-1", 1),
    event("ev-1", 3, { player_id: "someone-else" }),
    event("ev-1", 1, { attempt_index: 2 }),
  ]);
  assert.deepEqual(statuses, ["stored", "duplicate", "other_player", "stored"]);
  assert.deepEqual(
    await ingestEvents(db.sql, [event("ev-1", 2, { duration_ms: 99 })]),
    ["different"],
  );
  await db.sql`update play_sessions set finalized_at = now() where session_id = 'ev-1'`;
  assert.deepEqual(await ingestEvents(db.sql, [event("ev-1", 3)]), ["finalized"]);
  assert.equal(await stored("ev-1"), 3);
});

Deno.test(
  "atomic ingest: any conflict stores nothing, not even the new session rows",
  dbTestOptions,
  async () => {
    await ingestEvents(db.sql, [event("ev-2", 1)]);
    const refused = await ingestEvents(db.sql, [
      event("ev-2-new", 1),
      event("ev-2", 2),
      event("ev-2", 1, { input: [3, 2, 1] }),
    ], { atomic: true }).then(() => null, (err) => err);
    assert.ok(refused instanceof AtomicIngestRefused);
    assert.deepEqual([refused.index, refused.status], [2, "different"]);
    assert.equal(await stored("ev-2"), 1);
    assert.equal(await stored("ev-2-new"), 0);
    assert.equal(await sessionRows("ev-2-new"), 0);
    // The first conflicting row is named, whatever the others are.
    const first = await ingestEvents(db.sql, [
      event("ev-2-new", 1),
      event("ev-2", 3, { player_id: "p-other" }),
      event("ev-2", 1, { player_id: "p-other" }),
    ], { atomic: true }).then(() => null, (err) => err);
    assert.ok(first instanceof AtomicIngestRefused);
    assert.deepEqual([first.index, first.status], [1, "other_player"]);
    assert.equal(await stored("ev-2-new"), 0);
    assert.equal(await sessionRows("ev-2-new"), 0);

    await assert.rejects(
      ingestBatch(db.sql, [event("ev-2-new", 1), event("ev-2", 1, { is_correct: false })]),
      /events\[1\]: Attempt already stored with different content/,
    );
    assert.equal(await sessionRows("ev-2-new"), 0);
    // A batch that repeats a key with other content takes the transaction: still 409 at [1].
    await assert.rejects(
      ingestBatch(db.sql, [event("ev-2-new", 1), event("ev-2-new", 1, { duration_ms: 1 })]),
      /events\[1\]: Attempt already stored with different content/,
    );
    assert.equal(await sessionRows("ev-2-new"), 0);
    assert.deepEqual(
      await ingestBatch(db.sql, [event("ev-2-new", 1), event("ev-2", 1), event("ev-2", 2)]),
      { stored: 2, duplicates: 1 },
    );
  },
);

Deno.test({
  ...dbTestOptions,
  name: "a session created concurrently is found, not raced (ON CONFLICT DO UPDATE waits for it)",
  ignore: serverUrl() === null,
  fn: async () => {
    const other = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      const conn = await other.reserve();
      await conn`begin`;
      await conn`insert into play_sessions (session_id, player_id) values ('ev-4', 'p-ev')`;
      const racing = ingestEvents(db.sql, [event("ev-4b", 1), event("ev-4", 1)], {
        atomic: true,
      });
      await new Promise((r) => setTimeout(r, 300));
      await conn`commit`;
      conn.release();
      assert.deepEqual(await racing, ["stored", "stored"]);
      assert.equal(await stored("ev-4"), 1);
    } finally {
      await other.end();
    }
  },
});

Deno.test({
  ...dbTestOptions,
  name:
    "atomic ingest raced by a concurrent writer stores nothing; the batch retries in a transaction",
  ignore: serverUrl() === null,
  fn: async () => {
    await ingestEvents(db.sql, [event("ev-3", 3)]);
    const other = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      // Another transaction holds an uncommitted attempt that the batch also carries.
      const conn = await other.reserve();
      await conn`begin`;
      await conn`
        insert into raw_events (player_id, session_id, task_version, sequence_index,
          sequence_length, attempt_index, presented, input, is_correct, duration_ms, ts_utc,
          remediation_stage)
        values ('p-ev', 'ev-3', 'earth_v1', 2, 3, 1, '[1,2,3]', '[9,9,9]', false, 10, now(),
          'none')`;
      // The atomic statement waits on that key, then cannot see what it waited for.
      // Its failure is caught at once: it may arrive before the commit below returns.
      const racing = ingestEvents(db.sql, [event("ev-3b", 1), event("ev-3", 2)], {
        atomic: true,
      }).then(() => null, (err: { code?: string }) => err);
      await new Promise((r) => setTimeout(r, 300));
      await conn`commit`;
      conn.release();
      assert.equal((await racing)?.code, INGEST_RACED, "the statement failed as raced");
      assert.equal(await stored("ev-3b"), 0, "the raced statement stored nothing");
      assert.equal(await sessionRows("ev-3b"), 0);

      // ingestBatch then takes the transaction: [1] conflicts with the committed attempt 2.
      await assert.rejects(
        ingestBatch(db.sql, [event("ev-3b", 1), event("ev-3", 2)]),
        /events\[1\]: Attempt already stored with different content/,
      );
      assert.equal(await stored("ev-3b"), 0);
      assert.deepEqual(await ingestBatch(db.sql, [event("ev-3b", 1), event("ev-3", 1)]), {
        stored: 2,
        duplicates: 0,
      });
    } finally {
      await other.end();
    }
  },
});

Deno.test({
  ...dbTestOptions,
  name: "ingestEvents keeps one cached generic plan whatever the batch size (no re-planning)",
  ignore: serverUrl() === null,
  fn: async () => {
    const one = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      for (let k = 0; k < 20; k++) {
        const rows = Array.from({ length: 1 + (k % 3) }, (_, j) => event(`ev-plan-${k}-${j}`, 1));
        await ingestEvents(one, rows);
      }
      const [plans] = await one<{ generic: number; custom: number }[]>`
        select generic_plans::int as generic, custom_plans::int as custom
        from pg_prepared_statements
        where statement like '%insert into raw_events%' and statement not like '%prepared%'`;
      // Postgres tries five custom plans, then keeps the generic one unless it looks costlier
      // (which it did for small batches while the planner could see the arrays' length).
      assert.equal(plans.generic + plans.custom, 20);
      assert.ok(plans.generic >= 10, `generic ${plans.generic}, custom ${plans.custom}`);
    } finally {
      await one.end();
    }
  },
});

Deno.test("arrayLiteral quotes every string, escapes quotes and backslashes, writes NULL", () => {
  assert.equal(
    arrayLiteral(['a"b', "c\\d", "NULL", "", "x,{y}", null, 7, -1, true, false]),
    '{"a\\"b","c\\\\d","NULL","","x,{y}",NULL,7,-1,t,f}',
  );
});

Deno.test(
  "ingestEvents stores array-literal metacharacters in every text column verbatim",
  dbTestOptions,
  async () => {
    const tricky = ['q"uote', "back\\slash", "NULL", "{br,aces}", " spaced ", "é😀"];
    const rows = tricky.map((text, k) =>
      event(`ev-lit-${k}-${text}`, 1, {
        player_id: `p-${text}`,
        task_version: text,
        presented: [text, 1],
        input: [text],
        company_id: k % 2 ? text : null,
      })
    );
    assert.deepEqual(await ingestEvents(db.sql, rows), tricky.map(() => "stored"));
    const back = await db.sql<{ player_id: string; task_version: string; presented: unknown }[]>`
    select player_id, task_version, presented from raw_events
    where session_id like 'ev-lit-%' order by session_id`;
    const expected = rows.map((r) => ({
      player_id: r.player_id,
      task_version: r.task_version,
      presented: r.presented,
    })).sort((a, b) => (a.player_id < b.player_id ? -1 : 1));
    assert.deepEqual(
      [...back].map((r) => ({ ...r })).sort((a, b) => (a.player_id < b.player_id ? -1 : 1)),
      expected,
    );
    assert.deepEqual(await ingestEvents(db.sql, rows), tricky.map(() => "duplicate"));
  },
);

Deno.test(
  "createEventWriter: a resend sharing a statement with a refused variant of it is a duplicate",
  dbTestOptions,
  async () => {
    const writer = createEventWriter(db.sql);
    assert.deepEqual(await writer.submit(event("ev-gc", 1)), { status: "stored" });
    // The first submit starts a statement at once; the next two wait for it and share the next
    // statement, the variant first: it is refused, and the resend still matches what is stored.
    const [busy, variant, resend] = await Promise.all([
      writer.submit(event("ev-gc", 2)),
      writer.submit(event("ev-gc", 1, { duration_ms: 7777 })),
      writer.submit(event("ev-gc", 1)),
    ]);
    assert.deepEqual(busy, { status: "stored" });
    assert.equal(variant.status, "conflict");
    assert.deepEqual(resend, { status: "duplicate" });
    assert.equal(await stored("ev-gc"), 2);
  },
);
