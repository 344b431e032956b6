/** SQL for attempt events and the play sessions they belong to. */
import { ATTEMPT_CONTENT_FIELDS } from "../core/attempt.ts";
import { type Sql, type Tx } from "./client.ts";
import { sqlState } from "./errors.ts";

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

/** What one statement did with an event; "retry" = a concurrent writer hid the answer. */
export type EventIngestStatus =
  | "stored"
  | "duplicate"
  | "different"
  | "finalized"
  | "other_player"
  | "retry";

/** Returns `values` as the text of a PostgreSQL array literal (strings quoted, NULL for null). */
export function arrayLiteral(values: readonly (string | number | boolean | null)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const v = values[i];
    if (v === null) out += "NULL";
    else if (typeof v === "boolean") out += v ? "t" : "f";
    else if (typeof v === "number") out += String(v);
    else if (v.includes('"') || v.includes("\\")) out += `"${v.replace(/["\\]/g, "\\$&")}"`;
    else out += `"${v}"`;
  }
  return out + "}";
}

/**
 * Returns the rows as a SQL fragment `unnest(…) with ordinality as x(…columns, ord)`: one typed
 * array per column, each sent as ONE text parameter (an array literal cast in SQL, so the
 * parameter is typed text whatever postgres.js knows about array types). `ord` counts from 1.
 * Each array is a sub-select, so the planner cannot see its length: every batch size costs the
 * same to it and the statement keeps one cached generic plan (with the arrays visible, a custom
 * plan for a small batch looked cheaper and Postgres re-planned the statement at every execution,
 * about 0.3 ms of CPU each time).
 */
function inputRows(q: Sql | Tx, rows: readonly EventRow[]) {
  const col = <T extends string | number | boolean | null>(f: (r: EventRow) => T) =>
    arrayLiteral(rows.map(f));
  return q`unnest(
      (select ${col((r) => r.player_id)}::text::text[]),
      (select ${col((r) => r.session_id)}::text::text[]),
      (select ${col((r) => r.task_version)}::text::text[]),
      (select ${col((r) => r.sequence_index)}::text::int[]),
      (select ${col((r) => r.sequence_length)}::text::int[]),
      (select ${col((r) => r.attempt_index)}::text::smallint[]),
      (select ${col((r) => JSON.stringify(r.presented))}::text::jsonb[]),
      (select ${col((r) => JSON.stringify(r.input))}::text::jsonb[]),
      (select ${col((r) => r.is_correct)}::text::boolean[]),
      (select ${col((r) => r.duration_ms)}::text::bigint[]),
      (select ${col((r) => r.ts_utc.toISOString())}::text::timestamptz[]),
      (select ${col((r) => r.remediation_stage)}::text::text[]),
      (select ${col((r) => r.volts_count)}::text::int[]),
      (select ${col((r) => r.company_id)}::text::text[])
    ) with ordinality as x(player_id, session_id, task_version, sequence_index, sequence_length,
      attempt_index, presented, input, is_correct, duration_ms, ts_utc, remediation_stage,
      volts_count, company_id, ord)`;
}

/**
 * Returns the fragment "stored attempt `e` has the content of input row `i`": the SQL form of
 * `sameAttemptContent` (core/attempt.ts), over the same fields in the same order.
 */
function storedMatchesInput(q: Sql | Tx) {
  const row = (alias: string) =>
    q.unsafe(ATTEMPT_CONTENT_FIELDS.map((field) => `${alias}.${field}`).join(", "));
  return q`(${row("e")}) is not distinct from (${row("i")})`;
}

/** Returns whether the ingest statement's SQL rule deems two attempts the same content. */
export async function sameContentInDatabase(
  q: Sql | Tx,
  stored: EventRow,
  input: EventRow,
): Promise<boolean> {
  const [{ same }] = await q<{ same: boolean }[]>`
    select ${storedMatchesInput(q)} as same
    from (select * from ${inputRows(q, [stored])}) e, (select * from ${inputRows(q, [input])}) i`;
  return same;
}

/** SQLSTATE of an atomic ingest that a concurrent writer raced (nothing was stored). */
export const INGEST_RACED = "40001";

/** SQLSTATE of an atomic ingest refused for a conflicting row (nothing was stored). */
export const INGEST_REFUSED = "ETR01";

/** A conflict status: the event cannot be stored as sent. */
export type EventConflictStatus = Extract<
  EventIngestStatus,
  "different" | "finalized" | "other_player"
>;

/** Thrown by an atomic ingest that stored nothing because row `index` conflicts. */
export class AtomicIngestRefused extends Error {
  constructor(readonly index: number, readonly status: EventConflictStatus) {
    super(`atomic ingest refused: row ${index} is ${status}`);
    this.name = "AtomicIngestRefused";
  }
}

/**
 * Returns one status per row (rows must have distinct attempt keys), storing the acceptable ones
 * in ONE statement: it creates or locks the rows' sessions (one upsert, so every session is one
 * primary-key probe whatever the table size, and a concurrent finalize is waited for), inserts the
 * events of open sessions of the same player, and compares only the rows not inserted with what is
 * stored. Autocommitted on `sql`, or part of the caller's transaction on a `Tx`.
 *
 * `atomic`: the statement stores nothing when any row conflicts — it fails, rolling back its
 * session rows too, and this throws `AtomicIngestRefused` naming the first conflicting row — and
 * fails with SQLSTATE `INGEST_RACED` (storing nothing) when a concurrent writer hid a row from it.
 * Rows of one session must then share one player_id.
 */
export async function ingestEvents(
  q: Sql | Tx,
  rows: readonly EventRow[],
  { atomic = false }: { atomic?: boolean } = {},
): Promise<EventIngestStatus[]> {
  if (rows.length === 0) return [];
  // The flag is SQL text, not a parameter: each mode keeps one cached generic plan (a boolean
  // parameter that prunes the plan makes Postgres re-plan this statement at every execution).
  const isAtomic = atomic ? q`true` : q`false`;
  let result: { ord: number; status: EventIngestStatus }[];
  try {
    result = await q<{ ord: number; status: EventIngestStatus }[]>`
    with input as (
      select * from ${inputRows(q, rows)}
    ),
    sessions as (
      -- Creates the sessions not stored yet and locks the others against a concurrent finalize
      -- (FOR UPDATE there): ON CONFLICT probes the primary key, waits for a concurrent writer of
      -- the same session, and returns the row as committed, finalized or not. The first row of a
      -- session names its player. Sessions are locked in key order (no deadlock between two).
      insert into play_sessions as p (session_id, player_id)
      select distinct on (session_id) session_id, player_id from input
      order by session_id, ord
      on conflict (session_id) do update set player_id = p.player_id
      returning session_id, player_id, finalized_at is not null as finalized
    ),
    stored as (
      insert into raw_events (
        player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
        presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count,
        company_id
      )
      select i.player_id, i.session_id, i.task_version, i.sequence_index, i.sequence_length,
        i.attempt_index, i.presented, i.input, i.is_correct, i.duration_ms, i.ts_utc,
        i.remediation_stage, i.volts_count, i.company_id
      from input i join sessions s on s.session_id = i.session_id
      where not s.finalized and s.player_id = i.player_id
      order by i.session_id, i.sequence_index, i.attempt_index
      on conflict (session_id, sequence_index, attempt_index) do nothing
      returning session_id, sequence_index, attempt_index
    ),
    statuses as (
      -- Rows inserted are 'stored' without reading raw_events; only the others are compared.
      select i.ord, case
          when s.finalized then 'finalized'
          when s.player_id <> i.player_id then 'other_player'
          when st.session_id is not null then 'stored'
          else coalesce((
            select case when ${storedMatchesInput(q)} then 'duplicate' else 'different' end
            from raw_events e
            where e.session_id = i.session_id and e.sequence_index = i.sequence_index
              and e.attempt_index = i.attempt_index), 'retry')
        end as status
      from input i
      join sessions s on s.session_id = i.session_id
      left join stored st on st.session_id = i.session_id
        and st.sequence_index = i.sequence_index and st.attempt_index = i.attempt_index
    )
    select ord::int - 1 as ord, case
        when not ${isAtomic} then status
        when status in ('finalized', 'other_player', 'different') and ord = (
          select min(ord) from statuses
          where status in ('finalized', 'other_player', 'different')
        ) then ingest_refused(ord::int - 1, status)
        when status = 'retry' and exists (select 1 from stored) then ingest_raced()
        else status
      end as status
    from statuses`;
  } catch (err) {
    const refused = atomic && sqlState(err) === INGEST_REFUSED
      ? /^(\d+):(\w+)$/.exec(String((err as { detail?: unknown }).detail))
      : null;
    if (refused) {
      throw new AtomicIngestRefused(Number(refused[1]), refused[2] as EventConflictStatus);
    }
    throw err;
  }
  const statuses: EventIngestStatus[] = new Array(rows.length);
  for (const r of result) statuses[r.ord] = r.status;
  return statuses;
}

/** Inserts the rows as they are (bulk import: sessions exist, keys unique) and returns the count. */
export async function insertEvents(tx: Tx, rows: readonly EventRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await tx`
    insert into raw_events (
      player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
      presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count, company_id
    )
    select player_id, session_id, task_version, sequence_index, sequence_length, attempt_index,
      presented, input, is_correct, duration_ms, ts_utc, remediation_stage, volts_count, company_id
    from ${inputRows(tx, rows)}
    on conflict (session_id, sequence_index, attempt_index) do nothing`;
  return inserted.count;
}

/** Returns the key string of an attempt. */
export function attemptKey(
  e: { session_id: string; sequence_index: number; attempt_index: number },
): string {
  return `${e.session_id}|${e.sequence_index}|${e.attempt_index}`;
}
