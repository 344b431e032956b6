import assert from "node:assert/strict";
import type { Sql, Tx } from "../../db/client.ts";
import {
  type BucketRow,
  companyBuckets,
  companyPlayerCount,
  companyTotals,
  playersInBuckets,
  rebuildCompanyAggregates,
} from "../../db/companies.ts";
import { migrate, readMigrations } from "../../db/migrate.ts";
import type { BucketType } from "../../core/time.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { openTestDatabase, testDatabase } from "../helpers/db.ts";
import { playSession } from "../helpers/play.ts";

const db = testDatabase();
const opts = dbTestOptions;

/** One finalized session as the test inserts it. */
interface Session {
  company: string | null;
  player: string;
  /** ISO time, any offset. */
  at: string;
  fta: number;
  burden: number;
  bucket: 0 | 5 | 10;
}

let seq = 0;

/** Inserts sessions (and their play_sessions rows) in one statement each. */
async function insert(sql: Sql | Tx, sessions: Session[]): Promise<void> {
  const rows = sessions.map((s) => ({ ...s, session_id: `agg-${++seq}` }));
  await sql`
    insert into play_sessions (session_id, player_id)
    select session_id, player from jsonb_to_recordset(${sql.json(rows)})
      as x(session_id text, player text)`;
  await sql`
    insert into session_summary (player_id, session_id, task_version, fta_level, fta_strict,
      repetition_burden, earth_score_bucket, company_id, played_at, n_attempts)
    select player, session_id, 'earth_v1', fta, false, burden, bucket, company, at, 9
    from jsonb_to_recordset(${sql.json(rows)}) as x(session_id text, player text, company text,
      at timestamptz, fta float8, burden float8, bucket smallint)`;
}

/** Returns deterministic sessions of a company: `n` sessions of `players` players over 24 days. */
function sessionsOf(company: string, n: number, players: number, salt = 0): Session[] {
  return Array.from({ length: n }, (_, i) => {
    const k = i * 7919 + salt * 104729;
    const at = Date.UTC(2024, 0, 1) + (k % 24) * 86_400_000 + (k % 86_400) * 1000 - 3_600_000;
    return {
      company,
      player: `${company}-p${(k * 31) % players}`,
      at: new Date(at).toISOString(),
      fta: (k % 1000) / 997,
      burden: 1 + (k % 13) / 7,
      bucket: ([0, 5, 10] as const)[k % 3],
    };
  });
}

const near = (a: number | null, b: number | null, what: string) =>
  assert.ok(
    a === b || (a !== null && b !== null && Math.abs(a - b) < 1e-9),
    `${what}: ${a} ≠ ${b}`,
  );

/** Asserts that the aggregates of a company equal count(distinct)/avg over session_summary. */
async function assertMatchesSessions(sql: Sql, company: string): Promise<void> {
  const [want] = await sql`
    select count(distinct player_id)::int as n_players, count(*)::int as n_sessions,
      avg(fta_level) as avg_fta, avg(repetition_burden) as avg_burden,
      avg(earth_score_bucket)::float8 as avg_bucket
    from session_summary where company_id = ${company}`;
  const got = await companyTotals(sql, company);
  assert.equal(got.n_players, want.n_players, `${company} n_players`);
  assert.equal(got.n_sessions, want.n_sessions, `${company} n_sessions`);
  assert.equal(await companyPlayerCount(sql, company), want.n_players);
  for (const key of ["avg_fta", "avg_burden", "avg_bucket"] as const) {
    near(got[key], want[key], `${company} ${key}`);
  }
  for (const type of ["day", "week"] as BucketType[]) {
    const expected = await sql<BucketRow[]>`
      select to_char(date_trunc(${type}, played_at at time zone 'UTC'), 'YYYY-MM-DD')
          as bucket_start,
        count(distinct player_id)::int as n_players, count(*)::int as n_sessions,
        avg(fta_level) as avg_fta, avg(repetition_burden) as avg_burden
      from session_summary where company_id = ${company} group by 1 order by 1`;
    const actual = await companyBuckets(sql, company, type);
    const counts = (rows: readonly BucketRow[]) =>
      rows.map((r) => [r.bucket_start, r.n_players, r.n_sessions]);
    assert.deepEqual(counts(actual), counts(expected), `${company} ${type} buckets`);
    actual.forEach((row, i) => {
      near(row.avg_fta, expected[i].avg_fta, `${company} ${row.bucket_start} avg_fta`);
      near(row.avg_burden, expected[i].avg_burden, `${company} ${row.bucket_start} avg_burden`);
    });
  }
}

Deno.test("hand-computed: days, ISO weeks, distinct players, averages", opts, async () => {
  const c = "c_agg_hand";
  await insert(db.sql, [
    { company: c, player: "x", at: "2024-01-14T22:00:00Z", fta: 1, burden: 1, bucket: 10 },
    // 2024-01-14 23:30 at -02:00 is Monday 2024-01-15 01:30 UTC.
    { company: c, player: "x", at: "2024-01-14T23:30:00-02:00", fta: 0.5, burden: 2, bucket: 5 },
  ]);
  await insert(db.sql, [
    { company: c, player: "y", at: "2024-01-15T10:00:00Z", fta: 0, burden: 3, bucket: 0 },
  ]);
  assert.deepEqual(await companyTotals(db.sql, c), {
    n_players: 2,
    n_sessions: 3,
    avg_fta: 0.5,
    avg_burden: 2,
    avg_bucket: 5,
  });
  assert.equal(await companyPlayerCount(db.sql, c), 2, "x played on two days: counted once");
  assert.deepEqual((await companyBuckets(db.sql, c, "day")).map((r) => ({ ...r })), [
    { bucket_start: "2024-01-14", n_players: 1, n_sessions: 1, avg_fta: 1, avg_burden: 1 },
    { bucket_start: "2024-01-15", n_players: 2, n_sessions: 2, avg_fta: 0.25, avg_burden: 2.5 },
  ]);
  assert.deepEqual(
    (await companyBuckets(db.sql, c, "week")).map((r) => [r.bucket_start, r.n_players]),
    [["2024-01-08", 1], ["2024-01-15", 2]],
  );
  assert.equal(await playersInBuckets(db.sql, c, "day", ["2024-01-14", "2024-01-15"]), 2);
  assert.equal(await playersInBuckets(db.sql, c, "day", ["2024-01-14"]), 1);
  assert.equal(await playersInBuckets(db.sql, c, "week", ["2024-01-08", "2024-01-15"]), 2);
  assert.equal(await playersInBuckets(db.sql, c, "week", ["2024-01-01"]), 0);
});

Deno.test("a company without sessions has no aggregates", opts, async () => {
  await insert(db.sql, [
    {
      company: null,
      player: "agg-nobody",
      at: "2024-01-15T10:00:00Z",
      fta: 1,
      burden: 1,
      bucket: 5,
    },
  ]);
  assert.deepEqual(await companyTotals(db.sql, "c_agg_none"), {
    n_players: 0,
    n_sessions: 0,
    avg_fta: null,
    avg_burden: null,
    avg_bucket: null,
  });
  assert.equal(await companyPlayerCount(db.sql, "c_agg_none"), 0);
  assert.equal((await companyBuckets(db.sql, "c_agg_none", "day")).length, 0);
  const [nulls] = await db
    .sql`select count(*)::int as n from company_bucket where company_id is null`;
  assert.equal(nulls.n, 0);
});

Deno.test(
  "after bulk, single-row and finalize inserts in several companies, aggregates match",
  opts,
  async () => {
    const companies = ["c_agg_one", "c_agg_two", "c_agg_three"];
    // One statement across companies and buckets, with repeated (player, day) pairs.
    await insert(db.sql, companies.flatMap((c, i) => sessionsOf(c, 120 + 40 * i, 9 + i)));
    for (const s of sessionsOf("c_agg_two", 15, 20, 1)) await insert(db.sql, [s]);
    await insert(
      db.sql,
      sessionsOf("c_agg_one", 30, 5, 2).map((s, i) => ({
        ...s,
        company: i % 3 === 0 ? null : s.company,
      })),
    );
    const t = testApp(db.sql);
    for (const [n, player] of ["p1", "p2", "c_agg_one-p0"].entries()) {
      await playSession(t, {
        player,
        session: `agg-fin-${n}`,
        pattern: [1, 2, 0],
        start: `2024-01-0${n + 3}T23:59:50Z`,
        company_id: "c_agg_one",
      });
    }
    for (const c of companies) await assertMatchesSessions(db.sql, c);
  },
);

Deno.test(
  "concurrent multi-statement transactions of one company neither deadlock nor lose counts",
  opts,
  async () => {
    const c = "c_agg_concurrent";
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db.sql.begin(async (tx) => {
          for (const s of sessionsOf(c, 6, 4, i)) await insert(tx, [s]);
        })),
    );
    await assertMatchesSessions(db.sql, c);
  },
);

Deno.test("updates and deletes of session_summary recompute the companies", opts, async () => {
  const [a, b] = ["c_agg_fix_a", "c_agg_fix_b"];
  await insert(db.sql, [...sessionsOf(a, 40, 6), ...sessionsOf(b, 10, 3)]);
  const ids = await db.sql<{ id: string }[]>`
    select id from session_summary where company_id = ${a} order by id limit 3`;
  await db.sql`update session_summary set company_id = ${b} where id = ${ids[0].id}`;
  await db.sql`
    update session_summary set played_at = played_at + interval '9 days', fta_level = 0.125
    where id = ${ids[1].id}`;
  await db.sql`update session_summary set n_attempts = 3 where company_id = ${b}`;
  await db.sql`delete from session_summary where id = ${ids[2].id}`;
  await assertMatchesSessions(db.sql, a);
  await assertMatchesSessions(db.sql, b);
});

Deno.test("rebuildCompanyAggregates catches up rows written with triggers off", opts, async () => {
  const c = "c_agg_replica";
  await db.sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await insert(tx, sessionsOf(c, 50, 7));
  });
  assert.equal(await companyPlayerCount(db.sql, c), 0, "the trigger did not run");
  await rebuildCompanyAggregates(db.sql, [c]);
  await assertMatchesSessions(db.sql, c);
  await rebuildCompanyAggregates(db.sql);
  await assertMatchesSessions(db.sql, c);
  await assertMatchesSessions(db.sql, "c_agg_hand");
});

Deno.test("migration 0003 backfills existing sessions; truncate clears", opts, async () => {
  const all = await readMigrations();
  const early = await openTestDatabase(all.filter((m) => m.version < "0003"));
  try {
    await insert(early.sql, [...sessionsOf("c_agg_old", 80, 8), ...sessionsOf("c_agg_old2", 9, 2)]);
    await insert(early.sql, sessionsOf("c_agg_old", 5, 8, 3));
    const through0003 = all.filter((m) => m.version <= "0003");
    assert.deepEqual(await migrate(early.sql, through0003), ["0003_company_aggregates"]);
    await assertMatchesSessions(early.sql, "c_agg_old");
    await assertMatchesSessions(early.sql, "c_agg_old2");
    await early.sql`truncate session_summary`;
    const [left] = await early.sql`
      select (select count(*) from company_bucket)::int as buckets,
        (select count(*) from company_bucket_player)::int as players`;
    assert.deepEqual({ ...left }, { buckets: 0, players: 0 });
  } finally {
    await early.close();
  }
});
