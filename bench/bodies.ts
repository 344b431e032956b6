/**
 * Request bodies of the benchmark, the same ones bench/wrk/post.lua builds (the Deno load
 * client uses these when wrk is not installed). Every body is new: no attempt or session
 * summary is ever sent twice, so every request takes the service's full write path.
 */

import type { AttemptEvent } from "../openapi/telemetry.ts";

export type PostMode = "event" | "event-new" | "batch" | "summary" | "heartbeat";

const REMEDIATION = ["none", "volts", "space"] as const;

/** An AttemptSubmitted body (as tests/fixtures/sample_events.jsonl, no company). */
export type AttemptBody = AttemptEvent;

/** Returns the AttemptSubmitted event `i` (0..8) of session number `s` of a run. */
export function attemptEvent(prefix: string, s: number, i: number): AttemptBody {
  const seq = Math.floor(i / 3) + 1;
  const a = (i % 3) + 1;
  const correct = a === seq || a === 3;
  const t = s % 50000;
  const two = (n: number) => String(n).padStart(2, "0");
  return {
    player_id: `p-${prefix}-${s}`,
    session_id: `s-${prefix}-${s}`,
    task_version: "earth_v1",
    sequence_index: seq,
    sequence_length: 3 + seq,
    attempt_index: a,
    presented: [1, 2, 3, 4],
    input: correct ? [1, 2, 3, 4] : [4, 3, 2, 1],
    is_correct: correct,
    duration_ms: 5000,
    ts_utc: `2025-${two((t % 12) + 1)}-${two((t % 28) + 1)}T${two(t % 24)}:${two(i * 6)}:${
      two(t % 60)
    }Z`,
    remediation_stage: REMEDIATION[a - 1],
    volts_count: a > 1 ? a - 1 : null,
  };
}

/** Returns the nine events of session number `s` (a whole played session). */
export function sessionEvents(prefix: string, s: number): AttemptBody[] {
  return Array.from({ length: 9 }, (_, i) => attemptEvent(prefix, s, i));
}

/**
 * Returns a generator of request bodies for one load run.
 * - event: request n is attempt `n` of the run; sessions are interleaved across `connections`.
 * - event-new: request n is the first attempt of a new session n (one new session per event).
 * - batch: `size` attempts per request, nine per session.
 * - summary: one engagement session summary per request, users cycle through 1000.
 * - heartbeat: one agent heartbeat per request, devices cycle through 10,000 (every request is
 *   an upsert of an existing device row after the first round, as in the field).
 */
export function bodyGenerator(
  mode: PostMode,
  prefix: string,
  connections: number,
  size: number,
): () => string {
  let n = 0;
  if (mode === "event") {
    return () => {
      const block = Math.floor(n / (9 * connections));
      const s = block * connections + (n % connections);
      const i = Math.floor(n / connections) % 9;
      n++;
      return JSON.stringify(attemptEvent(prefix, s, i));
    };
  }
  if (mode === "event-new") {
    return () => JSON.stringify(attemptEvent(prefix, n++, 0));
  }
  if (mode === "batch") {
    return () => {
      const events = [];
      for (let k = 0; k < size; k++, n++) {
        events.push(attemptEvent(prefix, Math.floor(n / 9), n % 9));
      }
      return JSON.stringify({ events });
    };
  }
  if (mode === "heartbeat") {
    return () => JSON.stringify(heartbeatBody(prefix, n++));
  }
  return () => {
    const body = {
      session_id: `es-${prefix}-${n}`,
      user_external_id: `eu-${prefix}-${n % 1000}`,
      started_at: `2025-06-0${(n % 7) + 1}T10:${String(n % 60).padStart(2, "0")}:00Z`,
      duration_seconds: 60 + (n % 900),
      sentiment_score: (n % 100) / 100,
    };
    n++;
    return JSON.stringify(body);
  };
}

/** Returns heartbeat `n` of a run: device `n % 10000`, its boot time stable per device. */
export function heartbeatBody(prefix: string, n: number) {
  const device = n % 10_000;
  return {
    device_id: `hb-${prefix}-${device}`,
    agent_version: "2.4.1",
    connectivity: "wifi",
    network: { interface: "wlan0", ip: "192.168.1.23", signal_rssi: -60, latency_ms: 20 + n % 80 },
    agent_status: "ok",
    last_session_at: "2025-06-01T10:00:00Z",
    timestamp: "2025-06-01T10:05:00Z",
    boot_time: `2025-06-01T0${device % 10}:00:00Z`,
  };
}
