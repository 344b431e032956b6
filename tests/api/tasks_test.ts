/** Several task types through the API: water_v1 finalize, per-task models, engagement. */
import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql);
const NOW = new Date("2026-11-21T12:00:00.000Z");
t.setNow(NOW);
const opts = dbTestOptions;

/** Posts a session's events (all with `taskVersion`); returns nothing, asserts 200. */
async function post(
  player: string,
  session: string,
  start: string,
  taskVersion = "water_v1",
  pattern: Pattern = [1, 2, 0],
): Promise<void> {
  const events = sessionEvents({ player, session, pattern, start })
    .map((e) => ({ ...e, task_version: taskVersion }));
  const res = await t.request("/events/batch", postJson({ events }));
  assert.equal(res.status, 200, await res.text());
}

/** Finalizes with a JSON body (or none when `body` is undefined). */
async function finalize(session: string, body?: unknown): Promise<Response> {
  const init: RequestInit = body === undefined ? { method: "POST" } : postJson(body);
  return await t.request(`/sessions/${session}/finalize`, init);
}

/** Plays and finalizes a water session with a stress score; returns the summary. */
async function water(player: string, session: string, start: string, stress: number) {
  await post(player, session, start);
  const res = await finalize(session, { task_version: "water_v1", stress_score: stress });
  assert.equal(res.status, 200);
  return await res.json();
}

const model = async (player: string, query = "") => {
  const res = await t.request(`/model/state/${player}${query}`);
  return { status: res.status, body: await res.json() };
};

Deno.test(
  "finalize stores a water_v1 session's stress score and no earth metrics",
  opts,
  async () => {
    await post("w-1", "w-1-a", "2026-11-20T09:00:00Z");
    const res = await finalize("w-1-a", { task_version: "water_v1", stress_score: 75 });
    assert.equal(res.status, 200);
    const summary = await res.json();
    assert.deepEqual({ ...summary, id: 0 }, {
      id: 0,
      player_id: "w-1",
      session_id: "w-1-a",
      task_version: "water_v1",
      fta_level: null,
      fta_strict: null,
      repetition_burden: null,
      earth_score_bucket: null,
      stress_score: 75,
      created_ts_utc: NOW.toISOString(),
      company_id: null,
      played_at: "2026-11-20T09:00:00.000Z",
      n_attempts: 6,
    });
    // Finalized: the stored summary, whatever the body says now.
    for (const body of [undefined, {}, { task_version: "earth_v1" }, { stress_score: 10 }]) {
      const again = await finalize("w-1-a", body);
      assert.equal(again.status, 200);
      assert.deepEqual(await again.json(), summary);
    }
    const list = await (await t.request("/players/w-1/sessions")).json();
    assert.deepEqual(list, [summary]);
    // The attempts are stored as usual.
    const [{ n }] = await db
      .sql`select count(*)::int as n from raw_events where session_id = 'w-1-a'`;
    assert.equal(n, 6);
  },
);

Deno.test(
  "finalize of a water_v1 session without stress_score is 400 and stores nothing",
  opts,
  async () => {
    await post("w-2", "w-2-a", "2026-11-20T09:00:00Z");
    const message = { detail: "water_v1 sessions require stress_score in request body" };
    for (const body of [undefined, {}, { stress_score: null }, { task_version: "water_v1" }]) {
      const res = await finalize("w-2-a", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(await res.json(), message);
    }
    // The events' task is earth, the body's water: the body wins.
    await post("w-2", "w-2-b", "2026-11-20T10:00:00Z", "earth_v1");
    const res = await finalize("w-2-b", { task_version: "water_v1" });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), message);
    const stored = await db.sql`
    select count(*)::int as n from session_summary where player_id = 'w-2'`;
    assert.equal(stored[0].n, 0);
    const open = await db.sql`
    select count(*)::int as n from play_sessions where player_id = 'w-2' and finalized_at is null`;
    assert.equal(open[0].n, 2);
    assert.equal((await model("w-2")).status, 404);
  },
);

Deno.test(
  "finalize refuses a stress_score outside 0..100 or not a number with 422",
  opts,
  async () => {
    await post("w-3", "w-3-a", "2026-11-20T09:00:00Z");
    for (const stress of [-0.001, 100.5, 1e300, "75", true, [75]]) {
      const res = await finalize("w-3-a", { task_version: "water_v1", stress_score: stress });
      assert.equal(res.status, 422, JSON.stringify(stress));
      const body = await res.json();
      assert.deepEqual(body.detail.map((d: { loc: unknown }) => d.loc), [["body", "stress_score"]]);
    }
    for (const tv of ["", 7, "x".repeat(65)]) {
      const res = await finalize("w-3-a", { task_version: tv, stress_score: 5 });
      assert.equal(res.status, 422, JSON.stringify(tv));
    }
    // The bounds themselves are scores.
    assert.equal((await water("w-3", "w-3-b", "2026-11-20T10:00:00Z", 0)).stress_score, 0);
    assert.equal((await water("w-3", "w-3-c", "2026-11-20T11:00:00Z", 100)).stress_score, 100);
    assert.equal((await water("w-3", "w-3-d", "2026-11-20T12:00:00Z", 37.5)).stress_score, 37.5);
  },
);

Deno.test(
  "finalize bodies: empty JSON body is {}; the task comes from the body, else the events",
  opts,
  async () => {
    // Earth events, an empty body with Content-Type application/json: earth as always.
    await post("w-4", "w-4-a", "2026-11-20T09:00:00Z", "earth_v1", [1, 1, 1]);
    const empty = await t.request("/sessions/w-4-a/finalize", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "",
    });
    assert.equal(empty.status, 200);
    const a = await empty.json();
    assert.deepEqual(
      [a.task_version, a.fta_level, a.fta_strict, a.repetition_burden, a.earth_score_bucket],
      ["earth_v1", 1, true, 1, 10],
    );
    assert.equal(a.stress_score, null);

    // Water events, body earth_v1: earth metrics, the stress score ignored.
    await post("w-4", "w-4-b", "2026-11-20T10:00:00Z", "water_v1", [1, 2, 0]);
    const b = await (await finalize("w-4-b", { task_version: "earth_v1", stress_score: 60 }))
      .json();
    assert.deepEqual(
      [b.task_version, b.fta_level, b.repetition_burden, b.earth_score_bucket, b.stress_score],
      ["earth_v1", 1 / 3, 2, 0, null],
    );

    // Water events, body with a stress score only: water (the events' task).
    await post("w-4", "w-4-c", "2026-11-20T11:00:00Z");
    const c = await (await finalize("w-4-c", { stress_score: 12.25 })).json();
    assert.deepEqual([c.task_version, c.fta_level, c.stress_score], ["water_v1", null, 12.25]);

    // A version no task declares follows the earth path; its stress score is stored null.
    await post("w-4", "w-4-d", "2026-11-20T12:00:00Z", "fire_v9", [2, 1, 1]);
    const d = await (await finalize("w-4-d", { stress_score: 50 })).json();
    assert.deepEqual(
      [d.task_version, d.fta_level, d.fta_strict, d.repetition_burden, d.earth_score_bucket],
      ["fire_v9", 2 / 3, false, 4 / 3, 5],
    );
    assert.equal(d.stress_score, null);
    // ... and so does a body naming one.
    await post("w-4", "w-4-e", "2026-11-20T13:00:00Z", "water_v1", [1, 1, 1]);
    const e = await (await finalize("w-4-e", { task_version: "fire_v9", stress_score: 50 })).json();
    assert.deepEqual([e.task_version, e.fta_level, e.stress_score], ["fire_v9", 1, null]);
  },
);

Deno.test("model state: one model per task; water 20, 40, 60 predicts 80", opts, async () => {
  const p = "w-5";
  await water(p, "w-5-a", "2026-11-01T09:00:00Z", 20);
  assert.deepEqual(await model(p), {
    status: 404,
    body: { detail: "No model state found for player" },
  });
  let state = await model(p, "?model_name=water");
  assert.equal(state.status, 200);
  assert.deepEqual(state.body, {
    player_id: p,
    model_name: "water",
    trained_ts_utc: NOW.toISOString(),
    n_samples: 1,
    coefficients: null,
    intercept: null,
    mae: null,
    status: "insufficient_data",
    predicted_next: null,
    predicted_next_fta: null,
  });
  await water(p, "w-5-b", "2026-11-02T09:00:00Z", 40);
  assert.equal((await model(p, "?model_name=water")).body.status, "insufficient_data");
  // An earth session in between trains the earth model only.
  await post(p, "w-5-e", "2026-11-02T12:00:00Z", "earth_v1", [1, 1, 1]);
  assert.equal((await finalize("w-5-e")).status, 200);
  await water(p, "w-5-c", "2026-11-03T09:00:00Z", 60);
  state = await model(p, "?model_name=water");
  assert.deepEqual(state.body, {
    player_id: p,
    model_name: "water",
    trained_ts_utc: NOW.toISOString(),
    n_samples: 3,
    coefficients: [1],
    intercept: 20,
    mae: 0,
    status: "trained",
    predicted_next: 80,
    predicted_next_fta: null,
  });
  const earth = await model(p);
  assert.deepEqual(earth, await model(p, "?model_name=earth"));
  assert.equal(earth.body.model_name, "earth");
  assert.equal(earth.body.n_samples, 1);
  assert.equal(earth.body.status, "insufficient_data");

  // 10, 50, 90: slope 1, intercept 40; 40 + 90 = 130 is clamped to 100.
  const q = "w-6";
  for (const [i, s] of [10, 50, 90].entries()) {
    await water(q, `w-6-${i}`, `2026-11-0${i + 1}T09:00:00Z`, s);
  }
  state = await model(q, "?model_name=water");
  assert.deepEqual(
    [state.body.coefficients, state.body.intercept, state.body.predicted_next],
    [[1], 40, 100],
  );
  // A water session played earlier but finalized later is placed by play time: 70, 10, 50, 90.
  await water(q, "w-6-early", "2026-10-31T09:00:00Z", 70);
  state = await model(q, "?model_name=water");
  // x = [70, 10, 50], y = [10, 50, 90]: slope (−20·−40 + … ) → −0.4285714…; exact least squares.
  const xs = [70, 10, 50], ys = [10, 50, 90];
  const mx = 130 / 3, my = 50;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) * (x - mx), 0);
  assert.equal(state.body.n_samples, 4);
  assert.ok(Math.abs(state.body.coefficients[0] - sxy / sxx) < 1e-12);
  assert.ok(Math.abs(state.body.intercept - (my - mx * sxy / sxx)) < 1e-9);
  assert.ok(
    Math.abs(state.body.predicted_next - (my - mx * sxy / sxx + 90 * sxy / sxx)) < 1e-9,
  );
});

Deno.test(
  "model state: unknown model_name is 422; a player without that task's sessions 404",
  opts,
  async () => {
    for (const name of ["fire", "", "EARTH", "earth,water"]) {
      const res = await t.request(`/model/state/w-5?model_name=${encodeURIComponent(name)}`);
      assert.equal(res.status, 422, name);
      const body = await res.json();
      assert.deepEqual(body.detail[0].loc, ["query", "model_name"]);
    }
    await post("w-7", "w-7-a", "2026-11-20T09:00:00Z", "earth_v1", [1, 1, 1]);
    assert.equal((await finalize("w-7-a")).status, 200);
    assert.equal((await model("w-7")).status, 200);
    assert.deepEqual(await model("w-7", "?model_name=water"), {
      status: 404,
      body: { detail: "No model state found for player" },
    });
    assert.equal((await model("nobody", "?model_name=water")).status, 404);
  },
);

Deno.test(
  "a finalized water session counts as an engagement session (duration from its events)",
  opts,
  async () => {
    // sessionEvents: attempts 10 s apart, 5 s each; [1, 2, 0] = 1 + 2 + 3 = 6 attempts → 55 s.
    await water("w-8", "w-8-a", "2026-11-20T09:00:00Z", 30);
    const rows = await db.sql`
    select source, user_external_id, started_at, duration_seconds, sentiment_hundredths
    from engagement_sessions where session_id = 'w-8-a'`;
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0], started_at: rows[0].started_at.toISOString() }, {
      source: "earth_task",
      user_external_id: "w-8",
      started_at: "2026-11-20T09:00:00.000Z",
      duration_seconds: 55,
      sentiment_hundredths: null,
    });
  },
);
