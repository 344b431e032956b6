/** SQL for the company registry and company aggregates. */
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
  avg_fta: number | null;
  avg_burden: number | null;
  avg_bucket: number | null;
}

/** Returns the company's aggregates over all its finalized sessions. */
export async function companyTotals(sql: Sql, companyId: string): Promise<CompanyTotals> {
  // avg_bucket as avg(smallint) computes it: numeric division, then float8.
  const rows = await sql<CompanyTotals[]>`
    select n_players, n_sessions, sum_fta / n_sessions as avg_fta,
      sum_burden / n_sessions as avg_burden,
      (sum_bucket::numeric / n_sessions)::float8 as avg_bucket
    from company_bucket
    where company_id = ${companyId} and kind = ${KIND.all} and bucket_start = ${ALL_TIME}`;
  return rows[0] ??
    { n_players: 0, n_sessions: 0, avg_fta: null, avg_burden: null, avg_bucket: null };
}

export interface BucketRow {
  bucket_start: string;
  n_players: number;
  n_sessions: number;
  avg_fta: number;
  avg_burden: number;
}

/** Returns the company's per-day or per-week aggregates by play time, oldest first. */
export async function companyBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
): Promise<BucketRow[]> {
  return await sql<BucketRow[]>`
    select to_char(bucket_start, 'YYYY-MM-DD') as bucket_start, n_players, n_sessions,
      sum_fta / n_sessions as avg_fta, sum_burden / n_sessions as avg_burden
    from company_bucket where company_id = ${companyId} and kind = ${KIND[type]}
    order by bucket_start`;
}

/** Returns the number of distinct players over a set of the company's buckets. */
export async function playersInBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
  starts: readonly string[],
): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(distinct player_id)::int as n from company_bucket_player
    where company_id = ${companyId} and kind = ${KIND[type]}
      and bucket_start = any(${textArray(sql, starts)}::date[])`;
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
