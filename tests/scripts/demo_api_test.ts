/** `deno task demo` through a running service's API: the fleet part it can write. */
import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { writeDemoOverApi } from "../../scripts/demo_api.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const ADMIN = { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" };
const db = testDatabase();

Deno.test(
  "writeDemoOverApi writes the fleet the API can when an admin credential is set, once",
  dbTestOptions,
  async () => {
    const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
    const config = loadConfig({
      APP_ENV: "test",
      ADMIN_KEY: ADMIN["x-admin-key"],
      COMPANY_PRIVACY: "exact",
    });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, t.app.fetch);
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      const now = new Date();
      const first = await writeDemoOverApi(base, config, { seed: 3, now, reset: false });
      assert.deepEqual(first.fleet, { devices: 6, heartbeats: 7, written: true });

      const fleet = await (await t.request("/api/heartbeats", {
        headers: { Authorization: "Bearer dev-dashboard-token" },
      })).json();
      assert.deepEqual(
        fleet.devices.map((d: { deviceId: string }) => d.deviceId).sort(),
        ["demo-box-1", "demo-box-2", "demo-box-3", "demo-box-4", "demo-box-5", "demo-box-6"],
      );
      const uptime = await (await t.request("/admin/devices/uptime", { headers: ADMIN })).json();
      const reboots = Object.fromEntries(
        uptime.devices.map((d: { device_id: string; reboots_7d: number }) => [
          d.device_id,
          d.reboots_7d,
        ]),
      );
      assert.equal(reboots["demo-box-5"], 1);
      assert.equal(reboots["demo-box-1"], 0);

      const commands = async (device: string) =>
        (await (await t.request(`/admin/devices/${device}/commands`, { headers: ADMIN })).json())
          .commands.map((c: { command_type: string; status: string }) => [
            c.command_type,
            c.status,
          ]);
      assert.deepEqual(await commands("demo-box-1"), [["UPLOAD_LOGS", "COMPLETED"]]);
      assert.deepEqual(await commands("demo-box-3"), [["RESTART_SERVICE", "PENDING"]]);

      const log = await (await t.request("/admin/logs/demo-box-1", { headers: ADMIN })).json();
      assert.match(log.snapshot.log_content, /UPLOAD_LOGS received, uploading\n$/);
      const users = await (await t.request("/admin/devices/demo-box-1/users", { headers: ADMIN }))
        .json();
      assert.deepEqual(
        users.users.map((u: { user_external_id: string }) => u.user_external_id),
        [first.demo.familyUsers[0]],
      );

      const again = await writeDemoOverApi(base, config, { seed: 3, now, reset: false });
      assert.deepEqual(again.fleet, { devices: 6, heartbeats: 0, written: false });
      assert.deepEqual(await commands("demo-box-3"), [["RESTART_SERVICE", "PENDING"]]);
    } finally {
      await server.shutdown();
    }
  },
);
