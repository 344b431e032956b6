/** Company dashboards: token resolution, info, aggregates and privacy-guarded time series. */
import { companyIdFor, constantTimeEqual, dashboardTokenFor } from "../core/company.ts";
import { badRequest, deniedCredentials, forbidden } from "../core/errors.ts";
import { type BucketStat, initialSuppression, nextComplementary } from "../core/privacy.ts";
import { predictTaskNext, taskByModel } from "../core/tasks.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import {
  type BucketRow,
  companyBuckets,
  companyByToken,
  companyPlayerCount,
  type CompanyRow,
  companyTotals,
  companyTrainedModels,
  type PlayerMetric,
  playersInBuckets,
  upsertCompany,
} from "../db/companies.ts";
import type {
  CompanyForecast,
  CompanyInfo,
  CompanySummary,
  SeededCompany,
  Timeseries,
} from "../openapi/company.ts";

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
  // Each average only when at least k distinct players stand behind that very average.
  const earth = t.n_earth_players >= config.minCompanyN;
  const water = t.n_water_players >= config.minCompanyN;
  return {
    company_id: companyId,
    n_players: t.n_players,
    n_sessions: t.n_sessions,
    avg_brain_performance_score: earth ? t.avg_fta : null,
    avg_repetition_burden: earth ? t.avg_burden : null,
    avg_earth_score_bucket: earth ? t.avg_bucket : null,
    n_water_sessions: t.n_water_sessions,
    avg_stress_score: water ? t.avg_stress : null,
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
  const hidden = new Set(
    await suppress(stats, [], k, (starts) => playersInBuckets(sql, companyId, type, starts)),
  );
  // Per metric, over the buckets with a session of its task: those left out above, those with
  // fewer than k of its players, and complementary suppression among them.
  const metricHidden = async (metric: PlayerMetric, players: (r: BucketRow) => number) => {
    const of = rows.filter((r) => players(r) > 0);
    const metricStats = of.map((r) => ({ bucket_start: r.bucket_start, n_players: players(r) }));
    const already = of.filter((r) => hidden.has(r.bucket_start)).map((r) => r.bucket_start);
    return new Set(
      await suppress(
        metricStats,
        already,
        k,
        (starts) => playersInBuckets(sql, companyId, type, starts, metric),
      ),
    );
  };
  const noEarth = await metricHidden("earth", (r) => r.n_earth_players);
  const noWater = await metricHidden("water", (r) => r.n_water_players);
  return {
    company_id: companyId,
    bucket_type: type,
    buckets: rows.filter((r) => !hidden.has(r.bucket_start)).map((r) => {
      const earth = !noEarth.has(r.bucket_start);
      return {
        bucket_start: r.bucket_start,
        bucket_end: bucketEnd(r.bucket_start, type),
        n_sessions: r.n_sessions,
        avg_brain_performance_score: earth ? r.avg_fta : null,
        avg_repetition_burden: earth ? r.avg_burden : null,
        n_water_sessions: r.n_water_sessions,
        avg_stress_score: noWater.has(r.bucket_start) ? null : r.avg_stress,
      };
    }),
    suppressed_buckets: hidden.size,
  };
}

/**
 * Returns every suppressed bucket_start: those already hidden, those with fewer than k players,
 * and then complementary suppression until the hidden ones hold at least k distinct players.
 */
async function suppress(
  stats: readonly BucketStat[],
  already: readonly string[],
  k: number,
  distinctPlayersOf: (starts: readonly string[]) => Promise<number>,
): Promise<string[]> {
  const suppressed = [...new Set([...already, ...initialSuppression(stats, k)])];
  while (suppressed.length > 0) {
    const together = await distinctPlayersOf(suppressed);
    const next = nextComplementary(stats, suppressed, together, k);
    if (next === null) break;
    suppressed.push(next);
  }
  return suppressed;
}

/** Returns the mean next-session prediction per task, or throws 403 below MIN_COMPANY_N players. */
export async function companyForecast(
  sql: Sql,
  config: Config,
  token: string | undefined,
): Promise<CompanyForecast> {
  const companyId = await resolveCompany(sql, token);
  const k = config.minCompanyN;
  const n = await companyPlayerCount(sql, companyId);
  if (n < k) throw forbidden(insufficient(n, k));
  const forecast = async (name: "earth" | "water") => {
    const model = taskByModel(name)!.model;
    const rows = await companyTrainedModels(sql, companyId, model);
    // A trained model and a newest session always predict (finite inputs); filter for types.
    const predictions = rows.map((r) => predictTaskNext(model, r, r))
      .filter((p): p is number => p !== null);
    const mean = predictions.length >= k
      ? predictions.reduce((a, p) => a + p, 0) / predictions.length
      : null;
    return { mean, n_models: predictions.length };
  };
  const earth = await forecast("earth");
  const water = await forecast("water");
  return {
    earth: { predicted_next_brain_performance: earth.mean, n_models: earth.n_models },
    water: { predicted_next_stress_score: water.mean, n_models: water.n_models },
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
