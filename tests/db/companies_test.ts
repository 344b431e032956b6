import assert from "node:assert/strict";
import type { Sql, Tx } from "../../db/client.ts";
import {
  type BucketRow,
  companyBuckets,
  companyPlayerCount,
  type CompanyTotals,
  companyTotals,
  metricOf,
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
  /** A water session: this stress score, and no earth metrics. */
  stress?: number;
}

let seq = 0;

/**
 * Inserts sessions (and their play_sessions rows) in one statement each; `early`: into the
 * columns of the schema before migration 0012 (earth sessions only).
 */
async function insert(sql: Sql | Tx, sessions: Session[], early = false): Promise<void> {
  const rows = sessions.map((s) => ({
    ...s,
    session_id: `agg-${++seq}`,
    ...(s.stress === undefined ? { stress: null } : { fta: null, burden: null, bucket: null }),
  }));
  await sql`
    insert into play_sessions (session_id, player_id)
    select session_id, player from jsonb_to_recordset(${sql.json(rows)})
      as x(session_id text, player text)`;
  if (early) {
    // Earth sessions only: the columns every schema before 0012 has (the migration test).
    await sql`
      insert into session_summary (player_id, session_id, task_version, fta_level, fta_strict,
        repetition_burden, earth_score_bucket, company_id, played_at, n_attempts)
      select player, session_id, 'earth_v1', fta, false, burden, bucket, company, at, 9
      from jsonb_to_recordset(${sql.json(rows)}) as x(session_id text, player text, company text,
        at timestamptz, fta float8, burden float8, bucket smallint)`;
    return;
  }
  await sql`
    insert into session_summary (player_id, session_id, task_version, task, metrics, company_id,
      played_at, n_attempts)
    select player, session_id, case when stress is null then 'earth_v1' else 'water_v1' end,
      case when stress is null then 'earth' else 'water' end,
      case when stress is null
        then jsonb_build_object('fta_level', fta, 'fta_strict', false, 'repetition_burden', burden,
          'earth_score_bucket', bucket)
        else jsonb_build_object('stress_score', stress) end,
      company, at, 9
    from jsonb_to_recordset(${sql.json(rows)}) as x(session_id text, player text, company text,
      at timestamptz, fta float8, burden float8, bucket smallint, stress float8)`;
}

/** The metric of a task among aggregates. */
const of = (t: { metrics: CompanyTotals["metrics"] }, task: string, metric: string) =>
  metricOf(t.metrics, task, metric);

/** Returns company totals flat: the earth and water counts and averages by name. */
function flatTotals(t: CompanyTotals) {
  return {
    n_players: t.n_players,
    n_sessions: t.n_sessions,
    n_earth_players: of(t, "earth", "fta_level")?.n_players ?? 0,
    avg_fta: of(t, "earth", "fta_level")?.avg ?? null,
    avg_burden: of(t, "earth", "repetition_burden")?.avg ?? null,
    avg_bucket: of(t, "earth", "earth_score_bucket")?.avg ?? null,
    n_water_sessions: of(t, "water", "stress_score")?.n_sessions ?? 0,
    n_water_players: of(t, "water", "stress_score")?.n_players ?? 0,
    avg_stress: of(t, "water", "stress_score")?.avg ?? null,
  };
}

/** Returns a bucket flat, as flatTotals (no earth score average per bucket). */
function flatBucket(r: BucketRow) {
  const { avg_bucket: _, ...rest } = flatTotals(r);
  return { bucket_start: r.bucket_start, ...rest };
}

type FlatBucket = ReturnType<typeof flatBucket>;

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

/** Direct aggregates of session_summary: what the maintained ones must equal. */
const DIRECT = (sql: Sql) =>
  sql`count(distinct player_id)::int as n_players, count(*)::int as n_sessions,
    (count(distinct player_id) filter (where task = 'earth'))::int as n_earth_players,
    avg((metrics->>'fta_level')::float8) as avg_fta,
    avg((metrics->>'repetition_burden')::float8) as avg_burden,
    (count(*) filter (where task = 'water'))::int as n_water_sessions,
    (count(distinct player_id) filter (where task = 'water'))::int as n_water_players,
    avg((metrics->>'stress_score')::float8) as avg_stress`;

const COUNTS = [
  "n_players",
  "n_sessions",
  "n_earth_players",
  "n_water_sessions",
  "n_water_players",
];
const AVERAGES = ["avg_fta", "avg_burden", "avg_stress"];

/** Asserts that the aggregates of a company equal count(distinct)/avg over session_summary. */
async function assertMatchesSessions(sql: Sql, company: string): Promise<void> {
  const [want] = await sql`
    select ${DIRECT(sql)}, avg((metrics->>'earth_score_bucket')::int)::float8 as avg_bucket
    from session_summary where company_id = ${company}`;
  const got = flatTotals(await companyTotals(sql, company));
  for (const key of COUNTS) {
    assert.equal(got[key as keyof typeof got], want[key], `${company} ${key}`);
  }
  assert.equal(await companyPlayerCount(sql, company), want.n_players);
  for (const key of [...AVERAGES, "avg_bucket"] as const) {
    near(got[key as keyof typeof got] as number | null, want[key], `${company} ${key}`);
  }
  for (const type of ["day", "week"] as BucketType[]) {
    const expected = await sql<FlatBucket[]>`
      select to_char(date_trunc(${type}, played_at at time zone 'UTC'), 'YYYY-MM-DD')
          as bucket_start, ${DIRECT(sql)}
      from session_summary where company_id = ${company} group by 1 order by 1`;
    const actual = (await companyBuckets(sql, company, type)).map(flatBucket);
    const counts = (rows: readonly FlatBucket[]) =>
      rows.map((r) => [r.bucket_start, ...COUNTS.map((k) => r[k as keyof FlatBucket])]);
    assert.deepEqual(counts(actual), counts(expected), `${company} ${type} buckets`);
    actual.forEach((row, i) => {
      for (const key of AVERAGES as (keyof FlatBucket)[]) {
        near(
          row[key] as number | null,
          expected[i][key] as number | null,
          `${company} ${row.bucket_start} ${key}`,
        );
      }
    });
    // Per metric, the distinct players over every bucket (complementary suppression's count).
    const starts = actual.map((r) => r.bucket_start);
    for (const metric of ["all", "earth", "water"] as const) {
      const [direct] = await sql`
        select count(distinct player_id)::int as n from session_summary
        where company_id = ${company}
          ${metric === "all" ? sql`` : sql`and task = ${metric}`}`;
      assert.equal(
        await playersInBuckets(sql, company, type, starts, metric === "all" ? null : metric),
        direct.n,
        `${company} ${type} ${metric} players`,
      );
    }
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
  assert.deepEqual(flatTotals(await companyTotals(db.sql, c)), {
    n_players: 2,
    n_sessions: 3,
    n_earth_players: 2,
    avg_fta: 0.5,
    avg_burden: 2,
    avg_bucket: 5,
    n_water_sessions: 0,
    n_water_players: 0,
    avg_stress: null,
  });
  assert.equal(await companyPlayerCount(db.sql, c), 2, "x played on two days: counted once");
  const earthOnly = { n_water_sessions: 0, n_water_players: 0, avg_stress: null };
  assert.deepEqual((await companyBuckets(db.sql, c, "day")).map(flatBucket), [
    {
      bucket_start: "2024-01-14",
      n_players: 1,
      n_sessions: 1,
      n_earth_players: 1,
      avg_fta: 1,
      avg_burden: 1,
      ...earthOnly,
    },
    {
      bucket_start: "2024-01-15",
      n_players: 2,
      n_sessions: 2,
      n_earth_players: 2,
      avg_fta: 0.25,
      avg_burden: 2.5,
      ...earthOnly,
    },
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
  assert.deepEqual(flatTotals(await companyTotals(db.sql, "c_agg_none")), {
    n_players: 0,
    n_sessions: 0,
    n_earth_players: 0,
    avg_fta: null,
    avg_burden: null,
    avg_bucket: null,
    n_water_sessions: 0,
    n_water_players: 0,
    avg_stress: null,
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
    update session_summary set played_at = played_at + interval '9 days',
      metrics = jsonb_set(metrics, '{fta_level}', '0.125')
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

Deno.test(
  "migrations 0003 and 0010 backfill existing sessions; truncate clears",
  opts,
  async () => {
    const all = await readMigrations();
    const early = await openTestDatabase(all.filter((m) => m.version < "0003"));
    try {
      await insert(early.sql, [
        ...sessionsOf("c_agg_old", 80, 8),
        ...sessionsOf("c_agg_old2", 9, 2),
      ], true);
      await insert(early.sql, sessionsOf("c_agg_old", 5, 8, 3), true);
      const later = all.filter((m) => m.version >= "0003");
      assert.deepEqual(
        await migrate(early.sql, all),
        later.map((m) => `${m.version}_${m.name}`),
      );
      assert.ok(later.some((m) => m.name === "tasks"));
      await assertMatchesSessions(early.sql, "c_agg_old");
      await assertMatchesSessions(early.sql, "c_agg_old2");
      await early.sql`truncate session_summary`;
      const [left] = await early.sql`
      select (select count(*) from company_bucket)::int as buckets,
        (select count(*) from company_bucket_player)::int as players,
        (select count(*) from company_metric)::int as metrics`;
      assert.deepEqual({ ...left }, { buckets: 0, players: 0, metrics: 0 });
    } finally {
      await early.close();
    }
  },
);

/** Returns sessionsOf's sessions with about a third turned into water sessions. */
function mixedOf(company: string, n: number, players: number, salt = 0): Session[] {
  return sessionsOf(company, n, players, salt).map((s, i) =>
    (i * 7 + salt) % 3 === 0 ? { ...s, stress: ((i * 37 + salt) % 401) / 4 } : s
  );
}

Deno.test(
  "hand-computed: water sessions count apart, per metric and per player",
  opts,
  async () => {
    const c = "c_agg_water";
    await insert(db.sql, [
      { company: c, player: "x", at: "2024-01-15T09:00:00Z", fta: 1, burden: 1, bucket: 10 },
      {
        company: c,
        player: "y",
        at: "2024-01-15T10:00:00Z",
        fta: 0,
        burden: 0,
        bucket: 0,
        stress: 40,
      },
    ]);
    // x adds a water session to a day where x played earth: a new water player, not a new player.
    await insert(db.sql, [
      {
        company: c,
        player: "x",
        at: "2024-01-15T11:00:00Z",
        fta: 0,
        burden: 0,
        bucket: 0,
        stress: 70,
      },
    ]);
    // y adds an earth session the next day (same ISO week).
    await insert(db.sql, [
      { company: c, player: "y", at: "2024-01-16T09:00:00Z", fta: 0.5, burden: 2, bucket: 5 },
    ]);
    assert.deepEqual(flatTotals(await companyTotals(db.sql, c)), {
      n_players: 2,
      n_sessions: 4,
      n_earth_players: 2,
      avg_fta: 0.75,
      avg_burden: 1.5,
      avg_bucket: 7.5,
      n_water_sessions: 2,
      n_water_players: 2,
      avg_stress: 55,
    });
    assert.deepEqual((await companyBuckets(db.sql, c, "day")).map(flatBucket), [
      {
        bucket_start: "2024-01-15",
        n_players: 2,
        n_sessions: 3,
        n_earth_players: 1,
        avg_fta: 1,
        avg_burden: 1,
        n_water_sessions: 2,
        n_water_players: 2,
        avg_stress: 55,
      },
      {
        bucket_start: "2024-01-16",
        n_players: 1,
        n_sessions: 1,
        n_earth_players: 1,
        avg_fta: 0.5,
        avg_burden: 2,
        n_water_sessions: 0,
        n_water_players: 0,
        avg_stress: null,
      },
    ]);
    const week = await companyBuckets(db.sql, c, "week");
    assert.deepEqual(
      week.map(flatBucket).map((r) => [r.n_players, r.n_earth_players, r.n_water_players]),
      [[
        2,
        2,
        2,
      ]],
    );
    const days = ["2024-01-15", "2024-01-16"];
    assert.equal(await playersInBuckets(db.sql, c, "day", ["2024-01-15"], "earth"), 1);
    assert.equal(await playersInBuckets(db.sql, c, "day", days, "earth"), 2);
    assert.equal(await playersInBuckets(db.sql, c, "day", ["2024-01-16"], "water"), 0);
    assert.equal(await playersInBuckets(db.sql, c, "day", days, "water"), 2);
    await assertMatchesSessions(db.sql, c);
    // A rebuild arrives at the same rows.
    const rows = () =>
      Promise.all([
        db.sql`select * from company_bucket where company_id = ${c} order by kind, bucket_start`,
        db.sql`select * from company_metric where company_id = ${c} order by 2, 3, 4, 5`,
        db.sql`select * from company_bucket_player where company_id = ${c} order by 2, 3, 4`,
      ]);
    const before = await rows();
    await rebuildCompanyAggregates(db.sql, [c]);
    assert.deepEqual(await rows(), before);
  },
);

Deno.test(
  "mixed earth and water sessions: bulk, single, concurrent, updated, rebuilt",
  opts,
  async () => {
    const companies = ["c_mix_one", "c_mix_two"];
    await insert(db.sql, companies.flatMap((c, i) => mixedOf(c, 150 + 30 * i, 8 + i)));
    for (const s of mixedOf("c_mix_two", 12, 20, 1)) await insert(db.sql, [s]);
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        db.sql.begin(async (tx) => {
          for (const s of mixedOf("c_mix_one", 5, 12, i + 2)) await insert(tx, [s]);
        })),
    );
    for (const c of companies) await assertMatchesSessions(db.sql, c);
    // An earth session becomes a water one, a water one moves company.
    const [earth] = await db.sql`
    select id from session_summary where company_id = 'c_mix_one' and task = 'earth'
    order by id limit 1`;
    await db.sql`
    update session_summary set task = 'water', metrics = '{"stress_score": 12.5}',
      task_version = 'water_v1'
    where id = ${earth.id}`;
    await db.sql`
    update session_summary set company_id = 'c_mix_two' where id = (
      select id from session_summary where company_id = 'c_mix_one' and task = 'water'
      order by id desc limit 1)`;
    for (const c of companies) await assertMatchesSessions(db.sql, c);
    await rebuildCompanyAggregates(db.sql);
    for (const c of companies) await assertMatchesSessions(db.sql, c);
  },
);

Deno.test(
  "session_summary refuses half earth metrics, no metric, or stress outside 0..100",
  opts,
  async () => {
    await db.sql`insert into play_sessions (session_id, player_id) values ('agg-bad', 'p')`;
    const attempt = (task: string, metrics: Record<string, unknown>) =>
      db.sql`
      insert into session_summary (player_id, session_id, task_version, task, metrics,
        played_at, n_attempts)
      values ('p', 'agg-bad', 'x', ${task}, ${db.sql.json(metrics as Record<string, number>)},
        now(), 1)`;
    for (
      const [task, metrics] of [
        ["earth", { fta_level: 1 }],
        ["earth", {}],
        ["water", {}],
        ["water", { stress_score: 100.5 }],
        ["water", { stress_score: -1 }],
        ["water", { stress_score: "50" }],
        ["water", { stress_score: 50, fta_level: 1 }],
        ["earth", { fta_level: 1, fta_strict: true, repetition_burden: 1, earth_score_bucket: 7 }],
        ["earth", { fta_level: 1, fta_strict: 1, repetition_burden: 1, earth_score_bucket: 10 }],
        ["fire", { stress_score: 50 }],
      ] as const
    ) {
      await assert.rejects(
        attempt(task, metrics),
        (e: { code?: string }) => e.code === "23514",
        `${task} ${JSON.stringify(metrics)}`,
      );
    }
    // The same insert with valid metrics is stored.
    await attempt("water", { stress_score: 50 });
  },
);
