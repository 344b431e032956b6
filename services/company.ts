/**
 * Company dashboards: the company token resolved once per request (`openCompany`), then info,
 * aggregates, time series and forecast: released with differential privacy (protected mode,
 * services/company_protected.ts) or exact with k-anonymity (COMPANY_PRIVACY=exact, here).
 */
import { companyIdFor, constantTimeEqual, dashboardTokenFor } from "../core/company.ts";
import type { RandomWords } from "../core/dp_sampler.ts";
import { badRequest, deniedCredentials, forbidden } from "../core/errors.ts";
import { suppressBuckets } from "../core/privacy.ts";
import { predictTaskNext, taskByModel } from "../core/tasks.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type { CompanyPrivacy, Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import {
  protectedForecast,
  protectedInfo,
  protectedSummary,
  protectedTimeseries,
} from "./company_protected.ts";
import { cryptoWords } from "./company_release.ts";
import { type CompanyReader, insufficient, once } from "./_company_reader.ts";

export type { CompanyReader };
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

/** What a company read needs besides the token. */
export interface CompanyReadOptions {
  minCompanyN: number;
  companyPrivacy: CompanyPrivacy;
  now: Date;
  /** The noise source of releases (tests inject a seeded one). */
  random?: RandomWords;
}

/** Returns the reader of the company a dashboard token grants (resolved once), or throws 403. */
export async function openCompany(
  sql: Sql,
  options: CompanyReadOptions,
  token: string | undefined,
): Promise<CompanyReader> {
  const row = await registryRow(sql, token);
  return {
    sql,
    companyId: row.company_id,
    name: row.company_name,
    k: options.minCompanyN,
    privacy: options.companyPrivacy,
    now: options.now,
    random: options.random ?? cryptoWords,
    memo: new Map(),
  };
}

/** Returns the company's exact distinct player count, read once per reader. */
function exactPlayerCount(r: CompanyReader): Promise<number> {
  return once(r, "players", () => companyPlayerCount(r.sql, r.companyId));
}

/** Returns the company info (always available for a valid token). */
export async function companyInfo(r: CompanyReader): Promise<CompanyInfo> {
  if (r.privacy.mode === "protected") return await protectedInfo(r);
  const n = await exactPlayerCount(r);
  const enough = n >= r.k;
  return {
    company_id: r.companyId,
    n_players: n,
    has_sufficient_data: enough,
    message: enough ? `Aggregates available over ${n} players.` : insufficient(n, r.k),
    n_players_interval: null,
    privacy: "exact",
  };
}

/** Returns the company aggregates, or throws 403 below MIN_COMPANY_N players. */
export async function companySummary(r: CompanyReader): Promise<CompanySummary> {
  if (r.privacy.mode === "protected") return await protectedSummary(r);
  const companyId = r.companyId;
  const config = { minCompanyN: r.k };
  const t = await companyTotals(r.sql, companyId);
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
    ...NO_INTERVALS_SUMMARY,
    privacy: "exact",
    released_through: null,
  };
}

const NO_INTERVALS_SUMMARY = {
  n_players_interval: null,
  n_sessions_interval: null,
  avg_brain_performance_score_interval: null,
  avg_repetition_burden_interval: null,
  avg_earth_score_bucket_interval: null,
  n_water_sessions_interval: null,
  avg_stress_score_interval: null,
} as const;

/** Returns the bucket type of a query value, or throws 400. */
export function parseBucketType(value: string | undefined): BucketType {
  if (value === undefined || value === "day") return "day";
  if (value === "week") return "week";
  throw badRequest("bucket must be 'day' or 'week'");
}

/** Returns the privacy-guarded time series, or throws 403 below MIN_COMPANY_N players. */
export async function companyTimeseries(
  r: CompanyReader,
  bucket: string | undefined,
): Promise<Timeseries> {
  const type = parseBucketType(bucket);
  if (r.privacy.mode === "protected") return await protectedTimeseries(r, type);
  const { sql, companyId, k } = r;
  const n = await exactPlayerCount(r);
  if (n < k) throw forbidden(insufficient(n, k));

  const rows = await companyBuckets(sql, companyId, type);
  const stats = rows.map((r) => ({ bucket_start: r.bucket_start, n_players: r.n_players }));
  const hidden = new Set(
    await suppressBuckets(stats, k, (starts) => playersInBuckets(sql, companyId, type, starts)),
  );
  // Per metric, over the buckets with a session of its task: those left out above, those with
  // fewer than k of its players, and complementary suppression among them.
  const metricHidden = async (metric: PlayerMetric, players: (r: BucketRow) => number) => {
    const of = rows.filter((r) => players(r) > 0);
    const metricStats = of.map((r) => ({ bucket_start: r.bucket_start, n_players: players(r) }));
    const already = of.filter((r) => hidden.has(r.bucket_start)).map((r) => r.bucket_start);
    return new Set(
      await suppressBuckets(
        metricStats,
        k,
        (starts) => playersInBuckets(sql, companyId, type, starts, metric),
        already,
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
        n_sessions_interval: null,
        avg_brain_performance_score_interval: null,
        avg_repetition_burden_interval: null,
        n_water_sessions_interval: null,
        avg_stress_score_interval: null,
      };
    }),
    suppressed_buckets: hidden.size,
    privacy: "exact",
    next_release_at: null,
  };
}

/** Returns the mean next-session prediction per task, or throws 403 below MIN_COMPANY_N players. */
export async function companyForecast(r: CompanyReader): Promise<CompanyForecast> {
  if (r.privacy.mode === "protected") return await protectedForecast(r);
  const { sql, companyId, k } = r;
  const n = await exactPlayerCount(r);
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
    earth: {
      predicted_next_brain_performance: earth.mean,
      n_models: earth.n_models,
      predicted_next_brain_performance_interval: null,
    },
    water: {
      predicted_next_stress_score: water.mean,
      n_models: water.n_models,
      predicted_next_stress_score_interval: null,
    },
    privacy: "exact",
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
