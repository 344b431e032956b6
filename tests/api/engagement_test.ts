import assert from "node:assert/strict";
import {
  aggregateByDay,
  buildRollup,
  type EngagementSession,
  scoreToHundredths,
} from "../../core/rollup.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const ORIGIN = "https://family.example.com";
const t = testApp(db.sql, {
  DASHBOARD_TOKEN_MAP: "tokA:user-a,tokStar:*",
  INGEST_SERVICE_TOKEN: "svc-new,svc-old",
  DASHBOARD_ORIGIN: ORIGIN,
});
const NOW = new Date("2025-10-22T18:00:00Z"); // window 2025-10-16 .. 2025-10-22
const INGEST = "/internal/ingest/session_summary";

let counter = 0;
/** Returns a valid ingest body with a fresh session id, overridden by `over`. */
const summary = (over: Record<string, unknown> = {}) => ({
  session_id: `sess-${++counter}`,
  user_external_id: "user-misc",
  started_at: "2025-10-22T14:30:00Z",
  duration_seconds: 720,
  sentiment_score: 0.68,
  ...over,
});

/** Returns the response of an ingest POST with the given bearer token. */
const ingest = (body: unknown, token = "svc-new") =>
  t.request(INGEST, postJson(body, { Authorization: `Bearer ${token}` }));

/** Ingests every body and asserts each is stored. */
async function ingestAll(bodies: unknown[]): Promise<void> {
  for (const body of bodies) {
    const res = await ingest(body);
    assert.deepEqual(await res.json(), { status: "ok" }, JSON.stringify(body));
  }
}

/** Returns the dashboard response for `user` read at `now`. */
function dashboard(user: string, now = NOW, token = "tokStar"): Promise<Response> {
  t.setNow(now);
  return t.request(`/api/dashboard/${encodeURIComponent(user)}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
}

/** Returns the dashboard body for `user` read at `now`, asserting a 200. */
async function dashboardBody(user: string, now = NOW): Promise<unknown> {
  const res = await dashboard(user, now);
  assert.equal(res.status, 200);
  return await res.json();
}

const F = false;
const T = true;
const zeroed = (lastSession: string | null, now: Date) => ({
  lastSession: { timestamp: lastSession },
  streak: { days: 0, dailyActivity: [F, F, F, F, F, F, F] },
  avgDuration: { minutes: 0, dailyDurations: [0, 0, 0, 0, 0, 0, 0] },
  toneTrend: { current: "neutral", dailySentiment: [null, null, null, null, null, null, null] },
  lastUpdated: now.toISOString(),
});

async function sessionCount(user: string): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from engagement_sessions where user_external_id = ${user}`;
  return row.n;
}

Deno.test(
  "ingest: 401 for a missing, malformed or wrong token, before the body is read",
  dbTestOptions,
  async () => {
    const body = summary({ user_external_id: "auth-user" });
    const missing = await t.request(INGEST, postJson(body));
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { detail: "Missing Authorization header" });
    const basic = await t.request(INGEST, postJson(body, { Authorization: "Basic x" }));
    assert.equal(basic.status, 401);
    assert.deepEqual(await basic.json(), {
      detail: "Authorization header must be 'Bearer <token>'",
    });
    const wrong = await ingest(body, "svc-wrong");
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { detail: "Invalid service token" });
    const dashToken = await ingest(body, "tokStar");
    assert.equal(dashToken.status, 401);
    const invalidBody = await ingest({ nonsense: true }, "svc-wrong");
    assert.equal(invalidBody.status, 401, "credentials are checked before validation");
    assert.equal(await sessionCount("auth-user"), 0);
  },
);

Deno.test("ingest: every token of the comma list works (rotation)", dbTestOptions, async () => {
  const a = await ingest(summary({ user_external_id: "rot-user" }), "svc-new");
  assert.equal(a.status, 200);
  assert.deepEqual(await a.json(), { status: "ok" });
  const b = await ingest(summary({ user_external_id: "rot-user" }), "svc-old");
  assert.equal(b.status, 200);
  assert.deepEqual(await b.json(), { status: "ok" });
  assert.equal(await sessionCount("rot-user"), 2);
});

Deno.test("ingest: 422 names the offending field", dbTestOptions, async () => {
  const offset = "Invalid input: expected an ISO-8601 timestamp with Z or a UTC offset";
  const cases: [Record<string, unknown>, string, string, string][] = [
    [{ started_at: "2025-10-22T14:30:00" }, "started_at", offset, "custom"],
    [{ started_at: "garbage" }, "started_at", offset, "custom"],
    [{ started_at: "2025-02-30T10:00:00Z" }, "started_at", offset, "custom"],
    [
      { duration_seconds: -1 },
      "duration_seconds",
      "Too small: expected number to be >=0",
      "too_small",
    ],
    [
      { duration_seconds: 86401 },
      "duration_seconds",
      "Too big: expected number to be <=86400",
      "too_big",
    ],
    [
      { duration_seconds: 1.5 },
      "duration_seconds",
      "Invalid input: expected int, received number",
      "invalid_type",
    ],
    [{ sentiment_score: 1.5 }, "sentiment_score", "Too big: expected number to be <=1", "too_big"],
    [
      { sentiment_score: -0.01 },
      "sentiment_score",
      "Too small: expected number to be >=0",
      "too_small",
    ],
    [
      { sentiment_score: "0.5" },
      "sentiment_score",
      "Invalid input: expected number, received string",
      "invalid_type",
    ],
    [
      { sentiment_score: undefined },
      "sentiment_score",
      "Invalid input: expected number, received undefined",
      "invalid_type",
    ],
    [
      { session_id: "" },
      "session_id",
      "Too small: expected string to have >=1 characters",
      "too_small",
    ],
    [
      { user_external_id: "u".repeat(129) },
      "user_external_id",
      "Too big: expected string to have <=128 characters",
      "too_big",
    ],
  ];
  for (const [over, field, msg, type] of cases) {
    const res = await ingest(summary({ user_external_id: "invalid-user", ...over }));
    assert.equal(res.status, 422, JSON.stringify(over));
    assert.deepEqual(await res.json(), { detail: [{ loc: ["body", field], msg, type }] });
  }
  // NaN cannot be written in JSON; the nearest a client can send is null or a string.
  const nan = await t.request(INGEST, {
    method: "POST",
    headers: { "content-type": "application/json", Authorization: "Bearer svc-new" },
    body: JSON.stringify(summary()).replace("0.68", "NaN"),
  });
  assert.equal(nan.status, 400);
  assert.deepEqual(await nan.json(), { detail: "Malformed JSON in request body" });

  const several = await ingest({ session_id: "x", user_external_id: "invalid-user" });
  assert.equal(several.status, 422);
  const { detail } = await several.json() as { detail: { loc: string[] }[] };
  assert.deepEqual(detail.map((d) => d.loc[1]), [
    "started_at",
    "duration_seconds",
    "sentiment_score",
  ]);
  assert.equal(await sessionCount("invalid-user"), 0);
});

Deno.test(
  "ingest: body must be JSON (415 without content type), extra fields ignored",
  dbTestOptions,
  async () => {
    const noType = await t.request(INGEST, {
      method: "POST",
      headers: { Authorization: "Bearer svc-new" },
      body: JSON.stringify(summary()),
    });
    assert.equal(noType.status, 415);
    assert.deepEqual(await noType.json(), { detail: "Unsupported Media Type" });
    const extra = await ingest(summary({ user_external_id: "extra-user", mood: "happy" }));
    assert.deepEqual(await extra.json(), { status: "ok" });
    assert.equal(await sessionCount("extra-user"), 1);
  },
);

Deno.test(
  "ingest: a repeated session_id answers duplicate and changes nothing",
  dbTestOptions,
  async () => {
    const body = summary({ session_id: "dup-1", user_external_id: "dup-user" });
    assert.deepEqual(await (await ingest(body)).json(), { status: "ok" });
    const again = await ingest(body);
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { status: "duplicate" });
    const changed = await ingest({ ...body, duration_seconds: 60, sentiment_score: 0.1 });
    assert.deepEqual(await changed.json(), { status: "duplicate" });
    const rows = await db.sql`select duration_seconds, sentiment_hundredths
    from engagement_sessions where session_id = 'dup-1'`;
    assert.deepEqual(rows.map((r) => [r.duration_seconds, r.sentiment_hundredths]), [[720, 68]]);
  },
);

Deno.test(
  "ingest: 12 concurrent identical requests store once, exactly one ok",
  dbTestOptions,
  async () => {
    const body = summary({ session_id: "race-1", user_external_id: "race-user" });
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await ingest(body);
        assert.equal(res.status, 200);
        return ((await res.json()) as { status: string }).status;
      }),
    );
    assert.equal(answers.filter((s) => s === "ok").length, 1);
    assert.equal(answers.filter((s) => s === "duplicate").length, 11);
    assert.equal(await sessionCount("race-user"), 1);
    const [user] = await db.sql`select last_session_end from engagement_users
    where external_id = 'race-user'`;
    assert.equal((user.last_session_end as Date).toISOString(), "2025-10-22T14:42:00.000Z");
  },
);

Deno.test(
  "ingest: 12 concurrent sessions of a new user all store; last session end is the latest",
  dbTestOptions,
  async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const res = await ingest(summary({
          user_external_id: "race-user-2",
          started_at: `2025-10-${String(10 + i).padStart(2, "0")}T10:00:00Z`,
          duration_seconds: 60,
        }));
        return ((await res.json()) as { status: string }).status;
      }),
    );
    assert.deepEqual(answers, new Array(12).fill("ok"));
    assert.equal(await sessionCount("race-user-2"), 12);
    const [user] = await db.sql`select last_session_end from engagement_users
      where external_id = 'race-user-2'`;
    assert.equal((user.last_session_end as Date).toISOString(), "2025-10-21T10:01:00.000Z");
  },
);

Deno.test("ingest: sentiment is stored exactly, in hundredths", dbTestOptions, async () => {
  await ingestAll([
    summary({ session_id: "h-1", user_external_id: "h-user", sentiment_score: 0.235 }),
    summary({ session_id: "h-2", user_external_id: "h-user", sentiment_score: 0.145 }),
    summary({ session_id: "h-3", user_external_id: "h-user", sentiment_score: 1 }),
  ]);
  const rows = await db.sql`select session_id, sentiment_hundredths from engagement_sessions
    where user_external_id = 'h-user' order by session_id`;
  assert.deepEqual(rows.map((r) => r.sentiment_hundredths), [24, 15, 100]);
});

Deno.test("ingest: the request log carries the user id and no token", dbTestOptions, async () => {
  const before = t.logs.length;
  await ingest(summary({ user_external_id: "log-user" }));
  const lines = t.logs.slice(before);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.equal(line.user_id, "log-user");
  assert.equal(line.status, 200);
  assert.ok(!lines[0].includes("svc-new"));
});

Deno.test(
  "dashboard: 401 unknown or missing token, 403 another user's token, * reads anyone",
  dbTestOptions,
  async () => {
    const missing = await t.request("/api/dashboard/user-a");
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { detail: "Missing Authorization header" });
    const basic = await t.request("/api/dashboard/user-a", {
      headers: { Authorization: "Basic x" },
    });
    assert.equal(basic.status, 401);
    assert.deepEqual(await basic.json(), {
      detail: "Authorization header must be 'Bearer <token>'",
    });
    const unknown = await dashboard("user-a", NOW, "tokZ");
    assert.equal(unknown.status, 401);
    assert.deepEqual(await unknown.json(), { detail: "Invalid dashboard token" });
    const ingestToken = await dashboard("user-a", NOW, "svc-new");
    assert.equal(ingestToken.status, 401);
    const other = await dashboard("user-b", NOW, "tokA");
    assert.equal(other.status, 403);
    assert.deepEqual(await other.json(), { detail: "Token not permitted for this user" });
    const own = await dashboard("user-a", NOW, "tokA");
    assert.equal(own.status, 200);
    assert.deepEqual(await own.json(), zeroed(null, NOW));
    const star = await dashboard("user-b", NOW, "tokStar");
    assert.equal(star.status, 200);
    const tooLong = await dashboard("x".repeat(129), NOW, "tokStar");
    assert.equal(tooLong.status, 422);
    assert.deepEqual(await tooLong.json(), {
      detail: [{
        loc: ["path", "user_id"],
        msg: "Too big: expected string to have <=128 characters",
        type: "too_big",
      }],
    });
  },
);

Deno.test(
  "dashboard: an unknown user gets the zeroed shape and is created",
  dbTestOptions,
  async () => {
    const before = await db.sql`select 1 from engagement_users where external_id = 'newcomer'`;
    assert.equal(before.length, 0);
    assert.deepEqual(await dashboardBody("newcomer"), zeroed(null, NOW));
    const after = await db.sql`select last_session_end from engagement_users
    where external_id = 'newcomer'`;
    assert.deepEqual(after.map((r) => r.last_session_end), [null]);
    assert.deepEqual(await dashboardBody("newcomer"), zeroed(null, NOW), "a second read too");
  },
);

Deno.test("dashboard: full rollup with hand-computed values", dbTestOptions, async () => {
  const u = "family-1";
  await ingestAll([
    // today (index 6): 600 + 300 + 90 = 990 s → 16.5 → 17 min; (62 + 58 + 60) / 3 → 0.60
    summary({
      user_external_id: u,
      started_at: "2025-10-22T08:00:00Z",
      duration_seconds: 600,
      sentiment_score: 0.62,
    }),
    summary({
      user_external_id: u,
      started_at: "2025-10-22T12:00:00+02:00",
      duration_seconds: 300,
      sentiment_score: 0.58,
    }),
    summary({
      user_external_id: u,
      started_at: "2025-10-22T15:00:00Z",
      duration_seconds: 90,
      sentiment_score: 0.6,
    }),
    // yesterday (index 5): 90 s → 2 min; 0.235 → 0.24
    summary({
      user_external_id: u,
      started_at: "2025-10-21T09:00:00Z",
      duration_seconds: 90,
      sentiment_score: 0.235,
    }),
    // index 3: 119 s → 2 min; 0.6789 → 0.68
    summary({
      user_external_id: u,
      started_at: "2025-10-19T20:00:00Z",
      duration_seconds: 119,
      sentiment_score: 0.6789,
    }),
    // index 0: 150 s → 3 min; 0.3
    summary({
      user_external_id: u,
      started_at: "2025-10-16T00:00:00Z",
      duration_seconds: 150,
      sentiment_score: 0.3,
    }),
    // index 1: 20 s → 0 min, but the day is active
    summary({
      user_external_id: u,
      started_at: "2025-10-17T23:59:59Z",
      duration_seconds: 20,
      sentiment_score: 0.9,
    }),
  ]);
  assert.deepEqual(await dashboardBody(u), {
    lastSession: { timestamp: "2025-10-22T15:01:30.000Z" },
    streak: { days: 2, dailyActivity: [T, T, F, T, F, T, T] },
    // mean of the non-zero days (3, 2, 2, 17) = 6
    avgDuration: { minutes: 6, dailyDurations: [3, 0, 0, 2, 0, 2, 17] },
    // newest non-null day is 0.60: neutral (positive starts at 0.61)
    toneTrend: { current: "neutral", dailySentiment: [0.3, 0.9, null, 0.68, null, 0.24, 0.6] },
    lastUpdated: "2025-10-22T18:00:00.000Z",
  });
  // One more session today lifts today's mean to (62 + 58 + 60 + 70) / 4 = 62.5 → 0.63: positive.
  await ingestAll([
    summary({
      user_external_id: u,
      started_at: "2025-10-22T16:00:00Z",
      duration_seconds: 30,
      sentiment_score: 0.7,
    }),
  ]);
  const body = await dashboardBody(u) as { toneTrend: unknown; avgDuration: unknown };
  assert.deepEqual(body.toneTrend, {
    current: "positive",
    dailySentiment: [0.3, 0.9, null, 0.68, null, 0.24, 0.63],
  });
  // today 1020 s → 17 min; mean(3, 2, 2, 17) still 6
  assert.deepEqual(body.avgDuration, { minutes: 6, dailyDurations: [3, 0, 0, 2, 0, 2, 17] });
});

Deno.test(
  "dashboard: tone follows the newest non-null day (0.39 negative, 0.40 neutral)",
  dbTestOptions,
  async () => {
    await ingestAll([
      summary({
        user_external_id: "tone-1",
        started_at: "2025-10-20T10:00:00Z",
        sentiment_score: 0.39,
      }),
      summary({
        user_external_id: "tone-2",
        started_at: "2025-10-20T10:00:00Z",
        sentiment_score: 0.395,
      }),
      summary({
        user_external_id: "tone-3",
        started_at: "2025-10-20T10:00:00Z",
        sentiment_score: 0.605,
      }),
    ]);
    const tone = async (u: string) =>
      ((await dashboardBody(u)) as { toneTrend: { current: string } }).toneTrend.current;
    assert.equal(await tone("tone-1"), "negative");
    assert.equal(await tone("tone-2"), "neutral"); // 0.395 → 0.40
    assert.equal(await tone("tone-3"), "positive"); // 0.605 → 0.61
  },
);

Deno.test(
  "dashboard: the window is anchored at the read, not at the ingest",
  dbTestOptions,
  async () => {
    const u = "past-1";
    // Three days before NOW (2025-10-19), ingested "today".
    await ingestAll([
      summary({
        user_external_id: u,
        started_at: "2025-10-19T09:00:00Z",
        duration_seconds: 600,
        sentiment_score: 0.7,
      }),
    ]);
    const end = "2025-10-19T09:10:00.000Z";
    const at = (now: string) => dashboardBody(u, new Date(now));
    assert.deepEqual(await at("2025-10-22T18:00:00Z"), {
      lastSession: { timestamp: end },
      streak: { days: 0, dailyActivity: [F, F, F, T, F, F, F] },
      avgDuration: { minutes: 10, dailyDurations: [0, 0, 0, 10, 0, 0, 0] },
      toneTrend: { current: "positive", dailySentiment: [null, null, null, 0.7, null, null, null] },
      lastUpdated: "2025-10-22T18:00:00.000Z",
    });
    assert.deepEqual(await at("2025-10-19T23:59:59.999Z"), {
      lastSession: { timestamp: end },
      streak: { days: 1, dailyActivity: [F, F, F, F, F, F, T] },
      avgDuration: { minutes: 10, dailyDurations: [0, 0, 0, 0, 0, 0, 10] },
      toneTrend: { current: "positive", dailySentiment: [null, null, null, null, null, null, 0.7] },
      lastUpdated: "2025-10-19T23:59:59.999Z",
    });
    const lastDay = (await at("2025-10-25T00:00:00Z")) as { streak: unknown };
    assert.deepEqual(lastDay.streak, { days: 0, dailyActivity: [T, F, F, F, F, F, F] });
    // Seven days later the session has left the window but is still the last session.
    assert.deepEqual(
      await at("2025-10-26T00:00:00Z"),
      zeroed(end, new Date("2025-10-26T00:00:00Z")),
    );
  },
);

Deno.test(
  "dashboard: lastSession is the newest session ever, also outside the window",
  dbTestOptions,
  async () => {
    const u = "past-2";
    await ingestAll([
      // 8 days before NOW: outside the window.
      summary({ user_external_id: u, started_at: "2025-10-14T10:00:00Z", duration_seconds: 60 }),
    ]);
    assert.deepEqual(await dashboardBody(u), zeroed("2025-10-14T10:01:00.000Z", NOW));
    // A newer session moves it; an older one ingested later does not move it back.
    await ingestAll([
      summary({
        user_external_id: u,
        started_at: "2025-10-21T10:00:00Z",
        duration_seconds: 60,
        sentiment_score: 0.5,
      }),
      summary({ user_external_id: u, started_at: "2025-10-01T10:00:00Z", duration_seconds: 60 }),
    ]);
    const body = await dashboardBody(u) as { lastSession: unknown; streak: unknown };
    assert.deepEqual(body.lastSession, { timestamp: "2025-10-21T10:01:00.000Z" });
    assert.deepEqual(body.streak, { days: 0, dailyActivity: [F, F, F, F, F, T, F] });
  },
);

Deno.test(
  "dashboard: a session crossing midnight counts on its UTC start day",
  dbTestOptions,
  async () => {
    const u = "midnight";
    await ingestAll([
      summary({
        user_external_id: u,
        started_at: "2025-10-21T23:50:00Z",
        duration_seconds: 1200,
        sentiment_score: 0.5,
      }),
      // 01:30 at +02:00 is 23:30 UTC the day before.
      summary({
        user_external_id: u,
        started_at: "2025-10-21T01:30:00+02:00",
        duration_seconds: 60,
        sentiment_score: 0.4,
      }),
    ]);
    assert.deepEqual(await dashboardBody(u), {
      lastSession: { timestamp: "2025-10-22T00:10:00.000Z" },
      streak: { days: 0, dailyActivity: [F, F, F, F, T, T, F] },
      // mean(1, 20) = 10.5 → 11
      avgDuration: { minutes: 11, dailyDurations: [0, 0, 0, 0, 1, 20, 0] },
      toneTrend: { current: "neutral", dailySentiment: [null, null, null, null, 0.4, 0.5, null] },
      lastUpdated: "2025-10-22T18:00:00.000Z",
    });
  },
);

Deno.test(
  "dashboard: the answer equals a fresh core computation for any read time",
  dbTestOptions,
  async () => {
    const u = "compare";
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const sessions: EngagementSession[] = [];
    const bodies: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      const startedAt = new Date(Date.UTC(2025, 9, 5) + Math.floor(rand() * 20 * 86_400_000));
      const duration = Math.floor(rand() * 3000);
      const score = Math.floor(rand() * 1001) / 1000;
      sessions.push({
        startedAt,
        durationSeconds: duration,
        sentimentHundredths: scoreToHundredths(score),
      });
      bodies.push(summary({
        user_external_id: u,
        started_at: startedAt.toISOString(),
        duration_seconds: duration,
        sentiment_score: score,
      }));
    }
    t.setNow(new Date("2025-11-01T00:00:00Z")); // uploaded after the last session
    await ingestAll(bodies);
    const lastSessionEnd = new Date(
      Math.max(...sessions.map((s) => s.startedAt.getTime() + s.durationSeconds * 1000)),
    );
    for (
      const iso of [
        "2025-10-03T00:00:00Z",
        "2025-10-09T12:00:00Z",
        "2025-10-16T23:59:59Z",
        "2025-10-24T06:00:00Z",
        "2025-10-30T00:00:00Z",
      ]
    ) {
      const now = new Date(iso);
      const expected = buildRollup({ now, days: aggregateByDay(sessions, now), lastSessionEnd });
      assert.deepEqual(await dashboardBody(u, now), expected, iso);
    }
  },
);

Deno.test(
  "CORS: the dashboard origin is allowed for preflight and reads, others are not",
  dbTestOptions,
  async () => {
    for (const path of ["/api/dashboard/user-a", INGEST]) {
      const ok = await t.request(path, {
        method: "OPTIONS",
        headers: {
          Origin: ORIGIN,
          "Access-Control-Request-Method": path === INGEST ? "POST" : "GET",
          "Access-Control-Request-Headers": "authorization,content-type",
        },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
      assert.equal(ok.headers.get("access-control-allow-credentials"), "true");
      assert.match(ok.headers.get("access-control-allow-headers")!, /Authorization/i);
      const evil = await t.request(path, {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "GET" },
      });
      assert.equal(evil.headers.get("access-control-allow-origin"), null);
    }
    t.setNow(NOW);
    const read = await t.request("/api/dashboard/user-a", {
      headers: { Origin: ORIGIN, Authorization: "Bearer tokA" },
    });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(read.headers.get("access-control-expose-headers"), "X-Request-ID");
    const readyGet = await t.request("/readyz", { headers: { Origin: ORIGIN } });
    assert.deepEqual(await readyGet.json(), { status: "ready", windowDays: 7 });
    assert.equal(readyGet.headers.get("access-control-allow-origin"), ORIGIN);
    const readyHead = await t.request("/readyz", { method: "HEAD", headers: { Origin: ORIGIN } });
    assert.equal(readyHead.status, 200);
    assert.equal(readyHead.headers.get("access-control-allow-origin"), ORIGIN);
    const evilReady = await t.request("/readyz", {
      headers: { Origin: "https://evil.example.com" },
    });
    assert.equal(evilReady.headers.get("access-control-allow-origin"), null);
  },
);

Deno.test(
  "the contract documents both routes with their security and 7-day arrays",
  dbTestOptions,
  async () => {
    const doc = await (await t.request("/openapi.json")).json();
    const ingestOp = doc.paths[INGEST].post;
    assert.deepEqual(ingestOp.tags, ["engagement"]);
    assert.deepEqual(ingestOp.security, [{ ingestToken: [] }]);
    assert.equal(ingestOp.requestBody.required, true);
    assert.deepEqual(Object.keys(ingestOp.responses).sort(), [
      "200",
      "400",
      "401",
      "413",
      "415",
      "422",
      "429",
      "503",
    ]);
    const dashOp = doc.paths["/api/dashboard/{user_id}"].get;
    assert.deepEqual(dashOp.security, [{ dashboardToken: [] }]);
    assert.deepEqual(Object.keys(dashOp.responses).sort(), [
      "200",
      "401",
      "403",
      "422",
      "429",
      "503",
    ]);
    const schema = doc.components.schemas.EngagementDashboard;
    const activity = schema.properties.streak.properties.dailyActivity;
    assert.equal(activity.minItems, 7);
    assert.equal(activity.maxItems, 7);
  },
);
