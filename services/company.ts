/** Company dashboards: token resolution, info, aggregates and privacy-guarded time series. */
import { companyIdFor, constantTimeEqual, dashboardTokenFor } from "../core/company.ts";
import { badRequest, deniedCredentials, forbidden } from "../core/errors.ts";
import { initialSuppression, nextComplementary } from "../core/privacy.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import {
  companyBuckets,
  companyByToken,
  companyPlayerCount,
  type CompanyRow,
  companyTotals,
  playersInBuckets,
  upsertCompany,
} from "../db/companies.ts";
import type { CompanyInfo, CompanySummary, SeededCompany, Timeseries } from "../openapi/company.ts";

const TOKEN_SHAPE = /^[0-9a-f]{24}$/;

async function registryRow(sql: Sql, token: string | undefined): Promise<CompanyRow> {
  const denied = deniedCredentials("Invalid or missing dashboard token");
  if (!token || !TOKEN_SHAPE.test(token)) throw denied;
  const row = await companyByToken(sql, token);
  if (!row || !constantTimeEqual(row.dashboard_token, token)) throw denied;
  return row;
}

/** Returns the company id a dashboard token grants, or throws 403. */
export async function resolveCompany(sql: Sql, token: string | undefined): Promise<string> {
  return (await registryRow(sql, token)).company_id;
}

function insufficient(n: number, k: number): string {
  return `Not enough data yet: ${n} of ${k} players needed before aggregates are shown.`;
}

/** Returns the company info (always available for a valid token). */
export async function companyInfo(
  sql: Sql,
  config: Config,
  token: string | undefined,
): Promise<CompanyInfo> {
  return (await namedCompanyInfo(sql, config, token)).info;
}

/** Returns the company info and the registered company name (null where none is known). */
export async function namedCompanyInfo(
  sql: Sql,
  config: Config,
  token: string | undefined,
): Promise<{ info: CompanyInfo; name: string | null }> {
  const row = await registryRow(sql, token);
  return { info: await infoOf(sql, config, row.company_id), name: row.company_name };
}

async function infoOf(sql: Sql, config: Config, companyId: string): Promise<CompanyInfo> {
  const n = await companyPlayerCount(sql, companyId);
  const enough = n >= config.minCompanyN;
  return {
    company_id: companyId,
    n_players: n,
    has_sufficient_data: enough,
    message: enough
      ? `Aggregates available over ${n} players.`
      : insufficient(n, config.minCompanyN),
  };
}

/** Returns the company aggregates, or throws 403 below MIN_COMPANY_N players. */
export async function companySummary(
  sql: Sql,
  config: Config,
  token: string | undefined,
): Promise<CompanySummary> {
  const companyId = await resolveCompany(sql, token);
  const t = await companyTotals(sql, companyId);
  if (t.n_players < config.minCompanyN) {
    throw forbidden(insufficient(t.n_players, config.minCompanyN));
  }
  return {
    company_id: companyId,
    n_players: t.n_players,
    n_sessions: t.n_sessions,
    avg_brain_performance_score: t.avg_fta ?? 0,
    avg_repetition_burden: t.avg_burden ?? 0,
    avg_earth_score_bucket: t.avg_bucket ?? 0,
  };
}

/** Returns the bucket type of a query value, or throws 400. */
export function parseBucketType(value: string | undefined): BucketType {
  if (value === undefined || value === "day") return "day";
  if (value === "week") return "week";
  throw badRequest("bucket must be 'day' or 'week'");
}

/** Returns the privacy-guarded time series, or throws 403 below MIN_COMPANY_N players. */
export async function companyTimeseries(
  sql: Sql,
  config: Config,
  token: string | undefined,
  bucket: string | undefined,
): Promise<Timeseries> {
  const companyId = await resolveCompany(sql, token);
  const type = parseBucketType(bucket);
  const k = config.minCompanyN;
  const n = await companyPlayerCount(sql, companyId);
  if (n < k) throw forbidden(insufficient(n, k));

  const rows = await companyBuckets(sql, companyId, type);
  const stats = rows.map((r) => ({ bucket_start: r.bucket_start, n_players: r.n_players }));
  const suppressed = initialSuppression(stats, k);
  while (suppressed.length > 0) {
    const together = await playersInBuckets(sql, companyId, type, suppressed);
    const next = nextComplementary(stats, suppressed, together, k);
    if (next === null) break;
    suppressed.push(next);
  }
  const hidden = new Set(suppressed);
  return {
    company_id: companyId,
    bucket_type: type,
    buckets: rows.filter((r) => !hidden.has(r.bucket_start)).map((r) => ({
      bucket_start: r.bucket_start,
      bucket_end: bucketEnd(r.bucket_start, type),
      n_sessions: r.n_sessions,
      avg_brain_performance_score: r.avg_fta,
      avg_repetition_burden: r.avg_burden,
    })),
    suppressed_buckets: hidden.size,
  };
}

/** Returns the registered company (upsert by company_id; an explicit id wins over the name). */
export async function seedCompany(
  sql: Sql,
  config: Config,
  body: { company_name: string; company_id?: string },
): Promise<SeededCompany> {
  const companyId = body.company_id ?? companyIdFor(body.company_name, config.companySalt);
  const row = await upsertCompany(sql, {
    company_id: companyId,
    company_name: body.company_name,
    dashboard_token: dashboardTokenFor(companyId, config.dashboardTokenSalt),
  });
  return {
    company_id: row.company_id,
    company_name: row.company_name ?? body.company_name,
    dashboard_token: row.dashboard_token,
  };
}
