/** SQL for attempt events and the play sessions they belong to. */
import type { Sql, Tx } from "./client.ts";

/** An attempt as stored (company_name already turned into company_id). */
export interface EventRow {
  player_id: string;
  session_id: string;
  task_version: string;
  sequence_index: number;
  sequence_length: number;
  attempt_index: number;
  presented: (number | string)[];
  input: (number | string)[];
  is_correct: boolean;
  duration_ms: number;
  ts_utc: Date;
  remediation_stage: "none" | "volts" | "space";
  volts_count: number | null;
  company_id: string | null;
}

export interface PlaySession {
  session_id: string;
  player_id: string;
  finalized: boolean;
}

/** Returns the sessions, created when new, share-locked against a concurrent finalize. */
export async function lockSessionsForIngest(
  tx: Tx,
  sessions: readonly { session_id: string; player_id: string }[],
): Promise<Map<string, PlaySession>> {
  const sorted = [...sessions].sort((a, b) => (a.session_id < b.session_id ? -1 : 1));
  await tx`
    insert into play_sessions (session_id, player_id)
    select session_id, player_id
    from jsonb_to_recordset(${tx.json(sorted)}) as x(session_id text, player_id text)
    order by session_id
    on conflict (session_id) do nothing`;
  const rows = await tx<{ session_id: string; player_id: string; finalized: boolean }[]>`
    select session_id, player_id, finalized_at is not null as finalized
    from play_sessions
    where session_id = any(${sorted.map((s) => s.session_id)})
    order by session_id
    for share`;
  return new Map(rows.map((r) => [r.session_id, r]));
}

function toJson(row: EventRow) {
  return { ...row, ts_utc: row.ts_utc.toISOString() };
}

/** Inserts the rows (skipping existing attempt keys) and returns the keys it inserted. */
export async function insertEvents(tx: Tx, rows: readonly EventRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await tx<{ k: string }[]>`
    insert into raw_events (
      player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
      presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count, company_id
    )
    select player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
      presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count, company_id
    from jsonb_to_recordset(${tx.json(rows.map(toJson))}) as x(
      player_id text, session_id text, task_version text, sequence_index int,
      sequence_length int, attempt_index smallint, presented jsonb, input jsonb,
      is_correct boolean, duration_ms bigint, ts_utc timestamptz, remediation_stage text,
      volts_count int, company_id text)
    on conflict (session_id, sequence_index, attempt_index) do nothing
    returning session_id || '|' || sequence_index || '|' || attempt_index as k`;
  return new Set(inserted.map((r) => r.k));
}

/** Returns the stored events with the given attempt keys. */
export async function findEvents(
  tx: Tx | Sql,
  keys: readonly { session_id: string; sequence_index: number; attempt_index: number }[],
): Promise<EventRow[]> {
  if (keys.length === 0) return [];
  return await tx<EventRow[]>`
    select e.player_id, e.session_id, e.task_version, e.sequence_index, e.sequence_length,
      e.attempt_index::int as attempt_index, e.presented, e.input, e.is_correct,
      e.duration_ms::float8 as duration_ms, e.ts_utc, e.remediation_stage, e.volts_count,
      e.company_id
    from raw_events e
    join jsonb_to_recordset(${tx.json(keys.map((k) => ({ ...k })))})
      as k(session_id text, sequence_index int, attempt_index int)
      on e.session_id = k.session_id and e.sequence_index = k.sequence_index
        and e.attempt_index = k.attempt_index`;
}

/** Returns the key string of an attempt. */
export function attemptKey(
  e: { session_id: string; sequence_index: number; attempt_index: number },
): string {
  return `${e.session_id}|${e.sequence_index}|${e.attempt_index}`;
}
