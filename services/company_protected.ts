/**
 * Company numbers in protected mode (docs/privacy.md "Company numbers"): every answer is
 * post-processing of released closed periods (services/company_release.ts), with 90 % intervals.
 * The summary and the player count come from the released weeks, the time series from the
 * released days or weeks, the forecast from the newest released week.
 */
import {
  COMPANY_RELEASE_PLAN,
  NEW_PLAYERS,
  type PeriodKind,
  playersKey,
  type ReleaseMetric,
  sessionsKey,
} from "../core/company_release.ts";
import {
  countEstimate,
  type Estimate,
  meanEstimate,
  type PeriodRelease,
} from "../core/company_estimates.ts";
import { forbidden } from "../core/errors.ts";
import { bucketEnd, type BucketType } from "../core/time.ts";
import type {
  CompanyForecast,
  CompanyInfo,
  CompanySummary,
  Interval90,
  Timeseries,
} from "../openapi/company.ts";
import { type CompanyReader, insufficient, once } from "./_company_reader.ts";
import { lastClosedStart, nextReleaseAt, releasedPeriods } from "./company_release.ts";

const PLAN = COMPANY_RELEASE_PLAN;
const KIND: Record<BucketType, PeriodKind> = { day: "d", week: "w" };

/** Returns the plan's metric of a summary column. */
function metric(name: string): ReleaseMetric {
  const m = PLAN.metrics.find((x) => x.metric === name);
  if (!m) throw new Error(`no released metric ${name}`);
  return m;
}

const FTA = metric("fta_level");
const BURDEN = metric("repetition_burden");
const BUCKET = metric("earth_score_bucket");
const STRESS = metric("stress_score");
const ALL_SESSIONS = PLAN.tasks.map((t) => sessionsKey(t.task));

/** Returns the released periods of a kind, read (and released) once per request. */
function periods(r: CompanyReader, kind: PeriodKind): Promise<PeriodRelease[]> {
  return once(
    r,
    `released:${kind}`,
    () => releasedPeriods(r.sql, r.privacy, r.companyId, kind, r.now, r.random),
  );
}

/** Returns an estimate's interval for the contract. */
const interval = (e: Estimate | null): Interval90 =>
  e === null ? null : { low: e.low, high: e.high };

/** Returns a count estimate as an integer with its interval (whole numbers: the noise is). */
function count(releases: readonly PeriodRelease[], keys: readonly string[]) {
  const e = countEstimate(PLAN, releases, keys);
  return {
    value: Math.round(e.value),
    interval: { low: Math.round(e.low), high: Math.round(e.high) },
  };
}

/** Returns the released player count: the new players of every released week. */
async function players(r: CompanyReader) {
  return count(await periods(r, "w"), [NEW_PLAYERS]);
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

/** Returns the company aggregates over the released weeks, or throws 403 below k players. */
export async function protectedSummary(r: CompanyReader): Promise<CompanySummary> {
  const weeks = await periods(r, "w");
  const n = await players(r);
  if (n.value < r.k) throw forbidden(insufficient(n.value, r.k));
  const sessions = count(weeks, ALL_SESSIONS);
  const water = count(weeks, [sessionsKey("water")]);
  const fta = meanEstimate(PLAN, weeks, FTA, r.k);
  const burden = meanEstimate(PLAN, weeks, BURDEN, r.k);
  const bucket = meanEstimate(PLAN, weeks, BUCKET, r.k);
  const stress = meanEstimate(PLAN, weeks, STRESS, r.k);
  return {
    company_id: r.companyId,
    n_players: n.value,
    n_sessions: sessions.value,
    avg_brain_performance_score: fta?.value ?? null,
    avg_repetition_burden: burden?.value ?? null,
    avg_earth_score_bucket: bucket?.value ?? null,
    n_water_sessions: water.value,
    avg_stress_score: stress?.value ?? null,
    n_players_interval: n.interval,
    n_sessions_interval: sessions.interval,
    avg_brain_performance_score_interval: interval(fta),
    avg_repetition_burden_interval: interval(burden),
    avg_earth_score_bucket_interval: interval(bucket),
    n_water_sessions_interval: water.interval,
    avg_stress_score_interval: interval(stress),
    privacy: "protected",
    released_through: weeks.length === 0 ? null : bucketEnd(weeks[weeks.length - 1].start, "week"),
  };
}

/**
 * Returns the released periods of a kind as a time series, or throws 403 below k players. A
 * period where no average survives the k rule and the noise is left out ("too few players").
 */
export async function protectedTimeseries(
  r: CompanyReader,
  type: BucketType,
): Promise<Timeseries> {
  const n = await players(r);
  if (n.value < r.k) throw forbidden(insufficient(n.value, r.k));
  const released = await periods(r, KIND[type]);
  const buckets: Timeseries["buckets"] = [];
  let suppressed = 0;
  for (const p of released) {
    const one = [p];
    const fta = meanEstimate(PLAN, one, FTA, r.k);
    const burden = meanEstimate(PLAN, one, BURDEN, r.k);
    const stress = meanEstimate(PLAN, one, STRESS, r.k);
    if (fta === null && burden === null && stress === null) {
      suppressed += 1;
      continue;
    }
    const sessions = count(one, ALL_SESSIONS);
    const water = count(one, [sessionsKey("water")]);
    buckets.push({
      bucket_start: p.start,
      bucket_end: bucketEnd(p.start, type),
      n_sessions: sessions.value,
      avg_brain_performance_score: fta?.value ?? null,
      avg_repetition_burden: burden?.value ?? null,
      n_water_sessions: water.value,
      avg_stress_score: stress?.value ?? null,
      n_sessions_interval: sessions.interval,
      avg_brain_performance_score_interval: interval(fta),
      avg_repetition_burden_interval: interval(burden),
      n_water_sessions_interval: water.interval,
      avg_stress_score_interval: interval(stress),
    });
  }
  return {
    company_id: r.companyId,
    bucket_type: type,
    buckets,
    suppressed_buckets: suppressed,
    privacy: "protected",
    next_release_at: nextReleaseAt(r.now, KIND[type]),
  };
}

/**
 * Returns the forecast per task: the released mean of the newest released week where it is
 * shown (a persistence forecast, post-processing only), its players as n_models; or throws 403
 * below k players.
 */
export async function protectedForecast(r: CompanyReader): Promise<CompanyForecast> {
  const n = await players(r);
  if (n.value < r.k) throw forbidden(insufficient(n.value, r.k));
  const weeks = await periods(r, "w");
  const newest = (m: ReleaseMetric) => {
    for (let i = weeks.length - 1; i >= 0; i--) {
      const e = meanEstimate(PLAN, [weeks[i]], m, r.k);
      if (e !== null) return { e, players: count([weeks[i]], [playersKey(m.task)]).value };
    }
    return null;
  };
  const earth = newest(FTA);
  const water = newest(STRESS);
  return {
    earth: {
      predicted_next_brain_performance: earth?.e.value ?? null,
      n_models: earth?.players ?? 0,
      predicted_next_brain_performance_interval: interval(earth?.e ?? null),
    },
    water: {
      predicted_next_stress_score: water?.e.value ?? null,
      n_models: water?.players ?? 0,
      predicted_next_stress_score_interval: interval(water?.e ?? null),
    },
    privacy: "protected",
  };
}
