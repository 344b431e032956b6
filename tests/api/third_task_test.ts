/**
 * The proof of issue 23: a third task (air_v1, tests/helpers/air_task.ts: a reaction time in ms,
 * lower is better, its own model) registered in a test-only registry injected at the
 * composition root runs end to end — ingest, finalize, the model, company numbers under the
 * per-metric k rule (MIN_COMPANY_N = 5), the forecast, the player and company pages and the
 * OpenAPI document — with no code outside its definition and no migration.
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { AIR_REGISTRY } from "../helpers/air_task.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" }, { tasks: AIR_REGISTRY });
const opts = dbTestOptions;
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);
const DAYS = ["2024-05-06", "2024-05-07", "2024-05-08"];

/** Plays an air_v1 session whose three attempts each take `ms`; returns the finalize answer. */
async function air(company: string, player: string, day: string, ms: number) {
  const session = `${company}-${player}-${day}`;
  const events = sessionEvents({
    player,
    session,
    pattern: [1, 1, 1],
    start: `${day}T11:00:00Z`,
    company_id: company,
  }).map((e) => ({ ...e, task_version: "air_v1", duration_ms: ms }));
  assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
  const res = await t.request(`/sessions/${session}/finalize`, { method: "POST" });
  assert.equal(res.status, 200);
  return await res.json();
}

// Company C: air players a1..a5 play 900 + 100i, 800 + 100i, 700 + 100i ms on Mon, Tue, Wed;
// one earth player plays a perfect session on Monday.
// Company D: five perfect earth players and two air players (800, 900 ms) on Monday.
const C = "c_air_c";
const D = "c_air_d";
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) {
    for (const [d, day] of DAYS.entries()) await air(C, `air-a${i}`, day, 900 + 100 * i - 100 * d);
  }
  await playSession(t, {
    player: "air-e1",
    session: "c-e1",
    pattern: [1, 1, 1],
    start: `${DAYS[0]}T09:00:00Z`,
    company_id: C,
  });
  for (let i = 1; i <= 5; i++) {
    await playSession(t, {
      player: `d-e${i}`,
      session: `d-e${i}`,
      pattern: [1, 1, 1],
      start: `${DAYS[0]}T09:00:00Z`,
      company_id: D,
    });
  }
  await air(D, "d-a1", DAYS[0], 800);
  await air(D, "d-a2", DAYS[0], 900);
});

const get = async (path: string, company: string) => {
  const sep = path.includes("?") ? "&" : "?";
  const res = await t.request(`${path}${sep}t=${tokenOf(company)}`);
  assert.equal(res.status, 200, path);
  return await res.json();
};

Deno.test("air_v1 finalize stores its reaction time and no other task's metric", opts, async () => {
  const summary = await air("c_air_single", "air-solo", "2024-05-10", 1234);
  assert.deepEqual(
    {
      fta_level: summary.fta_level,
      fta_strict: summary.fta_strict,
      repetition_burden: summary.repetition_burden,
      earth_score_bucket: summary.earth_score_bucket,
      stress_score: summary.stress_score,
      reaction_time_ms: summary.reaction_time_ms,
      task_version: summary.task_version,
      n_attempts: summary.n_attempts,
    },
    {
      fta_level: null,
      fta_strict: null,
      repetition_burden: null,
      earth_score_bucket: null,
      stress_score: null,
      reaction_time_ms: 1234,
      task_version: "air_v1",
      n_attempts: 3,
    },
  );
  const [stored] = await db.sql`
    select task, metrics from session_summary where session_id = 'c_air_single-air-solo-2024-05-10'`;
  assert.deepEqual({ ...stored }, { task: "air", metrics: { reaction_time_ms: 1234 } });
  // Earth sessions of the same app still carry the earth metrics and a null reaction time.
  const sessions = await (await t.request("/players/air-e1/sessions")).json();
  assert.equal(sessions[0].fta_level, 1);
  assert.equal(sessions[0].reaction_time_ms, null);
});

Deno.test("the air model learns 900 → 800 → 700 as next = last − 100", opts, async () => {
  const res = await t.request("/model/state/air-a1?model_name=air");
  assert.equal(res.status, 200);
  const m = await res.json();
  assert.deepEqual(
    [m.model_name, m.status, m.n_samples, m.coefficients, m.intercept, m.mae, m.predicted_next],
    ["air", "trained", 3, [1], -100, 0, 700],
  );
  assert.equal(m.predicted_next_fta, null);
  // The earth model of an air player does not exist; an unknown model name is 422.
  assert.equal((await t.request("/model/state/air-a1?model_name=earth")).status, 404);
  assert.equal((await t.request("/model/state/air-a1?model_name=fire")).status, 422);
});

Deno.test("company summary: each average only with k players of its own task", opts, async () => {
  const c = await get("/dashboard/summary", C);
  assert.deepEqual(c, {
    company_id: C,
    n_players: 6,
    n_sessions: 16,
    // One earth player: the earth averages stay hidden.
    avg_brain_performance_score: null,
    avg_repetition_burden: null,
    avg_earth_score_bucket: null,
    n_water_sessions: 0,
    avg_stress_score: null,
    n_air_sessions: 15,
    // (1200 + 1100 + 1000) / 3 days of five players each.
    avg_reaction_time_ms: 1100,
    // Exact mode: no intervals (additive fields of protected mode).
    n_players_interval: null,
    n_sessions_interval: null,
    avg_brain_performance_score_interval: null,
    avg_repetition_burden_interval: null,
    avg_earth_score_bucket_interval: null,
    n_water_sessions_interval: null,
    avg_stress_score_interval: null,
    n_air_sessions_interval: null,
    avg_reaction_time_ms_interval: null,
    privacy: "exact",
    released_through: null,
  });
  const d = await get("/dashboard/summary", D);
  assert.deepEqual(
    [d.n_players, d.avg_brain_performance_score, d.n_air_sessions, d.avg_reaction_time_ms],
    [7, 1, 2, null],
  );
});

Deno.test(
  "company timeseries: the air average per day, hidden below k air players",
  opts,
  async () => {
    const c = await get("/dashboard/timeseries?bucket=day", C);
    const hiddenEarth = {
      avg_brain_performance_score: null,
      avg_repetition_burden: null,
      n_water_sessions: 0,
      avg_stress_score: null,
    };
    const noIntervals = {
      n_sessions_interval: null,
      avg_brain_performance_score_interval: null,
      avg_repetition_burden_interval: null,
      n_water_sessions_interval: null,
      avg_stress_score_interval: null,
      n_air_sessions_interval: null,
      avg_reaction_time_ms_interval: null,
    };
    assert.deepEqual(c.buckets, [
      {
        bucket_start: DAYS[0],
        bucket_end: DAYS[0],
        n_sessions: 6,
        ...hiddenEarth,
        n_air_sessions: 5,
        avg_reaction_time_ms: 1200,
        ...noIntervals,
      },
      {
        bucket_start: DAYS[1],
        bucket_end: DAYS[1],
        n_sessions: 5,
        ...hiddenEarth,
        n_air_sessions: 5,
        avg_reaction_time_ms: 1100,
        ...noIntervals,
      },
      {
        bucket_start: DAYS[2],
        bucket_end: DAYS[2],
        n_sessions: 5,
        ...hiddenEarth,
        n_air_sessions: 5,
        avg_reaction_time_ms: 1000,
        ...noIntervals,
      },
    ]);
    assert.equal(c.suppressed_buckets, 0);
    const d = await get("/dashboard/timeseries?bucket=day", D);
    assert.deepEqual(
      d.buckets.map((b: Record<string, unknown>) => [
        b.n_sessions,
        b.avg_brain_performance_score,
        b.n_air_sessions,
        b.avg_reaction_time_ms,
      ]),
      [[7, 1, 2, null]],
    );
  },
);

Deno.test(
  "company forecast: the mean predicted air reaction time over k models",
  opts,
  async () => {
    assert.deepEqual(await get("/dashboard/forecast", C), {
      earth: {
        predicted_next_brain_performance: null,
        n_models: 0,
        predicted_next_brain_performance_interval: null,
      },
      water: {
        predicted_next_stress_score: null,
        n_models: 0,
        predicted_next_stress_score_interval: null,
      },
      // Player i predicts 600 + 100i: the mean over i = 1..5 is 900.
      air: {
        predicted_next_reaction_time_ms: 900,
        n_models: 5,
        predicted_next_reaction_time_ms_interval: null,
      },
    });
    const d = await get("/dashboard/forecast", D);
    assert.deepEqual(d.air, {
      predicted_next_reaction_time_ms: null,
      n_models: 0,
      predicted_next_reaction_time_ms_interval: null,
    });
  },
);

Deno.test("the player page has an air section, chart, model and glossary entry", opts, async () => {
  const html = await (await t.request("/players/air-a1")).text();
  const metric = (label: string) =>
    new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}<`)
      .exec(html)?.[1];
  assert.match(html, /<section class="task" data-task="air"><h2 class="task-title">Air task</);
  assert.equal(metric("Avg reaction time"), "900 ms");
  assert.equal(metric("Latest reaction time"), "800 ms");
  assert.match(
    html,
    /aria-label="Reaction time per air session: 2024-05-06 1000, 2024-05-07 900, 2024-05-08 800; latest/,
  );
  // The model's internals sit behind the "How this prediction is made" disclosure.
  assert.match(html, /<summary>How this prediction is made<\/summary>/);
  assert.match(html, /<dt>Weight of the last reaction time<\/dt><dd>1.000 \(/);
  // Every number of the model in the registry's unit of its target (ms), never "points".
  assert.match(html, /<dt>Starting point<\/dt><dd>-100 ms<\/dd>/);
  assert.match(html, /<strong>Typical error: 0 ms\.<\/strong>/);
  assert.match(html, /kept within 0–86400000 ms\./);
  assert.match(html, /predicted reaction time of the next air session \(0–86400000 ms\)/);
  assert.ok(!/\bpoints\b/.test(html), "no 'points' for a task in ms");
  assert.match(html, /<div class="big">700<\/div><p class="muted">predicted reaction time of the/);
  assert.match(html, /<th class="num">Reaction time<\/th>/);
  assert.match(
    html,
    /<dt id="metric-reaction_time_ms">Reaction time<\/dt><dd>Mean time from a sequence's presentation/,
  );
  assert.ok(!html.includes('data-task="earth"'), "no earth section for an air-only player");
  assert.ok(!html.includes("First-try accuracy"), "no earth metric on an air-only page");
});

Deno.test("the company page shows the air tiles, column and chart", opts, async () => {
  const html = await (await t.request(`/company?t=${tokenOf(C)}&bucket=day`)).text();
  const metric = (label: string) =>
    new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}<`)
      .exec(html)?.[1];
  // The registry's unit on every big number (ms), as "points" and "attempts" on the others.
  assert.equal(metric("Avg reaction time"), "1100 ms");
  assert.match(html, /over 15 air sessions</);
  assert.equal(metric("Forecast: next reaction time"), "900 ms");
  assert.equal(metric("Avg first-try accuracy"), "hidden");
  const rows = [
    ...html.matchAll(/<tr><td>(2024-05-0\d)<\/td>((?:<td class="num">[^<]*<\/td>)+)/g),
  ].map((m) => [m[1], ...[...m[2].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((c) => c[1])]);
  assert.deepEqual(rows, [
    ["2024-05-06", "6", "–", "–", "5", "1200"],
    ["2024-05-07", "5", "–", "–", "5", "1100"],
    ["2024-05-08", "5", "–", "–", "5", "1000"],
  ]);
  assert.match(html, /<th class="num">Air sessions<\/th><th class="num">Reaction time<\/th>/);
  assert.match(
    html,
    /aria-label="Reaction time per day \(air sessions, 0–3000\): 6 May 1200, 7 May 1100, 8 May 1000; latest 1000\."/,
  );
  assert.match(html, /<dt id="metric-reaction_time_ms">Reaction time<\/dt>/);
  // No water tile, column or glossary entry without water sessions (the island's props still
  // describe every task).
  assert.ok(!html.includes(">Stress score<"), "no water metric without water sessions");
  assert.ok(!html.includes("Avg stress score"));
});

Deno.test("the OpenAPI document carries the air fields; the rest is unchanged", opts, async () => {
  const doc = await (await t.request("/openapi.json")).json();
  const committed = JSON.parse(
    await Deno.readTextFile(new URL("../../openapi/openapi.json", import.meta.url)),
  );
  const s = doc.components.schemas;
  const was = committed.components.schemas;
  assert.deepEqual(s.SessionSummary.properties.reaction_time_ms, {
    type: ["number", "null"],
    description: "Air metric (milliseconds); null for every other task",
  });
  assert.deepEqual(s.CompanySummary.properties.n_air_sessions, {
    type: "integer",
    description: "Finalized air_v1 sessions",
  });
  assert.equal(s.CompanySummary.properties.avg_reaction_time_ms.type[0], "number");
  assert.ok("avg_reaction_time_ms" in s.TimeseriesBucket.properties);
  assert.ok("n_air_sessions" in s.TimeseriesBucket.properties);
  assert.deepEqual(
    Object.keys(s.CompanyForecast.properties.air.properties),
    ["predicted_next_reaction_time_ms", "n_models", "predicted_next_reaction_time_ms_interval"],
  );
  assert.deepEqual(s.ModelState.properties.model_name.enum, ["earth", "water", "air"]);
  assert.match(s.ModelState.properties.coefficients.description, /air \[coef_reaction\]$/);
  // Every earth and water field is as committed, in the same order, the air ones after them.
  for (const name of ["SessionSummary", "CompanySummary", "TimeseriesBucket"]) {
    const keys = Object.keys(s[name].properties);
    const before = Object.keys(was[name].properties);
    const air = name === "SessionSummary" ? ["reaction_time_ms"] : [
      "n_air_sessions",
      "avg_reaction_time_ms",
      "n_air_sessions_interval",
      "avg_reaction_time_ms_interval",
    ];
    assert.deepEqual(keys.filter((k) => !air.includes(k)), before, name);
    for (const k of before) assert.deepEqual(s[name].properties[k], was[name].properties[k]);
  }
  // Schemas no task shapes are identical.
  const taskShaped = ["SessionSummary", "CompanySummary", "TimeseriesBucket", "CompanyForecast"];
  for (const name of Object.keys(was)) {
    if (taskShaped.includes(name) || name === "ModelState" || name === "ExportedModel") continue;
    assert.deepEqual(s[name], was[name], name);
  }
});

Deno.test("the company CSV carries the air columns after earth and water's", opts, async () => {
  const res = await t.request(`/company.csv?t=${tokenOf(C)}&bucket=day`);
  assert.equal(res.status, 200);
  assert.equal(
    await res.text(),
    "period_start,period_end,sessions,avg_brain_performance_score,avg_repetition_burden," +
      "water_sessions,avg_stress_score,air_sessions,avg_reaction_time_ms\r\n" +
      "2024-05-06,2024-05-06,6,,,0,,5,1200\r\n" +
      "2024-05-07,2024-05-07,5,,,0,,5,1100\r\n" +
      "2024-05-08,2024-05-08,5,,,0,,5,1000\r\n",
  );
});
