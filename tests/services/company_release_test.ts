/**
 * Released company periods (services/company_release.ts, db/company_releases.ts, migration
 * 0013): the true integers each period is released from, release once and frozen, re-release
 * on changed data within the budget, the open period never released, empty periods released too.
 */
import assert from "node:assert/strict";
import { COMPANY_RELEASE_PLAN } from "../../core/company_plan.ts";
import { seededWords } from "../../core/random_words.ts";
import { loadConfig } from "../../config.ts";
import { periodTruths } from "../../db/company_releases.ts";
import { erasePlayer } from "../../services/privacy.ts";
import { nextReleaseAt, releasedPeriods } from "../../services/company_release.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { insertSummary } from "../helpers/summaries.ts";
import { openObjectStore } from "../../db/objects.ts";

/** The object store erasure reaches (these players hold no recordings: nothing is touched). */
const NO_RECORDINGS = openObjectStore({ kind: "filesystem" }, "/nonexistent/etl-data");

const db = testDatabase();
const opts = dbTestOptions;
const privacy = (env: Record<string, string> = {}) =>
  loadConfig({ APP_ENV: "test", ...env }).companyPrivacy;
const NOW = new Date("2024-03-13T12:00:00Z"); // Wednesday: weeks 02-26 and 03-04 are closed

const A = "c_release_a";
db.prepare(async () => {
  const s = (x: Parameters<typeof insertSummary>[1]) => insertSummary(db.sql, x);
  // Week of 2024-03-04. p1: four earth sessions (only the first C = 3 count).
  await s({ player: "p1", company: A, at: "2024-03-04T09:00:00Z", fta: 1, burden: 1, bucket: 10 });
  await s({
    player: "p1",
    company: A,
    at: "2024-03-05T09:00:00Z",
    fta: 1 / 3,
    burden: 2,
    bucket: 0,
  });
  await s({
    player: "p1",
    company: A,
    at: "2024-03-06T09:00:00Z",
    fta: 2 / 3,
    burden: 3,
    bucket: 5,
  });
  await s({ player: "p1", company: A, at: "2024-03-07T09:00:00Z", fta: 0, burden: 3, bucket: 0 });
  // p2 first played the week before, so is not new in 03-04.
  await s({ player: "p2", company: A, at: "2024-02-28T09:00:00Z", fta: 1, burden: 1, bucket: 10 });
  await s({ player: "p2", company: A, at: "2024-03-04T10:00:00Z", fta: 1 / 3, burden: 1.5 });
  // p3: two water sessions.
  await s({ player: "p3", company: A, at: "2024-03-05T11:00:00Z", stress: 30 });
  await s({ player: "p3", company: A, at: "2024-03-08T11:00:00Z", stress: 50 });
  // Another company's session never counts.
  await s({ player: "p1", company: "c_release_other", at: "2024-03-05T09:00:00Z", fta: 0 });
});

Deno.test(
  "`periodTruths` computes each player's capped mean, clamped and scaled, in SQL",
  opts,
  async () => {
    const [week] = await periodTruths(db.sql, COMPANY_RELEASE_PLAN, A, "w", ["2024-03-04"], 3);
    assert.equal(week.period_start, "2024-03-04");
    assert.ok(week.version >= BigInt(1));
    assert.deepEqual(week.truth, {
      "earth.players": BigInt(2),
      "earth.sessions": BigInt(4), // p1 capped at 3, p2 1
      "water.players": BigInt(1),
      "water.sessions": BigInt(2),
      // p1: (1 + ⅓ + ⅔)/3 = ⅔ → 6667 units; p2: ⅓ → 3333.
      "earth.fta_level": BigInt(6667 + 3333),
      // p1: (1 + 2 + 3)/3 = 2 → 20,000; p2: 1.5 → 15,000.
      "earth.repetition_burden": BigInt(35_000),
      // p1: (10 + 0 + 5)/3 = 5 → 5000; p2: 5 → 5000.
      "earth.earth_score_bucket": BigInt(10_000),
      // p3: (30 + 50)/2 = 40 → 4000 units.
      "water.stress_score": BigInt(4_000),
      "all.new_players": BigInt(2), // p1 and p3
    });
    const [monday, empty] = await periodTruths(
      db.sql,
      COMPANY_RELEASE_PLAN,
      A,
      "d",
      ["2024-03-04", "2024-03-02"],
      1,
    ).then((rows) => rows.sort((a, b) => (a.period_start < b.period_start ? 1 : -1)));
    // C = 1: p1's Monday session and p2's.
    assert.equal(monday.truth["earth.players"], BigInt(2));
    assert.equal(monday.truth["earth.fta_level"], BigInt(10_000 + 3333));
    assert.equal(monday.truth["all.new_players"], undefined, "days release no new players");
    assert.equal(empty.version, BigInt(0));
    assert.equal(empty.truth["earth.players"], BigInt(0));
    assert.equal(empty.truth["earth.fta_level"], BigInt(0));
  },
);

Deno.test(
  "`releasedPeriods` releases once: another reader and another seed get the same numbers",
  opts,
  async () => {
    const p = privacy();
    const first = await releasedPeriods(
      db.sql,
      COMPANY_RELEASE_PLAN,
      p,
      A,
      "w",
      NOW,
      seededWords(1),
    );
    const again = await releasedPeriods(
      db.sql,
      COMPANY_RELEASE_PLAN,
      p,
      A,
      "w",
      NOW,
      seededWords(2),
    );
    assert.deepEqual(first.map((r) => r.start), ["2024-02-26", "2024-03-04"]);
    assert.deepEqual(again, first);
    // Different seeds do give different noise: the stored release is what made them equal.
    const days = await Promise.all([
      releasedPeriods(db.sql, COMPANY_RELEASE_PLAN, p, A, "d", NOW, seededWords(3)),
      releasedPeriods(db.sql, COMPANY_RELEASE_PLAN, p, A, "d", NOW, seededWords(4)),
    ]);
    assert.deepEqual(days[0], days[1], "two concurrent first readers store one release");
    // Every day from the first session's through yesterday, the empty ones too (2024-02-28 to 03-12).
    assert.equal(days[0].length, 14);
    const counts = await db.sql<{ n: number; max: number }[]>`
    select count(*)::int as n, max(release_count) as max from company_release
    where company_id = ${A} and kind = 'd'`;
    assert.deepEqual({ ...counts[0] }, { n: 14, max: 1 });
  },
);

Deno.test(
  "a late session re-releases its closed period with fresh noise; the budget caps it",
  opts,
  async () => {
    const B = "c_release_b";
    for (let i = 0; i < 6; i++) {
      await insertSummary(db.sql, {
        player: `b${i}`,
        company: B,
        at: "2024-03-05T09:00:00Z",
        fta: 1,
      });
    }
    const p = privacy({ COMPANY_PRIVACY_RERELEASES: "1" });
    const read = (seed: number) =>
      releasedPeriods(db.sql, COMPANY_RELEASE_PLAN, p, B, "w", NOW, seededWords(seed));
    const one = await read(10);
    assert.deepEqual(await read(11), one, "unchanged data: unchanged release");
    await insertSummary(db.sql, { player: "b9", company: B, at: "2024-03-06T09:00:00Z", fta: 0 });
    const two = await read(12);
    assert.notDeepEqual(two, one, "changed data: re-released");
    assert.deepEqual(await read(13), two);
    const rows = await db.sql<{ release_count: number }[]>`
    select release_count from company_release where company_id = ${B} and kind = 'w'`;
    assert.deepEqual([...rows], [{ release_count: 2 }]);
    // The budget (1 + 1 re-release) is spent: an erasure changes the data, the release stays.
    await erasePlayer(db.sql, NO_RECORDINGS, "b9", new Date());
    assert.deepEqual(await read(14), two);
    // A late session in a period never released before (the open week) is not released at all.
    await insertSummary(db.sql, { player: "b1", company: B, at: "2024-03-12T09:00:00Z", fta: 1 });
    assert.deepEqual((await read(15)).map((r) => r.start), ["2024-03-04"]);
    assert.equal(nextReleaseAt(NOW, "w"), "2024-03-18T00:00:00.000Z");
    assert.equal(nextReleaseAt(NOW, "d"), "2024-03-14T00:00:00.000Z");
  },
);

Deno.test(
  "an erasure re-releases every period of the erased player within the budget",
  opts,
  async () => {
    const E = "c_release_e";
    for (let i = 0; i < 5; i++) {
      await insertSummary(db.sql, {
        player: `e${i}`,
        company: E,
        at: "2024-03-04T09:00:00Z",
        fta: 1,
      });
    }
    const p = privacy();
    const before = await releasedPeriods(
      db.sql,
      COMPANY_RELEASE_PLAN,
      p,
      E,
      "w",
      NOW,
      seededWords(20),
    );
    await erasePlayer(db.sql, NO_RECORDINGS, "e0", new Date());
    const after = await releasedPeriods(
      db.sql,
      COMPANY_RELEASE_PLAN,
      p,
      E,
      "w",
      NOW,
      seededWords(21),
    );
    assert.notDeepEqual(after, before);
    const [truth] = await periodTruths(db.sql, COMPANY_RELEASE_PLAN, E, "w", ["2024-03-04"], 3);
    assert.equal(truth.truth["earth.players"], BigInt(4));
    const rows = await db.sql<{ release_count: number; data_version: string }[]>`
    select release_count, data_version::text from company_release
    where company_id = ${E} and kind = 'w'`;
    assert.deepEqual([...rows], [{ release_count: 2, data_version: truth.version.toString() }]);
  },
);

Deno.test(
  "a session insert bumps its day and week, and the week of the player's previous first session",
  opts,
  async () => {
    const B = "c_release_bumps";
    const versions = async () =>
      (await db.sql<{ kind: string; period_start: string; version: string }[]>`
        select kind, to_char(period_start, 'YYYY-MM-DD') as period_start, version::text
        from company_period_version where company_id = ${B} order by kind, period_start`)
        .map((r) => `${r.kind} ${r.period_start} ${r.version}`);
    const s = (player: string, at: string) =>
      insertSummary(db.sql, { player, company: B, at, fta: 1 });
    await s("b1", "2024-03-05T09:00:00Z"); // d 03-05, w 03-04; no earlier session
    assert.deepEqual(await versions(), ["d 2024-03-05 1", "w 2024-03-04 1"]);
    // Week 03-04 twice in one insert: the new session's week and b1's first session's week.
    await s("b1", "2024-03-06T09:00:00Z");
    assert.deepEqual(await versions(), ["d 2024-03-05 1", "d 2024-03-06 1", "w 2024-03-04 3"]);
    // A session before b1's first one: its own day and week, and the first session's week.
    await s("b1", "2024-02-27T09:00:00Z");
    assert.deepEqual(await versions(), [
      "d 2024-02-27 1",
      "d 2024-03-05 1",
      "d 2024-03-06 1",
      "w 2024-02-26 1",
      "w 2024-03-04 4",
    ]);
    // Two sessions of a new player in one statement bump their one day and week once each.
    await db.sql`
      insert into play_sessions (session_id, player_id, finalized_at)
      values ('bump-1', 'b2', now()), ('bump-2', 'b2', now())`;
    await db.sql`
      insert into session_summary (player_id, session_id, task_version, task, metrics,
        company_id, played_at, n_attempts)
      select 'b2', id, 'water_v1', 'water', '{"stress_score": 40}', ${B}, at::timestamptz, 3
      from (values ('bump-1', '2024-03-12T09:00:00Z'), ('bump-2', '2024-03-12T10:00:00Z'))
        v(id, at)`;
    assert.deepEqual((await versions()).filter((v) => v.includes("03-1")), [
      "d 2024-03-12 1",
      "w 2024-03-11 1",
    ]);
  },
);
