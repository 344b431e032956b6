/** SQL for the company registry and company aggregates. */
import type { BucketType } from "../core/time.ts";
import type { Sql, Tx } from "./client.ts";

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
export async function registerCompany(tx: Tx, companyId: string, token: string): Promise<void> {
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

/** Returns the number of distinct players with a finalized session in the company. */
export async function companyPlayerCount(sql: Sql, companyId: string): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(distinct player_id)::int as n from session_summary
    where company_id = ${companyId}`;
  return rows[0].n;
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
  const rows = await sql<CompanyTotals[]>`
    select count(distinct player_id)::int as n_players, count(*)::int as n_sessions,
      avg(fta_level) as avg_fta, avg(repetition_burden) as avg_burden,
      avg(earth_score_bucket)::float8 as avg_bucket
    from session_summary where company_id = ${companyId}`;
  return rows[0];
}

export interface BucketRow {
  bucket_start: string;
  n_players: number;
  n_sessions: number;
  avg_fta: number;
  avg_burden: number;
}

const bucketExpr = (sql: Sql, type: BucketType) =>
  sql`to_char(date_trunc(${type}, played_at at time zone 'UTC'), 'YYYY-MM-DD')`;

/** Returns the company's per-day or per-week aggregates by play time, oldest first. */
export async function companyBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
): Promise<BucketRow[]> {
  return await sql<BucketRow[]>`
    select ${bucketExpr(sql, type)} as bucket_start, count(distinct player_id)::int as n_players,
      count(*)::int as n_sessions, avg(fta_level) as avg_fta, avg(repetition_burden) as avg_burden
    from session_summary where company_id = ${companyId}
    group by 1 order by 1`;
}

/** Returns the number of distinct players over a set of the company's buckets. */
export async function playersInBuckets(
  sql: Sql,
  companyId: string,
  type: BucketType,
  starts: readonly string[],
): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    select count(distinct player_id)::int as n from session_summary
    where company_id = ${companyId} and ${bucketExpr(sql, type)} = any(${starts as string[]})`;
  return rows[0].n;
}
