/** SQL for attempt events and the play sessions they belong to. */
import { ATTEMPT_CONTENT_FIELDS } from "../core/attempt.ts";
import { type Sql, textArray, type Tx } from "./client.ts";

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

/** Returns the rows as a SQL fragment `jsonb_to_recordset(…) as x(ord, …columns)`. */
function recordset(q: Sql | Tx, rows: readonly EventRow[]) {
  const json = rows.map((row, ord) => ({ ...row, ts_utc: row.ts_utc.toISOString(), ord }));
  return q`jsonb_to_recordset(${q.json(json)}) as x(
    ord int, player_id text, session_id text, task_version text, sequence_index int,
    sequence_length int, attempt_index smallint, presented jsonb, input jsonb,
    is_correct boolean, duration_ms bigint, ts_utc timestamptz, remediation_stage text,
    volts_count int, company_id text)`;
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
    from (select * from ${recordset(q, [stored])}) e, (select * from ${recordset(q, [input])}) i`;
  return same;
}

/** SQLSTATE of an atomic ingest that a concurrent writer raced (nothing was stored). */
export const INGEST_RACED = "40001";

/**
 * Returns one status per row (rows must have distinct attempt keys), storing the acceptable ones
 * in ONE statement: it creates missing sessions, share-locks existing ones against a concurrent
 * finalize, inserts the events of open sessions of the same player, and compares the others with
 * what is stored. Autocommitted on `sql`, or part of the caller's transaction on a `Tx`.
 *
 * `atomic`: the statement stores nothing when any row conflicts with what it sees, and fails
 * with SQLSTATE `INGEST_RACED` (storing nothing) when a concurrent writer hid a row from it.
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
  const clean = atomic ? q`and not exists (select 1 from problem)` : q``;
  // `= any(array)` is planned as primary-key probes at every table size (`in (select … from
  // input)` was planned as a hash join over all sessions once the table grew).
  const sessionIds = [...new Set(rows.map((r) => r.session_id))];
  const result = await q<{ ord: number; status: EventIngestStatus }[]>`
    with input as (
      select * from ${recordset(q, rows)}
    ),
    existing as (
      select session_id, player_id, finalized_at is not null as finalized
      from play_sessions
      where session_id = any(${textArray(q, sessionIds)})
      order by session_id
      for share
    ),
    problem as (
      -- Only rows of sessions that existed can conflict with what is stored.
      select 1 from input i join existing s on s.session_id = i.session_id
      where ${isAtomic} and (s.finalized or s.player_id <> i.player_id or exists (
        select 1 from raw_events e
        where e.session_id = i.session_id and e.sequence_index = i.sequence_index
          and e.attempt_index = i.attempt_index and not ${storedMatchesInput(q)}))
      limit 1
    ),
    created as (
      -- Sessions this statement did not see. If a concurrent writer creates one first, the
      -- no-op update waits for it, then locks and returns its row (invisible to a plain select).
      insert into play_sessions as p (session_id, player_id)
      select distinct on (session_id) session_id, player_id from input
      where session_id not in (select session_id from existing) ${clean}
      order by session_id, ord
      on conflict (session_id) do update set player_id = p.player_id
      returning session_id, player_id, finalized_at is not null as finalized
    ),
    sessions as (select * from created union all select * from existing),
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
      where not s.finalized and s.player_id = i.player_id ${clean}
      order by i.session_id, i.sequence_index, i.attempt_index
      on conflict (session_id, sequence_index, attempt_index) do nothing
      returning session_id, sequence_index, attempt_index
    ),
    statuses as (
      select i.ord, case
          when s.session_id is null then 'retry'
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
      left join sessions s on s.session_id = i.session_id
      left join stored st on st.session_id = i.session_id
        and st.sequence_index = i.sequence_index and st.attempt_index = i.attempt_index
    )
    select ord, case
        when ${isAtomic} and status = 'retry' and exists (select 1 from stored)
          then ingest_raced()
        else status
      end as status
    from statuses`;
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
    from ${recordset(tx, rows)}
    on conflict (session_id, sequence_index, attempt_index) do nothing`;
  return inserted.count;
}

/** Returns the key string of an attempt. */
export function attemptKey(
  e: { session_id: string; sequence_index: number; attempt_index: number },
): string {
  return `${e.session_id}|${e.sequence_index}|${e.attempt_index}`;
}
