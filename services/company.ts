/** Company dashboards: token resolution, info, aggregates and privacy-guarded time series. */
import { companyIdFor, constantTimeEqual, dashboardTokenFor } from "../core/company.ts";
import { badRequest, deniedCredentials, forbidden } from "../core/errors.ts";
import { type BucketStat, initialSuppression, nextComplementary } from "../core/privacy.ts";
import { predictTaskNext, REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type { Config } from "../config.ts";
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
  registry: TaskRegistry = REGISTRY,
): Promise<CompanySummary> {
  const companyId = await resolveCompany(sql, token);
  const t = await companyTotals(sql, companyId);
  if (t.n_players < config.minCompanyN) {
    throw forbidden(insufficient(t.n_players, config.minCompanyN));
  }
  const out: Record<string, unknown> = {
    company_id: companyId,
    n_players: t.n_players,
    n_sessions: t.n_sessions,
  };
  // Each average only when at least k distinct players stand behind that very average.
  const shown = (a: MetricAggregate | undefined) =>
    a !== undefined && a.n_players >= config.minCompanyN ? a.avg : null;
  for (const task of registry.tasks) {
    const { sessions, metrics } = task.company;
    if (sessions !== null) out[sessions.field] = taskSessions(t.metrics, task.name);
    for (const m of metrics) {
      if (m.summary !== null) out[m.field] = shown(metricOf(t.metrics, task.name, m.metric));
    }
  }
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
  if (value === "week") return "week";
  throw badRequest("bucket must be 'day' or 'week'");
}

/** Returns the privacy-guarded time series, or throws 403 below MIN_COMPANY_N players. */
export async function companyTimeseries(
  sql: Sql,
  config: Config,
  token: string | undefined,
  bucket: string | undefined,
  registry: TaskRegistry = REGISTRY,
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
        await suppress(
          taskStats,
          already,
          k,
          (starts) => playersInBuckets(sql, companyId, type, starts, task.name),
        ),
      ),
    );
  }
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
      return out as Timeseries["buckets"][number];
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
  registry: TaskRegistry = REGISTRY,
): Promise<CompanyForecast> {
  const companyId = await resolveCompany(sql, token);
  const k = config.minCompanyN;
  const n = await companyPlayerCount(sql, companyId);
  if (n < k) throw forbidden(insufficient(n, k));
  const out: Record<string, unknown> = {};
  for (const task of registry.tasks) {
    const model = task.model;
    const rows = await companyTrainedModels(sql, companyId, model);
    // A trained model and a newest session always predict (finite inputs); filter for types.
    const predictions = rows.map((r) => predictTaskNext(model, r, r.metrics))
      .filter((p): p is number => p !== null);
    const mean = predictions.length >= k
      ? predictions.reduce((a, p) => a + p, 0) / predictions.length
      : null;
    out[task.name] = { [task.company.forecast.field]: mean, n_models: predictions.length };
  }
  return out as CompanyForecast;
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
