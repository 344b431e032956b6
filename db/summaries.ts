/** SQL for finalize: the session lock, its attempts, and session summaries. */
import type { AttemptInput, MetricValue, MetricValues, TaskModel } from "../core/tasks.ts";
import type { Sql, Tx } from "./client.ts";

/** A stored summary row as the API returns it. */
export interface SummaryRow {
  id: number;
  player_id: string;
  session_id: string;
  task_version: string;
  /** The task the session was finalized with (core/tasks.ts). */
  task: string;
  /** The task's metrics, by key (exactly the task's registered ones). */
  metrics: Record<string, MetricValue>;
  created_ts_utc: Date;
  company_id: string | null;
  played_at: Date;
  n_attempts: number;
}

/** What finalize needs to know about a session's attempts, aggregated in SQL. */
export interface SessionAttempts {
  outcomes: AttemptInput[];
  company_ids: (string | null)[];
  task_version: string;
  played_at: Date;
  ended_at: Date;
  n_attempts: number;
}

const SUMMARY_COLUMNS = (sql: Sql | Tx) =>
  sql`id::float8 as id, player_id, session_id, task_version, task, metrics, created_ts_utc,
    company_id, played_at, n_attempts`;

/**
 * Returns the session's owner and whether it is finalized, locking it for finalize. The table
 * lock (ROW EXCLUSIVE, which the finalize's update needs anyway) comes before the row lock, as
 * in event ingest and erasure (db/privacy.ts): a finalize never holds a session row while it
 * waits for an erasure's table lock, so the two cannot deadlock.
 */
export async function lockSessionForFinalize(
  tx: Tx,
  sessionId: string,
): Promise<{ player_id: string; finalized: boolean } | null> {
  // Pipelined: both are sent at once and run in this order.
  const [, rows] = await Promise.all([
    tx`lock table play_sessions in row exclusive mode`,
    tx<{ player_id: string; finalized: boolean }[]>`
      select player_id, finalized_at is not null as finalized
      from play_sessions where session_id = ${sessionId} for update`,
  ]);
  return rows[0] ?? null;
}

/** Returns the session's attempts and their aggregates, or null when it has none. */
export async function sessionAttempts(tx: Tx, sessionId: string): Promise<SessionAttempts | null> {
  const rows = await tx<(SessionAttempts & { n_attempts: number })[]>`
    select
      jsonb_agg(jsonb_build_object('sequence_index', sequence_index,
        'attempt_index', attempt_index, 'is_correct', is_correct,
        'duration_ms', duration_ms)) as outcomes,
      jsonb_agg(distinct company_id) as company_ids,
      (array_agg(task_version order by ts_utc, id))[1] as task_version,
      min(ts_utc) as played_at,
      max(ts_utc + duration_ms * interval '1 millisecond') as ended_at,
      count(*)::int as n_attempts
    from raw_events where session_id = ${sessionId}`;
  const row = rows[0];
  return row && row.n_attempts > 0 ? row : null;
}

/** Returns the summary of a session, or null. */
export async function findSummary(sql: Sql | Tx, sessionId: string): Promise<SummaryRow | null> {
  const rows = await sql<SummaryRow[]>`
    select ${SUMMARY_COLUMNS(sql)} from session_summary where session_id = ${sessionId}`;
  return rows[0] ?? null;
}

/** Stores a summary, marks the session finalized, and returns the stored row. */
export async function insertSummary(
  tx: Tx,
  s: {
    player_id: string;
    session_id: string;
    task_version: string;
    company_id: string | null;
    played_at: Date;
    n_attempts: number;
    created_ts_utc: Date;
    task: string;
    metrics: Readonly<Record<string, MetricValue>>;
  },
): Promise<SummaryRow> {
  // Both statements are sent at once (pipelined; they run in this order).
  const [rows] = await Promise.all([
    tx<SummaryRow[]>`
      insert into session_summary (player_id, session_id, task_version, task, metrics,
        company_id, played_at, n_attempts, created_ts_utc)
      values (${s.player_id}, ${s.session_id}, ${s.task_version}, ${s.task},
        ${tx.json(s.metrics as Record<string, MetricValue>)}, ${s.company_id}, ${s.played_at},
        ${s.n_attempts}, ${s.created_ts_utc})
      returning ${SUMMARY_COLUMNS(tx)}`,
    tx`
      update play_sessions set finalized_at = ${s.created_ts_utc}
      where session_id = ${s.session_id}`,
  ]);
  return rows[0];
}

/** Returns the summaries with the given ids, by id. */
export async function summariesByIds(
  sql: Sql,
  ids: readonly number[],
): Promise<Map<number, SummaryRow>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<SummaryRow[]>`
    select ${SUMMARY_COLUMNS(sql)} from session_summary
    where id = any(array(select jsonb_array_elements_text(${sql.json(ids as number[])})::bigint))`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** Returns a player's summaries in finalize order. */
export async function playerSummaries(sql: Sql, playerId: string): Promise<SummaryRow[]> {
  return await sql<SummaryRow[]>`
    select ${SUMMARY_COLUMNS(sql)} from session_summary
    where player_id = ${playerId} order by id`;
}

/**
 * Returns the model's metrics (features and target, numeric) of a player's sessions of its task,
 * in play order. Only those keys are read, as float8 columns: a finalize retrains on every
 * session of the player, and parsing each session's whole metrics object cost it 0.13 ms of
 * client CPU per 100 sessions (docs/performance.md, "No loss, third pass").
 */
export async function playerModelSeries(
  sql: Sql | Tx,
  playerId: string,
  model: TaskModel,
): Promise<MetricValues[]> {
  const keys = [...new Set([...model.features, model.target])];
  const columns = keys.map((k) => sql`(metrics ->> ${k})::float8 as ${sql(k)}`)
    .reduce((list, column) => sql`${list}, ${column}`);
  return await sql<MetricValues[]>`
    select ${columns} from session_summary
    where player_id = ${playerId} and task = ${model.name}
    order by played_at, id`;
}

/** Returns the metrics of a player's newest session of a model's task, or null. */
export async function lastOfModel(
  sql: Sql,
  playerId: string,
  model: TaskModel,
): Promise<MetricValues | null> {
  const rows = await sql<{ metrics: MetricValues }[]>`
    select metrics from session_summary
    where player_id = ${playerId} and task = ${model.name}
    order by played_at desc, id desc limit 1`;
  return rows[0]?.metrics ?? null;
}
