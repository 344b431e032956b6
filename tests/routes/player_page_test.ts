import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";
import { productionEnv } from "../helpers/env.ts";

const db = testDatabase();
const t = testApp(db.sql);
const dev = testApp(db.sql, { APP_ENV: "development" });
const NOW = new Date("2025-03-14T12:00:00Z");
t.setNow(NOW);
dev.setNow(NOW);
const opts = dbTestOptions;

const PLAYER = "player-one";
// Played on 10..13 March: [fta, burden, score] = [0, 3, 0], [1/3, 2, 5], [2/3, 4/3, 5], [1, 1, 10].
const patterns: [number, number, number][] = [[0, 0, 0], [1, 2, 3], [1, 1, 2], [1, 1, 1]];
db.prepare(async () => {
  for (const [i, pattern] of patterns.entries()) {
    await playSession(t, {
      player: PLAYER,
      session: `s${i + 1}`,
      pattern,
      start: `2025-03-1${i}T10:00:00Z`,
    });
  }
});

function assertPageHeaders(res: Response): void {
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const csp = res.headers.get("content-security-policy") ?? "";
  for (
    const part of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"]
  ) assert.ok(csp.includes(part), part);
  assert.ok(!csp.includes("unsafe-inline"));
  assert.equal(res.headers.get("x-frame-options"), "DENY");
  assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

/** Returns the src of every script element of a page. */
const scriptSources = (html: string) =>
  [...html.matchAll(/<script type="module" src="([^"]+)"/g)].map((m) => m[1]);

Deno.test(
  "/ describes the service, links the dashboards and shows health; no JS",
  opts,
  async () => {
    const res = await t.request("/");
    assert.equal(res.status, 200);
    assertPageHeaders(res);
    const html = await res.text();
    assert.match(html, /<h1>Earth Task Telemetry<\/h1>/);
    assert.match(html, /connected · [\d.]+ ms/);
    assert.match(html, /href="\/docs"/);
    assert.match(html, /action="\/player"/);
    assert.ok(!html.includes("<script"), "a page without islands ships no JavaScript");
    const css = /href="(\/static\/app\.[0-9a-f]{8}\.css)"/.exec(html)![1];
    const sheet = await t.request(css);
    assert.equal(sheet.status, 200);
    assert.equal(sheet.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(await sheet.text(), /--accent/);
    assert.equal((await t.request("/static/app.00000000.css")).status, 404);
  },
);

Deno.test("/player?player_id= redirects to /players/{id}", opts, async () => {
  const res = await t.request("/player?player_id=a%20b%2Fc");
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "/players/a%20b%2Fc");
  assert.equal((await t.request("/player")).headers.get("location"), "/");
});

Deno.test("player page: every number is in the server HTML", opts, async () => {
  const res = await t.request(`/players/${PLAYER}`);
  assert.equal(res.status, 200);
  assertPageHeaders(res);
  const html = await res.text();
  const metric = (label: string) =>
    new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}`)
      .exec(html)?.[1];
  assert.equal(metric("Sessions"), "4");
  assert.equal(metric("Avg first-try accuracy"), "50%");
  // One name per metric, defined in the glossary at the end of the page.
  assert.ok(!/brain performance|\bFTA\b/i.test(html), "no other name for first-try accuracy");
  assert.match(
    html,
    /<dt id="metric-fta_level">First-try accuracy<\/dt><dd>Share of the session's three sequences/,
  );
  assert.match(
    html,
    /<dt id="metric-earth_score_bucket">Earth score<\/dt><dd>10 when all three sequences were solved on the first attempt, 5 when all were solved, else 0\./,
  );
  assert.ok(!html.includes('id="metric-stress_score"'), "no water entry without water sessions");
  assert.equal(metric("Avg repetition burden"), "1.83 attempts");
  assert.equal(metric("Avg earth score"), "5.0 points");
  // Sessions table in play order.
  // On a phone each row is a card labelled by data-label.
  assert.match(
    html,
    /<td data-label="#">1<\/td><td data-label="Played">2025-03-10 10:00 UTC<\/td><td data-label="Session">s1<\/td><td data-label="First-try accuracy" class="num">0%/,
  );
  assert.match(html, /<td data-label="#">4<\/td><td data-label="Played">2025-03-13 10:00 UTC</);
  // Model state and prediction.
  // The model's internals sit behind a disclosure, in words, the MAE in percentage points.
  const model = await (await t.request(`/model/state/${PLAYER}`)).json();
  assert.equal(model.status, "trained");
  const before = html.slice(0, html.indexOf("<summary>How this prediction is made</summary>"));
  assert.ok(before.endsWith('<details class="explain">'), "the internals are in a <details>");
  assert.doesNotMatch(before, /MAE|Intercept|Weight/);
  const points = Math.round(model.mae * 100);
  assert.ok(
    html.includes(
      `<strong>Typical error: ${points} percentage point${points === 1 ? "" : "s"}.</strong>`,
    ),
  );
  assert.match(html, /has learned from 4\s+\(last updated /);
  assert.match(html, /<dt>Weight of the last first-try accuracy<\/dt><dd>-?\d\.\d{3} \(a /);
  assert.ok(html.includes(`<dt>Starting point</dt><dd>${Math.round(model.intercept * 100)}%</dd>`));
  assert.match(html, /<div class="big">\d+%<\/div><p class="muted">predicted first-try/);
  assert.match(html, /<dt>Last actual first-try accuracy<\/dt><dd>100%<\/dd>/);
  assert.match(html, /<dt>Last actual repetition burden<\/dt><dd>1.00<\/dd>/);
  // Seven-day strip: 8..14 March, active 10..13.
  assert.equal(html.match(/<li class="day on">/g)?.length, 4);
  assert.match(html, /Streak: 0 days/);
  // Charts: the data is in the island props; chart.js bundles load as hashed modules.
  assert.equal(html.match(/data-island="Chart"/g)?.length, 3);
  // Each chart's text alternative carries its numbers; the table scrolls in a focusable box.
  assert.match(
    html,
    /aria-label="First-try accuracy per session: 2025-03-10 0%, 2025-03-11 33%, 2025-03-12 67%, 2025-03-13 100%; latest 100%\."/,
  );
  assert.match(
    html,
    /<div class="table-wrap cards-on-phone" tabindex="0" role="region" aria-label="Sessions/,
  );
  assert.ok(!html.includes('data-island="DemoGenerator"'), "demo generator only in development");
  const [src] = scriptSources(html);
  assert.match(src, /^\/static\/islands\/Chart\.[0-9a-f]{10}\.js$/);
  const js = await t.request(src, { headers: { "accept-encoding": "gzip" } });
  assert.equal(js.status, 200);
  assert.equal(js.headers.get("content-encoding"), "gzip");
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(js.headers.get("content-type")!, /^text\/javascript/);
  await js.body?.cancel();
  assert.equal((await t.request("/static/islands/nope.js")).status, 404);
});

Deno.test(
  "player with fewer than 3 sessions: the reason there is no prediction",
  opts,
  async () => {
    await playSession(t, {
      player: "newbie",
      session: "n1",
      pattern: [1, 1, 1],
      start: "2025-03-14T09:00:00Z",
    });
    const html = await (await t.request("/players/newbie")).text();
    assert.match(html, /One session so far: its trend charts appear from the second\./);
    assert.match(html, /needs at least 3 finalized sessions to learn from \(this player\s+has 1\)/);
    assert.match(html, /Streak: 1 day</);
  },
);

Deno.test("unknown player: a friendly empty page without JavaScript", opts, async () => {
  const res = await t.request("/players/nobody-here");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /No sessions yet/);
  assert.ok(!html.includes("<script"));
  const long = await t.request(`/players/${"x".repeat(129)}`);
  assert.equal(long.status, 404);
  assert.match(await long.text(), /Not a valid player id/);
});

Deno.test("development: the demo generator island; XSS-proof player ids", opts, async () => {
  const evil = "x</script><script>alert(1)</script>";
  const res = await dev.request(`/players/${encodeURIComponent(evil)}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(!html.includes("<script>alert(1)"), "the id never appears as markup");
  assert.match(html, /<h1>Player x&lt;\/script>&lt;script>alert\(1\)&lt;\/script><\/h1>/);
  const props = /<script type="application\/json" id="(island-props-\d+)">([^<]*)<\/script>/
    .exec(html);
  assert.ok(props, "island props present");
  assert.ok(props[2].includes("\\u003c/script\\u003e"));
  assert.deepEqual(JSON.parse(props[2]), { playerId: evil });
  assert.match(html, new RegExp(`data-island="DemoGenerator" data-props="${props[1]}"`));
  assert.ok(scriptSources(html).some((s) => /DemoGenerator\.[0-9a-f]{10}\.js$/.test(s)));
  // Every <script> on the page is either a same-origin module or inert JSON.
  for (const tag of html.match(/<script[^>]*>/g) ?? []) {
    assert.match(tag, /^<script (type="module" src="\/static\/|type="application\/json")/);
  }
});

Deno.test("production: player pages need a dashboard-token session", opts, async () => {
  const prod = testApp(
    db.sql,
    productionEnv({
      DASHBOARD_TOKEN_MAP:
        "tok-p1-kkkkkkkkkkkkkkkkkkkkkkkkk:player-one,tok-x-kkkkkkkkkkkkkkkkkkkkkkkkkk:someone",
    }),
  );
  const anon = await prod.request(`/players/${PLAYER}`);
  assert.equal(anon.status, 401);
  const form = await anon.text();
  assert.match(form, /<form method="post" action="\/players\/player-one"/);
  assert.ok(!form.includes("2025-03-10"), "no data before sign-in");

  const post = (token: string) =>
    prod.request(`/players/${PLAYER}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token }).toString(),
    });
  assert.equal((await post("tok-x-kkkkkkkkkkkkkkkkkkkkkkkkkk")).status, 403);
  assert.equal((await post("wrong")).status, 401);
  const ok = await post("tok-p1-kkkkkkkkkkkkkkkkkkkkkkkkk");
  assert.equal(ok.status, 303);
  const cookie = ok.headers.get("set-cookie")!;
  assert.match(
    cookie,
    /^__Host-ett_session=v2\.[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict; Secure$/,
  );
  assert.ok(!cookie.includes("tok-p1-kkkkkkkkkkkkkkkkkkkkkkkkk"));
  const page = await prod.request(`/players/${PLAYER}`, {
    headers: { cookie: cookie.split(";")[0] },
  });
  assert.equal(page.status, 200);
  const signedIn = await page.text();
  assert.match(signedIn, /2025-03-10 10:00 UTC/);
  assert.match(signedIn, /action="\/logout"/);
  assert.equal(
    (await prod.request("/players/someone", { headers: { cookie: cookie.split(";")[0] } })).status,
    403,
  );
  for (const line of prod.logs) assert.ok(!line.includes("tok-p1-kkkkkkkkkkkkkkkkkkkkkkkkk"), line);
});

/** Plays and finalizes a water_v1 session with a stress score. */
async function playWater(player: string, session: string, start: string, stress: number) {
  const events = sessionEvents({ player, session, pattern: [1, 1, 1], start })
    .map((e) => ({ ...e, task_version: "water_v1" }));
  assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
  const body = { task_version: "water_v1", stress_score: stress };
  assert.equal((await t.request(`/sessions/${session}/finalize`, postJson(body))).status, 200);
}

Deno.test(
  "player page with water sessions: stress chart, latest, average, model, prediction",
  opts,
  async () => {
    // Played in this order: 40 (10 March), 20 (11 March, finalized last), 60 (12 March); and one
    // earth session. Play order: 40, 20, 60 → latest 60, average 40.
    await playWater("stressed", "st-1", "2025-03-10T08:00:00Z", 40);
    await playWater("stressed", "st-3", "2025-03-12T08:00:00Z", 60);
    await playWater("stressed", "st-2", "2025-03-11T08:00:00Z", 20);
    await playSession(t, {
      player: "stressed",
      session: "st-e",
      pattern: [1, 1, 1],
      start: "2025-03-13T08:00:00Z",
    });
    const html = await (await t.request("/players/stressed")).text();
    const metric = (label: string) =>
      new RegExp(`<div class="metric-value">([^<]+)</div><div class="metric-label">${label}`)
        .exec(html)?.[1];
    assert.equal(metric("Sessions"), "4");
    assert.equal(metric("Avg stress score"), "40.0 points");
    assert.equal(metric("Latest stress score"), "60.0 points");
    assert.equal(metric("Avg first-try accuracy"), "100%");
    assert.match(
      html,
      /aria-label="Stress score per water session \(0 = calm, 100 = most stressed\): 2025-03-10 40, 2025-03-11 20, 2025-03-12 60; latest 60\."/,
    );
    // Water model over 40 → 20 → 60: x = [40, 20], y = [20, 60]: slope −2, intercept 100;
    // next = 100 − 2·60 = −20, clamped to 0.
    assert.match(html, /<h2[^>]*>Next water session<\/h2>/);
    assert.match(
      html,
      /<dt>Weight of the last stress score<\/dt><dd>-2\.000 \(a higher value lowers the prediction\)<\/dd>/,
    );
    assert.match(html, /<dt>Starting point<\/dt><dd>100\.0<\/dd>/);
    assert.match(html, /<strong>Typical error: 0\.0 points \(on its 0–100 scale\)\.<\/strong>/);
    assert.match(html, /<div class="big">0.0<\/div><p class="muted">predicted stress score/);
    assert.match(html, /<dt>Last actual stress score<\/dt><dd>60.0<\/dd>/);
    // The table has a stress column; earth cells of water sessions read "–".
    assert.match(html, /<th class="num">Stress score<\/th>/);
    assert.match(
      html,
      /<td data-label="Session">st-2<\/td>(?:<td data-label="[^"]+"(?: class="num")?>–<\/td>){4}<td data-label="[^"]+" class="num">20.0<\/td>/,
    );
    // An earth-only player's page has no stress at all.
    const earthOnly = await (await t.request(`/players/${PLAYER}`)).text();
    assert.ok(!/stress/i.test(earthOnly), "no stress on an earth-only page");
  },
);

Deno.test("player page with water sessions only: no earth numbers", opts, async () => {
  await playWater("calm", "calm-1", "2025-03-12T08:00:00Z", 10);
  const html = await (await t.request("/players/calm")).text();
  assert.match(
    html,
    /<div class="metric-value">10.0 points<\/div><div class="metric-label">Avg stress/,
  );
  assert.ok(!html.includes("Avg brain performance"));
  assert.ok(!html.includes("First-try accuracy per session"));
  assert.match(html, /needs at least 3 finalized sessions to learn from \(this player\s+has 1\)/);
});
