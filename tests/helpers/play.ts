/** Builds attempt events for tests: a session from a compact pattern of outcomes. */
import type { TestApp } from "./app.ts";
import { postJson } from "./app.ts";

/** Per sequence 1..3, the attempt index of the first correct attempt, or 0 for unsolved. */
export type Pattern = [number, number, number];

export interface SessionSpec {
  player: string;
  session: string;
  pattern: Pattern;
  /** ISO start time of the first attempt; attempts are 10 s apart. */
  start: string;
  company_name?: string;
  company_id?: string;
}

/** Returns the AttemptSubmitted events of a session. */
export function sessionEvents(spec: SessionSpec): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  let t = Date.parse(spec.start);
  spec.pattern.forEach((solvedAt, i) => {
    const attempts = solvedAt === 0 ? 3 : solvedAt;
    for (let a = 1; a <= attempts; a++) {
      events.push({
        player_id: spec.player,
        session_id: spec.session,
        sequence_index: i + 1,
        sequence_length: 4 + i,
        attempt_index: a,
        presented: [1, 2, 3, 4],
        input: a === solvedAt ? [1, 2, 3, 4] : [4, 3, 2, 1],
        is_correct: a === solvedAt,
        duration_ms: 5000,
        ts_utc: new Date(t).toISOString(),
        remediation_stage: a === 1 ? "none" : a === 2 ? "volts" : "space",
        volts_count: a === 1 ? null : a - 1,
        ...(spec.company_name !== undefined ? { company_name: spec.company_name } : {}),
        ...(spec.company_id !== undefined ? { company_id: spec.company_id } : {}),
      });
      t += 10_000;
    }
  });
  return events;
}

/** Posts a session as one batch and finalizes it; returns the summary JSON. */
export async function playSession(t: TestApp, spec: SessionSpec): Promise<Record<string, unknown>> {
  const batch = await t.request("/events/batch", postJson({ events: sessionEvents(spec) }));
  if (batch.status !== 200) throw new Error(`batch ${batch.status}: ${await batch.text()}`);
  const fin = await t.request(`/sessions/${encodeURIComponent(spec.session)}/finalize`, {
    method: "POST",
  });
  if (fin.status !== 200) throw new Error(`finalize ${fin.status}: ${await fin.text()}`);
  return await fin.json();
}

/** Returns the legacy system's sample session (tests/fixtures/sample_events.jsonl). */
export async function sampleEvents(): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(
    new URL("../fixtures/sample_events.jsonl", import.meta.url),
  );
  return text.trim().split("\n").map((line) => JSON.parse(line));
}
