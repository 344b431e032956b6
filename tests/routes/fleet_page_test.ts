import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const t = testApp(db.sql, { DASHBOARD_TOKEN_MAP: "tok-alice:alice,tok-all:*" });
const NOW = new Date("2025-10-22T18:00:00Z");
const opts = dbTestOptions;
const INGEST = { Authorization: "Bearer dev-ingest-token" };

/** Posts a heartbeat of `device` received `minutesAgo` before NOW. */
async function beat(device: string, minutesAgo: number, over: Record<string, unknown> = {}) {
  t.setNow(new Date(NOW.getTime() - minutesAgo * 60_000));
  const res = await t.request(
    "/internal/heartbeat",
    postJson({
      device_id: device,
      agent_version: "2.4.1",
      connectivity: "wifi",
      network: { interface: "wlan0", ip: "203.0.113.7", latency_ms: 40 },
      agent_status: "ok",
      boot_time: "2025-10-22T08:00:00Z",
      ...over,
    }, INGEST),
  );
  assert.equal(res.status, 200);
}

db.prepare(async () => {
  // box-1: 12 heartbeats in the hour before NOW (a full hour, 3600 s), then NOW itself.
  for (let m = 60; m >= 5; m -= 5) await beat("box-1", m);
  await beat("box-1", 0, { boot_time: "2025-10-22T17:59:00Z" });
  await beat("box-dead", 90, { agent_version: "1.9.0", connectivity: "lte" });
  await beat("box-<b>", 3);
  t.setNow(NOW);
  await t.request(
    "/internal/ingest/session_summary",
    postJson({
      session_id: "fs-1",
      user_external_id: "alice",
      started_at: "2025-10-22T10:00:00Z",
      duration_seconds: 600,
      sentiment_score: 0.5,
    }, { ...INGEST, "X-Device-ID": "box-1" }),
  );
  await t.request(
    "/internal/ingest/logs",
    postJson({
      device_id: "box-1",
      content: "boot\n</pre><script>alert(1)</script>",
    }, INGEST),
  );
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(fields).toString(),
});

/** Returns the session cookie for `token`, signed in on `path`. */
async function signIn(path: string, token: string): Promise<string> {
  t.setNow(NOW);
  const res = await t.request(path, form({ token }));
  assert.equal(res.status, 303);
  return res.headers.get("set-cookie")!.split(";")[0];
}

Deno.test("/fleet asks for a token, refuses a single user's, accepts `*`", opts, async () => {
  t.setNow(NOW);
  const first = await t.request("/fleet");
  assert.equal(first.status, 401);
  assert.match(await first.text(), /Sign in with a dashboard token/);
  const alice = await t.request("/fleet", form({ token: "tok-alice" }));
  assert.equal(alice.status, 403);
  await alice.body?.cancel();
  const cookie = await signIn("/fleet", "tok-all");
  const res = await t.request("/fleet", { headers: { cookie } });
  assert.equal(res.status, 200);
  const html = await res.text();
  // Newest last seen first; statuses, relative and absolute times, uptime, reboots, agents.
  const rows = [...html.matchAll(/<tr><th scope="row"><a href="\/fleet\/devices\/([^"]+)"/g)]
    .map((m) => decodeURIComponent(m[1]));
  assert.deepEqual(rows, ["box-1", "box-<b>", "box-dead"]);
  const row = (id: string) => html.slice(html.indexOf(`>${id}</a>`)).split("</tr>")[0];
  const one = row("box-1");
  assert.match(one, /✓<\/span>healthy/);
  assert.match(one, /just now<span class="muted small block">2025-10-22 18:00 UTC/);
  // 17:00–17:55: 12 heartbeats (3600 s); 18:00: one (300 s) → 3900 × 100 / 604800 = 0.6448….
  assert.match(one, /<td>0\.64 %<\/td><td>1<\/td><td>2\.4\.1<\/td><td>wifi<\/td>/);
  const dead = row("box-dead");
  assert.match(dead, /✕<\/span>dead/);
  assert.match(dead, /1 hour ago/);
  assert.match(dead, /<td>1\.9\.0<\/td><td>lte<\/td>/);
  // The device id is escaped; no IP address on the fleet page; no script on it.
  assert.ok(html.includes(">box-&lt;b></a>"));
  assert.ok(!html.includes("203.0.113.7"));
  assert.ok(!html.includes("<script"));
});

Deno.test(
  "a device page shows state, IP, coverage, users, the escaped log and commands",
  opts,
  async () => {
    const cookie = await signIn("/fleet", "tok-all");
    t.setNow(NOW);
    const res = await t.request("/fleet/devices/box-1", { headers: { cookie } });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.ok(html.includes("203.0.113.7"), "the IP address, on the admin device page only");
    assert.ok(html.includes('<th scope="row">alice</th><td>2025-10-22 10:00 UTC</td><td>1</td>'));
    // Escaped by the renderer: the content cannot end the <pre> or start a script.
    assert.ok(html.includes(">boot\n&lt;/pre>&lt;script>alert(1)&lt;/script></pre>"));
    assert.ok(!html.includes("<script>alert(1)"));
    // 168 hourly bars; the text alternative carries the last hours' minutes.
    const props = JSON.parse(
      /<script type="application\/json" id="island-props-\d+">(.*?)<\/script>/s.exec(html)![1],
    );
    const data = props.spec.series[0].data as number[];
    assert.equal(data.length, 168);
    // 17:00–17:55 is 12 heartbeats (60 min); 18:00 one (5 min); the reboot at 18:00 counts.
    assert.deepEqual(data.slice(-3), [0, 60, 5]);
    assert.equal(data.reduce((a, b) => a + b, 0), 65);
    // On a time axis: each bar at the middle of its UTC hour, ticks at UTC midnights, and the
    // labels (tooltips and the text alternative) name the hours, oldest first.
    const spec = props.spec as { labels: string[]; times: number[]; step: number };
    assert.equal(spec.labels.length, 168);
    assert.deepEqual(spec.labels.slice(0, 2), ["2025-10-15 19:00", "2025-10-15 20:00"]);
    assert.deepEqual(spec.labels.slice(-3), [
      "2025-10-22 16:00",
      "2025-10-22 17:00",
      "2025-10-22 18:00",
    ]);
    assert.deepEqual(spec.times.slice(0, 1), [Date.parse("2025-10-15T19:30:00Z")]);
    assert.deepEqual(spec.times.slice(-1), [Date.parse("2025-10-22T18:30:00Z")]);
    for (let i = 1; i < 168; i++) assert.equal(spec.times[i] - spec.times[i - 1], 3_600_000);
    assert.equal(spec.step, 86_400_000);
    const alt = /<canvas role="img" aria-label="([^"]*)"/.exec(html)![1];
    assert.ok(
      alt.startsWith(
        "Minutes confirmed per hour, UTC (each heartbeat confirms 5): 2025-10-15 19:00 0, " +
          "2025-10-15 20:00 0, ",
      ),
      alt.slice(0, 120),
    );
    assert.ok(
      alt.endsWith(", 2025-10-22 16:00 0, 2025-10-22 17:00 60, 2025-10-22 18:00 5."),
      alt.slice(-120),
    );
    // Every bar named by its hour, none by an index.
    assert.equal(alt.match(/\d{4}-\d\d-\d\d \d\d:00 \d+(?:, |\.$)/g)?.length, 168);
    assert.doesNotMatch(alt, /\d\dh\b/);
    assert.match(html, /Reboots \(7 days\)<\/div>/);
    assert.match(html, /<div class="metric-value">1<\/div><div class="metric-label">Reboots/);
    assert.match(html, /<div class="metric-value">0\.64 %<\/div>/); // 3900 s → 0.6448… %
    assert.match(html, /<select id="command" name="command" required>/);
    assert.match(html, /No commands yet/);
    const unknown = await t.request("/fleet/devices/box-none", { headers: { cookie } });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const signedOut = await t.request("/fleet/devices/box-1");
    assert.equal(signedOut.status, 401);
    await signedOut.body?.cancel();
  },
);

Deno.test(
  "the command form queues a command, refusing other sites and other tokens",
  opts,
  async () => {
    const cookie = await signIn("/fleet", "tok-all");
    t.setNow(NOW);
    const path = "/fleet/devices/box-dead/commands";
    const cross = await t.request(
      path,
      form({ command: "REBOOT" }, {
        cookie,
        "sec-fetch-site": "cross-site",
      }),
    );
    assert.equal(cross.status, 403);
    await cross.body?.cancel();
    const evil = await t.request(
      path,
      form({ command: "REBOOT" }, {
        cookie,
        origin: "https://evil.example",
      }),
    );
    assert.equal(evil.status, 403);
    await evil.body?.cancel();
    const noSession = await t.request(path, form({ command: "REBOOT" }));
    assert.equal(noSession.status, 401);
    await noSession.body?.cancel();
    const bad = await t.request(path, form({ command: "FORMAT" }, { cookie }));
    assert.equal(bad.status, 422);
    await bad.body?.cancel();
    assert.equal(
      (await db.sql`select count(*)::int as n from device_commands where device_id = 'box-dead'`)[0]
        .n,
      0,
    );
    const ok = await t.request(
      path,
      form({ command: "UPLOAD_LOGS" }, {
        cookie,
        "sec-fetch-site": "same-origin",
        origin: "null",
      }),
    );
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/fleet/devices/box-dead?queued=UPLOAD_LOGS");
    const page = await (await t.request(ok.headers.get("location")!, { headers: { cookie } }))
      .text();
    assert.match(page, /<p role="status">Queued UPLOAD_LOGS\.<\/p>/);
    assert.match(
      page,
      /<th scope="row">UPLOAD_LOGS<\/th><td>PENDING<\/td><td>2025-10-22 18:00 UTC/,
    );
    const line = t.logs.findLast((l) => l.includes("/fleet/devices/{device_id}/commands"))!;
    assert.ok(!line.includes("box-dead"), line);
  },
);
