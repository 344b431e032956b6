/**
 * The company page and API in protected mode: released numbers with their 90 % intervals ("± "),
 * the open period announced instead of shown, the below-k state from the released count.
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { seededWords } from "../../core/random_words.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { insertSummary, registerCompany } from "../helpers/summaries.ts";

const db = testDatabase();
const t = testApp(db.sql, {}, { random: seededWords(42) });
t.setNow(new Date("2024-03-13T12:00:00Z")); // Wednesday: the week of 2024-03-04 is closed
const BIG = "c_privacy_page_big";
const SMALL = "c_privacy_page_small";
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);

db.prepare(async () => {
  for (const id of [BIG, SMALL]) await registerCompany(db.sql, id, tokenOf(id));
  for (let i = 0; i < 60; i++) {
    await insertSummary(db.sql, {
      player: `big-${i}`,
      company: BIG,
      at: `2024-03-0${4 + (i % 3)}T09:00:00Z`,
      fta: [0, 1 / 3, 2 / 3, 1][i % 4],
    });
  }
  // This week (still open): never shown.
  await insertSummary(db.sql, {
    player: "big-0",
    company: BIG,
    at: "2024-03-12T09:00:00Z",
    fta: 1,
  });
  await insertSummary(db.sql, { player: "s", company: SMALL, at: "2024-03-05T09:00:00Z", fta: 1 });
});

Deno.test(
  "protected summary: each number lies inside its 90 % interval",
  dbTestOptions,
  async () => {
    const res = await t.request(`/dashboard/summary?t=${tokenOf(BIG)}`);
    assert.equal(res.status, 200);
    const s = await res.json();
    assert.equal(s.privacy, "protected");
    assert.equal(s.released_through, "2024-03-10");
    for (const field of ["n_players", "n_sessions", "avg_brain_performance_score"]) {
      const i = s[`${field}_interval`];
      assert.ok(
        i.low <= s[field] && s[field] <= i.high,
        `${field} ${s[field]} in [${i.low}, ${i.high}]`,
      );
    }
    // 60 players, accuracy 0.5 on average: the released mean is near, its range narrow.
    assert.ok(Math.abs(s.avg_brain_performance_score - 0.5) < 0.2);
    assert.ok(
      s.avg_brain_performance_score_interval.high - s.avg_brain_performance_score_interval.low <
        0.4,
    );
    // The same bytes on the next read.
    const again = await t.request(`/dashboard/summary?t=${tokenOf(BIG)}`);
    assert.deepEqual(await again.json(), s);
  },
);

Deno.test(
  "protected timeseries: closed periods only, with when the open one is released",
  dbTestOptions,
  async () => {
    const week = await (await t.request(`/dashboard/timeseries?t=${tokenOf(BIG)}&bucket=week`))
      .json();
    assert.equal(week.next_release_at, "2024-03-18T00:00:00.000Z");
    assert.deepEqual(week.buckets.map((b: { bucket_start: string }) => b.bucket_start), [
      "2024-03-04",
    ]);
    const day = await (await t.request(`/dashboard/timeseries?t=${tokenOf(BIG)}`)).json();
    assert.equal(day.next_release_at, "2024-03-14T00:00:00.000Z");
    // Days 03-04 … 03-12 are released; 03-13 (today) is not.
    const starts = day.buckets.map((b: { bucket_start: string }) => b.bucket_start);
    assert.ok(!starts.includes("2024-03-13"));
    assert.equal(starts.length + day.suppressed_buckets, 9);
  },
);

Deno.test(
  "the company page shows released numbers as “value ± range” and the next release",
  dbTestOptions,
  async () => {
    const html = await (await t.request(`/company?t=${tokenOf(BIG)}`)).text();
    assert.match(html, /\d+% ± \d+/, "an accuracy with its range, e.g. 62% ± 4");
    // The registry's unit after the range: "1.00 ± 0.02 attempts".
    assert.match(
      html,
      /<div class="metric-value">\d+\.\d\d ± \d+\.\d\d attempts<\/div><div class="metric-label">Avg repetition burden</,
    );
    assert.match(html, /its numbers are released when it closes, on/);
    assert.match(html, /calibrated noise/);
    const small = await (await t.request(`/company?t=${tokenOf(SMALL)}`)).text();
    // One player: the released count may clear k by noise, but no average survives it.
    assert.match(small, /Not enough players yet|hidden/);
    assert.doesNotMatch(small, /\d+% ± \d+/);
    assert.match(small, /next release is on|released when it closes/);
  },
);

Deno.test(
  "protected tiles: a change of two noisy numbers only when it exceeds their combined range",
  dbTestOptions,
  async () => {
    const html = await (await t.request(`/company?t=${tokenOf(BIG)}&bucket=day`)).text();
    const lines = [
      ...html.matchAll(
        /<div class="metric-label">([^<]+)<\/div>(?:<div class="metric-hint">[^<]*<\/div>)?<div class="metric-change">([^<]*)<\/div>/g,
      ),
    ]
      .map((m) => [m[1], m[2]]);
    // The expected words, from the released days 03-05 and 03-06 the API answers.
    const day = await (await t.request(`/dashboard/timeseries?t=${tokenOf(BIG)}`)).json();
    type B = Record<string, number & { low: number; high: number }>;
    const of = (start: string) =>
      day.buckets.find((b: { bucket_start: string }) => b.bucket_start === start) as B;
    const field = "avg_brain_performance_score";
    const [prev, last] = [of("2024-03-05"), of("2024-03-06")];
    const half = (b: B) =>
      Math.max(b[field] - b[`${field}_interval`].low, b[`${field}_interval`].high - b[field]);
    const noise = Math.sqrt(half(prev) ** 2 + half(last) ** 2);
    const delta = last[field] - prev[field];
    const pts = (x: number) => Math.round(x * 100);
    const shown = `6 Mar: ${pts(last[field])}% ± ${pts(half(last))}`;
    const expected = Math.abs(delta) <= noise
      ? `${shown}; no clear change from the day before (${
        pts(Math.abs(delta)) === 0 ? "±" : delta > 0 ? "+" : "−"
      }${pts(Math.abs(delta))} percentage point${pts(Math.abs(delta)) === 1 ? "" : "s"}, ` +
        `within the noise of ± ${pts(noise)})`
      : `${shown}, ${delta > 0 ? "up" : "down"} ${pts(Math.abs(delta))} ± ${pts(noise)} ` +
        `percentage points from the day before (${delta > 0 ? "better" : "worse"})`;
    assert.deepEqual(lines.find((l) => l[0] === "Avg first-try accuracy"), [
      "Avg first-try accuracy",
      expected,
    ]);
    // The same players with the same accuracy mix each day: the seeded release is within noise.
    assert.match(expected, /no clear change/);
    // Days 03-07 … 03-12 have no sessions (released, then hidden): the newest shown day is 03-06.
    assert.ok(!lines.some((l) => /\b(7|8|9|10|11|12) Mar\b/.test(l[1])), String(lines));
  },
);
