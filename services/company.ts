/**
 * Company dashboards: the company token resolved once per request (`openCompany`), then info,
 * aggregates, time series and forecast: released with differential privacy (protected mode,
 * services/company_protected.ts) or exact with k-anonymity (COMPANY_PRIVACY=exact, here).
 */
import { companyIdFor, constantTimeEqual, dashboardTokenFor } from "../core/company.ts";
import type { RandomWords } from "../core/dp_sampler.ts";
import { badRequest, deniedCredentials, forbidden } from "../core/errors.ts";
import { suppressBuckets } from "../core/privacy.ts";
import { predictTaskNext, REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type { CompanyPrivacy, Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import {
  companyBuckets,
  companyByToken,
  companyPlayerCount,
  type CompanyRow,
  companyTotals,
  companyTrainedModels,
  type MetricAggregate,
  metricOf,
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
import { companyFields, type CompanyReader, insufficient, once } from "./_company_reader.ts";
import {
  protectedForecast,
  protectedInfo,
  protectedSummary,
  protectedTimeseries,
} from "./company_protected.ts";
import { cryptoWords } from "./company_release.ts";

export type { CompanyReader };

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
  /** The tasks (the service registry unless a test injects one). */
  tasks?: TaskRegistry;
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
    tasks: options.tasks ?? REGISTRY,
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

/** Returns the fields' intervals, all null (exact mode). */
function noIntervals(fields: readonly string[]): Record<string, null> {
  return Object.fromEntries(fields.map((f) => [`${f}_interval`, null]));
}

/** Returns the company aggregates, or throws 403 below MIN_COMPANY_N players. */
export async function companySummary(r: CompanyReader): Promise<CompanySummary> {
  if (r.privacy.mode === "protected") return await protectedSummary(r);
  const { sql, companyId, k, tasks: registry } = r;
  const t = await companyTotals(sql, companyId);
  if (t.n_players < k) throw forbidden(insufficient(t.n_players, k));
  const out: Record<string, unknown> = {
    company_id: companyId,
    n_players: t.n_players,
    n_sessions: t.n_sessions,
  };
  // Each average only when at least k distinct players stand behind that very average.
  const shown = (a: MetricAggregate | undefined) =>
    a !== undefined && a.n_players >= k ? a.avg : null;
  for (const task of registry.tasks) {
    const { sessions, metrics } = task.company;
    if (sessions !== null) out[sessions.field] = taskSessions(t.metrics, task.name);
    for (const m of metrics) {
      if (m.summary !== null) out[m.field] = shown(metricOf(t.metrics, task.name, m.metric));
    }
  }
  Object.assign(
    out,
    noIntervals(["n_players", "n_sessions", ...companyFields(registry, "summary")]),
  );
  out.privacy = "exact";
  out.released_through = null;
  return out as CompanySummary;
}

/** Returns the number of a task's sessions among aggregates (0 without one). */
function taskSessions(metrics: readonly MetricAggregate[], task: string): number {
  return metrics.find((m) => m.task === task)?.n_sessions ?? 0;
}

/** Returns the number of a task's distinct players among aggregates (0 without one). */
function taskPlayers(metrics: readonly MetricAggregate[], task: string): number {
  return metrics.find((m) => m.task === task)?.n_players ?? 0;
}

/** Returns the bucket type of a query value, or throws 400. */
export function parseBucketType(value: string | undefined): BucketType {
  if (value === undefined || value === "day") return "day";
  if (value === "week" || value === "month") return value;
  throw badRequest("bucket must be 'day', 'week' or 'month'");
}

/** Returns the privacy-guarded time series, or throws 403 below MIN_COMPANY_N players. */
export async function companyTimeseries(
  r: CompanyReader,
  bucket: string | undefined,
): Promise<Timeseries> {
  const type = parseBucketType(bucket);
  if (r.privacy.mode === "protected") return await protectedTimeseries(r, type);
  const { sql, companyId, k, tasks: registry } = r;
  const n = await exactPlayerCount(r);
  if (n < k) throw forbidden(insufficient(n, k));

  const rows = await companyBuckets(sql, companyId, type);
  const stats = rows.map((r) => ({ bucket_start: r.bucket_start, n_players: r.n_players }));
  const hidden = new Set(
    await suppressBuckets(stats, k, (starts) => playersInBuckets(sql, companyId, type, starts)),
  );
  // Per task (its metrics share their players), over the buckets with a session of it: those
  // left out above, those with fewer than k of its players, and complementary suppression.
  const taskHidden = new Map<string, Set<string>>();
  for (const task of registry.tasks) {
    if (!task.company.metrics.some((m) => m.timeseries !== null)) continue;
    const of = rows.filter((r) => taskPlayers(r.metrics, task.name) > 0);
    const taskStats = of.map((r) => ({
      bucket_start: r.bucket_start,
      n_players: taskPlayers(r.metrics, task.name),
    }));
    const already = of.filter((r) => hidden.has(r.bucket_start)).map((r) => r.bucket_start);
    taskHidden.set(
      task.name,
      new Set(
        await suppressBuckets(
          taskStats,
          k,
          (starts) => playersInBuckets(sql, companyId, type, starts, task.name),
          already,
        ),
      ),
    );
  }
  const intervals = noIntervals(["n_sessions", ...companyFields(registry, "timeseries")]);
  return {
    company_id: companyId,
    bucket_type: type,
    buckets: rows.filter((r) => !hidden.has(r.bucket_start)).map((r) => {
      const out: Record<string, unknown> = {
        bucket_start: r.bucket_start,
        bucket_end: bucketEnd(r.bucket_start, type),
        n_sessions: r.n_sessions,
      };
      for (const task of registry.tasks) {
        const { sessions, metrics } = task.company;
        if (sessions !== null) out[sessions.field] = taskSessions(r.metrics, task.name);
        const off = taskHidden.get(task.name)?.has(r.bucket_start) ?? true;
        for (const m of metrics) {
          if (m.timeseries === null) continue;
          out[m.field] = off ? null : metricOf(r.metrics, task.name, m.metric)?.avg ?? null;
        }
      }
      return { ...out, ...intervals } as Timeseries["buckets"][number];
    }),
    suppressed_buckets: hidden.size,
    privacy: "exact",
    next_release_at: null,
  };
}

/** Returns the mean next-session prediction per task, or throws 403 below MIN_COMPANY_N players. */
export async function companyForecast(r: CompanyReader): Promise<CompanyForecast> {
  if (r.privacy.mode === "protected") return await protectedForecast(r);
  const { sql, companyId, k, tasks: registry } = r;
  const n = await exactPlayerCount(r);
  if (n < k) throw forbidden(insufficient(n, k));
  const out: CompanyForecast = {};
  for (const task of registry.tasks) {
    const model = task.model;
    const rows = await companyTrainedModels(sql, companyId, model);
    // A trained model and a newest session always predict (finite inputs); filter for types.
    const predictions = rows.map((r) => predictTaskNext(model, r, r.metrics))
      .filter((p): p is number => p !== null);
    const mean = predictions.length >= k
      ? predictions.reduce((a, p) => a + p, 0) / predictions.length
      : null;
    const field = task.company.forecast.field;
    out[task.name] = { [field]: mean, n_models: predictions.length, [`${field}_interval`]: null };
  }
  return out;
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
