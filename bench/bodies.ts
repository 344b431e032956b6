/**
 * Request bodies of the benchmark, the same ones bench/wrk/post.lua builds (the Deno load
 * client uses these when wrk is not installed). Every body is new: no attempt or session
 * summary is ever sent twice, so every request takes the service's full write path.
 */

import type { AttemptEvent } from "../openapi/telemetry.ts";

export type PostMode = "event" | "event-new" | "batch" | "summary";

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
