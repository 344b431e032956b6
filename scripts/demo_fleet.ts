/**
 * The demo's small device fleet (`deno task demo`): six companion devices beating every 5
 * minutes over the last day — one healthy on wifi, one on lte, one slow (degraded), one whose
 * agent crashed an hour ago, one that rebooted twice, one silent for three hours (dead) — written
 * through the same services as the agent's requests, then compacted by fleet maintenance. The
 * family users' device summaries are tagged with these devices by the caller.
 */
import type { Sql } from "../db/client.ts";
import { findDevice } from "../db/devices.ts";
import { pollCommand, queueCommand, reportCommandStatus } from "../services/commands.ts";
import { storeLogSnapshot } from "../services/device_logs.ts";
import { recordAgentHeartbeat } from "../services/devices.ts";
import { runFleetMaintenance } from "../services/fleet_maintenance.ts";
import type { Heartbeat } from "../openapi/devices.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The demo devices, in the order family users are assigned to them. */
export const DEMO_DEVICES = [
  "demo-box-1",
  "demo-box-2",
  "demo-box-3",
  "demo-box-4",
  "demo-box-5",
  "demo-box-6",
] as const;

/** Returns the demo device each family user's summaries come from (as the agent tags them). */
export function demoDeviceOf(familyUsers: readonly string[]): Map<string, string> {
  return new Map(familyUsers.map((u, i) => [u, DEMO_DEVICES[i]]));
}

/** The log snapshot demo-box-1 uploads after its UPLOAD_LOGS command. */
export const DEMO_LOG = [
  "Oct 22 17:20:01 demo-box-1 agent[412]: heartbeat ok (latency 34 ms)",
  "Oct 22 17:21:30 demo-box-1 agent[412]: session started for a family member",
  "Oct 22 17:36:02 demo-box-1 agent[412]: session summary sent (success)",
  "Oct 22 17:40:11 demo-box-1 agent[412]: UPLOAD_LOGS received, uploading",
].join("\n") + "\n";

/** What the demo fleet wrote. */
export interface DemoFleet {
  devices: number;
  heartbeats: number;
  /** False when the fleet was already there (nothing written). */
  written: boolean;
}

/** Returns the heartbeat device `i` sends at `at` (deterministic). */
export function heartbeatOf(i: number, at: Date, now: Date): Heartbeat {
  const ago = now.getTime() - at.getTime();
  const minute = Math.floor(at.getTime() / MINUTE);
  const boots = [now.getTime() - 30 * HOUR, now.getTime() - 14 * HOUR, now.getTime() - 3 * HOUR];
  const boot = i === 4 ? boots.filter((b) => b <= at.getTime()).at(-1) ?? boots[0] : boots[0];
  return {
    device_id: DEMO_DEVICES[i],
    agent_version: i === 5 ? "2.3.9" : "2.4.1",
    connectivity: i === 1 ? "lte" : "wifi",
    network: {
      interface: i === 1 ? "wwan0" : "wlan0",
      ip: `192.168.${10 + i}.${20 + i}`,
      signal_rssi: -50 - i * 4 - (minute % 5),
      latency_ms: i === 2 ? 650 + (minute % 7) * 20 : 30 + i * 12 + (minute % 9),
    },
    agent_status: i === 3 && ago <= HOUR ? "crashed" : "ok",
    last_session_at: new Date(now.getTime() - (2 + i) * HOUR).toISOString(),
    timestamp: at.toISOString(),
    boot_time: new Date(boot).toISOString(),
  };
}

/** Returns the demo fleet written into `sql` at `now` (nothing when it is already there). */
export async function writeDemoFleet(
  sql: Sql,
  now: Date,
  commandTimeoutSeconds: number,
): Promise<DemoFleet> {
  if (await findDevice(sql, DEMO_DEVICES[0]) !== null) {
    return { devices: DEMO_DEVICES.length, heartbeats: 0, written: false };
  }
  let heartbeats = 0;
  const start = now.getTime() - 24 * HOUR;
  for (let k = 0, t = start; t <= now.getTime(); k++, t += 5 * MINUTE) {
    for (let i = 0; i < DEMO_DEVICES.length; i++) {
      // demo-box-6 went silent three hours ago; every device misses a beat now and then.
      if (i === 5 && t > now.getTime() - 3 * HOUR) continue;
      if ((k + i * 7) % 23 === 0) continue;
      const at = new Date(t + i * 7000);
      if (at.getTime() > now.getTime()) continue;
      await recordAgentHeartbeat(sql, heartbeatOf(i, at, now), at);
      heartbeats++;
    }
  }
  const box = DEMO_DEVICES[0];
  const done = await queueCommand(sql, box, "UPLOAD_LOGS", new Date(now.getTime() - 40 * MINUTE));
  await pollCommand(sql, box, new Date(now.getTime() - 39 * MINUTE));
  await storeLogSnapshot(sql, box, DEMO_LOG, new Date(now.getTime() - 38 * MINUTE));
  await reportCommandStatus(sql, {
    id: done.id,
    deviceId: box,
    status: "COMPLETED",
    error: null,
    timeoutSeconds: commandTimeoutSeconds,
  }, new Date(now.getTime() - 38 * MINUTE));
  await queueCommand(sql, DEMO_DEVICES[2], "RESTART_SERVICE", new Date(now.getTime() - 5 * MINUTE));
  await runFleetMaintenance(sql, now, { exclusive: false, commandTimeoutSeconds });
  return { devices: DEMO_DEVICES.length, heartbeats, written: true };
}
