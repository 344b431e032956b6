import assert from "node:assert/strict";
import { pickUpCommand } from "../../db/commands.ts";
import { runFleetMaintenance } from "../../services/fleet_maintenance.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const TOKEN = "admin-token-0123456789abcdef0123456789";
const t = testApp(db.sql, {
  INGEST_SERVICE_TOKEN: "svc",
  ADMIN_TOKEN: TOKEN,
  COMMAND_TIMEOUT_SECONDS: "600",
});
const ADMIN = { Authorization: `Bearer ${TOKEN}` };
const NOW = new Date("2025-10-22T18:00:00Z");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Queues `command` for `device` at `at`, returning the 201 body. */
async function queue(device: string, command: string, at = NOW) {
  t.setNow(at);
  const res = await t.request("/admin/commands", postJson({ device_id: device, command }, ADMIN));
  assert.equal(res.status, 201, await res.clone().text());
  return await res.json();
}

/** Polls as `device` (no header when undefined), returning the 200 body. */
async function poll(device: string | undefined, at = NOW) {
  t.setNow(at);
  const headers: Record<string, string> = { Authorization: "Bearer svc" };
  if (device !== undefined) headers["X-Device-ID"] = device;
  const res = await t.request("/internal/commands/pending", { headers });
  assert.equal(res.status, 200);
  return await res.json();
}

/** Reports an outcome for command `id`, returning the response. */
function report(id: string, body: unknown, device?: string, at = NOW) {
  t.setNow(at);
  const headers: Record<string, string> = { Authorization: "Bearer svc" };
  if (device !== undefined) headers["X-Device-ID"] = device;
  return t.request(`/internal/commands/${id}/status`, postJson(body, headers));
}

Deno.test(
  "`POST /admin/commands` queues a PENDING command; 422 for a bad command or device",
  dbTestOptions,
  async () => {
    const body = await queue("cmd-q", "REBOOT");
    assert.match(body.id, UUID);
    assert.deepEqual({ ...body, id: "" }, {
      id: "",
      device_id: "cmd-q",
      command_type: "REBOOT",
      status: "PENDING",
      created_at: "2025-10-22T18:00:00.000Z",
    });
    for (
      const bad of [{ device_id: "", command: "REBOOT" }, { device_id: "d", command: "FORMAT" }, {
        device_id: "d",
      }]
    ) {
      const res = await t.request("/admin/commands", postJson(bad, ADMIN));
      assert.equal(res.status, 422, JSON.stringify(bad));
    }
  },
);

Deno.test(
  "poll: the oldest pending command, picked up once; then null",
  dbTestOptions,
  async () => {
    const first = await queue("cmd-p", "UPLOAD_LOGS", new Date("2025-10-22T17:00:00Z"));
    const second = await queue("cmd-p", "UPDATE_NOW", new Date("2025-10-22T17:30:00Z"));
    await queue("cmd-other", "REBOOT");
    assert.deepEqual(await poll("cmd-p"), {
      command: {
        id: first.id,
        command_type: "UPLOAD_LOGS",
        payload: null,
        created_at: "2025-10-22T17:00:00.000Z",
      },
    });
    assert.equal((await poll("cmd-p")).command.id, second.id);
    assert.deepEqual(await poll("cmd-p"), { command: null });
    assert.deepEqual(await poll(undefined), { command: null });
    assert.deepEqual(await poll("never-seen"), { command: null });
    const [row] = await db
      .sql`select status, picked_up_at from device_commands where id = ${first.id}`;
    assert.deepEqual({ ...row }, { status: "PICKED_UP", picked_up_at: NOW });
    const res = await t.request("/internal/commands/pending", {
      headers: { "X-Device-ID": "cmd-p" },
    });
    assert.equal(res.status, 401);
  },
);

Deno.test("poll: concurrent polls never receive the same command", dbTestOptions, async () => {
  const queued = new Set<string>();
  for (let i = 0; i < 12; i++) {
    queued.add((await queue("cmd-race", "REBOOT", new Date(NOW.getTime() + i))).id);
  }
  // 20 polls at once for 12 commands: each command goes to exactly one poll, 8 get null.
  const answers = await Promise.all(Array.from({ length: 20 }, () => poll("cmd-race")));
  const got = answers.flatMap((a) => (a.command === null ? [] : [a.command.id]));
  assert.equal(got.length, 12);
  assert.deepEqual(new Set(got), queued);
  assert.equal(answers.filter((a) => a.command === null).length, 8);
  // And on the database directly: two polls in open transactions, the first holding its row.
  const one = await queue("cmd-race2", "REBOOT");
  const two = await queue("cmd-race2", "REBOOT", new Date(NOW.getTime() + 1));
  if (db.kind === "postgres") {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstGot = "";
    const a = db.sql.begin(async (tx) => {
      firstGot = (await pickUpCommand(tx, "cmd-race2", NOW))!.id;
      await held;
    });
    while (firstGot === "") await new Promise((r) => setTimeout(r, 5));
    // The second poll does not wait for the first: it skips the locked row.
    const second = await db.sql.begin((tx) => pickUpCommand(tx, "cmd-race2", NOW));
    release();
    await a;
    assert.deepEqual([firstGot, second!.id], [one.id, two.id]);
  }
});

Deno.test("poll: a poll that finds nothing writes nothing", dbTestOptions, async () => {
  await queue("cmd-nw-other", "REBOOT");
  const versions = () =>
    db.sql`select id, xmin::text as xmin, ctid::text as ctid from device_commands order by id`;
  const before = await versions();
  assert.deepEqual(await poll("cmd-nw"), { command: null });
  assert.deepEqual(await versions(), before);
  // Inside a transaction, the empty poll assigns no transaction id: it wrote nothing at all.
  const assigned = await db.sql.begin(async (tx) => {
    assert.equal(await pickUpCommand(tx, "cmd-nw", NOW), null);
    const [row] = await tx`select pg_current_xact_id_if_assigned()::text as xid`;
    return row.xid;
  });
  assert.equal(assigned, null);
  // The guard: a poll that picks a command up does get one.
  await queue("cmd-nw", "REBOOT");
  const wrote = await db.sql.begin(async (tx) => {
    assert.notEqual(await pickUpCommand(tx, "cmd-nw", NOW), null);
    const [row] = await tx`select pg_current_xact_id_if_assigned()::text as xid`;
    return row.xid;
  });
  assert.notEqual(wrote, null);
});

Deno.test(
  "report: only a PICKED_UP command completes or fails; 404 unknown, 409 names the state",
  dbTestOptions,
  async () => {
    const c = await queue("cmd-r", "RESTART_SERVICE");
    // Not picked up yet.
    let res = await report(c.id, { status: "COMPLETED" });
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), { detail: "Command is PENDING, not PICKED_UP" });
    await poll("cmd-r", new Date(NOW.getTime() + 1000));
    // Another device's header: 404, as if unknown.
    res = await report(c.id, { status: "COMPLETED" }, "cmd-not-mine");
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { detail: "Unknown command" });
    res = await report(c.id, { status: "DONE" }, "cmd-r");
    assert.equal(res.status, 422);
    res = await report(
      c.id,
      { status: "FAILED", error: "disk full" },
      "cmd-r",
      new Date(NOW.getTime() + 5000),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
    res = await report(c.id, { status: "COMPLETED" }, "cmd-r");
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), { detail: "Command is FAILED, not PICKED_UP" });
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      res = await report(id, { status: "COMPLETED" });
      assert.equal(res.status, 404, id);
    }
    const list = await t.request("/admin/devices/cmd-r/commands", { headers: ADMIN });
    assert.equal(list.status, 200);
    assert.deepEqual(await list.json(), {
      device_id: "cmd-r",
      commands: [{
        id: c.id,
        device_id: "cmd-r",
        command_type: "RESTART_SERVICE",
        status: "FAILED",
        payload: null,
        error: "disk full",
        created_at: "2025-10-22T18:00:00.000Z",
        picked_up_at: "2025-10-22T18:00:01.000Z",
        finished_at: "2025-10-22T18:00:05.000Z",
      }],
    });
  },
);

Deno.test(
  "report: a pick-up older than COMMAND_TIMEOUT_SECONDS has timed out",
  dbTestOptions,
  async () => {
    const late = await queue("cmd-t", "REBOOT");
    await poll("cmd-t");
    // 600 s is still in time; 600.001 s is not.
    const res = await report(
      late.id,
      { status: "COMPLETED" },
      "cmd-t",
      new Date(NOW.getTime() + 600_001),
    );
    assert.equal(res.status, 409);
    assert.deepEqual(await res.json(), { detail: "Command is FAILED (timed out), not PICKED_UP" });
    const ontime = await queue("cmd-t", "REBOOT", new Date(NOW.getTime() + 1));
    await poll("cmd-t");
    assert.equal(
      (await report(ontime.id, { status: "COMPLETED" }, "cmd-t", new Date(NOW.getTime() + 600_000)))
        .status,
      200,
    );
    // Maintenance fails pick-ups nobody reported.
    const lost = await queue("cmd-t", "UPDATE_NOW", new Date(NOW.getTime() + 2));
    await poll("cmd-t");
    // Every other test's unreported pick-up (all at NOW + ≤ 1 s) times out with it.
    const [{ n: waiting }] = await db.sql`
    select count(*)::int as n from device_commands where status = 'PICKED_UP'`;
    const done = await runFleetMaintenance(db.sql, new Date(NOW.getTime() + 600_001), {
      exclusive: false,
      commandTimeoutSeconds: 600,
    });
    assert.equal(done.commandsTimedOut, waiting);
    assert.ok(waiting >= 1);
    const rows = await db
      .sql`select id, status, error from device_commands where device_id = 'cmd-t' order by created_at`;
    assert.deepEqual(rows.map((r) => [r.id, r.status, r.error]), [
      [late.id, "FAILED", "timed out"],
      [ontime.id, "COMPLETED", null],
      [lost.id, "FAILED", "timed out"],
    ]);
  },
);
