/**
 * `parseHeartbeat` (the heartbeat's light path) against `HeartbeatSchema` (the full path): the same
 * verdict and the same data for every body of a corpus built from every field × every kind of value.
 */
import assert from "node:assert/strict";
import { HeartbeatSchema, parseHeartbeat } from "../../openapi/devices.ts";
import { heartbeat as example } from "../../openapi/device_examples.ts";

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

/** Values every field is tried with. */
const ANY: unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  1,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1e300,
  "",
  "x",
  "0",
  ".",
  "..",
  "a\u0000b",
  "\ud800",
  "\ud83d\ude00",
  "é".repeat(64),
  "a".repeat(63),
  "a".repeat(64),
  "a".repeat(65),
  "a".repeat(128),
  "a".repeat(129),
  [],
  ["wifi"],
  {},
  { interface: "wlan0", ip: "1.2.3.4" },
  "wifi",
  "lte",
  "offline",
  "WIFI",
  "ok",
  "degraded",
  "crashed",
  "2025-10-22T14:45:00Z",
  "2025-10-22T14:45:00+02:00",
  "2025-10-22T14:45:00.123456-05:30",
  "2025-10-22T14:45:00",
  "2025-10-22",
  "2025-13-22T14:45:00Z",
  "2025-02-30T14:45:00Z",
  "2025-10-22 14:45:00Z",
  "2025-10-22T24:00:00Z",
  "2025-10-22T14:45:00+2:00",
  "2025-10-22T14:45:00z",
];

/** Numbers tried with the integer fields. */
const NUMBERS: unknown[] = [
  INT32_MAX,
  INT32_MAX + 1,
  INT32_MIN,
  INT32_MIN - 1,
  -58,
  42,
  0.1,
  -0.5,
  "42",
];

/** Returns the example with `path` set to `value` (`undefined`: the key removed). */
function withField(path: string[], value: unknown): Record<string, unknown> {
  const body = structuredClone(example) as Record<string, unknown>;
  let at = body;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return body;
}

const FIELDS = [
  ["device_id"],
  ["agent_version"],
  ["connectivity"],
  ["network"],
  ["network", "interface"],
  ["network", "ip"],
  ["network", "signal_rssi"],
  ["network", "latency_ms"],
  ["agent_status"],
  ["last_session_at"],
  ["timestamp"],
  ["boot_time"],
  ["unknown_field"],
  ["network", "unknown_field"],
];

/** Every body of the corpus, through JSON as the wire carries it (undefined: a missing key). */
function corpus(): unknown[] {
  const bodies: unknown[] = [example, ...ANY, [example]];
  for (const path of FIELDS) {
    for (const value of [...ANY, ...NUMBERS]) bodies.push(withField(path, value));
  }
  // Two fields at once: every optional one absent or null.
  bodies.push({
    device_id: "d",
    agent_version: "1",
    connectivity: "offline",
    network: { interface: "i", ip: "p" },
    agent_status: "crashed",
  });
  bodies.push({
    ...example,
    network: { interface: "i", ip: "p", signal_rssi: null, latency_ms: null },
    last_session_at: null,
    timestamp: null,
    boot_time: null,
  });
  return bodies.map((b) => (b === undefined ? b : JSON.parse(JSON.stringify(b))));
}

Deno.test("`parseHeartbeat` accepts and rejects exactly what `HeartbeatSchema` does, with the same data", () => {
  let accepted = 0;
  let rejected = 0;
  for (const body of corpus()) {
    const zod = HeartbeatSchema.safeParse(body);
    const hand = parseHeartbeat(body);
    const shown = JSON.stringify(body)?.slice(0, 200);
    assert.equal(hand !== null, zod.success, `verdict for ${shown}`);
    if (zod.success) {
      assert.deepStrictEqual(hand, zod.data, `data for ${shown}`);
      accepted++;
    } else rejected++;
  }
  // The corpus exercises both sides (counts fixed by the corpus above).
  assert.deepEqual({ accepted, rejected }, { accepted: 265, rejected: 570 });
});
