/**
 * Company numbers split by task: water counts and stress averages, per-metric k-anonymity with
 * complementary suppression, and the server-side forecast (MIN_COMPANY_N = 5).
 */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { predictNextFta, trainLearner } from "../helpers/earth_model.ts";
import { DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, playSession, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const opts = dbTestOptions;
const tokenOf = (id: string) => dashboardTokenFor(id, DEV_DASHBOARD_TOKEN_SALT);
const near = (a: number | null, b: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);

let n = 0;
async function earth(company: string, player: string, day: string, pattern: Pattern) {
  await playSession(t, {
    player,
    session: `${company}-e-${++n}`,
    pattern,
    start: `${day}T09:00:00Z`,
    company_id: company,
  });
}

async function water(company: string, player: string, day: string, stress: number) {
  const session = `${company}-w-${++n}`;
  const events = sessionEvents({
    player,
    session,
    pattern: [1, 1, 1],
    start: `${day}T10:00:00Z`,
    company_id: company,
  }).map((e) => ({ ...e, task_version: "water_v1" }));
  assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
  const body = { task_version: "water_v1", stress_score: stress };
  const res = await t.request(`/sessions/${session}/finalize`, postJson(body));
  assert.equal(res.status, 200, await res.text());
}

const get = async (path: string, company: string) => {
  const sep = path.includes("?") ? "&" : "?";
  const res = await t.request(`${path}${sep}t=${tokenOf(company)}`);
  return { status: res.status, body: await res.json() };
};

// Company X, three days (k = 5):
// Mon e1..e5 earth [1,1,1]; w1, w2 water 20, 40.
// Tue e1..e5 earth [1,2,0]; w3..w8 water 10, 20, …, 60.
// Wed e1..e5 earth [2,2,2]; w1..w5 water 90.
const X = "c_tasks_x";
const e = (i: number) => `x-e${i}`;
const w = (i: number) => `x-w${i}`;
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) await earth(X, e(i), "2024-03-04", [1, 1, 1]);
  await water(X, w(1), "2024-03-04", 20);
  await water(X, w(2), "2024-03-04", 40);
  for (let i = 1; i <= 5; i++) await earth(X, e(i), "2024-03-05", [1, 2, 0]);
  for (let i = 3; i <= 8; i++) await water(X, w(i), "2024-03-05", 10 * (i - 2));
  for (let i = 1; i <= 5; i++) await earth(X, e(i), "2024-03-06", [2, 2, 2]);
  for (let i = 1; i <= 5; i++) await water(X, w(i), "2024-03-06", 90);
});

Deno.test(
  "summary: earth averages over earth sessions, stress over water sessions",
  opts,
  async () => {
    const { status, body } = await get("/dashboard/summary", X);
    assert.equal(status, 200);
    // Earth: fta (5·1 + 5·⅓ + 5·0)/15 = 4/9; burden (5 + 10 + 10)/15; bucket (50 + 0 + 25)/15.
    // Water: (20 + 40 + 10 + 20 + 30 + 40 + 50 + 60 + 5·90)/13 = 720/13.
    assert.deepEqual(Object.keys(body).sort(), [
      "avg_brain_performance_score",
      "avg_brain_performance_score_interval",
      "avg_earth_score_bucket",
      "avg_earth_score_bucket_interval",
      "avg_repetition_burden",
      "avg_repetition_burden_interval",
      "avg_stress_score",
      "avg_stress_score_interval",
      "company_id",
      "n_players",
      "n_players_interval",
      "n_sessions",
      "n_sessions_interval",
      "n_water_sessions",
      "n_water_sessions_interval",
      "privacy",
      "released_through",
    ]);
    assert.deepEqual(
      [body.company_id, body.n_players, body.n_sessions, body.n_water_sessions],
      [X, 13, 28, 13],
    );
    near(body.avg_brain_performance_score, 4 / 9, "fta");
    near(body.avg_repetition_burden, 25 / 15, "burden");
    assert.equal(body.avg_earth_score_bucket, 5);
    near(body.avg_stress_score, 720 / 13, "stress");
  },
);

Deno.test(
  "timeseries: each average needs k players of its task; complementary per metric",
  opts,
  async () => {
    const { status, body } = await get("/dashboard/timeseries?bucket=day", X);
    assert.equal(status, 200);
    assert.equal(body.suppressed_buckets, 0);
    const rows = body.buckets.map((b: Record<string, unknown>) => [
      b.bucket_start,
      b.n_sessions,
      b.n_water_sessions,
      b.avg_stress_score,
    ]);
    // Mon: 2 water players → null. {Mon} holds 2 < 5 water players, so the smallest other
    // (Wed, 5 water players, before Tue's 6) is hidden too; Tue: (10 + … + 60)/6 = 35.
    assert.deepEqual(rows, [
      ["2024-03-04", 7, 2, null],
      ["2024-03-05", 11, 6, 35],
      ["2024-03-06", 10, 5, null],
    ]);
    const earthAvgs = body.buckets.map((
      b: { avg_brain_performance_score: number; avg_repetition_burden: number },
    ) => [b.avg_brain_performance_score, b.avg_repetition_burden]);
    assert.deepEqual(earthAvgs[0], [1, 1]);
    near(earthAvgs[1][0], 1 / 3, "Tue fta");
    assert.equal(earthAvgs[1][1], 2);
    assert.deepEqual(earthAvgs[2], [0, 2]);

    const week = await get("/dashboard/timeseries?bucket=week", X);
    assert.equal(week.body.buckets.length, 1);
    const [only] = week.body.buckets;
    assert.deepEqual([only.bucket_start, only.n_sessions, only.n_water_sessions], [
      "2024-03-04",
      28,
      13,
    ]);
    near(only.avg_stress_score, 720 / 13, "week stress");
    near(only.avg_brain_performance_score, 4 / 9, "week fta");
  },
);

// Company W: 5 water players and 3 earth players; company Z: 6 earth players and 4 water players.
const W = "c_tasks_w";
const Z = "c_tasks_z";
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) await water(W, `w-w${i}`, "2024-03-11", 10 * i);
  for (let i = 1; i <= 3; i++) await earth(W, `w-e${i}`, "2024-03-11", [1, 1, 1]);
  for (let i = 1; i <= 6; i++) await earth(Z, `z-e${i}`, "2024-03-11", [1, 2, 1]);
  for (let i = 1; i <= 4; i++) await water(Z, `z-w${i}`, "2024-03-11", 50);
});

Deno.test(
  "a stress average of 4 water players is null among 6 earth players, and vice versa",
  opts,
  async () => {
    const z = (await get("/dashboard/summary", Z)).body;
    assert.deepEqual([z.n_players, z.n_sessions, z.n_water_sessions, z.avg_stress_score], [
      10,
      10,
      4,
      null,
    ]);
    near(z.avg_brain_performance_score, 2 / 3, "Z fta");
    const zDay = (await get("/dashboard/timeseries", Z)).body.buckets;
    assert.deepEqual(zDay.map((b: { avg_stress_score: null }) => b.avg_stress_score), [null]);
    near(zDay[0].avg_brain_performance_score, 2 / 3, "Z day fta");

    const wc = (await get("/dashboard/summary", W)).body;
    assert.deepEqual(
      [
        wc.n_players,
        wc.n_sessions,
        wc.avg_brain_performance_score,
        wc.avg_repetition_burden,
        wc.avg_earth_score_bucket,
        wc.n_water_sessions,
        wc.avg_stress_score,
      ],
      [8, 8, null, null, null, 5, 30],
    );
    const wDay = (await get("/dashboard/timeseries", W)).body.buckets;
    assert.deepEqual(
      wDay.map((b: Record<string, unknown>) => [
        b.avg_brain_performance_score,
        b.avg_repetition_burden,
        b.avg_stress_score,
      ]),
      [[null, null, 30]],
    );
  },
);

// Company Y: water only; y1..y5 play stress 10i, 10i + 10 and (y1..y4 only, for now) 10i + 20.
const Y = "c_tasks_y";
db.prepare(async () => {
  for (let i = 1; i <= 5; i++) {
    await water(Y, `y${i}`, "2024-03-11", 10 * i);
    await water(Y, `y${i}`, "2024-03-12", 10 * i + 10);
    if (i <= 4) await water(Y, `y${i}`, "2024-03-13", 10 * i + 20);
  }
});

Deno.test("forecast: the mean prediction per task, null below k trained models", opts, async () => {
  let y = await get("/dashboard/forecast", Y);
  assert.equal(y.status, 200);
  assert.deepEqual(y.body, {
    earth: {
      predicted_next_brain_performance: null,
      n_models: 0,
      predicted_next_brain_performance_interval: null,
    },
    water: {
      predicted_next_stress_score: null,
      n_models: 4,
      predicted_next_stress_score_interval: null,
    },
  });
  await water(Y, "y5", "2024-03-13", 70);
  // Each y_i: 10i, 10i + 10, 10i + 20 → slope 1, next 10i + 30: mean (40 + … + 80)/5 = 60.
  y = await get("/dashboard/forecast", Y);
  assert.deepEqual(y.body, {
    earth: {
      predicted_next_brain_performance: null,
      n_models: 0,
      predicted_next_brain_performance_interval: null,
    },
    water: {
      predicted_next_stress_score: 60,
      n_models: 5,
      predicted_next_stress_score_interval: null,
    },
  });

  // X: e1..e5 each [1,1] → [⅓,2] → [0,2], predicted from the last; w1..w5 have 2 sessions.
  const model = trainLearner([
    { fta_level: 1, repetition_burden: 1 },
    { fta_level: 1 / 3, repetition_burden: 2 },
    { fta_level: 0, repetition_burden: 2 },
  ]);
  const each = predictNextFta(model, { fta_level: 0, repetition_burden: 2 })!;
  const x = await get("/dashboard/forecast", X);
  assert.equal(x.body.earth.n_models, 5);
  near(x.body.earth.predicted_next_brain_performance, each, "X earth forecast (all five alike)");
  assert.deepEqual(x.body.water, {
    predicted_next_stress_score: null,
    n_models: 0,
    predicted_next_stress_score_interval: null,
  });
  // The same number the player's own model state shows.
  const state = await (await t.request(`/model/state/${e(1)}`)).json();
  near(state.predicted_next, each, "e1 prediction");
});

Deno.test("forecast: 403 for a bad token or below k players; never a player id", opts, async () => {
  const S = "c_tasks_small";
  for (let i = 1; i <= 4; i++) await water(S, `s${i}`, "2024-03-11", 10);
  const small = await get("/dashboard/forecast", S);
  assert.deepEqual(small, {
    status: 403,
    body: { detail: "Not enough data yet: 4 of 5 players needed before aggregates are shown." },
  });
  for (const q of ["", "?t=", "?t=0123456789abcdef01234567"]) {
    const res = await t.request(`/dashboard/forecast${q}`);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { detail: "Invalid or missing dashboard token" });
  }
  const text = JSON.stringify((await get("/dashboard/forecast", Y)).body);
  assert.ok(!/y\d/.test(text), text);
});
