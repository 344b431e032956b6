/**
 * Migration 0019's one-row path of the insert trigger writes exactly what the general path
 * (migration 0018's function) writes: the same inserts, one row per statement, run through
 * each, give the same aggregate rows and the same refusals.
 */
import assert from "node:assert/strict";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();

/** Returns the `create or replace function company_aggregates_add()` of a migration file. */
async function insertTrigger(migration: string): Promise<string> {
  const text = await Deno.readTextFile(new URL(`../../migrations/${migration}`, import.meta.url));
  const start = text.indexOf("create or replace function company_aggregates_add()");
  return text.slice(start, text.indexOf("$$;", start) + 3);
}

/** One session: its player, play time, and metrics (earth or water). */
type Session = [player: string, at: string, metrics: Record<string, number | boolean>];

const earth = (fta: number, burden: number, bucket: number) => ({
  fta_level: fta,
  fta_strict: fta === 1,
  repetition_burden: burden,
  earth_score_bucket: bucket,
});
const water = (stress: number) => ({ stress_score: stress });

// New players, a player's second session in a bucket, a second task in a bucket, sessions
// before a player's first one (their weeks are bumped), and days and weeks across a month end.
const SESSIONS: Session[] = [
  ["p1", "2026-10-26T09:00:00Z", earth(1 / 3, 5 / 3, 5)],
  ["p1", "2026-10-26T10:00:00Z", earth(2 / 3, 1, 5)],
  ["p2", "2026-10-27T09:00:00Z", earth(1, 1, 10)],
  ["p1", "2026-10-27T11:00:00Z", water(40)],
  ["p2", "2026-10-20T08:00:00Z", water(75)],
  ["p3", "2026-11-02T12:00:00Z", earth(0, 3, 0)],
  ["p1", "2026-10-19T07:00:00Z", earth(0, 2, 0)],
  ["p3", "2026-11-02T13:00:00Z", water(10)],
  ["p2", "2026-10-31T23:59:59Z", earth(1, 1, 10)],
  ["p2", "2026-11-01T00:00:00Z", earth(1 / 3, 3, 5)],
];

let n = 0;

/** Inserts a finalized session (one row per statement) into a company, or none (null). */
async function insert(company: string | null, [player, at, metrics]: Session): Promise<void> {
  const id = `ort-${++n}`;
  await db.sql`insert into play_sessions (session_id, player_id, finalized_at)
    values (${id}, ${player}, now())`;
  const task = "stress_score" in metrics ? "water" : "earth";
  await db.sql`
    insert into session_summary (player_id, session_id, task_version, task, metrics, company_id,
      played_at, n_attempts)
    values (${player}, ${id}, ${task + "_v1"}, ${task}, ${db.sql.json(metrics)}, ${company},
      ${at}, 3)`;
}

/** Returns every aggregate row of a company, the company's id left out. */
async function aggregates(company: string): Promise<unknown[]> {
  return [
    ...await db.sql`
      select kind, bucket_start::text, n_sessions, n_players, metrics::text from company_bucket
      where company_id = ${company} order by kind, bucket_start`,
    ...await db.sql`
      select kind, bucket_start::text, task, metric, n_sessions, n_players, sum
      from company_metric where company_id = ${company} order by 1, 2, 3, 4`,
    ...await db.sql`
      select kind, bucket_start::text, player_id, tasks from company_bucket_player
      where company_id = ${company} order by 1, 2, 3`,
    ...await db.sql`
      select kind, period_start::text, version::text from company_period_version
      where company_id = ${company} order by 1, 2`,
  ].map((row) => ({ ...row }));
}

/** Returns the message of each refused insert (a bad value, an unknown key, a missing one). */
async function refusals(company: string | null): Promise<string[]> {
  const bad: Session[] = [
    ["p9", "2026-10-26T09:00:00Z", { ...earth(1, 1, 10), earth_score_bucket: 7 }],
    ["p9", "2026-10-26T09:00:00Z", { ...earth(1, 1, 10), reaction_ms: 300 }],
    ["p9", "2026-10-26T09:00:00Z", { fta_level: 1, fta_strict: true, repetition_burden: 1 }],
  ];
  const messages: string[] = [];
  for (const session of bad) {
    await insert(company, session).then(
      () => messages.push("stored"),
      (e: Error) => messages.push(e.message.replace(/ort-\d+/, "ort-N")),
    );
  }
  return messages;
}

Deno.test(
  "the one-row insert trigger writes the general path's aggregates and refusals",
  dbTestOptions,
  async () => {
    for (const s of SESSIONS) await insert("c_one_row", s);
    await insert(null, SESSIONS[0]);
    const oneRow = await aggregates("c_one_row");
    const oneRowRefusals = [...await refusals("c_one_row"), ...await refusals(null)];

    await db.sql.unsafe(await insertTrigger("0018_finalize_trigger.sql"));
    try {
      for (const s of SESSIONS) await insert("c_general", s);
      await insert(null, SESSIONS[0]);
      assert.deepEqual(oneRow, await aggregates("c_general"));
      assert.deepEqual(oneRowRefusals, [...await refusals("c_general"), ...await refusals(null)]);
    } finally {
      await db.sql.unsafe(await insertTrigger("0019_one_row_trigger.sql"));
    }
    assert.equal(oneRow.length, 74, "every kind of aggregate row is compared");
    assert.match(oneRowRefusals[0], /metric earth_score_bucket = 7 is not a registered value/);
    assert.match(oneRowRefusals[1], /metric reaction_ms = 300 is not a registered value/);
    assert.match(oneRowRefusals[2], /metrics are not the task's registered ones/);
  },
);
