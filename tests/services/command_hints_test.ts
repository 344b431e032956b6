import assert from "node:assert/strict";
import { connect } from "../../db/client.ts";
import { insertCommand } from "../../db/commands.ts";
import { createCommandHints, startCommandHints } from "../../services/command_hints.ts";
import { createMetrics } from "../../http/metrics.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const NOW = new Date("2026-12-02T18:00:00Z");
const TOKEN = "admin-token-0123456789abcdef0123456789";

/** Resolves once `done()` holds (the notification travels on another connection). */
async function until(done: () => boolean, what: string) {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), `timed out waiting for ${what}`);
}

/** An app with hints started on the test database's notices, and its metrics. */
async function hintedApp() {
  const hints = await startCommandHints(db.sql, db.notices);
  const metrics = createMetrics();
  const t = testApp(db.sql, { INGEST_SERVICE_TOKEN: "svc", ADMIN_TOKEN: TOKEN }, {
    deps: { commandHints: hints, metrics },
  });
  t.setNow(NOW);
  const poll = async (device: string, headers: Record<string, string> = {}) => {
    const res = await t.request("/internal/commands/pending", {
      headers: { Authorization: "Bearer svc", "X-Device-ID": device, ...headers },
    });
    return { res, body: await res.json() };
  };
  const hinted = () =>
    Number(/etl_command_polls_hinted_total (\d+)/.exec(metrics.render())?.[1] ?? "NaN");
  return { hints, t, poll, hinted };
}

Deno.test(
  "hints: an empty poll is answered without SQL, on the light path",
  dbTestOptions,
  async () => {
    const { hints, t, poll, hinted } = await hintedApp();
    try {
      assert.equal(hints.ready(), true);
      const { res, body } = await poll("h-empty", { "X-Request-ID": "req-1" });
      assert.equal(res.status, 200);
      assert.deepEqual(body, { command: null });
      assert.equal(res.headers.get("x-request-id"), "req-1");
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.equal(hinted(), 1);
      assert.equal(t.logs.length, 0, "no request log line for a hinted empty poll");
      // A wrong token still takes the full path: 401, logged and marked as a credential failure.
      const bad = await poll("h-empty", { Authorization: "Bearer nope" });
      assert.equal(bad.res.status, 401);
      assert.equal(hinted(), 1);
      assert.equal(t.logs.length, 1);
      assert.equal(JSON.parse(t.logs[0]).status, 401);
    } finally {
      hints.stop();
    }
  },
);

Deno.test(
  "hints: a command queued through another instance is picked up by the next poll",
  dbTestOptions,
  async () => {
    const { hints, poll, hinted } = await hintedApp();
    // Another instance: its own connection on a server (embedded: the one session, not hinted).
    const other = db.url === null ? db.sql : connect(db.url, 1);
    try {
      assert.deepEqual((await poll("h-other")).body, { command: null });
      assert.equal(hinted(), 1);
      const queued = await insertCommand(other, "h-other", "REBOOT", NOW);
      await until(() => hints.probe("h-other").kind === "ask", "the notification");
      const { body } = await poll("h-other");
      assert.deepEqual(body, {
        command: {
          id: queued.id,
          command_type: "REBOOT",
          payload: null,
          created_at: "2026-12-02T18:00:00.000Z",
        },
      });
      assert.equal(hinted(), 1, "the hinted device was asked of the database");
      // That poll left the hint (another command may be pending); the next finds nothing and
      // forgets it, and the one after is answered from the hints again.
      assert.deepEqual((await poll("h-other")).body, { command: null });
      assert.equal(hints.probe("h-other").kind, "none");
      assert.deepEqual((await poll("h-other")).body, { command: null });
      assert.equal(hinted(), 2);
    } finally {
      hints.stop();
      if (other !== db.sql) await other.end();
    }
  },
);

Deno.test(
  "hints: a command queued through the admin API is hinted at once",
  dbTestOptions,
  async () => {
    const { hints, t, poll } = await hintedApp();
    try {
      const res = await t.request(
        "/admin/commands",
        postJson({ device_id: "h-admin", command: "UPLOAD_LOGS" }, {
          Authorization: `Bearer ${TOKEN}`,
        }),
      );
      assert.equal(res.status, 201);
      const queued = await res.json();
      assert.equal(hints.probe("h-admin").kind, "ask");
      assert.equal((await poll("h-admin")).body.command.id, queued.id);
    } finally {
      hints.stop();
    }
  },
);

Deno.test(
  "hints: a notification during a poll's query keeps the hint (race guard)",
  dbTestOptions,
  async () => {
    const hints = createCommandHints(db.sql);
    await hints.listening();
    assert.equal(hints.ready(), true);
    assert.deepEqual(hints.probe("race"), { kind: "none" });
    hints.add("race");
    const probe = hints.probe("race");
    assert.equal(probe.kind, "ask");
    const ticket = probe.kind === "ask" ? probe.ticket : -1;
    hints.add("race"); // a command queued while the poll's query ran (it did not see it)
    hints.settle("race", ticket);
    assert.equal(hints.probe("race").kind, "ask", "the newer hint survives the empty answer");
    const again = hints.probe("race");
    hints.settle("race", again.kind === "ask" ? again.ticket : -1);
    assert.deepEqual(hints.probe("race"), { kind: "none" });
    assert.equal(hints.size(), 0);
  },
);

Deno.test(
  "hints: lost notifications send polls to SQL until the reload",
  dbTestOptions,
  async () => {
    const hints = createCommandHints(db.sql);
    await hints.listening();
    hints.lost();
    assert.equal(hints.ready(), false);
    assert.equal(hints.probe("lost-dev").kind, "ask");
    // Queued while not listening (no notification reaches these hints).
    await insertCommand(db.sql, "lost-dev", "REBOOT", NOW);
    assert.equal(hints.size(), 0);
    await hints.refresh(); // the periodic refresh alone does not make lost hints trusted again
    assert.equal(hints.ready(), false);
    await hints.listening();
    assert.equal(hints.ready(), true);
    assert.equal(hints.probe("lost-dev").kind, "ask");
    assert.deepEqual(hints.probe("never-queued"), { kind: "none" });
  },
);

Deno.test(
  "hints: a reload keeps hints newer than its query and drops settled ones",
  dbTestOptions,
  async () => {
    const hints = createCommandHints(db.sql);
    await hints.listening();
    const before = hints.size();
    hints.add("ghost"); // no such pending command: the reload's snapshot drops it
    const reloading = hints.refresh();
    hints.add("fresh"); // notified while the reload's query runs
    await reloading;
    assert.equal(hints.probe("ghost").kind, "none");
    assert.equal(hints.probe("fresh").kind, "ask");
    assert.equal(hints.size(), before + 1);
  },
);

Deno.test("hints: concurrent polls never get the same command", dbTestOptions, async () => {
  const { hints, t, poll } = await hintedApp();
  try {
    const res = await t.request(
      "/admin/commands",
      postJson({ device_id: "h-conc", command: "REBOOT" }, { Authorization: `Bearer ${TOKEN}` }),
    );
    const queued = await res.json();
    const answers = await Promise.all(Array.from({ length: 8 }, () => poll("h-conc")));
    const got = answers.map((a) => a.body.command?.id ?? null).filter((id) => id !== null);
    assert.deepEqual(got, [queued.id]);
  } finally {
    hints.stop();
  }
});

Deno.test(
  "hints: re-listen after the listening connection is cut reloads the set",
  dbTestOptions,
  async () => {
    if (db.url === null) return; // the embedded session is never cut (one in-process backend)
    const hints = await startCommandHints(db.sql, db.notices);
    const other = connect(db.url, 1);
    try {
      // Queued without a notification (triggers off on that session): only a reload can find it.
      await other.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await insertCommand(tx as unknown as typeof other, "cut-dev", "REBOOT", NOW);
      });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(hints.probe("cut-dev"), { kind: "none" });
      const [{ datname }] = await db.sql<{ datname: string }[]>`
      select current_database() as datname`;
      const cut = await other<{ ok: boolean }[]>`
      select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = ${datname} and application_name = 'earth-task-telemetry-listen'`;
      assert.deepEqual(cut.map((r) => r.ok), [true]);
      // Hinted while ready: not the "ask the database" of lost notifications, the reload's hint.
      await until(
        () => hints.ready() && hints.probe("cut-dev").kind === "ask",
        "the re-listen and its reload",
      );
      const [{ n }] = await db.sql<{ n: number }[]>`
        select count(distinct device_id)::int as n from device_commands where status = 'PENDING'`;
      assert.equal(hints.size(), n);
    } finally {
      hints.stop();
      await other.end();
    }
  },
);
