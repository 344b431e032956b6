/** SQL for the company registry and company aggregates. */
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

/** Kind of a `company_bucket` row: all time, UTC day, ISO week (migration 0003). */
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

export interface CompanyTotals {
  n_players: number;
  n_sessions: number;
  /** Distinct players with an earth session, and the earth averages (null without one). */
  n_earth_players: number;
  avg_fta: number | null;
  avg_burden: number | null;
  avg_bucket: number | null;
  /** Water sessions, their distinct players, and the stress average (null without one). */
  n_water_sessions: number;
  n_water_players: number;
  avg_stress: number | null;
}

/** The company's counts and averages of one company_bucket row (earth over earth sessions). */
const AGGREGATES = (sql: Sql) =>
  sql`n_players, n_sessions, n_earth_players, n_water_sessions, n_water_players,
    sum_fta / nullif(n_earth_sessions, 0) as avg_fta,
    sum_burden / nullif(n_earth_sessions, 0) as avg_burden,
    sum_stress / nullif(n_water_sessions, 0) as avg_stress`;

/** Returns the company's aggregates over all its finalized sessions. */
export async function companyTotals(sql: Sql, companyId: string): Promise<CompanyTotals> {
  // avg_bucket as avg(smallint) computes it: numeric division, then float8.
  const rows = await sql<CompanyTotals[]>`
    select ${AGGREGATES(sql)},
      (sum_bucket::numeric / nullif(n_earth_sessions, 0))::float8 as avg_bucket
    from company_bucket
    where company_id = ${companyId} and kind = ${KIND.all} and bucket_start = ${ALL_TIME}`;
  return rows[0] ?? {
    n_players: 0,
    n_sessions: 0,
    n_earth_players: 0,
    avg_fta: null,
    avg_burden: null,
    avg_bucket: null,
    n_water_sessions: 0,
    n_water_players: 0,
    avg_stress: null,
  };
}

export interface BucketRow {
  bucket_start: string;
  n_players: number;
  n_sessions: number;
  n_earth_players: number;
  avg_fta: number | null;
  avg_burden: number | null;
  n_water_sessions: number;
  n_water_players: number;
  avg_stress: number | null;
}

/** Returns the company's per-day or per-week aggregates by play time, oldest first. */
export async function companyBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
): Promise<BucketRow[]> {
  return await sql<BucketRow[]>`
    select to_char(bucket_start, 'YYYY-MM-DD') as bucket_start, ${AGGREGATES(sql)}
    from company_bucket where company_id = ${companyId} and kind = ${KIND[type]}
    order by bucket_start`;
}

/** Which players a distinct count covers: all, or those with a session of one metric's task. */
export type PlayerMetric = "all" | "earth" | "water";

/** Returns the number of distinct players (of a metric) over a set of the company's buckets. */
export async function playersInBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
  starts: readonly string[],
  metric: PlayerMetric = "all",
): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(distinct player_id)::int as n from company_bucket_player
    where company_id = ${companyId} and kind = ${KIND[type]}
      and bucket_start = any(${textArray(sql, starts)}::date[])
      ${metric === "earth" ? sql`and earth` : metric === "water" ? sql`and water` : sql``}`;
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
export interface CompanyModelRow extends MetricValues {
  status: "trained" | "insufficient_data";
  n_samples: number;
  coefficients: number[] | null;
  intercept: number | null;
  mae: number | null;
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
  // The presence flags of company_bucket_player (migration 0010), one per task.
  const flag = model.name === "earth" ? sql`p.earth` : model.name === "water" ? sql`p.water` : null;
  if (flag === null) throw new Error(`company aggregates know no model ${model.name}`);
  return await sql<CompanyModelRow[]>`
    select m.status, m.n_samples, m.coefficients, m.intercept, m.mae, l.fta_level,
      l.repetition_burden, l.stress_score
    from company_bucket_player p
    join model_state m on m.player_id = p.player_id and m.model_name = ${model.name}
      and m.status = 'trained'
    cross join lateral (
      select s.fta_level, s.repetition_burden, s.stress_score from session_summary s
      where s.player_id = p.player_id and ${sql(model.target)} is not null
      order by s.played_at desc, s.id desc limit 1
    ) l
    where p.company_id = ${companyId} and p.kind = ${KIND.all} and p.bucket_start = ${ALL_TIME}
      and ${flag}
    order by p.player_id`;
}
