/**
 * Company numbers in protected mode (docs/privacy.md "Company numbers"): every answer is
 * post-processing of released closed periods (services/company_release.ts), with 90 % intervals.
 * The summary and the player count come from the released weeks, the time series from the
 * released days or weeks (a month: the released days of that closed month, summed), the forecast
 * from the newest released week. Generic over the tasks'
 * company views (core/tasks.ts).
 */
import { planOf } from "../core/company_plan.ts";
import {
  NEW_PLAYERS,
  type PeriodKind,
  playersKey,
  type ReleaseMetric,
  type ReleasePlan,
  sessionsKey,
} from "../core/company_release.ts";
import {
  countEstimate,
  type Estimate,
  meanEstimate,
  type PeriodRelease,
} from "../core/company_estimates.ts";
import { forbidden } from "../core/errors.ts";
import { addMonths, bucketEnd, bucketStart, type BucketType } from "../core/time.ts";
import type {
  CompanyForecast,
  CompanyInfo,
  CompanySummary,
  Interval90,
  Timeseries,
} from "../openapi/company.ts";
import { type CompanyReader, insufficient, once } from "./_company_reader.ts";
import { lastClosedStart, nextReleaseAt, releasedPeriods } from "./company_release.ts";

/** The released periods a series is made of: days and weeks their own, months the days. */
const KIND: Record<BucketType, PeriodKind> = { day: "d", week: "w", month: "d" };

/** Returns the released periods of a kind, read (and released) once per request. */
function periods(r: CompanyReader, kind: PeriodKind): Promise<PeriodRelease[]> {
  return once(
    r,
    `released:${kind}`,
    () => releasedPeriods(r.sql, planOf(r.tasks), r.privacy, r.companyId, kind, r.now, r.random),
  );
}

/** Returns an estimate's interval for the contract. */
const interval = (e: Estimate | null): Interval90 =>
  e === null ? null : { low: e.low, high: e.high };

/** Returns a count estimate as an integer with its interval (whole numbers: the noise is). */
function count(plan: ReleasePlan, releases: readonly PeriodRelease[], keys: readonly string[]) {
  const e = countEstimate(plan, releases, keys);
  return {
    value: Math.round(e.value),
    interval: { low: Math.round(e.low), high: Math.round(e.high) },
  };
}

/** Returns the plan's metric of a task's metric key, or null when it is not released. */
function metricOf(plan: ReleasePlan, task: string, key: string): ReleaseMetric | null {
  return plan.metrics.find((m) => m.task === task && m.metric === key) ?? null;
}

/** Returns the released player count: the new players of every released week. */
async function players(r: CompanyReader) {
  return count(planOf(r.tasks), await periods(r, "w"), [NEW_PLAYERS]);
}

/** Throws 403 below k released players. */
async function requirePlayers(r: CompanyReader) {
  const n = await players(r);
  if (n.value < r.k) throw forbidden(insufficient(n.value, r.k));
  return n;
}

/** Returns the company info from the released weeks (always available for a valid token). */
export async function protectedInfo(r: CompanyReader): Promise<CompanyInfo> {
  const n = await players(r);
  const enough = n.value >= r.k;
  const through = bucketEnd(lastClosedStart(r.now, "w"), "week");
  return {
    company_id: r.companyId,
    n_players: n.value,
    has_sufficient_data: enough,
    message: enough
      ? `Aggregates available over about ${n.value} players (weeks released through ${through}).`
      : insufficient(n.value, r.k),
    n_players_interval: n.interval,
    privacy: "protected",
  };
}

/**
 * Writes a task's company fields of some releases into `out`: its session count and its
 * averages (those of `of`), each with its interval; returns whether some average is shown.
 */
function taskFields(
  r: CompanyReader,
  releases: readonly PeriodRelease[],
  of: "summary" | "timeseries",
  out: Record<string, unknown>,
): boolean {
  const plan = planOf(r.tasks);
  let some = false;
  for (const task of r.tasks.tasks) {
    const { sessions, metrics } = task.company;
    if (sessions !== null) {
      const c = count(plan, releases, [sessionsKey(task.name)]);
      out[sessions.field] = c.value;
      out[`${sessions.field}_interval`] = c.interval;
    }
    for (const m of metrics) {
      if (m[of] === null) continue;
      const metric = metricOf(plan, task.name, m.metric);
      const e = metric === null ? null : meanEstimate(plan, releases, metric, r.k);
      out[m.field] = e?.value ?? null;
      out[`${m.field}_interval`] = interval(e);
      if (e !== null) some = true;
    }
  }
  return some;
}

/** Returns the company aggregates over the released weeks, or throws 403 below k players. */
export async function protectedSummary(r: CompanyReader): Promise<CompanySummary> {
  const plan = planOf(r.tasks);
  const weeks = await periods(r, "w");
  const n = await requirePlayers(r);
  const sessions = count(plan, weeks, plan.tasks.map((t) => sessionsKey(t.task)));
  const out: Record<string, unknown> = {
    company_id: r.companyId,
    n_players: n.value,
    n_sessions: sessions.value,
  };
  const fields: Record<string, unknown> = {};
  taskFields(r, weeks, "summary", fields);
  // The contract's order: values first, then the intervals.
  for (const [k, v] of Object.entries(fields)) if (!k.endsWith("_interval")) out[k] = v;
  out.n_players_interval = n.interval;
  out.n_sessions_interval = sessions.interval;
  for (const [k, v] of Object.entries(fields)) if (k.endsWith("_interval")) out[k] = v;
  out.privacy = "protected";
  out.released_through = weeks.length === 0
    ? null
    : bucketEnd(weeks[weeks.length - 1].start, "week");
  return out as CompanySummary;
}

/**
 * Returns the closed months of released days as periods of their own, oldest first: each month's
 * days (every released day from the company's first one; the series holds every closed day, with
 * those hidden from display too). A month is closed once its last day is (the open month has
 * none of its days shown, like the open day). Post-processing only: no new release, no extra ε.
 */
function monthsOf(
  days: readonly PeriodRelease[],
  now: Date,
): { start: string; days: PeriodRelease[] }[] {
  const open = bucketStart(now, "month");
  const out: { start: string; days: PeriodRelease[] }[] = [];
  for (const d of days) {
    const start = `${d.start.slice(0, 8)}01`;
    if (start >= open) continue;
    const last = out[out.length - 1];
    if (last?.start === start) last.days.push(d);
    else out.push({ start, days: [d] });
  }
  return out;
}

/**
 * Returns the released periods of a kind as a time series, or throws 403 below k players. A
 * period where no average survives the k rule and the noise is left out ("too few players"). A
 * month sums its released days (core/company_estimates.ts over several releases): its sessions
 * and, per metric, Σ centred sums ÷ Σ player counts — an average over player-days — with the
 * intervals of the summed independent noises, under the same k and noise rules.
 */
export async function protectedTimeseries(
  r: CompanyReader,
  type: BucketType,
): Promise<Timeseries> {
  await requirePlayers(r);
  const plan = planOf(r.tasks);
  const released = await periods(r, KIND[type]);
  const series = type === "month"
    ? monthsOf(released, r.now)
    : released.map((p) => ({ start: p.start, days: [p] }));
  const buckets: Timeseries["buckets"] = [];
  let suppressed = 0;
  for (const p of series) {
    const fields: Record<string, unknown> = {};
    if (!taskFields(r, p.days, "timeseries", fields)) {
      suppressed += 1;
      continue;
    }
    const sessions = count(plan, p.days, plan.tasks.map((t) => sessionsKey(t.task)));
    const out: Record<string, unknown> = {
      bucket_start: p.start,
      bucket_end: bucketEnd(p.start, type),
      n_sessions: sessions.value,
    };
    for (const [k, v] of Object.entries(fields)) if (!k.endsWith("_interval")) out[k] = v;
    out.n_sessions_interval = sessions.interval;
    for (const [k, v] of Object.entries(fields)) if (k.endsWith("_interval")) out[k] = v;
    buckets.push(out as Timeseries["buckets"][number]);
  }
  return {
    company_id: r.companyId,
    bucket_type: type,
    buckets,
    suppressed_buckets: suppressed,
    privacy: "protected",
    next_release_at: type === "month"
      ? `${addMonths(bucketStart(r.now, "month"), 1)}T00:00:00.000Z`
      : nextReleaseAt(r.now, KIND[type]),
  };
}

/**
 * Returns the forecast per task: the released mean of its model's target in the newest
 * released week where it is shown (a persistence forecast, post-processing only), that week's
 * released players as n_models; or throws 403 below k players.
 */
export async function protectedForecast(r: CompanyReader): Promise<CompanyForecast> {
  await requirePlayers(r);
  const plan = planOf(r.tasks);
  const weeks = await periods(r, "w");
  const out: CompanyForecast = {};
  for (const task of r.tasks.tasks) {
    const field = task.company.forecast.field;
    const metric = metricOf(plan, task.name, task.model.target);
    let found: { e: Estimate; players: number } | null = null;
    for (let i = weeks.length - 1; i >= 0 && metric !== null && found === null; i--) {
      const e = meanEstimate(plan, [weeks[i]], metric, r.k);
      if (e !== null) {
        found = { e, players: count(plan, [weeks[i]], [playersKey(task.name)]).value };
      }
    }
    out[task.name] = {
      [field]: found?.e.value ?? null,
      n_models: found?.players ?? 0,
      [`${field}_interval`]: interval(found?.e ?? null),
    };
  }
  return out;
}
