/**
 * Island (development only): plays five demo sessions for a player through the public API, from
 * poor to perfect, then reloads the page so the server shows them.
 */
import { useState } from "preact/hooks";
import type { AttemptEventInput } from "../openapi/telemetry.ts";

/** Attempt number of the first correct try per sequence (4 = never solved), per session. */
export const DEMO_LEVELS: readonly (readonly number[])[] = [
  [4, 4, 4],
  [3, 2, 4],
  [1, 2, 3],
  [1, 1, 2],
  [1, 1, 1],
];

/** One AttemptSubmitted body (see POST /events); the type is erased from the bundle. */
export type DemoEvent = AttemptEventInput;

/** Returns the events of one demo session played at `start`. */
export function demoSession(
  playerId: string,
  sessionId: string,
  solvedAt: readonly number[],
  start: Date,
): DemoEvent[] {
  const events: DemoEvent[] = [];
  let t = start.getTime();
  solvedAt.forEach((firstCorrect, s) => {
    const length = 4 + s;
    const presented = Array.from({ length }, (_, i) => ((i * 7 + s * 3) % 9) + 1);
    const tries = Math.min(firstCorrect, 3);
    for (let attempt = 1; attempt <= tries; attempt++) {
      const correct = attempt === firstCorrect;
      const duration = 12_000 + 8_000 * attempt + 2_000 * s;
      t += duration;
      events.push({
        player_id: playerId,
        session_id: sessionId,
        sequence_index: s + 1,
        sequence_length: length,
        attempt_index: attempt,
        presented,
        input: correct ? presented : [...presented].reverse(),
        is_correct: correct,
        duration_ms: duration,
        ts_utc: new Date(t).toISOString(),
        remediation_stage: attempt === 1 ? "none" : attempt === 2 ? "volts" : "space",
        volts_count: attempt === 1 ? null : attempt - 1,
      });
    }
  });
  return events;
}

async function post(path: string, body?: unknown): Promise<void> {
  const res = await fetch(path, {
    method: "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
}

/** Renders the button; clicked, posts five sessions (one a day, ending today) and reloads. */
export default function DemoGenerator({ playerId }: { playerId: string }) {
  const [status, setStatus] = useState<string>("");
  const [busy, setBusy] = useState(false);

  async function generate() {
    setBusy(true);
    try {
      const run = Date.now().toString(36);
      for (const [i, level] of DEMO_LEVELS.entries()) {
        setStatus(`Playing session ${i + 1} of ${DEMO_LEVELS.length}…`);
        const sessionId = `demo-${run}-${i + 1}`;
        const start = new Date(Date.now() - (DEMO_LEVELS.length - 1 - i) * 86_400_000 - 600_000);
        for (const event of demoSession(playerId, sessionId, level, start)) {
          await post("/events", event);
        }
        await post(`/sessions/${encodeURIComponent(sessionId)}/finalize`);
      }
      setStatus("Done, reloading…");
      location.reload();
    } catch (err) {
      setStatus(`Failed: ${err instanceof Error ? err.message : String(err)}`);
      setBusy(false);
    }
  }

  return (
    <div class="demo">
      <button type="button" class="button" disabled={busy} onClick={generate}>
        Generate 5 demo sessions
      </button>
      <span class="demo-status" role="status">{status}</span>
    </div>
  );
}
