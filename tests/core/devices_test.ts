import assert from "node:assert/strict";
import {
  countReboots,
  deviceStatus,
  hourStart,
  hourUptimeSeconds,
  maintenanceCutoffs,
  mostFrequentConnectivity,
  staleBefore,
  uptimePercent,
  uptimeWindowStart,
} from "../../core/devices.ts";

const NOW = new Date("2025-10-22T18:00:00Z");
const ago = (minutes: number, seconds = 0) =>
  new Date(NOW.getTime() - minutes * 60_000 - seconds * 1000);

Deno.test("`deviceStatus` is dead only when lastSeen is more than 20 minutes old", () => {
  const ok = { agentStatus: "ok" as const, latencyMs: 40 };
  assert.equal(deviceStatus({ ...ok, lastSeen: ago(20) }, NOW), "healthy");
  assert.equal(deviceStatus({ ...ok, lastSeen: ago(20, 1) }, NOW), "dead");
  assert.equal(deviceStatus({ ...ok, lastSeen: ago(0) }, NOW), "healthy");
  assert.equal(staleBefore(NOW).toISOString(), "2025-10-22T17:40:00.000Z");
});

Deno.test("`deviceStatus` is healthy for ok with a latency below 500, degraded otherwise", () => {
  const at = ago(1);
  const cases: [string, number | null, string][] = [
    ["ok", 499, "healthy"],
    ["ok", 0, "healthy"],
    ["ok", 500, "degraded"],
    ["ok", null, "degraded"],
    ["degraded", 10, "degraded"],
    ["crashed", 10, "degraded"],
  ];
  for (const [agentStatus, latencyMs, want] of cases) {
    assert.equal(
      deviceStatus({ lastSeen: at, agentStatus: agentStatus as "ok", latencyMs }, NOW),
      want,
      `${agentStatus} ${latencyMs}`,
    );
  }
  assert.equal(
    deviceStatus({ lastSeen: ago(30), agentStatus: "crashed", latencyMs: null }, NOW),
    "dead",
  );
});

Deno.test("`hourUptimeSeconds` confirms 300 s per heartbeat, at most 3600", () => {
  assert.deepEqual([0, 1, 11, 12, 13, 40].map(hourUptimeSeconds), [0, 300, 3300, 3600, 3600, 3600]);
});

Deno.test("`uptimePercent` divides by 7 × 86,400 and rounds half up to 2 decimals", () => {
  assert.equal(uptimePercent(604_800), 100);
  assert.equal(uptimePercent(0), 0);
  assert.equal(uptimePercent(3600), 0.6); // 0.5952… → 0.60
  assert.equal(uptimePercent(300), 0.05); // 0.0496… → 0.05
  assert.equal(uptimePercent(302_400), 50);
  // 0.125 % exactly = 756 s: half up → 0.13
  assert.equal(uptimePercent(756), 0.13);
});

Deno.test("`mostFrequentConnectivity` picks the largest count, ties by wifi, lte, offline", () => {
  assert.equal(mostFrequentConnectivity({ wifi: 1, lte: 3, offline: 2 }), "lte");
  assert.equal(mostFrequentConnectivity({ wifi: 2, lte: 2, offline: 2 }), "wifi");
  assert.equal(mostFrequentConnectivity({ wifi: 0, lte: 1, offline: 1 }), "lte");
  assert.equal(mostFrequentConnectivity({ wifi: 0, lte: 0, offline: 0 }), null);
});

Deno.test("`countReboots` counts changes of the known boot time, ignoring missing ones", () => {
  const a = new Date("2025-10-22T10:00:00Z");
  const b = new Date("2025-10-22T12:00:00Z");
  assert.deepEqual(countReboots([a, a, null, b, b, a], null), { reboots: 2, known: a });
  assert.deepEqual(countReboots([a], b), { reboots: 1, known: a });
  assert.deepEqual(countReboots([null, null], b), { reboots: 0, known: b });
  assert.deepEqual(countReboots([], null), { reboots: 0, known: null });
});

Deno.test("`uptimeWindowStart` is 167 hours before the current hour; cutoffs are exact", () => {
  const now = new Date("2025-10-22T18:25:10Z");
  assert.equal(hourStart(now).toISOString(), "2025-10-22T18:00:00.000Z");
  assert.equal(uptimeWindowStart(now).toISOString(), "2025-10-15T19:00:00.000Z");
  const cut = maintenanceCutoffs(now);
  assert.equal(cut.compactBefore.toISOString(), "2025-10-22T16:00:00.000Z");
  assert.equal(cut.deleteRawBefore.toISOString(), "2025-10-15T18:25:10.000Z");
  assert.equal(cut.deleteHoursBefore.toISOString(), "2025-10-14T18:25:10.000Z");
  assert.equal(cut.deleteFinishedBefore.toISOString(), "2025-07-24T18:25:10.000Z");
});
