import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { upsertCompany } from "../../db/companies.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, playSession, sessionEvents } from "../helpers/play.ts";
import { insertSummary, registerCompany } from "../helpers/summaries.ts";

const db = testDatabase();
/** Returns the change lines of a page's tiles, in page order. */
const changesOf = (html: string) =>
  [...html.matchAll(/<div class="metric-change">([^<]*)<\/div>/g)].map((m) => m[1]);
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const opts = dbTestOptions;

const BIG = "c_bigco0000001";
const SMALL = "c_smallco00001";
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);

async function play(company: string, player: string, day: string, pattern: Pattern) {
  await playSession(t, {
    player,
    session: `${company}-${player}-${day}`,
    pattern,
    start: `${day}T09:00:00Z`,
    company_id: company,
  });
}

// BIG: Mon 2024-01-15 p1..p5 perfect; Tue 2024-01-16 p1..p6 [1, 2, unsolved]; Wed p1 alone.
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) await play(BIG, `p${i}`, "2024-01-15", [1, 1, 1]);
  for (let i = 1; i <= 6; i++) await play(BIG, `p${i}`, "2024-01-16", [1, 2, 0]);
  await play(BIG, "p1", "2024-01-17", [2, 2, 2]);
  await play(SMALL, "q1", "2024-01-15", [1, 1, 1]);
  await play(SMALL, "q2", "2024-01-15", [1, 1, 1]);
});

Deno.test("company page: access denied (403) explains how to get a link", opts, async () => {
  for (const q of ["", "?t=", "?t=0123456789abcdef01234567", "?t=%3Cscript%3E"]) {
    const res = await t.request(`/company${q}`);
    assert.equal(res.status, 403, q);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    const html = await res.text();
    assert.match(html, /Access denied/);
    assert.match(html, /personal link/);
    assert.ok(!html.includes("<script"));
  }
});

Deno.test("company page below MIN_COMPANY_N: n / k players and why", opts, async () => {
  const res = await t.request(`/company?t=${tokenOf(SMALL)}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<p class="big">2 \/ 5 players<\/p>/);
  assert.match(html, /no number on this\s+page can describe a single person/);
  assert.ok(!html.includes("<script"));
});

Deno.test(
  "company page: overview, periods and the suppression note server-side",
  opts,
  async () => {
    const token = tokenOf(BIG);
    const res = await t.request(`/company?t=${token}&bucket=day`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const metric = (label: string) =>
      new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}`)
        .exec(html)?.[1];
    assert.equal(metric("Players"), "6");
    assert.equal(metric("Sessions"), "12");
    // fta: 5 × 1 + 6 × 1/3 + 1 × 0 = 7 over 12 sessions → 58%.
    assert.equal(metric("Avg first-try accuracy"), "58%");
    // Every big number carries the registry's unit: burden 19 / 12 attempts.
    assert.equal(metric("Avg repetition burden"), "1.58 attempts");
    assert.match(html, /data-bucket="day"/);
    // Monday was left out for privacy: Tuesday's tiles give no change (never one across a gap).
    assert.deepEqual(changesOf(html), [
      "16 Jan: 6 sessions; no change given: the day before shows no value (no sessions, or too " +
      "few players to show)",
      "16 Jan: 33%; no change given: the day before shows no value (no sessions, or too few " +
      "players to show)",
      "16 Jan: 2.00 attempts; no change given: the day before shows no value (no sessions, or " +
      "too few players to show)",
    ]);
    // Day table: Monday (5 players) and Tuesday (6); Wednesday (1 player) suppressed, and with it
    // the smallest visible day, so the lone Wednesday player cannot be derived from the totals.
    const rows = [...html.matchAll(/<tr><td>(2024-01-\d\d)[^<]*<\/td><td class="num">(\d+)/g)];
    assert.deepEqual(rows.map((r) => r[1]), ["2024-01-16"]);
    assert.match(html, /2 day\(s\)\s*hidden for privacy/);
    assert.match(html, /data-island="CompanyTrends"/);
    assert.match(
      html,
      /<script type="module" src="\/static\/islands\/CompanyTrends\.[0-9a-f]{10}\.js">/,
    );
    // Both series are props, so the toggle never needs the token.
    const props = /<script type="application\/json" id="island-props-1">([^<]*)<\/script>/.exec(
      html,
    )!;
    const parsed = JSON.parse(props[1]);
    assert.equal(parsed.initial, "day");
    assert.equal(parsed.week.buckets.length, 1);
    assert.ok(!props[1].includes(token));

    // Each chart's text alternative carries its numbers.
    assert.match(
      html,
      /<p class="chart-words">First-try accuracy per day: only one period\s*can be shown yet, too few for a chart\.<\/p>/,
    );
    assert.match(html, /<p class="chart-words">Sessions per day: only one period/);
    assert.match(html, /<div class="table-wrap" tabindex="0" role="region" aria-label="days">/);
    assert.match(html, /<h1>Company c_bigco0000001<\/h1>/);
    // One name per metric (never "Score" or "brain performance"), defined in the glossary.
    assert.ok(!/brain performance|>Score<|\bFTA\b/i.test(html), "one name for accuracy");
    assert.match(html, /<th class="num">First-try accuracy<\/th>/);
    assert.match(html, /<dt id="metric-fta_level">First-try accuracy<\/dt>/);
    assert.match(html, /<dt id="metric-repetition_burden">Repetition burden<\/dt>/);

    const week = await (await t.request(`/company?t=${token}`)).text();
    assert.match(week, /data-bucket="week"/);
    assert.match(week, /<td>2024-01-15 – 2024-01-21<\/td><td class="num">12<\/td>/);
    for (const line of t.logs) assert.ok(!line.includes(token), line);
  },
);

Deno.test(
  "company page: the registered company name, escaped, in heading and title",
  opts,
  async () => {
    await upsertCompany(db.sql, {
      company_id: SMALL,
      company_name: "Acme & <Sons>",
      dashboard_token: tokenOf(SMALL),
    });
    const html = await (await t.request(`/company?t=${tokenOf(SMALL)}`)).text();
    assert.match(html, /<h1>Acme &amp; &lt;Sons><\/h1>/);
    assert.match(
      html,
      /<title>Acme &#38; &#60;Sons&#62; · Company · Earth Task Telemetry<\/title>/,
    );
    assert.ok(!html.includes("<Sons>"));
    assert.ok(!html.includes(SMALL), "the id is shown only where no name is known");
  },
);

/** Plays and finalizes a water_v1 session of a company with a stress score. */
async function playWater(company: string, player: string, day: string, stress: number) {
  const session = `${company}-${player}-${day}-water`;
  const events = sessionEvents({
    player,
    session,
    pattern: [1, 1, 1],
    start: `${day}T10:00:00Z`,
    company_id: company,
  }).map((e) => ({ ...e, task_version: "water_v1" }));
  assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
  const body = { task_version: "water_v1", stress_score: stress };
  assert.equal((await t.request(`/sessions/${session}/finalize`, postJson(body))).status, 200);
}

Deno.test(
  "company page: stress average and forecast tiles, each under the k rule",
  opts,
  async () => {
    // BIG has no water sessions: no stress tiles; its one trained earth model (p1) is too few.
    const big = await (await t.request(`/company?t=${tokenOf(BIG)}`)).text();
    const metricOf = (html: string, label: string) =>
      new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}`)
        .exec(html)?.[1];
    assert.equal(metricOf(big, "Forecast: next first-try accuracy"), "hidden");
    assert.match(big, /mean over 1 trained player models/);
    for (
      const text of ["Avg stress score", "Forecast: next stress", "Stress score per", ">Stress<"]
    ) {
      assert.ok(!big.includes(text), `no ${text} on a company page without water sessions`);
    }

    // MIX: w1..w5 play stress 10i, 10i + 10, 10i + 20 on three days (each model: next 10i + 30,
    // mean 60); e1..e5 one perfect earth session on the first day.
    const MIX = "c_mixco0000001";
    for (let i = 1; i <= 5; i++) {
      await play(MIX, `e${i}`, "2024-02-05", [1, 1, 1]);
      for (const [d, day] of ["2024-02-05", "2024-02-06", "2024-02-07"].entries()) {
        await playWater(MIX, `w${i}`, day, 10 * i + 10 * d);
      }
    }
    const html = await (await t.request(`/company?t=${tokenOf(MIX)}&bucket=day`)).text();
    assert.equal(metricOf(html, "Players"), "10");
    assert.equal(metricOf(html, "Sessions"), "20");
    assert.equal(metricOf(html, "Avg first-try accuracy"), "100%");
    // (30·1 + 30·2 + … ) : Σ_i (30i + 30) / 15 = 600 / 15.
    assert.equal(metricOf(html, "Avg stress score"), "40.0 points");
    assert.match(html, /over 15 water sessions, of 100/);
    // Each tile's change from the day before, with its unit and direction in words.
    assert.deepEqual(changesOf(html), [
      "7 Feb: 5 sessions, unchanged from the day before",
      "5 Feb: 100%; no earlier day to compare",
      "5 Feb: 1.00 attempts; no earlier day to compare",
      "7 Feb: 50.0 points, up 10.0 points from the day before (worse)",
    ]);
    assert.equal(metricOf(html, "Forecast: next first-try accuracy"), "hidden");
    assert.equal(metricOf(html, "Forecast: next stress score"), "60.0 points");
    assert.match(html, /mean over 5 trained player models/);
    // Day rows: sessions, FTA, burden, water sessions, stress; Tue/Wed have no earth session.
    const rows = [
      ...html.matchAll(/<tr><td>(2024-02-0\d)<\/td>((?:<td class="num">[^<]*<\/td>)+)/g),
    ]
      .map((m) => [m[1], ...[...m[2].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((c) => c[1])]);
    assert.deepEqual(rows, [
      ["2024-02-05", "10", "100%", "1.00", "5", "30.0"],
      ["2024-02-06", "5", "–", "–", "5", "40.0"],
      ["2024-02-07", "5", "–", "–", "5", "50.0"],
    ]);
    assert.match(
      html,
      /aria-label="Stress score per day \(water sessions, 0–100\): 5 Feb 30, 6 Feb 40, 7 Feb 50; latest 50\."/,
    );
  },
);

Deno.test(
  "company page: each tile's change from the week before, up or down, better or worse",
  opts,
  async () => {
    // TREND: p1..p5 play [1, 2, unsolved] on Mon 2024-01-15 and [1, 1, 1] a week later; p6
    // only in the second week.
    const TREND = "c_trendco00001";
    for (let i = 1; i <= 5; i++) await play(TREND, `t${i}`, "2024-01-15", [1, 2, 0]);
    for (let i = 1; i <= 6; i++) await play(TREND, `t${i}`, "2024-01-22", [1, 1, 1]);
    // Two days of eight show a value: the page opens on weeks, whose chart has two values.
    const html = await (await t.request(`/company?t=${tokenOf(TREND)}`)).text();
    assert.match(html, /data-bucket="week"/);
    assert.deepEqual(changesOf(html), [
      "week of 22 Jan: 6 sessions, up 1 session from the week before",
      "week of 22 Jan: 100%, up 67 percentage points from the week before (better)",
      "week of 22 Jan: 1.00 attempts, down 1.00 attempts from the week before (better)",
    ]);
    // Per day the day before 22 Jan shows nothing (nobody played): the tile falls back to its
    // week, which has a week before it.
    const days = await (await t.request(`/company?t=${tokenOf(TREND)}&bucket=day`)).text();
    assert.match(days, /data-bucket="day"/);
    assert.deepEqual(changesOf(days), changesOf(html));
  },
);

// CSVCO: Mon 2024-03-04 e1..e5 earth (accuracy 1, 0.5, 1, 0.5, 1; burden 1, 2, 1, 2, 1) and
// w1..w5 water (stress 10 … 50); Mon 2024-03-11 e1..e5 earth (accuracy 1, burden 1).
const CSVCO = "c_csvco0000001";
db.prepare(async () => {
  await registerCompany(db.sql, CSVCO, tokenOf(CSVCO));
  for (let i = 1; i <= 5; i++) {
    const at = "2024-03-04T09:00:00Z";
    await insertSummary(db.sql, {
      player: `csv-e${i}`,
      company: CSVCO,
      at,
      fta: i % 2 === 0 ? 0.5 : 1,
      burden: i % 2 === 0 ? 2 : 1,
    });
    await insertSummary(db.sql, { player: `csv-w${i}`, company: CSVCO, at, stress: 10 * i });
    await insertSummary(db.sql, {
      player: `csv-e${i}`,
      company: CSVCO,
      at: "2024-03-11T09:00:00Z",
      fta: 1,
    });
  }
});
/** Returns a CSV download of CSVCO: its status, headers and body. */
async function csvOf(bucket: string, token = tokenOf(CSVCO)) {
  const res = await t.request(`/company.csv?t=${token}&bucket=${bucket}`);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The earth and water columns of the CSV, byte for byte as before tasks became data. */
const EARTH_WATER_HEADER = "period_start,period_end,sessions,avg_brain_performance_score," +
  "avg_repetition_burden,water_sessions,avg_stress_score";

Deno.test("`companyCsv` answers the shown days with the registry's columns", opts, async () => {
  const day = await csvOf("day");
  assert.equal(day.status, 200);
  assert.equal(day.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.equal(
    day.headers.get("content-disposition"),
    `attachment; filename="company-${CSVCO}-day.csv"`,
  );
  assert.equal(day.headers.get("cache-control"), "no-store");
  // Accuracy (1 + 0.5 + 1 + 0.5 + 1) / 5, burden 7 / 5, stress 150 / 5; no water on the 11th.
  assert.equal(
    day.body,
    `${EARTH_WATER_HEADER}\r\n` +
      "2024-03-04,2024-03-04,10,0.8,1.4,5,30\r\n" +
      "2024-03-11,2024-03-11,5,1,1,0,\r\n",
  );
  const week = await csvOf("week");
  assert.equal(
    week.body,
    `${EARTH_WATER_HEADER}\r\n` +
      "2024-03-04,2024-03-10,10,0.8,1.4,5,30\r\n" +
      "2024-03-11,2024-03-17,5,1,1,0,\r\n",
  );
  const denied = await csvOf("day", "0123456789abcdef01234567");
  assert.equal(denied.status, 403);
});

// SPREAD: m1..m5 play once in January 2024 and once in February, each on a day (and mostly a
// week) of their own: no day or week has 5 players, each month has all five.
const SPREAD = "c_spreadco0001";
db.prepare(async () => {
  await registerCompany(db.sql, SPREAD, tokenOf(SPREAD));
  const jan = ["2024-01-01", "2024-01-09", "2024-01-17", "2024-01-25", "2024-01-30"];
  const feb = ["2024-02-06", "2024-02-13", "2024-02-20", "2024-02-27", "2024-02-28"];
  for (let i = 1; i <= 5; i++) {
    await insertSummary(db.sql, {
      player: `spread-m${i}`,
      company: SPREAD,
      at: `${jan[i - 1]}T09:00:00Z`,
      fta: [1, 1, 0.5, 0.5, 0][i - 1],
      burden: i % 2 === 0 ? 2 : 1,
    });
    await insertSummary(db.sql, {
      player: `spread-m${i}`,
      company: SPREAD,
      at: `${feb[i - 1]}T09:00:00Z`,
      fta: 1,
    });
  }
});

Deno.test(
  "company page: opens on months when no day or week can show two periods",
  opts,
  async () => {
    const html = await (await t.request(`/company?t=${tokenOf(SPREAD)}`)).text();
    assert.match(html, /data-bucket="month"/);
    const props = /<script type="application\/json" id="island-props-1">([^<]*)<\/script>/.exec(
      html,
    )!;
    const parsed = JSON.parse(props[1]);
    assert.equal(parsed.initial, "month");
    assert.deepEqual([parsed.day.buckets.length, parsed.week.buckets.length], [0, 0]);
    assert.deepEqual([parsed.day.suppressed, parsed.week.suppressed], [10, 9]);
    // Months: January (0.6, 7 / 5) and February (1, 1).
    const rows = [
      ...html.matchAll(
        /<tr><td>(2024-0\d-01 – 2024-0\d-\d\d)<\/td>((?:<td class="num">[^<]*<\/td>)+)/g,
      ),
    ].map((m) => [m[1], ...[...m[2].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((c) => c[1])]);
    assert.deepEqual(rows, [
      ["2024-01-01 – 2024-01-31", "5", "60%", "1.40"],
      ["2024-02-01 – 2024-02-29", "5", "100%", "1.00"],
    ]);
    assert.match(html, /<th>Month<\/th>/);
    assert.match(
      html,
      /aria-label="First-try accuracy per month[^"]*: Jan 2024 60%, Feb 2024 100%; latest 100%\."/,
    );
    assert.deepEqual(changesOf(html), [
      "Feb 2024: 5 sessions, unchanged from the month before",
      "Feb 2024: 100%, up 40 percentage points from the month before (better)",
      "Feb 2024: 1.00 attempts, down 0.40 attempts from the month before (better)",
    ]);
    assert.match(
      html,
      /href="\/company\.csv\?t=[0-9a-f]{24}&amp;bucket=month" download>per month</,
    );
    // Asked for days, the page shows days (none) and the tiles compare days.
    const days = await (await t.request(`/company?t=${tokenOf(SPREAD)}&bucket=day`)).text();
    assert.match(days, /data-bucket="day"/);
    assert.match(days, /No day has enough players to be shown yet\./);
  },
);
