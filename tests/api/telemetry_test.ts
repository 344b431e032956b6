import assert from "node:assert/strict";
import { trainLearner } from "../helpers/earth_model.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sampleEvents, sessionEvents } from "../helpers/play.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const NOW = new Date("2026-11-21T12:00:00.000Z");
t.setNow(NOW);
const opts = dbTestOptions;

async function count(sessionId: string): Promise<number> {
  const rows = await db
    .sql`select count(*)::int as n from raw_events where session_id = ${sessionId}`;
  return rows[0].n;
}

Deno.test(
  "the legacy system's sample session ingests and finalizes to fta 1/3, burden 2.0, bucket 5",
  opts,
  async () => {
    for (const e of await sampleEvents()) {
      const res = await t.request("/events", postJson(e));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { stored: true });
    }
    const res = await t.request("/sessions/sess-001-2024-01-15/finalize", { method: "POST" });
    assert.equal(res.status, 200);
    const summary = await res.json();
    assert.equal(typeof summary.id, "number");
    assert.deepEqual({ ...summary, id: 0 }, {
      id: 0,
      player_id: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
      session_id: "sess-001-2024-01-15",
      task_version: "earth_v1",
      fta_level: 1 / 3,
      fta_strict: false,
      repetition_burden: 2,
      earth_score_bucket: 5,
      stress_score: null,
      created_ts_utc: NOW.toISOString(),
      company_id: null,
      played_at: "2024-01-15T14:30:00.000Z",
      n_attempts: 6,
    });
    const again = await t.request("/sessions/sess-001-2024-01-15/finalize", { method: "POST" });
    assert.deepEqual(await again.json(), summary, "finalize is idempotent (same id)");

    // The finalized game session counts once for the engagement rollup (start = played_at,
    // end = last attempt 14:37:00 + 6.8 s → 426.8 s → 427 s).
    const eng = await db.sql`
    select user_external_id, started_at, duration_seconds, sentiment_hundredths
    from engagement_sessions where source = 'earth_task' and session_id = 'sess-001-2024-01-15'`;
    assert.equal(eng.length, 1);
    assert.equal(eng[0].user_external_id, "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    assert.equal(eng[0].started_at.toISOString(), "2024-01-15T14:30:00.000Z");
    assert.equal(eng[0].duration_seconds, 427);
    assert.equal(eng[0].sentiment_hundredths, null);
  },
);

Deno.test(
  "an identical resend stores nothing new; different content for the same attempt is 409",
  opts,
  async () => {
    const [e] = sessionEvents({
      player: "p-resend",
      session: "s-resend",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
    });
    assert.deepEqual(await (await t.request("/events", postJson(e))).json(), { stored: true });
    const again = await t.request("/events", postJson(e));
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { stored: true });
    assert.equal(await count("s-resend"), 1);
    const changed = await t.request("/events", postJson({ ...e, duration_ms: 1 }));
    assert.equal(changed.status, 409);
    assert.deepEqual(await changed.json(), {
      detail:
        "Attempt already stored with different content (same session_id, sequence_index and attempt_index)",
    });
    assert.equal(await count("s-resend"), 1);
    // Concurrent resends of one attempt: one row, every answer 200.
    const [e2] = sessionEvents({
      player: "p-resend",
      session: "s-resend-2",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => t.request("/events", postJson(e2))),
    );
    assert.deepEqual(answers.map((r) => r.status), Array(12).fill(200));
    assert.equal(await count("s-resend-2"), 1);
  },
);

Deno.test("an event from another player in the same session is 409", opts, async () => {
  const [a, b] = sessionEvents({
    player: "p-one",
    session: "s-owner",
    pattern: [2, 1, 1],
    start: "2026-11-20T10:00:00Z",
  });
  assert.equal((await t.request("/events", postJson(a))).status, 200);
  const res = await t.request("/events", postJson({ ...b, player_id: "p-two" }));
  assert.equal(res.status, 409);
  assert.deepEqual(await res.json(), {
    detail: "Session belongs to another player_id than this event's",
  });
  assert.equal(await count("s-owner"), 1);
});

Deno.test("an event for a finalized session is 409 and is not stored", opts, async () => {
  const events = sessionEvents({
    player: "p-fin",
    session: "s-fin",
    pattern: [1, 0, 1],
    start: "2026-11-20T10:00:00Z",
  });
  for (const e of events.slice(0, -1)) await t.request("/events", postJson(e));
  assert.equal((await t.request("/sessions/s-fin/finalize", { method: "POST" })).status, 200);
  const late = await t.request("/events", postJson(events.at(-1)));
  assert.equal(late.status, 409);
  assert.deepEqual(await late.json(), { detail: "Session is already finalized" });
  assert.equal(await count("s-fin"), events.length - 1);
});

Deno.test(
  "finalize: 404 without events; 16 concurrent calls give one summary with one id",
  opts,
  async () => {
    const none = await t.request("/sessions/no-such-session/finalize", { method: "POST" });
    assert.equal(none.status, 404);
    assert.deepEqual(await none.json(), { detail: "No events found for session" });

    const events = sessionEvents({
      player: "p-race",
      session: "s-race",
      pattern: [1, 2, 3],
      start: "2026-11-20T10:00:00Z",
    });
    assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
    const results = await Promise.all(
      Array.from({ length: 16 }, () => t.request("/sessions/s-race/finalize", { method: "POST" })),
    );
    assert.deepEqual(results.map((r) => r.status), Array(16).fill(200));
    const bodies = await Promise.all(results.map((r) => r.json()));
    assert.equal(new Set(bodies.map((b) => b.id)).size, 1);
    assert.equal(bodies[0].fta_level, 1 / 3);
    assert.equal(bodies[0].repetition_burden, 2);
    assert.equal(bodies[0].earth_score_bucket, 5);
    const rows = await db
      .sql`select count(*)::int as n from session_summary where session_id = 's-race'`;
    assert.equal(rows[0].n, 1);
    const eng = await db
      .sql`select count(*)::int as n from engagement_sessions where session_id = 's-race'`;
    assert.equal(eng[0].n, 1);
  },
);

Deno.test(
  "mixed company ids in one session are 400; company_name is hashed into company_id",
  opts,
  async () => {
    const a = sessionEvents({
      player: "p-mix",
      session: "s-mix",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
      company_id: "c_aaaaaaaaaaaa",
    });
    const b = sessionEvents({
      player: "p-mix",
      session: "s-mix",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
      company_id: "c_bbbbbbbbbbbb",
    });
    await t.request("/events/batch", postJson({ events: [a[0], b[1], a[2]] }));
    const res = await t.request("/sessions/s-mix/finalize", { method: "POST" });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      detail: "Mixed company_ids in session: c_aaaaaaaaaaaa, c_bbbbbbbbbbbb",
    });
    assert.equal(
      (await db.sql`select 1 from session_summary where session_id = 's-mix'`).length,
      0,
    );

    const s = await playSession(t, {
      player: "p-acme",
      session: "s-acme",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
      company_name: "Acme Corp",
    });
    // "c_" + sha256("acme corp" + dev salt)[:12], computed independently with Python's hashlib.
    assert.equal(s.company_id, "c_611faefbfb5d");
    const info = await t.request("/dashboard/company?t=3382a00d119e2379aea4ac41");
    assert.equal(info.status, 200, "the auto-registered company resolves its token");
    assert.equal((await info.json()).company_id, "c_611faefbfb5d");
    const reg = await db
      .sql`select company_id, company_name from company_registry where company_id = ${s
      .company_id as string}`;
    assert.deepEqual(reg.map((r) => ({ ...r })), [{
      company_id: s.company_id,
      company_name: null,
    }]);
    const raw = await db.sql`select count(*)::int as n from raw_events where company_id = ${s
      .company_id as string}`;
    assert.equal(raw[0].n, 3);
  },
);

Deno.test("validation: every field constraint answers 422 naming the field", opts, async () => {
  const [base] = await sampleEvents();
  const cases: [Record<string, unknown>, (string | number)[]][] = [
    [{ player_id: "" }, ["body", "player_id"]],
    [{ session_id: "x".repeat(129) }, ["body", "session_id"]],
    [{ sequence_index: 0 }, ["body", "sequence_index"]],
    [{ sequence_index: 1.5 }, ["body", "sequence_index"]],
    [{ sequence_length: 0 }, ["body", "sequence_length"]],
    [{ attempt_index: 0 }, ["body", "attempt_index"]],
    [{ attempt_index: 4 }, ["body", "attempt_index"]],
    [{ presented: Array(65).fill(1) }, ["body", "presented"]],
    [{ input: [true] }, ["body", "input", 0]],
    [{ is_correct: "yes" }, ["body", "is_correct"]],
    [{ duration_ms: -1 }, ["body", "duration_ms"]],
    [{ ts_utc: "yesterday" }, ["body", "ts_utc"]],
    [{ ts_utc: "2024-02-30T10:00:00Z" }, ["body", "ts_utc"]],
    [{ ts_utc: 1705329000 }, ["body", "ts_utc"]],
    [{ remediation_stage: "fire" }, ["body", "remediation_stage"]],
    [{ volts_count: -1 }, ["body", "volts_count"]],
    [{ company_id: "has space" }, ["body", "company_id"]],
    [{ sequence_index: "1" }, ["body", "sequence_index"]],
    [{ player_id: "a\u0000b" }, ["body", "player_id"]],
    [{ presented: ["x\u0000"] }, ["body", "presented", 0]],
  ];
  for (const [patch, loc] of cases) {
    const res = await t.request(
      "/events",
      postJson({ ...base, session_id: "s-invalid", ...patch }),
    );
    assert.equal(res.status, 422, JSON.stringify(patch));
    const body = await res.json();
    assert.deepEqual(body.detail.map((d: { loc: unknown }) => d.loc), [loc], JSON.stringify(patch));
    assert.equal(typeof body.detail[0].msg, "string");
    assert.equal(typeof body.detail[0].type, "string");
  }
  assert.equal(await count("s-invalid"), 0);
  const malformed = await t.request("/events", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{oops",
  });
  assert.equal(malformed.status, 400);
  assert.deepEqual(await malformed.json(), { detail: "Malformed JSON in request body" });
  const noType = await t.request("/events", { method: "POST", body: JSON.stringify(base) });
  assert.equal(noType.status, 415);
  assert.deepEqual(await noType.json(), { detail: "Unsupported Media Type" });
  const nulPath = await t.request("/players/a%00b/sessions");
  assert.equal(nulPath.status, 422);
  assert.deepEqual((await nulPath.json()).detail[0].loc, ["path", "player_id"]);
  const array = await t.request("/events", postJson([base]));
  assert.equal(array.status, 422);
});

Deno.test("ts_utc without an offset is UTC; task_version defaults to earth_v1", opts, async () => {
  const [e] = sessionEvents({
    player: "p-naive",
    session: "s-naive",
    pattern: [1, 1, 1],
    start: "2026-11-20T10:00:00Z",
  });
  const { task_version: _, ...rest } = e;
  await t.request(
    "/events",
    postJson({ ...rest, ts_utc: "2026-11-20T23:30:00", company_name: undefined }),
  );
  const plus = { ...rest, sequence_index: 2, ts_utc: "2026-11-21T01:30:00+02:00" };
  await t.request("/events", postJson(plus));
  const rows = await db
    .sql`select ts_utc, task_version from raw_events where session_id = 's-naive' order by sequence_index`;
  assert.equal(rows[0].ts_utc.toISOString(), "2026-11-20T23:30:00.000Z");
  assert.equal(rows[1].ts_utc.toISOString(), "2026-11-20T23:30:00.000Z");
  assert.equal(rows[0].task_version, "earth_v1");
});

Deno.test(
  "batch: stored/duplicates counts, all-or-nothing 422 naming the index, 409, 501 events",
  opts,
  async () => {
    const events = sessionEvents({
      player: "p-batch",
      session: "s-batch",
      pattern: [2, 0, 1],
      start: "2026-11-20T10:00:00Z",
    });
    const first = await t.request("/events/batch", postJson({ events: events.slice(0, 4) }));
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { stored: 4, duplicates: 0 });
    const second = await t.request("/events/batch", postJson({ events }));
    assert.deepEqual(await second.json(), { stored: events.length - 4, duplicates: 4 });

    const other = sessionEvents({
      player: "p-batch",
      session: "s-batch-2",
      pattern: [1, 1, 1],
      start: "2026-11-20T11:00:00Z",
    });
    const bad = structuredClone(other);
    bad[2].attempt_index = 7;
    const invalid = await t.request("/events/batch", postJson({ events: bad }));
    assert.equal(invalid.status, 422);
    assert.deepEqual((await invalid.json()).detail.map((d: { loc: unknown }) => d.loc), [[
      "body",
      "events",
      2,
      "attempt_index",
    ]]);
    assert.equal(await count("s-batch-2"), 0);

    const conflicting = [...other, { ...events[0], duration_ms: 99 }];
    const res = await t.request("/events/batch", postJson({ events: conflicting }));
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), {
      detail:
        "events[3]: Attempt already stored with different content (same session_id, sequence_index and attempt_index)",
    });
    assert.equal(await count("s-batch-2"), 0, "nothing of a rejected batch is stored");

    const big = Array.from({ length: 501 }, (_, i) => ({ ...other[0], sequence_index: i + 1 }));
    const tooMany = await t.request("/events/batch", postJson({ events: big }));
    assert.equal(tooMany.status, 422);
    assert.deepEqual((await tooMany.json()).detail[0].loc, ["body", "events"]);
    const max = await t.request("/events/batch", postJson({ events: big.slice(0, 500) }));
    assert.deepEqual(await max.json(), { stored: 500, duplicates: 0 });
    const empty = await t.request("/events/batch", postJson({ events: [] }));
    assert.equal(empty.status, 422);
  },
);

Deno.test(
  "learner: retrained on every finalize, sklearn-identical, prediction clamped",
  opts,
  async () => {
    const player = "p-learner";
    // Sessions [fta, burden]: [0, 3], [1/3, 5/3], [1, 1] — fixture "3 sessions: improving".
    await playSession(t, {
      player,
      session: "L1",
      pattern: [0, 0, 0],
      start: "2026-11-01T10:00:00Z",
    });
    let state = await (await t.request(`/model/state/${player}`)).json();
    assert.deepEqual(state, {
      player_id: player,
      model_name: "earth",
      trained_ts_utc: NOW.toISOString(),
      n_samples: 1,
      coefficients: null,
      intercept: null,
      mae: null,
      status: "insufficient_data",
      predicted_next: null,
      predicted_next_fta: null,
    });
    await playSession(t, {
      player,
      session: "L2",
      pattern: [1, 2, 2],
      start: "2026-11-02T10:00:00Z",
    });
    assert.equal(
      (await (await t.request(`/model/state/${player}`)).json()).status,
      "insufficient_data",
    );
    await playSession(t, {
      player,
      session: "L3",
      pattern: [1, 1, 1],
      start: "2026-11-03T10:00:00Z",
    });
    state = await (await t.request(`/model/state/${player}`)).json();
    assert.equal(state.status, "trained");
    assert.equal(state.n_samples, 3);
    assert.ok(Math.abs(state.coefficients[0] - 0.11764705882352952) < 1e-9);
    assert.ok(Math.abs(state.coefficients[1] - -0.47058823529411803) < 1e-9);
    assert.ok(Math.abs(state.intercept - 1.7450980392156872) < 1e-9);
    assert.ok(Math.abs(state.mae) < 1e-9);
    // 1.745 + 0.118·1 − 0.471·1 = 1.392 → clamped to 1.
    assert.equal(state.predicted_next_fta, 1);
    assert.equal(state.predicted_next, 1);

    // A session played earlier but finalized later is placed by play time.
    await playSession(t, {
      player,
      session: "L0",
      pattern: [1, 0, 1],
      start: "2026-10-31T10:00:00Z",
    });
    state = await (await t.request(`/model/state/${player}`)).json();
    const expected = trainLearner([
      { fta_level: 2 / 3, repetition_burden: 5 / 3 },
      { fta_level: 0, repetition_burden: 3 },
      { fta_level: 1 / 3, repetition_burden: 5 / 3 },
      { fta_level: 1, repetition_burden: 1 },
    ]);
    assert.equal(state.n_samples, 4);
    assert.ok(Math.abs(state.intercept - expected.intercept!) < 1e-12);
    assert.ok(Math.abs(state.coefficients[0] - expected.coefficients![0]) < 1e-12);

    const list = await (await t.request(`/players/${player}/sessions`)).json();
    assert.deepEqual(list.map((s: { session_id: string }) => s.session_id), [
      "L1",
      "L2",
      "L3",
      "L0",
    ]);
    assert.deepEqual(list.map((s: { earth_score_bucket: number }) => s.earth_score_bucket), [
      0,
      5,
      10,
      0,
    ]);
  },
);

Deno.test("model state 404 and empty session list for an unknown player", opts, async () => {
  const res = await t.request("/model/state/nobody");
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { detail: "No model state found for player" });
  const list = await t.request("/players/nobody/sessions");
  assert.equal(list.status, 200);
  assert.deepEqual(await list.json(), []);
});

Deno.test(
  "production: ingest needs an ingest token, player reads a dashboard token for that player",
  opts,
  async () => {
    const prod = testApp(
      db.sql,
      productionEnv({
        COMPANY_PRIVACY: "exact",
        INGEST_SERVICE_TOKEN: "ingest-new-kkkkkkkkkkkkkkkkkkkkk,ingest-old-kkkkkkkkkkkkkkkkkkkkk",
        DASHBOARD_TOKEN_MAP:
          "tok-p-kkkkkkkkkkkkkkkkkkkkkkkkkk:p-prod,tok-star-kkkkkkkkkkkkkkkkkkkkkkk:*",
      }),
    );
    const [e] = sessionEvents({
      player: "p-prod",
      session: "s-prod",
      pattern: [1, 1, 1],
      start: "2026-11-20T10:00:00Z",
    });
    assert.equal((await prod.request("/events", postJson(e))).status, 401);
    const stranger = await prod.request("/events", postJson({ junk: true }));
    assert.equal(stranger.status, 401, "credentials are checked before the body");
    assert.deepEqual(await stranger.json(), { detail: "Missing Authorization header" });
    assert.deepEqual(
      await (await prod.request("/events", postJson(e, { Authorization: "Bearer nope" }))).json(),
      { detail: "Invalid service token" },
    );
    assert.equal(
      (await prod.request(
        "/events",
        postJson(e, { Authorization: "Token ingest-new-kkkkkkkkkkkkkkkkkkkkk" }),
      )).status,
      401,
    );
    assert.equal(
      (await prod.request(
        "/events",
        postJson(e, { Authorization: "Bearer ingest-old-kkkkkkkkkkkkkkkkkkkkk" }),
      )).status,
      200,
    );
    assert.equal((await prod.request("/events/batch", postJson({ events: [e] }))).status, 401);
    assert.equal((await prod.request("/sessions/s-prod/finalize", { method: "POST" })).status, 401);
    assert.equal(
      (await prod.request("/sessions/s-prod/finalize", {
        method: "POST",
        headers: { Authorization: "Bearer ingest-new-kkkkkkkkkkkkkkkkkkkkk" },
      })).status,
      200,
    );

    assert.equal((await prod.request("/players/p-prod/sessions")).status, 401);
    assert.equal(
      (await prod.request("/players/p-prod/sessions", {
        headers: { Authorization: "Bearer wrong" },
      })).status,
      401,
    );
    const other = await prod.request("/players/p-other/sessions", {
      headers: { Authorization: "Bearer tok-p-kkkkkkkkkkkkkkkkkkkkkkkkkk" },
    });
    assert.equal(other.status, 403);
    assert.deepEqual(await other.json(), { detail: "Token not permitted for this user" });
    assert.equal(
      (await prod.request("/players/p-prod/sessions", {
        headers: { Authorization: "Bearer tok-p-kkkkkkkkkkkkkkkkkkkkkkkkkk" },
      })).status,
      200,
    );
    assert.equal(
      (await prod.request("/model/state/p-prod", {
        headers: { Authorization: "Bearer tok-star-kkkkkkkkkkkkkkkkkkkkkkk" },
      }))
        .status,
      200,
    );
    assert.equal(
      (await prod.request("/model/state/p-prod", { headers: { Authorization: "Bearer tok-p2" } }))
        .status,
      401,
    );
    assert.ok(!prod.logs.join("\n").includes("ingest-old-kkkkkkkkkkkkkkkkkkkkk"));
    assert.ok(!prod.logs.join("\n").includes("tok-p-kkkkkkkkkkkkkkkkkkkkkkkkkk"));
  },
);
