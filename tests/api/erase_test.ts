/** DELETE /admin/players/{player_id}: every table, every company number, idempotent, race-safe. */
import assert from "node:assert/strict";
import { dashboardTokenFor } from "../../core/company.ts";
import { logPseudonym } from "../../core/pseudonym.ts";
import { DEV_COMPANY_SALT, DEV_DASHBOARD_TOKEN_SALT } from "../../config.ts";
import { toEventRow } from "../../services/events.ts";
import type { Tx } from "../../db/client.ts";
import { insertEngagementSessions } from "../../db/engagement.ts";
import { ingestEvents } from "../../db/events.ts";
import { lockSessionForFinalize } from "../../db/summaries.ts";
import { AttemptEventSchema } from "../../openapi/telemetry.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { playSession, sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const opts = dbTestOptions;
const ADMIN = { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" };
const INGEST = { Authorization: "Bearer dev-ingest-token" };
const COMPANY = "c_erase0000001";

function erase(player: string, headers: Record<string, string> = ADMIN) {
  return t.request(`/admin/players/${encodeURIComponent(player)}`, { method: "DELETE", headers });
}

async function device(user: string, session: string, startedAt: string) {
  const body = {
    session_id: session,
    user_external_id: user,
    started_at: startedAt,
    duration_seconds: 600,
    sentiment_score: 0.5,
  };
  const res = await t.request("/internal/ingest/session_summary", postJson(body, INGEST));
  assert.equal(res.status, 200, await res.text());
}

/** Returns the rows held under `id` in every table that can hold it. */
async function held(id: string) {
  const [row] = await db.sql<Record<string, number>[]>`
    select
      (select count(*) from raw_events where player_id = ${id})::int as raw_events,
      (select count(*) from play_sessions where player_id = ${id})::int as sessions,
      (select count(*) from session_summary where player_id = ${id})::int as summaries,
      (select count(*) from model_state where player_id = ${id})::int as models,
      (select count(*) from engagement_sessions where user_external_id = ${id})::int
        as engagement_sessions,
      (select count(*) from engagement_users where external_id = ${id})::int as users,
      (select count(*) from company_bucket_player where player_id = ${id})::int as presence`;
  return row;
}

const NOTHING = {
  raw_events: 0,
  sessions: 0,
  summaries: 0,
  models: 0,
  engagement_sessions: 0,
  users: 0,
  presence: 0,
};

/** Five players of COMPANY; e1 also has an open session and two device sessions. */
async function seedCompany(): Promise<void> {
  for (let i = 1; i <= 5; i++) {
    await playSession(t, {
      player: `e${i}`,
      session: `erase-e${i}-1`,
      pattern: [1, 2, 0], // 1 + 2 + 3 = 6 attempts
      start: "2024-03-04T09:00:00Z",
      company_id: COMPANY,
    });
  }
  const open = sessionEvents({
    player: "e1",
    session: "erase-e1-open",
    pattern: [1, 1, 1],
    start: "2024-03-05T09:00:00Z",
  });
  assert.equal((await t.request("/events/batch", postJson({ events: open }))).status, 200);
  await device("e1", "erase-dev-1", "2024-03-04T18:00:00Z");
  await device("e1", "erase-dev-2", "2024-03-05T18:00:00Z");
}

db.prepare(seedCompany);

Deno.test(
  "erase removes the player from every table and every company number, then answers zeros",
  opts,
  async () => {
    const summary = await t.request(
      `/dashboard/summary?t=${dashboardTokenFor(COMPANY, DEV_DASHBOARD_TOKEN_SALT)}`,
    );
    assert.equal(summary.status, 200);
    assert.equal((await summary.json()).n_players, 5);
    assert.deepEqual(await held("e1"), {
      raw_events: 9,
      sessions: 2,
      summaries: 1,
      models: 1,
      engagement_sessions: 3,
      users: 1,
      presence: 3,
    });
    const before = await held("e2");

    const res = await erase("e1");
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      player_id: "e1",
      deleted: {
        raw_events: 9,
        sessions: 2,
        models: 1,
        engagement_sessions: 3,
        recordings: 0,
        device_links: 0,
      },
    });
    assert.deepEqual(await held("e1"), NOTHING);
    assert.deepEqual(await held("e2"), before, "other players are untouched");

    // Four players are left: the company stops serving aggregates at once.
    const token = dashboardTokenFor(COMPANY, DEV_DASHBOARD_TOKEN_SALT);
    const after = await t.request(`/dashboard/summary?t=${token}`);
    assert.equal(after.status, 403);
    assert.deepEqual(await after.json(), {
      detail: "Not enough data yet: 4 of 5 players needed before aggregates are shown.",
    });
    const info = await (await t.request(`/dashboard/company?t=${token}`)).json();
    assert.equal(info.n_players, 4);
    const [all] = await db.sql<{ n_sessions: number; n_players: number }[]>`
      select n_sessions, n_players from company_bucket
      where company_id = ${COMPANY} and kind = 'a'`;
    assert.deepEqual({ ...all }, { n_sessions: 4, n_players: 4 });

    const again = await erase("e1");
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), {
      player_id: "e1",
      deleted: {
        raw_events: 0,
        sessions: 0,
        models: 0,
        engagement_sessions: 0,
        recordings: 0,
        device_links: 0,
      },
    });
    assert.deepEqual(await held("e1"), NOTHING);

    // The id starts afresh: the same session id is new data again.
    const summaryAgain = await playSession(t, {
      player: "e1",
      session: "erase-e1-1",
      pattern: [1, 1, 1],
      start: "2024-03-06T09:00:00Z",
      company_id: COMPANY,
    });
    assert.equal(summaryAgain.n_attempts, 3);
    assert.equal((await t.request(`/dashboard/summary?t=${token}`)).status, 200);
  },
);

Deno.test("erase removes the models of every task (earth and water)", opts, async () => {
  await playSession(t, {
    player: "two-tasks",
    session: "erase-earth-1",
    pattern: [1, 1, 1],
    start: "2024-03-12T09:00:00Z",
  });
  const water = sessionEvents({
    player: "two-tasks",
    session: "erase-water-1",
    pattern: [1, 2, 1],
    start: "2024-03-12T10:00:00Z",
  }).map((e) => ({ ...e, task_version: "water_v1" }));
  assert.equal((await t.request("/events/batch", postJson({ events: water }))).status, 200);
  const fin = await t.request(
    "/sessions/erase-water-1/finalize",
    postJson({ task_version: "water_v1", stress_score: 42 }),
  );
  assert.equal(fin.status, 200, await fin.text());
  const models = await db.sql<{ model_name: string }[]>`
    select model_name from model_state where player_id = 'two-tasks' order by model_name`;
  assert.deepEqual(models.map((m) => m.model_name), ["earth", "water"]);
  const res = await erase("two-tasks");
  assert.deepEqual(await res.json(), {
    player_id: "two-tasks",
    deleted: {
      raw_events: 7,
      sessions: 2,
      models: 2,
      engagement_sessions: 2,
      recordings: 0,
      device_links: 0,
    },
  });
  assert.deepEqual(await held("two-tasks"), NOTHING);
});

Deno.test("erase of an unknown player answers zeros and stores nothing", opts, async () => {
  const res = await erase("never-seen");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    player_id: "never-seen",
    deleted: {
      raw_events: 0,
      sessions: 0,
      models: 0,
      engagement_sessions: 0,
      recordings: 0,
      device_links: 0,
    },
  });
  assert.deepEqual(await held("never-seen"), NOTHING);
});

Deno.test("erase takes ids at the length limit and with Unicode; 422 beyond", opts, async () => {
  const id = "ü😀-" + "ß".repeat(125); // 128 code points (the contract's limit)
  assert.equal([...id].length, 128);
  await playSession(t, {
    player: id,
    session: `${id.slice(0, 60)}-s`,
    pattern: [1, 1, 2],
    start: "2024-03-07T09:00:00Z",
  });
  await device(id, "erase-unicode-dev", "2024-03-07T18:00:00Z");
  const res = await erase(id);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    player_id: id,
    deleted: {
      raw_events: 4,
      sessions: 1,
      models: 1,
      engagement_sessions: 2,
      recordings: 0,
      device_links: 0,
    },
  });
  assert.deepEqual(await held(id), NOTHING);
  const tooLong = await erase(id + "x");
  assert.equal(tooLong.status, 422);
});

Deno.test(
  "erase: 401 without the key, 403 for a wrong key or a locked ADMIN_KEY, before anything is read",
  opts,
  async () => {
    await playSession(t, {
      player: "keep",
      session: "erase-keep-1",
      pattern: [1, 1, 1],
      start: "2024-03-08T09:00:00Z",
    });
    const before = await held("keep");
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, "Missing X-ADMIN-KEY header"],
      [{ "x-admin-key": "" }, 401, "Missing X-ADMIN-KEY header"],
      [{ "x-admin-key": "wrong" }, 403, "Invalid admin key"],
    ];
    for (const [headers, status, detail] of cases) {
      const res = await erase("keep", headers);
      assert.equal(res.status, status);
      assert.deepEqual(await res.json(), { detail });
      // Credentials are checked before the path is validated.
      const bad = await erase("x".repeat(129), headers);
      assert.equal(bad.status, status);
      await bad.body?.cancel();
    }
    const locked = testApp(db.sql, { COMPANY_PRIVACY: "exact", ADMIN_KEY: "" });
    const res = await locked.request("/admin/players/keep", { method: "DELETE", headers: ADMIN });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      detail: "Admin endpoints are locked (ADMIN_KEY is not set)",
    });
    assert.deepEqual(await held("keep"), before);
  },
);

Deno.test(
  "the erasure's log line holds a keyed hash of the id and the counts, never the id",
  opts,
  async () => {
    const id = "log-me-ünique";
    await playSession(t, {
      player: id,
      session: "erase-log-1",
      pattern: [1, 1, 1],
      start: "2024-03-09T09:00:00Z",
    });
    const from = t.logs.length;
    assert.equal((await erase(id)).status, 200);
    assert.equal((await erase(id, { "x-admin-key": "wrong" })).status, 403);
    const lines = t.logs.slice(from);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(!line.includes("log-me"), line);
      assert.ok(!line.includes(encodeURIComponent(id)), line);
    }
    const [ok, denied] = lines.map((l) => JSON.parse(l));
    const hash = logPseudonym(id, DEV_COMPANY_SALT);
    assert.match(hash, /^[0-9a-f]{16}$/);
    assert.equal(ok.path, "/admin/players/{player_id}");
    assert.equal(ok.player_hash, hash);
    assert.deepEqual(ok.deleted, {
      raw_events: 3,
      sessions: 1,
      models: 1,
      engagement_sessions: 1,
      recordings: 0,
      device_links: 0,
    });
    assert.equal(ok.user_id, undefined);
    assert.equal(denied.status, 403);
    assert.equal(denied.player_hash, hash);
    assert.equal(denied.deleted, undefined);
  },
);

/** Returns the rows an ingest statement stores for events of `player`. */
function rowsOf(player: string, session: string, start: string) {
  return sessionEvents({ player, session, pattern: [1, 1, 1], start }).map((e) =>
    toEventRow(AttemptEventSchema.parse(e), DEV_COMPANY_SALT)
  );
}

/** Resolves once some other backend waits for a lock (polls pg_locks). */
async function waitForLockWaiter(tx: Tx): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [{ n }] = await tx<{ n: number }[]>`
      select count(*)::int as n from pg_locks where not granted`;
    if (n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the erasure never waited for the ingest transaction");
}

Deno.test(
  "events committed while the erasure waits are erased with it (new and existing sessions)",
  opts,
  async () => {
    await playSession(t, {
      player: "racer",
      session: "race-old",
      pattern: [1, 1, 1],
      start: "2024-03-10T09:00:00Z",
    });
    // An ingest transaction stores events of an existing and of a new session and stays open;
    // the erasure starts meanwhile and must wait for it, then count its events.
    const open = rowsOf("racer", "race-open", "2024-03-10T10:00:00Z");
    assert.deepEqual(await ingestEvents(db.sql, open.slice(0, 1)), ["stored"]);
    let erasure: Promise<Response> | null = null;
    await db.sql.begin(async (tx) => {
      assert.deepEqual(await ingestEvents(tx, open.slice(1)), ["stored", "stored"]);
      const fresh = rowsOf("racer", "race-new", "2024-03-10T11:00:00Z");
      assert.deepEqual(await ingestEvents(tx, fresh), ["stored", "stored", "stored"]);
      erasure = erase("racer");
      // On a server, commit only once the erasure waits for this transaction's lock (the
      // embedded database has one connection: the erasure runs after this transaction).
      if (db.kind === "postgres") await waitForLockWaiter(tx);
    });
    const res = await erasure!;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      player_id: "racer",
      deleted: {
        raw_events: 9,
        sessions: 3,
        models: 1,
        engagement_sessions: 1,
        recordings: 0,
        device_links: 0,
      },
    });
    assert.deepEqual(await held("racer"), NOTHING);
  },
);

Deno.test(
  "a finalize holding its session while the erasure starts completes, then is erased (no deadlock)",
  opts,
  async () => {
    const events = sessionEvents({
      player: "finalizer",
      session: "race-fin",
      pattern: [1, 1, 1],
      start: "2024-03-10T12:00:00Z",
    });
    assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
    let erasure: Promise<Response> | null = null;
    await db.sql.begin(async (tx) => {
      // A finalize's first statement, then (with the erasure waiting) its update.
      assert.deepEqual(await lockSessionForFinalize(tx, "race-fin"), {
        player_id: "finalizer",
        finalized: false,
      });
      erasure = erase("finalizer");
      if (db.kind === "postgres") await waitForLockWaiter(tx);
      await tx`update play_sessions set finalized_at = now() where session_id = 'race-fin'`;
    });
    const res = await erasure!;
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).deleted, {
      raw_events: 3,
      sessions: 1,
      models: 0,
      engagement_sessions: 0,
      recordings: 0,
      device_links: 0,
    });
  },
);

Deno.test(
  "device sessions of a new user committed while the erasure waits are erased with it",
  opts,
  async () => {
    let erasure: Promise<Response> | null = null;
    await db.sql.begin(async (tx) => {
      const stored = await insertEngagementSessions(
        tx,
        [1, 2].map((n) => ({
          source: "device" as const,
          sessionId: `race-device-${n}`,
          userId: "device-racer",
          startedAt: new Date("2024-03-10T18:00:00Z"),
          durationSeconds: 60,
          sentimentHundredths: 50,
        })),
      );
      assert.deepEqual(stored, [true, true]);
      erasure = erase("device-racer");
      if (db.kind === "postgres") await waitForLockWaiter(tx);
    });
    const res = await erasure!;
    assert.deepEqual(await res.json(), {
      player_id: "device-racer",
      deleted: {
        raw_events: 0,
        sessions: 0,
        models: 0,
        engagement_sessions: 2,
        recordings: 0,
        device_links: 0,
      },
    });
    assert.deepEqual(await held("device-racer"), NOTHING);
  },
);

Deno.test(
  "erase racing concurrent ingest and finalize: no 5xx, nothing acknowledged before it survives",
  opts,
  async () => {
    const player = "swarm";
    const sessions = Array.from({ length: 8 }, (_, i) => `swarm-${i}`);
    const events = sessions.flatMap((s, i) =>
      sessionEvents({ player, session: s, pattern: [2, 1, 3], start: `2024-03-11T0${i}:00:00Z` })
    );
    // Half the events are acknowledged before the erasure is sent, half race it.
    const early = await Promise.all(
      events.filter((_, i) => i % 2 === 0).map((e) => t.request("/events", postJson(e))),
    );
    assert.deepEqual(new Set(early.map((r) => r.status)), new Set([200]));
    const racing = events.filter((_, i) => i % 2 === 1).map((e) =>
      t.request("/events", postJson(e))
    );
    const finalizes = sessions.slice(0, 3).map((s) =>
      t.request(`/sessions/${s}/finalize`, { method: "POST" })
    );
    const erasure = erase(player);
    const late = await Promise.all(racing);
    const fins = await Promise.all(finalizes);
    const res = await erasure;
    assert.equal(res.status, 200);
    const { deleted } = await res.json();
    for (const r of [...late, ...fins]) {
      assert.ok(r.status < 500, `${r.status} ${await r.text()}`);
    }
    // Every acknowledged event was either erased or is still there — none twice, none lost —
    // and the early ones were all erased.
    const [{ n }] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from raw_events where player_id = ${player}`;
    const acknowledged = early.length + late.filter((r) => r.status === 200).length;
    assert.equal(deleted.raw_events + n, acknowledged);
    assert.ok(deleted.raw_events >= early.length);
    const survivors = await db.sql<{ received_at: Date }[]>`
      select received_at from raw_events where player_id = ${player}`;
    assert.ok(survivors.length <= late.length);
  },
);
