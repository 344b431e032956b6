/** SQL for the company registry and company aggregates. */
import type { LearnerModel } from "../core/learner.ts";
import type { MetricValues, TaskModel } from "../core/tasks.ts";
import type { BucketType } from "../core/time.ts";
import { type Sql, textArray, type Tx } from "./client.ts";

export interface CompanyRow {
  company_id: string;
  company_name: string | null;
  dashboard_token: string;
}

/** Returns the company a dashboard token belongs to (indexed lookup), or null. */
export async function companyByToken(sql: Sql, token: string): Promise<CompanyRow | null> {
  const rows = await sql<CompanyRow[]>`
    select company_id, company_name, dashboard_token from company_registry
    where dashboard_token = ${token}`;
  return rows[0] ?? null;
}

/** Registers a company unless it is known already (finalize's auto-registration). */
export async function insertCompanyToken(tx: Tx, companyId: string, token: string): Promise<void> {
  await tx`
    insert into company_registry (company_id, company_name, dashboard_token)
    values (${companyId}, null, ${token})
    on conflict do nothing`;
}

/** Creates or updates a company and returns the stored row. */
export async function upsertCompany(sql: Sql, row: CompanyRow): Promise<CompanyRow> {
  const rows = await sql<CompanyRow[]>`
    insert into company_registry (company_id, company_name, dashboard_token)
    values (${row.company_id}, ${row.company_name}, ${row.dashboard_token})
    on conflict (company_id) do update set company_name = excluded.company_name,
      dashboard_token = excluded.dashboard_token
    returning company_id, company_name, dashboard_token`;
  return rows[0];
}

/** Kind of a `company_bucket` row: all time, UTC day, ISO week (migration 0003); no months. */
const KIND = { all: "a", day: "d", week: "w" } as const;
/** bucket_start of the company's all-time row. */
const ALL_TIME = "1970-01-01";

/** Returns the number of distinct players with a finalized session in the company. */
export async function companyPlayerCount(sql: Sql, companyId: string): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select n_players as n from company_bucket
    where company_id = ${companyId} and kind = ${KIND.all} and bucket_start = ${ALL_TIME}`;
  return rows[0]?.n ?? 0;
}

/** One company metric of one task over a bucket (company_metric, migration 0012). */
export interface MetricAggregate {
  task: string;
  metric: string;
  /** The task's sessions in the bucket. */
  n_sessions: number;
  /** Distinct players with a session of the task in the bucket. */
  n_players: number;
  /** The mean of the metric over those sessions (null without one). */
  avg: number | null;
}

export interface CompanyTotals {
  n_players: number;
  n_sessions: number;
  /** Per task and company metric, in task and metric order; absent: no session of the task. */
  metrics: MetricAggregate[];
}

/** company_bucket.metrics (migration 0017): [task, metric, n_sessions, n_players, avg] rows. */
type PivotedMetrics = [string, string, number, number, number | null][];

/** Returns a bucket's pivoted metrics as aggregates (stored in task and metric order). */
function unpivot(metrics: PivotedMetrics): MetricAggregate[] {
  return metrics.map(([task, metric, n_sessions, n_players, avg]) => ({
    task,
    metric,
    n_sessions,
    n_players,
    avg,
  }));
}

/** Returns the company's aggregates over all its finalized sessions. */
export async function companyTotals(sql: Sql, companyId: string): Promise<CompanyTotals> {
  const rows = await sql<{ n_players: number; n_sessions: number; metrics: PivotedMetrics }[]>`
    select n_players, n_sessions, metrics from company_bucket
    where company_id = ${companyId} and kind = ${KIND.all} and bucket_start = ${ALL_TIME}`;
  const row = rows[0];
  if (row === undefined) return { n_players: 0, n_sessions: 0, metrics: [] };
  return { n_players: row.n_players, n_sessions: row.n_sessions, metrics: unpivot(row.metrics) };
}

export interface BucketRow {
  bucket_start: string;
  n_players: number;
  n_sessions: number;
  /** Per task and company metric with a session in the bucket, in task and metric order. */
  metrics: MetricAggregate[];
}

/** A bucket row as the SQL answers it (its metrics as pivoted rows). */
type PivotedBucketRow = {
  bucket_start: string;
  n_players: number;
  n_sessions: number;
  metrics: PivotedMetrics;
};

/**
 * Returns the company's per-day, per-week or per-month aggregates by play time, oldest first: one
 * row per bucket, its metrics pivoted into the row. Days and weeks are kept by the insert trigger
 * (company_bucket.metrics, from company_metric); months are computed here at read time.
 */
export async function companyBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
): Promise<BucketRow[]> {
  const rows = type === "month" ? await monthBuckets(sql, companyId) : await sql<
    PivotedBucketRow[]
  >`
    select to_char(bucket_start, 'YYYY-MM-DD') as bucket_start, n_players, n_sessions, metrics
    from company_bucket where company_id = ${companyId} and kind = ${KIND[type]}
    order by bucket_start`;
  return rows.map((r) => ({
    bucket_start: r.bucket_start,
    n_players: r.n_players,
    n_sessions: r.n_sessions,
    metrics: unpivot(r.metrics),
  }));
}

/** Returns the SQL of a row's bucket start as a bucket of `type`: a day row's month for months. */
function bucketStartOf(sql: Sql, type: BucketType) {
  return type === "month" ? sql`date_trunc('month', bucket_start)::date` : sql`bucket_start`;
}

/**
 * Returns the company's per-month aggregates in the shape company_bucket keeps for days and weeks
 * (migration 0017), added up from the day rows the insert trigger keeps: per UTC calendar month
 * its sessions (Σ of its days') and distinct players (company_bucket_player), and per task and
 * company metric the sessions and sums of company_metric with the task's distinct players, the
 * mean as the trigger computes it (float8 division; numeric first for a metric with levels). No
 * SQL here names a task or a metric, and no session row is read: a month costs a read of at most
 * 31 day rows per metric and of the month's player-days.
 */
async function monthBuckets(sql: Sql, companyId: string): Promise<PivotedBucketRow[]> {
  return await sql<PivotedBucketRow[]>`
    with days as (
      select date_trunc('month', bucket_start)::date as month, n_sessions
      from company_bucket where company_id = ${companyId} and kind = 'd'
    ), players as (
      select date_trunc('month', bucket_start)::date as month, player_id, tasks
      from company_bucket_player where company_id = ${companyId} and kind = 'd'
    ), b as (
      select d.month, d.n_sessions, p.n_players
      from (select month, sum(n_sessions)::int as n_sessions from days group by 1) d
      join (select month, count(distinct player_id)::int as n_players from players group by 1) p
        on p.month = d.month
    ), task_players as (
      select month, t.task, count(distinct player_id)::int as n_players
      from players cross join unnest(tasks) t(task) group by 1, 2
    ), m as (
      select date_trunc('month', m.bucket_start)::date as month, m.task, m.metric,
        sum(m.n_sessions)::int as n_sessions,
        case when d.levels is null then sum(m.sum) / nullif(sum(m.n_sessions), 0)
          else (sum(m.sum)::numeric / nullif(sum(m.n_sessions), 0))::float8 end as avg
      from company_metric m
      left join task_metric d on d.task = m.task and d.metric = m.metric
      where m.company_id = ${companyId} and m.kind = 'd'
      group by 1, 2, 3, d.levels
    ), pivoted as (
      select m.month, json_agg(json_build_array(m.task, m.metric, m.n_sessions,
        coalesce(tp.n_players, 0), m.avg) order by m.task, m.metric) as metrics
      from m left join task_players tp on tp.month = m.month and tp.task = m.task
      group by 1
    )
    select to_char(b.month, 'YYYY-MM-DD') as bucket_start, b.n_players, b.n_sessions,
      coalesce(pivoted.metrics, '[]'::json) as metrics
    from b left join pivoted on pivoted.month = b.month
    order by b.month`;
}

/** Returns the aggregate of one task's metric among a bucket's, or undefined. */
export function metricOf(
  metrics: readonly MetricAggregate[],
  task: string,
  metric: string,
): MetricAggregate | undefined {
  return metrics.find((m) => m.task === task && m.metric === metric);
}

/**
 * Returns the number of distinct players over a set of the company's buckets: all of them, or
 * (given a task) those with a session of that task there (a month: over its days' rows).
 */
export async function playersInBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
  starts: readonly string[],
  task: string | null = null,
): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(distinct player_id)::int as n from company_bucket_player
    where company_id = ${companyId} and kind = ${type === "month" ? KIND.day : KIND[type]}
      and ${bucketStartOf(sql, type)} = any(${textArray(sql, starts)}::date[])
      ${task === null ? sql`` : sql`and ${task} = any(tasks)`}`;
  return rows[0].n;
}

/**
 * Recomputes the company aggregates from session_summary, for the given companies or for all;
 * needed only after rows were written with triggers off (`session_replication_role = replica`).
 */
export async function rebuildCompanyAggregates(
  sql: Sql | Tx,
  companyIds: readonly string[] | null = null,
): Promise<void> {
  await sql`select company_aggregates_rebuild(${companyIds as string[] | null}::text[])`;
}

/** A trained model of one of the company's players and that player's newest session of its task. */
export interface CompanyModelRow extends LearnerModel {
  /** The metrics of the player's newest session of the task. */
  metrics: MetricValues;
}

/**
 * Returns, per player with a session of the model's task in the company and a trained model of
 * it, the model and the player's newest session of the task (any company), in player order.
 */
export async function companyTrainedModels(
  sql: Sql,
  companyId: string,
  model: TaskModel,
): Promise<CompanyModelRow[]> {
  // A model is named after its task (core/tasks.ts); tasks lists the player's tasks there.
  return await sql<CompanyModelRow[]>`
    select m.status, m.n_samples, m.coefficients, m.intercept, m.mae, l.metrics
    from company_bucket_player p
    join model_state m on m.player_id = p.player_id and m.model_name = ${model.name}
      and m.status = 'trained'
    cross join lateral (
      select s.metrics from session_summary s
      where s.player_id = p.player_id and s.task = ${model.name}
      order by s.played_at desc, s.id desc limit 1
    ) l
    where p.company_id = ${companyId} and p.kind = ${KIND.all} and p.bucket_start = ${ALL_TIME}
      and ${model.name} = any(p.tasks)
    order by p.player_id`;
}
