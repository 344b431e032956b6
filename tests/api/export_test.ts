/** GET /admin/players/{player_id}/export: exactly what was ingested, streamed page by page. */
import assert from "node:assert/strict";
import { companyIdFor } from "../../core/company.ts";
import { logPseudonym } from "../../core/pseudonym.ts";
import { DEV_COMPANY_SALT } from "../../config.ts";
import { exportPlayer } from "../../services/privacy.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql);
const opts = dbTestOptions;
const ADMIN = { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" };
const INGEST = { Authorization: "Bearer dev-ingest-token" };
const NOW = new Date("2024-06-01T12:00:00Z");
t.setNow(NOW);

function exportOf(player: string, headers: Record<string, string> = ADMIN) {
  return t.request(`/admin/players/${encodeURIComponent(player)}/export`, { headers });
}

/** Returns an event as the export shows it: defaults applied, company_name hashed, ISO time. */
function asStored(e: Record<string, unknown>): Record<string, unknown> {
  const { company_name, ...rest } = e;
  return {
    task_version: "earth_v1",
    ...rest,
    ts_utc: new Date(e.ts_utc as string).toISOString(),
    company_id: company_name === undefined
      ? null
      : companyIdFor(company_name as string, DEV_COMPANY_SALT),
  };
}

const PLAYER = "exp-ünï-😀";
const finalized = sessionEvents({
  player: PLAYER,
  session: "exp-a",
  pattern: [1, 2, 0],
  start: "2024-05-01T09:00:00Z",
  company_name: "Acme Corp",
});
const open = sessionEvents({
  player: PLAYER,
  session: "exp-b",
  pattern: [1, 1, 2],
  start: "2024-05-02T09:00:00Z",
});
const devices = [
  {
    session_id: "exp-dev-2",
    started_at: "2024-05-03T18:00:00Z",
    sentiment_score: 0.25,
    device_id: "exp-box",
    status: "early_exit",
  },
  { session_id: "exp-dev-1", started_at: "2024-05-01T07:00:00Z", sentiment_score: 0.68 },
];
db.prepare(async () => {
  await playSession(t, {
    player: PLAYER,
    session: "exp-a",
    pattern: [1, 2, 0],
    start: "2024-05-01T09:00:00Z",
    company_name: "Acme Corp",
  });
  assert.equal((await t.request("/events/batch", postJson({ events: open }))).status, 200);
  for (const d of devices) {
    const body = { ...d, user_external_id: PLAYER, duration_seconds: 300 };
    const res = await t.request("/internal/ingest/session_summary", postJson(body, INGEST));
    assert.equal(res.status, 200);
  }
  // Another player's data must not leak in.
  await playSession(t, {
    player: "exp-other",
    session: "exp-c",
    pattern: [1, 1, 1],
    start: "2024-05-01T09:00:00Z",
  });
});

Deno.test("export holds exactly what was ingested, as an attachment", opts, async () => {
  const res = await exportOf(PLAYER);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("content-disposition"), 'attachment; filename="player-export.json"');
  assert.equal(res.headers.get("cache-control"), "no-store");
  const body = await res.json();
  const [summary] = await (await t.request(`/players/${encodeURIComponent(PLAYER)}/sessions`))
    .json();
  const [session] = await db.sql<{ first_seen_at: Date }[]>`
    select first_seen_at from play_sessions where session_id = 'exp-a'`;

  assert.deepEqual(Object.keys(body), [
    "player_id",
    "exported_at",
    "sessions",
    "events",
    "models",
    "engagement_sessions",
    "recordings",
    "device_links",
  ]);
  assert.equal(body.player_id, PLAYER);
  assert.equal(body.exported_at, NOW.toISOString());
  assert.equal(body.sessions.length, 2);
  assert.deepEqual(body.sessions[0], {
    session_id: "exp-a",
    first_seen_at: session.first_seen_at.toISOString(),
    finalized_at: summary.created_ts_utc,
    summary,
  });
  assert.equal(body.sessions[1].session_id, "exp-b");
  assert.equal(body.sessions[1].finalized_at, null);
  assert.equal(body.sessions[1].summary, null);

  const received = body.events.map((e: { received_at: string }) => e.received_at);
  for (const at of received) assert.ok(!Number.isNaN(Date.parse(at)), at);
  const events = body.events.map(({ received_at: _, ...e }: Record<string, unknown>) => e);
  assert.deepEqual(events, [...finalized, ...open].map(asStored));
  assert.equal(events.length, 10);

  assert.equal(body.models.length, 1);
  const model = await (await t.request(`/model/state/${encodeURIComponent(PLAYER)}`)).json();
  const { predicted_next_fta: _, predicted_next: __, ...stored } = model;
  assert.deepEqual(body.models[0], stored);

  const engagement = body.engagement_sessions.map(
    ({ created_at: _, ...e }: Record<string, unknown>) => e,
  );
  assert.deepEqual(engagement, [
    {
      source: "device",
      session_id: "exp-dev-1",
      started_at: "2024-05-01T07:00:00.000Z",
      duration_seconds: 300,
      sentiment_hundredths: 68,
      device_id: null,
      status: null,
    },
    {
      source: "earth_task",
      session_id: "exp-a",
      started_at: "2024-05-01T09:00:00.000Z",
      duration_seconds: 55,
      sentiment_hundredths: null,
      device_id: null,
      status: null,
    },
    {
      source: "device",
      session_id: "exp-dev-2",
      started_at: "2024-05-03T18:00:00.000Z",
      duration_seconds: 300,
      sentiment_hundredths: 25,
      device_id: "exp-box",
      status: "early_exit",
    },
  ]);
  assert.deepEqual(body.device_links, [{
    device_id: "exp-box",
    session_count: 1,
    first_session_at: "2024-05-03T18:00:00.000Z",
    last_session_at: "2024-05-03T18:00:00.000Z",
  }]);
});

Deno.test("export pages give the same document as one page, in many chunks", opts, async () => {
  const whole = await new Response(await exportPlayer(db.sql, PLAYER, NOW)).text();
  const stream = await exportPlayer(db.sql, PLAYER, NOW, { sessions: 1, events: 2, engagement: 1 });
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of stream) chunks.push(decoder.decode(chunk));
  assert.equal(chunks.join(""), whole);
  // Header, 2 session pages, 5 + 3 event pages (2 per page), 1 models, 3 engagement pages,
  // plus the array brackets.
  assert.ok(chunks.length >= 14, `${chunks.length} chunks`);
  assert.equal(JSON.parse(whole).events.length, 10);
});

Deno.test("export pages move past rows stored with microseconds", opts, async () => {
  await db.sql`insert into engagement_users (external_id) values ('exp-micro')`;
  await db.sql`
    insert into engagement_sessions (source, session_id, user_external_id, started_at,
      duration_seconds)
    select 'device', 'exp-micro-' || n, 'exp-micro', '2024-05-01T00:00:00.123456Z', 60
    from generate_series(1, 3) n`;
  const stream = await exportPlayer(db.sql, "exp-micro", NOW, {
    sessions: 1,
    events: 1,
    engagement: 1,
  });
  const body = JSON.parse(await new Response(stream).text());
  assert.deepEqual(
    body.engagement_sessions.map((s: { session_id: string }) => s.session_id),
    ["exp-micro-1", "exp-micro-2", "exp-micro-3"],
  );
});

Deno.test("export of an unknown player: empty lists", opts, async () => {
  const res = await exportOf("nobody-here");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    player_id: "nobody-here",
    exported_at: NOW.toISOString(),
    sessions: [],
    events: [],
    models: [],
    engagement_sessions: [],
    recordings: [],
    device_links: [],
  });
});

Deno.test(
  "export: 401/403 before anything is read; 422 for an id over the limit",
  opts,
  async () => {
    for (const [headers, status] of [[{}, 401], [{ "x-admin-key": "nope" }, 403]] as const) {
      const res = await exportOf(PLAYER, headers);
      assert.equal(res.status, status);
      assert.ok(!(await res.text()).includes("exp-a"));
      const long = await exportOf("y".repeat(129), headers);
      assert.equal(long.status, status);
      await long.body?.cancel();
    }
    const locked = testApp(db.sql, { ADMIN_KEY: "" });
    const res = await locked.request(`/admin/players/x/export`, { headers: ADMIN });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    const long = await exportOf("y".repeat(129));
    assert.equal(long.status, 422);
    await long.body?.cancel();
    const limit = await exportOf("y".repeat(128));
    assert.equal(limit.status, 200);
    assert.equal((await limit.json()).player_id, "y".repeat(128));
  },
);

Deno.test("the export's log line holds a keyed hash of the id, never the id", opts, async () => {
  const from = t.logs.length;
  await (await exportOf(PLAYER)).arrayBuffer();
  const lines = t.logs.slice(from);
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]);
  assert.equal(line.path, "/admin/players/{player_id}/export");
  assert.equal(line.player_hash, logPseudonym(PLAYER, DEV_COMPANY_SALT));
  assert.ok(!lines[0].includes("exp-"), lines[0]);
  assert.ok(!lines[0].includes(encodeURIComponent(PLAYER)), lines[0]);
});
