import assert from "node:assert/strict";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const t = testApp(db.sql, {
  DASHBOARD_TOKEN_MAP: "star:*,one:user-1",
  INGEST_SERVICE_TOKEN: "svc",
  ADMIN_TOKEN: "admin-token-0123456789abcdef0123456789",
});
const INGEST = { Authorization: "Bearer svc" };
const STAR = { headers: { Authorization: "Bearer star" } };

/** Returns a valid heartbeat body for `device`, overridden by `over`. */
const beat = (device: string, over: Record<string, unknown> = {}) => ({
  device_id: device,
  agent_version: "2.4.1",
  connectivity: "wifi",
  network: { interface: "wlan0", ip: "192.168.1.23", signal_rssi: -58, latency_ms: 42 },
  agent_status: "ok",
  last_session_at: "2025-10-22T14:30:00Z",
  timestamp: "2025-10-22T17:59:58+02:00",
  boot_time: "2025-10-20T08:00:00Z",
  ...over,
});

/** Posts a heartbeat received at `at`, asserting the 200 answer. */
async function post(body: unknown, at: Date): Promise<void> {
  t.setNow(at);
  const res = await t.request("/internal/heartbeat", postJson(body, INGEST));
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { status: "ok" });
}

Deno.test(
  "heartbeat: 200 ok, stored as latest state and appended to the log",
  dbTestOptions,
  async () => {
    const at = new Date("2025-10-22T18:00:00Z");
    await post({ ...beat("hb-one"), unknown_field: { nested: true } }, at);
    await post(
      beat("hb-one", { agent_version: "2.4.2", network: { interface: "eth0", ip: "10.0.0.2" } }),
      new Date("2025-10-22T18:05:00Z"),
    );
    const [state] = await db.sql`select agent_version, network_interface, ip, signal_rssi,
    latency_ms, last_seen, device_timestamp, first_seen from devices where device_id = 'hb-one'`;
    assert.deepEqual({ ...state }, {
      agent_version: "2.4.2",
      network_interface: "eth0",
      ip: "10.0.0.2",
      signal_rssi: null,
      latency_ms: null,
      last_seen: new Date("2025-10-22T18:05:00Z"),
      // The device's own clock is stored as sent (its offset applied), never used for freshness.
      device_timestamp: new Date("2025-10-22T15:59:58Z"),
      first_seen: at,
    });
    const log = await db.sql`select agent_version, received_at, ip from device_heartbeats
    where device_id = 'hb-one' order by id`;
    assert.deepEqual(log.map((r) => [r.agent_version, r.received_at.toISOString(), r.ip]), [
      ["2.4.1", "2025-10-22T18:00:00.000Z", "192.168.1.23"],
      ["2.4.2", "2025-10-22T18:05:00.000Z", "10.0.0.2"],
    ]);
  },
);

Deno.test(
  "heartbeat: 401 without the ingest token, before the body is read",
  dbTestOptions,
  async () => {
    for (const headers of [{}, { Authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await t.request("/internal/heartbeat", postJson({ nonsense: 1 }, headers));
      assert.equal(res.status, 401);
    }
  },
);

Deno.test(
  "heartbeat: 422 for each invalid field, a timestamp without offset included",
  dbTestOptions,
  async () => {
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ device_id: "" }, ["body", "device_id"]],
      [{ device_id: "x".repeat(129) }, ["body", "device_id"]],
      [{ agent_version: "" }, ["body", "agent_version"]],
      [{ agent_version: "v".repeat(65) }, ["body", "agent_version"]],
      [{ connectivity: "5g" }, ["body", "connectivity"]],
      [{ agent_status: "fine" }, ["body", "agent_status"]],
      [{ network: { interface: "", ip: "1.2.3.4" } }, ["body", "network", "interface"]],
      [{ network: { interface: "wlan0", ip: "" } }, ["body", "network", "ip"]],
      [{ network: { interface: "wlan0", ip: "1", latency_ms: 1.5 } }, [
        "body",
        "network",
        "latency_ms",
      ]],
      [{ network: { interface: "wlan0", ip: "1", signal_rssi: "x" } }, [
        "body",
        "network",
        "signal_rssi",
      ]],
      [{ timestamp: "2025-10-22T18:00:00" }, ["body", "timestamp"]],
      [{ boot_time: "2025-10-22T18:00:00" }, ["body", "boot_time"]],
      [{ last_session_at: "yesterday" }, ["body", "last_session_at"]],
    ];
    for (const [over, loc] of cases) {
      const res = await t.request("/internal/heartbeat", postJson(beat("hb-bad", over), INGEST));
      assert.equal(res.status, 422, JSON.stringify(over));
      const body = await res.json();
      assert.deepEqual(
        body.detail.map((d: { loc: unknown }) => d.loc),
        [loc],
        JSON.stringify(over),
      );
    }
    // Nulls are accepted where the contract allows them.
    await post(
      beat("hb-nulls", {
        timestamp: null,
        boot_time: null,
        last_session_at: null,
        network: { interface: "wlan0", ip: "1.2.3.4", signal_rssi: null, latency_ms: null },
      }),
      new Date("2025-10-22T18:00:00Z"),
    );
    assert.equal(
      (await db.sql`select count(*)::int as n from devices where device_id like 'hb-bad%'`)[0].n,
      0,
    );
  },
);

Deno.test(
  "`GET /api/heartbeats` answers every device with its status, newest lastSeen first",
  dbTestOptions,
  async () => {
    const now = new Date("2025-10-23T12:00:00Z");
    const min = (m: number) => new Date(now.getTime() - m * 60_000);
    await post(
      beat("fl-healthy", { network: { interface: "wlan0", ip: "1", latency_ms: 499 } }),
      min(1),
    );
    await post(
      beat("fl-slow", { network: { interface: "wlan0", ip: "1", latency_ms: 500 } }),
      min(2),
    );
    await post(beat("fl-nolat", { network: { interface: "wlan0", ip: "1" } }), min(3));
    await post(beat("fl-crashed", { agent_status: "crashed", connectivity: "lte" }), min(4));
    await post(beat("fl-edge", {}), min(20));
    await post(
      beat("fl-dead", { boot_time: null, last_session_at: null }),
      new Date(min(20).getTime() - 1000),
    );
    t.setNow(now);
    const res = await t.request("/api/heartbeats", STAR);
    assert.equal(res.status, 200);
    const body = await res.json();
    const fleet = body.devices.filter((d: { deviceId: string }) => d.deviceId.startsWith("fl-"));
    assert.deepEqual(
      fleet.map((d: { deviceId: string; status: string }) => [d.deviceId, d.status]),
      [
        ["fl-healthy", "healthy"],
        ["fl-slow", "degraded"],
        ["fl-nolat", "degraded"],
        ["fl-crashed", "degraded"],
        ["fl-edge", "healthy"],
        ["fl-dead", "dead"],
      ],
    );
    assert.deepEqual(fleet[3], {
      deviceId: "fl-crashed",
      status: "degraded",
      lastSeen: "2025-10-23T11:56:00.000Z",
      connectivity: "lte",
      agentVersion: "2.4.1",
      signalRssi: -58,
      latencyMs: 42,
      lastSessionAt: "2025-10-22T14:30:00.000Z",
      bootTime: "2025-10-20T08:00:00.000Z",
    });
    assert.equal(fleet[5].bootTime, null);
    assert.equal(body.asOf, "2025-10-23T12:00:00.000Z");
    assert.equal(body.staleThresholdMinutes, 20);
    assert.equal(body.next, null);
    // No IP address in the fleet status.
    assert.ok(!JSON.stringify(body).includes("192.168"));

    const only = async (status: string) => {
      const r = await t.request(`/api/heartbeats?status=${status}`, STAR);
      return (await r.json()).devices.map((d: { deviceId: string }) => d.deviceId)
        .filter((id: string) => id.startsWith("fl-"));
    };
    assert.deepEqual(await only("healthy"), ["fl-healthy", "fl-edge"]);
    assert.deepEqual(await only("degraded"), ["fl-slow", "fl-nolat", "fl-crashed"]);
    assert.deepEqual(await only("dead"), ["fl-dead"]);
    assert.equal((await t.request("/api/heartbeats?status=zombie", STAR)).status, 422);
  },
);

Deno.test(
  "`GET /api/heartbeats` pages with limit and after, every device once",
  dbTestOptions,
  async () => {
    const at = new Date("2025-10-24T12:00:00Z");
    // Same lastSeen for three devices: the cursor must order by device id too.
    for (const id of ["pg-a", "pg-b", "pg-c"]) await post(beat(id), at);
    await post(beat("pg-d"), new Date(at.getTime() + 1));
    t.setNow(new Date(at.getTime() + 60_000));
    const all = (await (await t.request("/api/heartbeats", STAR)).json()).devices.map(
      (d: { deviceId: string }) => d.deviceId,
    );
    const paged: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const q: string = after === null ? "" : `&after=${encodeURIComponent(after)}`;
      const res = await t.request(`/api/heartbeats?limit=2${q}`, STAR);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.ok(body.devices.length <= 2);
      paged.push(...body.devices.map((d: { deviceId: string }) => d.deviceId));
      after = body.next;
      pages++;
    } while (after !== null);
    assert.deepEqual(paged, all);
    assert.equal(pages, Math.ceil(all.length / 2));
    assert.deepEqual(all.slice(0, 4), ["pg-d", "pg-c", "pg-b", "pg-a"]);
    for (const bad of ["limit=0", "limit=1001", "limit=x"]) {
      assert.equal((await t.request(`/api/heartbeats?${bad}`, STAR)).status, 422, bad);
    }
    const res = await t.request("/api/heartbeats?after=garbage", STAR);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { detail: "after is not a cursor of this list" });
  },
);

Deno.test(
  "`GET /api/heartbeats` is 401 without or with an unknown token, 403 for a user's token",
  dbTestOptions,
  async () => {
    assert.equal((await t.request("/api/heartbeats")).status, 401);
    assert.equal(
      (await t.request("/api/heartbeats", { headers: { Authorization: "Bearer nope" } })).status,
      401,
    );
    const res = await t.request("/api/heartbeats", { headers: { Authorization: "Bearer one" } });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { detail: "The fleet needs a dashboard token mapped to *" });
  },
);
