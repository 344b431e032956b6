import assert from "node:assert/strict";
import { type NewHeartbeat, recordHeartbeat, recordHeartbeats } from "../../db/devices.ts";
import { createHeartbeatWriter } from "../../services/devices.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const B1 = new Date("2026-12-01T08:00:00.000Z");
const B2 = new Date("2026-12-02T11:58:00.000Z");
const B3 = new Date("2026-12-02T17:30:00.000Z");
const T = (mmss: string) => new Date(`2026-12-02T18:${mmss}.000Z`);

/** A heartbeat of `device` received at `at` with `boot` and a latency telling it apart. */
function hb(device: string, at: Date, boot: Date | null, latencyMs: number): NewHeartbeat {
  return {
    deviceId: device,
    receivedAt: at,
    agentVersion: "1.0.0",
    connectivity: "wifi",
    networkInterface: "wlan0",
    ip: "10.0.0.7",
    signalRssi: -55,
    latencyMs,
    agentStatus: "ok",
    lastSessionAt: null,
    deviceTimestamp: at,
    bootTime: boot,
  };
}

/** Returns the stored state and the event log of `device`. */
async function stored(device: string) {
  const [state] = await db.sql<
    {
      last_seen: Date;
      latency_ms: number;
      boot_time: Date | null;
      known_boot_time: Date | null;
      rebooted: boolean;
      first_seen: Date;
    }[]
  >`select last_seen, latency_ms, boot_time, known_boot_time, rebooted, first_seen
    from devices where device_id = ${device}`;
  const log = await db.sql<{ received_at: Date; latency_ms: number; reboot: boolean }[]>`
    select received_at, latency_ms, reboot from device_heartbeats
    where device_id = ${device} order by id`;
  return {
    state: state && {
      ...state,
      last_seen: state.last_seen.toISOString(),
      boot_time: state.boot_time?.toISOString() ?? null,
      known_boot_time: state.known_boot_time?.toISOString() ?? null,
      first_seen: state.first_seen.toISOString(),
    },
    log: log.map((r) => [r.received_at.toISOString(), r.latency_ms, r.reboot]),
  };
}

Deno.test(
  "recordHeartbeats: one statement for several devices, a device twice, verdicts in order",
  dbTestOptions,
  async () => {
    await recordHeartbeat(db.sql, hb("gc-a", T("00:00"), B1, 10)); // known boot B1
    const verdicts = await recordHeartbeats(db.sql, [
      hb("gc-a", T("01:00"), B2, 11), // B1 → B2: a reboot
      hb("gc-b", T("01:00"), B1, 20), // first heartbeat of gc-b: never a reboot
      hb("gc-a", T("01:01"), null, 12), // no boot time: known stays B2
      hb("gc-a", T("01:02"), B2, 13), // B2 again: no reboot
      hb("gc-b", T("01:03"), B3, 21), // B1 → B3 within the batch: a reboot
      hb("gc-a", T("01:04"), B3, 14), // B2 → B3: a reboot
    ]);
    assert.deepEqual(verdicts, [true, false, false, false, true, true]);
    assert.deepEqual(await stored("gc-a"), {
      state: {
        last_seen: "2026-12-02T18:01:04.000Z",
        latency_ms: 14,
        boot_time: B3.toISOString(),
        known_boot_time: B3.toISOString(),
        rebooted: true,
        first_seen: "2026-12-02T18:00:00.000Z",
      },
      log: [
        ["2026-12-02T18:00:00.000Z", 10, false],
        ["2026-12-02T18:01:00.000Z", 11, true],
        ["2026-12-02T18:01:01.000Z", 12, false],
        ["2026-12-02T18:01:02.000Z", 13, false],
        ["2026-12-02T18:01:04.000Z", 14, true],
      ],
    });
    assert.deepEqual(await stored("gc-b"), {
      state: {
        last_seen: "2026-12-02T18:01:03.000Z",
        latency_ms: 21,
        boot_time: B3.toISOString(),
        known_boot_time: B3.toISOString(),
        rebooted: true,
        first_seen: "2026-12-02T18:01:00.000Z",
      },
      log: [
        ["2026-12-02T18:01:00.000Z", 20, false],
        ["2026-12-02T18:01:03.000Z", 21, true],
      ],
    });
  },
);

Deno.test(
  "recordHeartbeats: a batch ending without a boot time keeps the known one",
  dbTestOptions,
  async () => {
    const verdicts = await recordHeartbeats(db.sql, [
      hb("gc-c", T("02:00"), B1, 30),
      hb("gc-c", T("02:01"), null, 31),
    ]);
    assert.deepEqual(verdicts, [false, false]);
    const { state } = await stored("gc-c");
    assert.deepEqual(
      [state.boot_time, state.known_boot_time, state.rebooted, state.latency_ms],
      [null, B1.toISOString(), false, 31],
    );
    assert.deepEqual(await recordHeartbeats(db.sql, [hb("gc-c", T("02:02"), B2, 32)]), [true]);
  },
);

Deno.test(
  "heartbeat writer: concurrent heartbeats share statements, each answered after commit",
  dbTestOptions,
  async () => {
    const sizes: number[] = [];
    const writer = createHeartbeatWriter(db.sql, (n) => sizes.push(n));
    const body = (device: string, latency: number, boot: string) => ({
      device_id: device,
      agent_version: "2.0.0",
      connectivity: "lte" as const,
      network: { interface: "wwan0", ip: "10.9.9.9", latency_ms: latency },
      agent_status: "ok" as const,
      boot_time: boot,
    });
    const answers = await Promise.all([
      writer.record(body("gc-w1", 1, "2026-12-01T00:00:00Z"), T("03:00")),
      writer.record(body("gc-w2", 2, "2026-12-01T00:00:00Z"), T("03:00")),
      writer.record(body("gc-w1", 3, "2026-12-02T00:00:00+01:00"), T("03:01")),
      writer.record(body("gc-w3", 4, "2026-12-01T00:00:00Z"), T("03:01")),
    ]);
    assert.deepEqual(answers, [false, false, true, false]);
    // The first submit's statement starts at once; the three that came meanwhile share the next.
    assert.deepEqual(sizes, [1, 3]);
    assert.deepEqual((await stored("gc-w1")).log, [
      ["2026-12-02T18:03:00.000Z", 1, false],
      ["2026-12-02T18:03:01.000Z", 3, true],
    ]);
    assert.equal((await stored("gc-w1")).state.known_boot_time, "2026-12-01T23:00:00.000Z");
    assert.equal((await stored("gc-w3")).state.latency_ms, 4);
  },
);
