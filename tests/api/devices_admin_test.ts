import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { LOG_CONTENT_MAX_BYTES } from "../../openapi/devices.ts";

const db = testDatabase();
const TOKEN = "admin-token-0123456789abcdef0123456789";
const t = testApp(db.sql, {
  INGEST_SERVICE_TOKEN: "svc",
  ADMIN_TOKEN: TOKEN,
  ADMIN_KEY: "the-admin-key",
  DASHBOARD_TOKEN_MAP: "star:*",
  AUTH_FAIL_LIMIT: "0",
});
const BEARER = { Authorization: `Bearer ${TOKEN}` };
const KEY = { "x-admin-key": "the-admin-key" };
const INGEST = { Authorization: "Bearer svc" };
const NOW = new Date("2025-10-22T18:00:00Z");

/** Ingests a session summary (with optional X-Device-ID), returning the response. */
function summary(body: Record<string, unknown>, device?: string) {
  const headers: Record<string, string> = { ...INGEST };
  if (device !== undefined) headers["X-Device-ID"] = device;
  return t.request(
    "/internal/ingest/session_summary",
    postJson({
      user_external_id: "fam-1",
      started_at: "2025-10-22T10:00:00Z",
      duration_seconds: 600,
      sentiment_score: 0.5,
      ...body,
    }, headers),
  );
}

/** Returns the JSON of an admin GET with the bearer token. */
async function adminGet(path: string) {
  const res = await t.request(path, { headers: BEARER });
  assert.equal(res.status, 200, path);
  return await res.json();
}

Deno.test(
  "device admin endpoints: 401 for a missing or wrong credential, either one accepted",
  dbTestOptions,
  async () => {
    const paths = [
      ["GET", "/admin/devices/uptime"],
      ["GET", "/admin/devices/d1/users"],
      ["GET", "/admin/devices/d1/commands"],
      ["GET", "/admin/logs/d1"],
      ["DELETE", "/admin/devices/d1"],
      ["POST", "/admin/commands"],
    ];
    const refused: Record<string, string>[] = [
      {},
      { Authorization: "Bearer wrong" },
      { Authorization: `Bearer ${TOKEN}x` },
      { "x-admin-key": "wrong" },
      { Authorization: "the-admin-key" },
    ];
    for (const [method, path] of paths) {
      for (const headers of refused) {
        const res = await t.request(path, {
          method,
          headers: { ...headers, "content-type": "application/json" },
          body: method === "POST"
            ? JSON.stringify({ device_id: "d1", command: "REBOOT" })
            : undefined,
        });
        assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
        await res.body?.cancel();
      }
      for (const headers of [BEARER, KEY]) {
        const res = await t.request(path, {
          method,
          headers: { ...headers, "content-type": "application/json" },
          body: method === "POST"
            ? JSON.stringify({ device_id: "d1", command: "REBOOT" })
            : undefined,
        });
        assert.ok(res.status === 200 || res.status === 201, `${method} ${path} ${res.status}`);
        await res.body?.cancel();
      }
    }
    // Both secrets unset: locked, 401 on the device endpoints.
    const locked = testApp(db.sql, { ADMIN_KEY: "", ADMIN_TOKEN: "", AUTH_FAIL_LIMIT: "0" });
    const res = await locked.request("/admin/devices/uptime", { headers: BEARER });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), {
      detail: "Admin endpoints are locked (ADMIN_KEY is not set)",
    });
  },
);

Deno.test(
  "earth admin endpoints accept the ADMIN_TOKEN bearer and keep today's answers",
  dbTestOptions,
  async () => {
    const erase = (headers: Record<string, string>, app = t) =>
      app.request("/admin/players/nobody-earth", { method: "DELETE", headers });
    assert.equal((await erase(BEARER)).status, 200);
    assert.equal((await erase(KEY)).status, 200);
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, "Missing X-ADMIN-KEY header"],
      [{ "x-admin-key": "wrong" }, 403, "Invalid admin key"],
      // A wrong bearer is a wrong admin credential like a wrong key (the one middleware of issue 20).
      [{ Authorization: "Bearer wrong" }, 403, "Invalid admin key"],
    ];
    for (const [headers, status, detail] of cases) {
      const res = await erase(headers);
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.deepEqual(await res.json(), { detail });
    }
    // Only ADMIN_TOKEN set: the bearer works, X-ADMIN-KEY of any value is a wrong key (403).
    const tokenOnly = testApp(db.sql, { ADMIN_KEY: "", ADMIN_TOKEN: TOKEN, AUTH_FAIL_LIMIT: "0" });
    assert.equal((await erase(BEARER, tokenOnly)).status, 200);
    assert.equal((await erase(KEY, tokenOnly)).status, 403);
    const locked = testApp(db.sql, { ADMIN_KEY: "", ADMIN_TOKEN: "", AUTH_FAIL_LIMIT: "0" });
    const res = await erase(BEARER, locked);
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), {
      detail: "Admin endpoints are locked (ADMIN_KEY is not set)",
    });
  },
);

Deno.test(
  "session summary: X-Device-ID (winning over device_id) and status are stored",
  dbTestOptions,
  async () => {
    const cases: [Record<string, unknown>, string | undefined, string | null, string | null][] = [
      [
        { session_id: "lk-1", device_id: "box-body", status: "success" },
        undefined,
        "box-body",
        "success",
      ],
      [{ session_id: "lk-2", device_id: "box-body" }, "box-head", "box-head", null],
      [{ session_id: "lk-3", status: "unattended" }, "box-head", "box-head", "unattended"],
      [{ session_id: "lk-4" }, undefined, null, null],
    ];
    for (const [body, header, device, status] of cases) {
      const res = await summary(body, header);
      assert.deepEqual(await res.json(), { status: "ok" });
      const [row] = await db.sql`select device_id, status from engagement_sessions
      where session_id = ${body.session_id as string}`;
      assert.deepEqual({ ...row }, { device_id: device, status }, String(body.session_id));
    }
    // A duplicate stays a duplicate, whatever its device or status.
    const dup = await summary({ session_id: "lk-1", status: "error_exit" }, "box-other");
    assert.deepEqual(await dup.json(), { status: "duplicate" });
    const invalid: [Record<string, unknown>, string | undefined, (string | number)[]][] = [
      [{ session_id: "lk-x", status: "finished" }, undefined, ["body", "status"]],
      [{ session_id: "lk-x", device_id: "" }, undefined, ["body", "device_id"]],
      [{ session_id: "lk-x", device_id: "d".repeat(129) }, undefined, ["body", "device_id"]],
      [{ session_id: "lk-x" }, "h".repeat(129), ["header", "x-device-id"]],
    ];
    for (const [body, header, loc] of invalid) {
      const res = await summary(body, header);
      assert.equal(res.status, 422);
      assert.deepEqual((await res.json()).detail.map((d: { loc: unknown }) => d.loc), [loc]);
    }
  },
);

Deno.test(
  "`GET /admin/devices/{id}/users` lists a device's users, most recent first",
  dbTestOptions,
  async () => {
    const sessions: [string, string, string][] = [
      ["us-1", "fam-a", "2025-10-20T10:00:00Z"],
      ["us-2", "fam-b", "2025-10-21T10:00:00Z"],
      ["us-3", "fam-a", "2025-10-19T10:00:00Z"],
      ["us-4", "fam-c", "2025-10-18T10:00:00Z"],
    ];
    for (const [id, user, started] of sessions) {
      const res = await summary(
        { session_id: id, user_external_id: user, started_at: started },
        "box-u",
      );
      assert.equal(res.status, 200);
    }
    await summary({ session_id: "us-5", user_external_id: "fam-z" }, "box-elsewhere");
    assert.deepEqual(await adminGet("/admin/devices/box-u/users"), {
      device_id: "box-u",
      users: [
        {
          user_external_id: "fam-b",
          last_session_at: "2025-10-21T10:00:00.000Z",
          session_count: 1,
        },
        {
          user_external_id: "fam-a",
          last_session_at: "2025-10-20T10:00:00.000Z",
          session_count: 2,
        },
        {
          user_external_id: "fam-c",
          last_session_at: "2025-10-18T10:00:00.000Z",
          session_count: 1,
        },
      ],
    });
    assert.deepEqual(await adminGet("/admin/devices/box-none/users"), {
      device_id: "box-none",
      users: [],
    });
  },
);

Deno.test(
  "an unattended session counts for nothing in the seven-day rollup",
  dbTestOptions,
  async () => {
    const user = "fam-unattended";
    const bodies = [
      {
        session_id: "ua-1",
        started_at: "2025-10-21T10:00:00Z",
        duration_seconds: 600,
        sentiment_score: 0.8,
      },
      {
        session_id: "ua-2",
        started_at: "2025-10-22T10:00:00Z",
        duration_seconds: 1200,
        sentiment_score: 0.1,
        status: "unattended",
      },
      {
        session_id: "ua-3",
        started_at: "2025-10-20T10:00:00Z",
        duration_seconds: 300,
        sentiment_score: 0.6,
        status: "success",
      },
    ];
    for (const b of bodies) {
      assert.equal(
        (await summary({ ...b, user_external_id: user }, "box-ua")).status,
        200,
      );
    }
    t.setNow(NOW);
    const res = await t.request(`/api/dashboard/${user}`, {
      headers: { Authorization: "Bearer star" },
    });
    const dash = await res.json();
    // Today (the unattended day) is inactive; the last session ended 2025-10-21 10:10.
    assert.deepEqual(dash.streak, {
      days: 0,
      dailyActivity: [false, false, false, false, true, true, false],
    });
    assert.deepEqual(dash.avgDuration, { minutes: 8, dailyDurations: [0, 0, 0, 0, 5, 10, 0] });
    assert.deepEqual(dash.toneTrend.dailySentiment, [null, null, null, null, 0.6, 0.8, null]);
    assert.equal(dash.lastSession.timestamp, "2025-10-21T10:10:00.000Z");
  },
);

Deno.test(
  "log snapshots: stored, latest read back escaped as JSON, 413 over the cap, 10 kept",
  dbTestOptions,
  async () => {
    const upload = (device: string, content: string, at = NOW) => {
      t.setNow(at);
      return t.request("/internal/ingest/logs", postJson({ device_id: device, content }, INGEST));
    };
    assert.deepEqual(await adminGet("/admin/logs/lg-1"), { snapshot: null });
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await upload(
        "lg-1",
        `line ${i}\n<script>x</script>`,
        new Date(NOW.getTime() + i * 1000),
      );
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "ok");
      ids.push(body.snapshot_id);
    }
    assert.deepEqual(await adminGet("/admin/logs/lg-1"), {
      snapshot: {
        id: ids[11],
        device_id: "lg-1",
        log_content: "line 11\n<script>x</script>",
        created_at: "2025-10-22T18:00:11.000Z",
      },
    });
    const kept = await db
      .sql`select id::float8 as id from device_logs where device_id = 'lg-1' order by id`;
    assert.deepEqual(kept.map((r) => r.id), ids.slice(2));
    // The cap counts UTF-8 bytes: at it is fine, one byte over is 413.
    assert.equal((await upload("lg-2", "é".repeat(LOG_CONTENT_MAX_BYTES / 2))).status, 200);
    const over = await upload("lg-2", "x".repeat(LOG_CONTENT_MAX_BYTES - 1) + "é");
    assert.equal(over.status, 413);
    assert.deepEqual(await over.json(), { detail: `content over ${LOG_CONTENT_MAX_BYTES} bytes` });
    assert.equal((await upload("lg-2", "")).status, 422);
    const noDevice = await t.request("/internal/ingest/logs", postJson({ content: "x" }, INGEST));
    assert.equal(noDevice.status, 422);
    assert.equal(
      (await t.request("/internal/ingest/logs", postJson({ device_id: "a", content: "x" }))).status,
      401,
    );
  },
);

Deno.test(
  "`DELETE /admin/devices/{id}` removes everything about the device, then answers zeros",
  dbTestOptions,
  async () => {
    const device = "er-box";
    t.setNow(NOW);
    for (const m of [0, 5]) {
      t.setNow(new Date(NOW.getTime() + m * 60_000));
      const res = await t.request(
        "/internal/heartbeat",
        postJson({
          device_id: device,
          agent_version: "1",
          connectivity: "wifi",
          network: { interface: "wlan0", ip: "10.9.9.9" },
          agent_status: "ok",
        }, INGEST),
      );
      assert.equal(res.status, 200);
    }
    await db
      .sql`insert into device_hours values (${device}, ${NOW}, 1, 0, 0, null, null, 1, 0, 0, 1, 0, 0)`;
    await t.request("/admin/commands", postJson({ device_id: device, command: "REBOOT" }, BEARER));
    await t.request(
      "/internal/ingest/logs",
      postJson({ device_id: device, content: "log" }, INGEST),
    );
    await summary({ session_id: "er-s1", user_external_id: "er-user" }, device);
    await summary({ session_id: "er-s2", user_external_id: "er-user" }, device);
    await t.request(
      "/internal/heartbeat",
      postJson({
        device_id: "er-keep",
        agent_version: "1",
        connectivity: "wifi",
        network: { interface: "wlan0", ip: "10.9.9.8" },
        agent_status: "ok",
      }, INGEST),
    );
    const erase = () =>
      t.request(`/admin/devices/${device}`, { method: "DELETE", headers: BEARER });
    const res = await erase();
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      device_id: device,
      deleted: {
        state: 1,
        heartbeats: 2,
        hourly_summaries: 1,
        commands: 1,
        log_snapshots: 1,
        session_links: 2,
        recordings: 0,
      },
    });
    const left = await db.sql`
    select (select count(*) from devices where device_id = ${device})::int as devices,
      (select count(*) from device_heartbeats where device_id = ${device})::int as beats,
      (select count(*) from device_hours where device_id = ${device})::int as hours,
      (select count(*) from device_commands where device_id = ${device})::int as commands,
      (select count(*) from device_logs where device_id = ${device})::int as logs,
      (select count(*) from engagement_sessions where device_id = ${device})::int as links,
      (select count(*) from engagement_sessions where user_external_id = 'er-user')::int
        as sessions,
      (select count(*) from devices where device_id = 'er-keep')::int as other`;
    assert.deepEqual({ ...left[0] }, {
      devices: 0,
      beats: 0,
      hours: 0,
      commands: 0,
      logs: 0,
      links: 0,
      sessions: 2,
      other: 1,
    });
    assert.deepEqual((await (await erase()).json()).deleted, {
      state: 0,
      heartbeats: 0,
      hourly_summaries: 0,
      commands: 0,
      log_snapshots: 0,
      session_links: 0,
      recordings: 0,
    });
    // The request log names the route template and a keyed hash, never the device id.
    const line = t.logs.findLast((l) => l.includes("/admin/devices/{device_id}"))!;
    assert.ok(!line.includes(device), line);
    assert.match(line, /"device_hash":"[0-9a-f]+"/);
  },
);

Deno.test("participant erasure counts and removes their device links", dbTestOptions, async () => {
  await summary({ session_id: "pe-1", user_external_id: "pe-user" }, "pe-box-1");
  await summary({ session_id: "pe-2", user_external_id: "pe-user" }, "pe-box-2");
  await summary({ session_id: "pe-3", user_external_id: "pe-user" }, "pe-box-2");
  await summary({ session_id: "pe-4", user_external_id: "pe-user" });
  const res = await t.request("/admin/players/pe-user", { method: "DELETE", headers: BEARER });
  assert.deepEqual((await res.json()).deleted, {
    raw_events: 0,
    sessions: 0,
    models: 0,
    engagement_sessions: 4,
    recordings: 0,
    device_links: 2,
  });
  assert.deepEqual(await adminGet("/admin/devices/pe-box-2/users"), {
    device_id: "pe-box-2",
    users: [],
  });
});

Deno.test(
  "/metrics counts heartbeats and devices and commands by status",
  dbTestOptions,
  async () => {
    const metricsApp = testApp(db.sql, { INGEST_SERVICE_TOKEN: "svc" });
    const at = new Date("2030-01-01T12:00:00Z");
    metricsApp.setNow(at);
    await metricsApp.request(
      "/internal/heartbeat",
      postJson({
        device_id: "mt-1",
        agent_version: "1",
        connectivity: "wifi",
        network: { interface: "wlan0", ip: "1", latency_ms: 10 },
        agent_status: "ok",
      }, INGEST),
    );
    const text = await (await metricsApp.request("/metrics")).text();
    assert.match(text, /^etl_heartbeats_received_total 1$/m);
    // At 2030 every other device of this file is long dead; mt-1 is the one healthy device.
    const [counts] = await db.sql`select count(*)::int as n from devices`;
    assert.match(text, /^etl_devices\{status="healthy"\} 1$/m);
    assert.match(text, /^etl_devices\{status="degraded"\} 0$/m);
    assert.match(text, new RegExp(`^etl_devices\\{status="dead"\\} ${counts.n - 1}$`, "m"));
    const [cmd] = await db.sql`select count(*) filter (where status = 'PENDING')::int as p,
    count(*) filter (where status = 'PICKED_UP')::int as u from device_commands`;
    assert.match(text, new RegExp(`^etl_device_commands\\{status="PENDING"\\} ${cmd.p}$`, "m"));
    assert.match(text, new RegExp(`^etl_device_commands\\{status="PICKED_UP"\\} ${cmd.u}$`, "m"));
    assert.match(text, /^etl_device_commands\{status="COMPLETED"\} 0$/m);
  },
);
