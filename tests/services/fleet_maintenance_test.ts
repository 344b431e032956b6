import assert from "node:assert/strict";
import { runFleetMaintenance } from "../../services/fleet_maintenance.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const TOKEN = "admin-token-0123456789abcdef0123456789";
const t = testApp(db.sql, { INGEST_SERVICE_TOKEN: "svc", ADMIN_TOKEN: TOKEN });
const ADMIN = { headers: { Authorization: `Bearer ${TOKEN}` } };
const B1 = "2025-10-20T08:00:00Z";
const B2 = "2025-10-22T11:58:00Z";
const B3 = "2025-10-22T15:00:00Z";
const at = (hhmm: string, day = "2025-10-22") => new Date(`${day}T${hhmm}:00Z`);

/** Posts one heartbeat of `device` received at `when`. */
async function beat(
  device: string,
  when: Date,
  over: { boot?: string | null; latency?: number | null; conn?: string; status?: string } = {},
): Promise<void> {
  t.setNow(when);
  const res = await t.request(
    "/internal/heartbeat",
    postJson({
      device_id: device,
      agent_version: "1.0.0",
      connectivity: over.conn ?? "wifi",
      network: {
        interface: "wlan0",
        ip: "10.1.2.3",
        latency_ms: over.latency === undefined ? 100 : over.latency,
      },
      agent_status: over.status ?? "ok",
      boot_time: over.boot === undefined ? B1 : over.boot,
    }, { Authorization: "Bearer svc" }),
  );
  assert.equal(res.status, 200, await res.text());
}

/** Returns the uptime entry of `device` read at `now`. */
async function uptimeOf(device: string, now: Date) {
  t.setNow(now);
  const res = await t.request("/admin/devices/uptime", ADMIN);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.as_of, now.toISOString());
  return body.devices.find((d: { device_id: string }) => d.device_id === device);
}

/** The scenario device "up-a" (see the test) and a device 8 days old. */
async function fillScenario(): Promise<void> {
  // Hour 10: 14 heartbeats (capped at 3600 s), latencies 100..230, 4 of them lte, 1 degraded.
  for (let i = 0; i < 14; i++) {
    const minute = String(i * 4).padStart(2, "0");
    await beat("up-a", at(`10:${minute}`), {
      latency: 100 + i * 10,
      conn: i < 4 ? "lte" : "wifi",
      status: i === 13 ? "degraded" : "ok",
    });
  }
  // Hour 11: two heartbeats, one without a boot time (neither a reboot nor hiding one).
  await beat("up-a", at("11:50"), { boot: null, latency: null });
  await beat("up-a", at("11:55"));
  // Hour 12: the device rebooted between 11:55 and 12:00, across the hour boundary.
  await beat("up-a", at("12:00"), { boot: B2 });
  await beat("up-a", at("12:05"), { boot: B2 });
  // Not compacted yet at 15:10 (younger than 13:00): one more reboot at 15:05.
  await beat("up-a", at("14:50"), { boot: B2 });
  await beat("up-a", at("15:05"), { boot: B3 });
  // Eight days back: outside the uptime window; deleted by maintenance.
  await beat("up-old", at("09:00", "2025-10-14"));
}

const NOW = at("15:10");
// 3600 + 600 + 600 + 300 + 300 = 5400 s → 5400 × 100 / 604800 = 0.8928… → 0.89.
const EXPECTED = { device_id: "up-a", uptime_pct_7d: 0.89, reboots_7d: 2, total_hours_tracked: 5 };

Deno.test(
  "`GET /admin/devices/uptime` counts raw and compacted heartbeats alike, reboots across hours",
  dbTestOptions,
  async () => {
    await fillScenario();
    assert.deepEqual(await uptimeOf("up-a", NOW), EXPECTED);
    assert.deepEqual(await uptimeOf("up-old", NOW), {
      device_id: "up-old",
      uptime_pct_7d: 0,
      reboots_7d: 0,
      total_hours_tracked: 0,
    });
    // Chunks of 3 split hour 10 across five statements; the sums do not care.
    const done = await runFleetMaintenance(db.sql, NOW, {
      exclusive: db.kind === "postgres",
      commandTimeoutSeconds: 900,
      chunk: 3,
    });
    assert.equal(done.ran, true);
    assert.equal(done.compacted, 14 + 2 + 2 + 1);
    assert.deepEqual(await uptimeOf("up-a", NOW), EXPECTED);
    const hours = await db.sql`
      select hour, heartbeats, latency_count, latency_sum::int as latency_sum, latency_min,
        latency_max, wifi, lte, offline, ok, other, reboots
      from device_hours where device_id = 'up-a' order by hour`;
    assert.deepEqual(hours.map((h) => ({ ...h })), [
      {
        hour: at("10:00"),
        heartbeats: 14,
        latency_count: 14,
        latency_sum: 2310, // 100 + 110 + … + 230
        latency_min: 100,
        latency_max: 230,
        wifi: 10,
        lte: 4,
        offline: 0,
        ok: 13,
        other: 1,
        reboots: 0,
      },
      {
        hour: at("11:00"),
        heartbeats: 2,
        latency_count: 1,
        latency_sum: 100,
        latency_min: 100,
        latency_max: 100,
        wifi: 2,
        lte: 0,
        offline: 0,
        ok: 2,
        other: 0,
        reboots: 0,
      },
      {
        hour: at("12:00"),
        heartbeats: 2,
        latency_count: 2,
        latency_sum: 200,
        latency_min: 100,
        latency_max: 100,
        wifi: 2,
        lte: 0,
        offline: 0,
        ok: 2,
        other: 0,
        reboots: 1,
      },
    ]);
    // The raw heartbeats stay (7 days) except the 8-day-old one; its summary is gone too.
    const raw = await db.sql`select device_id, count(*)::int as n from device_heartbeats
      where device_id in ('up-a', 'up-old') group by 1 order by 1`;
    assert.deepEqual(raw.map((r) => [r.device_id, r.n]), [["up-a", 20]]);
    assert.equal(done.rawDeleted >= 1, true);
    const old = await db
      .sql`select count(*)::int as n from device_hours where device_id = 'up-old'`;
    assert.equal(old[0].n, 0);
    // A second run finds nothing more to compact; the answer is unchanged.
    const again = await runFleetMaintenance(db.sql, NOW, {
      exclusive: false,
      commandTimeoutSeconds: 900,
    });
    assert.equal(again.compacted, 0);
    assert.deepEqual(await uptimeOf("up-a", NOW), EXPECTED);
  },
);

Deno.test(
  "`GET /admin/devices/uptime` keeps 168 hours: the 10:00 hour leaves the window a week later",
  dbTestOptions,
  async () => {
    // 2025-10-29 10:30: the window starts at 2025-10-22 11:00, so hour 10 (3600 s) is out.
    const later = new Date("2025-10-29T10:30:00Z");
    assert.deepEqual(await uptimeOf("up-a", later), {
      device_id: "up-a",
      uptime_pct_7d: 0.3, // 1800 s × 100 / 604800 = 0.2976… → 0.30
      reboots_7d: 2,
      total_hours_tracked: 4,
    });
  },
);

Deno.test(
  "maintenance: a second instance does nothing while one holds the lock",
  dbTestOptions,
  async () => {
    if (db.kind !== "postgres") return; // the embedded database has one owner
    const holder = await db.sql.reserve();
    try {
      await holder`select pg_advisory_lock(727021)`;
      const done = await runFleetMaintenance(db.sql, NOW, {
        exclusive: true,
        commandTimeoutSeconds: 900,
      });
      assert.equal(done.ran, false);
      await holder`select pg_advisory_unlock(727021)`;
    } finally {
      holder.release();
    }
  },
);

Deno.test("`GET /admin/devices/uptime` pages by device id", dbTestOptions, async () => {
  t.setNow(NOW);
  const first = await (await t.request("/admin/devices/uptime?limit=1", ADMIN)).json();
  assert.deepEqual(first.devices.map((d: { device_id: string }) => d.device_id), ["up-a"]);
  assert.equal(first.next, "up-a");
  const second = await (await t.request("/admin/devices/uptime?limit=1&after=up-a", ADMIN))
    .json();
  assert.deepEqual(second.devices.map((d: { device_id: string }) => d.device_id), ["up-old"]);
  assert.equal(second.next, null);
});
