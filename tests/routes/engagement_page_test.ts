import assert from "node:assert/strict";
import { createApp } from "../../app.ts";
import { loadConfig } from "../../config.ts";
import { TONE_EXPLAINED } from "../../routes/engagement.tsx";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { sessionEvents } from "../helpers/play.ts";
import { testDatabase, unreachableDatabase } from "../helpers/db.ts";

const db = testDatabase();
const t = testApp(db.sql, { DASHBOARD_TOKEN_MAP: "tok-alice:alice,tok-all:*" });
const NOW = new Date("2025-10-22T18:00:00Z"); // window 2025-10-16 .. 2025-10-22
t.setNow(NOW);
const opts = dbTestOptions;

const ingest = (body: Record<string, unknown>) =>
  t.request(
    "/internal/ingest/session_summary",
    postJson(body, { Authorization: "Bearer dev-ingest-token" }),
  );
db.prepare(async () => {
  for (
    const [id, started, seconds, score] of [
      ["a1", "2025-10-20T10:00:00Z", 600, 0.5],
      ["a2", "2025-10-21T10:00:00Z", 900, 0.55],
      ["a3", "2025-10-22T15:00:00Z", 1200, 0.7],
    ] as const
  ) {
    const res = await ingest({
      session_id: id,
      user_external_id: "alice",
      started_at: started,
      duration_seconds: seconds,
      sentiment_score: score,
    });
    assert.equal(res.status, 200);
  }
  await ingest({
    session_id: "b1",
    user_external_id: "bob",
    started_at: "2025-10-19T08:00:00Z",
    duration_seconds: 60,
    sentiment_score: 0.2,
  });
});

const form = (token: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams({ token }).toString(),
});

async function signIn(user: string, token: string): Promise<string> {
  const res = await t.request(`/engagement/${user}`, form(token));
  assert.equal(res.status, 303);
  return res.headers.get("set-cookie")!.split(";")[0];
}

Deno.test("engagement page asks for a token first (401 with a form, no script)", opts, async () => {
  const res = await t.request("/engagement/alice");
  assert.equal(res.status, 401);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  const html = await res.text();
  assert.match(html, /<form method="post" action="\/engagement\/alice"/);
  assert.match(html, /type="password"/);
  assert.ok(!html.includes("<script"));
  assert.ok(!html.includes("10 min"), "no data before sign-in");
  const redirect = await t.request("/engagement?user_id=alice");
  assert.equal(redirect.headers.get("location"), "/engagement/alice");
});

Deno.test(
  "sign-in: unknown token 401, another user's token 403, cross-site 403",
  opts,
  async () => {
    const wrong = await t.request("/engagement/alice", form("nope"));
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /That token is not valid/);
    const empty = await t.request("/engagement/alice", form(""));
    assert.equal(empty.status, 401);
    const other = await t.request("/engagement/bob", form("tok-alice"));
    assert.equal(other.status, 403);
    assert.match(await other.text(), /for a different user/);
    assert.equal(other.headers.get("set-cookie"), null);
    const cross = await t.request(
      "/engagement/alice",
      form("tok-alice", { origin: "https://evil.example.com" }),
    );
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.get("set-cookie"), null);
  },
);

Deno.test("sign-in sets an HttpOnly SameSite=Strict cookie without the token", opts, async () => {
  const res = await t.request(
    "/engagement/alice",
    form("tok-alice", { origin: "null", "sec-fetch-site": "same-origin" }),
  );
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/engagement/alice");
  const cookie = res.headers.get("set-cookie")!;
  assert.match(
    cookie,
    /^ett_session=v2\.[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/,
  );
  assert.ok(!cookie.includes("tok-alice"));
  for (const line of t.logs) assert.ok(!line.includes("tok-alice"), line);
});

Deno.test("engagement dashboard: the numbers are server-rendered", opts, async () => {
  const cookie = await signIn("alice", "tok-alice");
  const res = await t.request("/engagement/alice", { headers: { cookie } });
  assert.equal(res.status, 200);
  const html = await res.text();
  // Last session ended 15:20 today: 2 hours 40 minutes before 18:00.
  assert.match(html, /<div class="metric-value">2 hours ago<\/div>/);
  assert.match(html, /badge-ok"><span class="badge-mark" aria-hidden="true">✓<\/span>recent</);
  assert.match(html, /<div class="metric-value">3 days<\/div><div class="metric-label">Streak/);
  assert.match(
    html,
    /<div class="metric-value">15 min<\/div><div class="metric-label">Average per active day<\/div><div class="metric-hint">over 3 active days of 7</,
  );
  assert.match(
    html,
    /Current tone: <span class="badge badge-ok"><span class="badge-mark" aria-hidden="true">✓<\/span>positive<\/span>/,
  );
  assert.match(html, /Daily sentiment \(0–1\): – · – · – · – · 0.50 · 0.55 · 0.70/);
  assert.equal(html.match(/<li class="day on">/g)?.length, 3);
  assert.match(
    html,
    /<span class="day-min"><span class="day-min-n">20<\/span> <span class="day-min-u">min<\/span><\/span>/,
  );
  assert.ok(html.includes(TONE_EXPLAINED));
  assert.match(
    TONE_EXPLAINED,
    /^Tone is how positive the sessions sounded, from 0 to 1 .* positive from 0\.61, neutral from 0\.40, negative below\.$/,
  );
  assert.equal(html.match(/data-island="Chart"/g)?.length, 2);
  assert.match(html, /action="\/logout"/);
  // Another user with the same cookie: 403; an expired cookie: the form again.
  assert.equal((await t.request("/engagement/bob", { headers: { cookie } })).status, 403);
  t.setNow(new Date(NOW.getTime() + 9 * 3600e3));
  const expired = await t.request("/engagement/alice", { headers: { cookie } });
  assert.equal(expired.status, 401);
  assert.match(
    await expired.text(),
    /<p class="form-error" role="alert">Your sign-in has expired or is no longer valid\. Enter/,
  );
  t.setNow(NOW);
  const fresh = await (await t.request("/engagement/alice")).text();
  assert.ok(!fresh.includes("has expired"), "no cookie, no expiry message");
  assert.equal(
    (await t.request("/engagement/alice", { headers: { cookie: cookie + "x" } })).status,
    401,
  );
});

Deno.test("freshness badges: warning under 72 h, stale after; empty state", opts, async () => {
  const cookie = await signIn("bob", "tok-all");
  const bob = await (await t.request("/engagement/bob", { headers: { cookie } })).text();
  assert.match(bob, /<div class="metric-value">3 days ago<\/div>/);
  assert.match(bob, /badge-bad"><span class="badge-mark" aria-hidden="true">✕<\/span>stale</);
  assert.match(bob, /badge-bad"><span class="badge-mark" aria-hidden="true">✕<\/span>negative</);
  t.setNow(new Date("2025-10-20T12:00:00Z"));
  const warn = await (await t.request("/engagement/bob", { headers: { cookie } })).text();
  assert.match(warn, /badge-warn"><span class="badge-mark" aria-hidden="true">!<\/span>warning</);
  t.setNow(NOW);
  const nobody = await (await t.request("/engagement/nobody", { headers: { cookie } })).text();
  assert.match(nobody, /No sessions yet/);
  assertNoNumbers(nobody);
});

/** An empty window shows words only: no tiles, no tone, no charts. */
function assertNoNumbers(html: string): void {
  assert.doesNotMatch(html, /class="metric-value"/);
  assert.doesNotMatch(html, /neutral|Current tone|Daily sentiment/);
  assert.doesNotMatch(html, /data-island="Chart"/);
  assert.doesNotMatch(html, /class="day/);
}

Deno.test(
  "a window without sessions says so in words: when the last was, no tone, no charts",
  opts,
  async () => {
    t.setNow(new Date("2025-11-01T12:00:00Z")); // alice's last session: 2025-10-22 15:20
    try {
      const res = await t.request("/engagement/alice", {
        headers: { cookie: await signIn("alice", "tok-alice") },
      });
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /No sessions in the last seven days/);
      assert.match(
        html,
        /<strong>alice<\/strong> has not played in the last seven days\. The last session\s+was 9 days ago \(2025-10-22 15:20 UTC\)\./,
      );
      assertNoNumbers(html);
    } finally {
      t.setNow(NOW);
    }
  },
);

Deno.test(
  "game sessions without a tone score: no tone is claimed and no sentiment chart drawn",
  opts,
  async () => {
    const events = sessionEvents({
      player: "carol",
      session: "carol-1",
      pattern: [1, 2, 1],
      start: "2025-10-22T09:00:00Z",
    });
    const batch = await t.request(
      "/events/batch",
      postJson({ events }, { Authorization: "Bearer dev-ingest-token" }),
    );
    assert.equal(batch.status, 200, await batch.text());
    const done = await t.request(
      "/sessions/carol-1/finalize",
      postJson({}, { Authorization: "Bearer dev-ingest-token" }),
    );
    assert.equal(done.status, 200, await done.text());
    const cookie = await signIn("carol", "tok-all");
    const html = await (await t.request("/engagement/carol", { headers: { cookie } })).text();
    assert.match(html, /<div class="metric-value">not scored<\/div>/);
    assert.match(
      html,
      /No session in these seven days had a tone score, so there is no tone yet\./,
    );
    assert.doesNotMatch(html, /Daily sentiment|badge-mark" aria-hidden="true">–<\/span>neutral/);
    assert.equal(html.match(/data-island="Chart"/g)?.length, 1);
    assert.match(html, /Minutes played per day/);
  },
);

Deno.test("sign-out clears the cookie", opts, async () => {
  const res = await t.request("/logout", { method: "POST" });
  assert.equal(res.status, 303);
  assert.match(res.headers.get("set-cookie")!, /^ett_session=; Path=\/; Max-Age=0; HttpOnly/);
});

Deno.test("database down: pages answer an HTML 503, never a hang", opts, async () => {
  const dead = unreachableDatabase();
  const app = createApp({
    config: loadConfig({ APP_ENV: "test" }),
    sql: dead,
    log: () => {},
    now: () => NOW,
  });
  const home = await app.request("/");
  assert.equal(home.status, 503);
  assert.match(
    await home.text(),
    /badge-bad"><span class="badge-mark" aria-hidden="true">✕<\/span>unavailable</,
  );
  const player = await app.request("/players/p1");
  assert.equal(player.status, 503);
  assert.equal(player.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(await player.text(), /The database is unavailable/);
  await dead.end();
});
