/**
 * Post-processing of released company periods (docs/privacy.md "Company numbers"): counts,
 * averages and their 90 % intervals from noisy sums and counts. Nothing here sees the truth, so
 * nothing here costs privacy; floating point is fine (the noise is already drawn, exactly).
 */
import {
  metricKey,
  noiseScale,
  type PeriodKind,
  playersKey,
  quantitiesOf,
  type QuantityKey,
  type ReleaseMetric,
  type ReleaseParams,
  type ReleasePlan,
  unitsOf,
} from "./company_release.ts";

/** One stored period release. */
export interface PeriodRelease {
  kind: PeriodKind;
  /** `YYYY-MM-DD`: the day, or the Monday of the week. */
  start: string;
  params: ReleaseParams;
  values: Readonly<Record<QuantityKey, bigint>>;
}

/** A released number and its 90 % interval. */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** One noisy term: its released value and the Laplace scale b of its noise. */
interface Term {
  value: number;
  b: number;
}

const Z90 = 1.6448536269514722;

/** Returns the noise scale b (as a float, for intervals) of every quantity of a release. */
function scalesOf(plan: ReleasePlan, r: PeriodRelease): Map<QuantityKey, number> {
  const qs = quantitiesOf(plan, r.kind, r.params.contributionBound);
  const total = qs.reduce((a, q) => a + q.weight, BigInt(0));
  return new Map(qs.map((q) => {
    const s = noiseScale(q, total, r.params.epsilon);
    return [q.key, Number(s.num) / Number(s.den)];
  }));
}

/** Returns the terms of one quantity over several releases. */
function termsOf(plan: ReleasePlan, releases: readonly PeriodRelease[], key: QuantityKey): Term[] {
  return releases.map((r) => ({
    value: Number(r.values[key] ?? BigInt(0)),
    b: scalesOf(plan, r).get(key) ?? 0,
  }));
}

/**
 * Returns the half-width h with P(|noise| <= h) >= 90 % for the sum of the terms' noise:
 * exact for one discrete Laplace term (P(|Z| > h) = 2p^(h+1)/(1+p), p = e^(−1/b)), the normal
 * approximation with the exact variances 2p/(1−p)² for several.
 */
export function halfWidth(bs: readonly number[]): number {
  const live = bs.filter((b) => b > 0);
  if (live.length === 0) return 0;
  if (live.length === 1) {
    const p = Math.exp(-1 / live[0]);
    return Math.max(0, Math.ceil(Math.log((0.1 * (1 + p)) / 2) / Math.log(p)) - 1);
  }
  const variance = live.reduce((a, b) => {
    const p = Math.exp(-1 / b);
    return a + (2 * p) / ((1 - p) * (1 - p));
  }, 0);
  return Z90 * Math.sqrt(variance);
}

/** Returns a count over releases (never below 0) with its 90 % interval, in the count's units. */
export function countEstimate(
  plan: ReleasePlan,
  releases: readonly PeriodRelease[],
  keys: readonly QuantityKey[],
): Estimate {
  const terms = keys.flatMap((key) => termsOf(plan, releases, key));
  const sum = terms.reduce((a, t) => a + t.value, 0);
  const h = halfWidth(terms.map((t) => t.b));
  return { value: Math.max(0, sum), low: Math.max(0, sum - h), high: Math.max(0, sum + h) };
}

/**
 * Returns a metric's mean over the players of the releases (each player-period weighs one), with
 * a 90 % interval, or null ("too few players") when the noisy player count is below k or the
 * noise drowns the mean (its interval before clamping is wider than the metric's whole range).
 * The mean is mid + Σ centred sums / Σ counts, clamped to the range. The interval is the delta
 * method on that ratio: ± 1.645 · sqrt(Var(sum) + c² · Var(count)) / count, c the centred mean,
 * with the exact variances of the discrete Laplace noise (the bench measures its coverage).
 */
export function meanEstimate(
  plan: ReleasePlan,
  releases: readonly PeriodRelease[],
  metric: ReleaseMetric,
  k: number,
): Estimate | null {
  const count = termsOf(plan, releases, playersKey(metric.task));
  const sums = termsOf(plan, releases, metricKey(metric));
  const n = count.reduce((a, t) => a + t.value, 0);
  if (releases.length === 0 || n < k || n < 1) return null;
  const s = sums.reduce((a, t) => a + t.value, 0);
  const scale = metric.scale;
  const mid = Number(unitsOf(metric).mid);
  const centred = s / n;
  const sd = Math.sqrt(variance(sums) + centred * centred * variance(count)) / n;
  const half = (Z90 * sd) / scale;
  const value = (mid + centred) / scale;
  if (2 * half > metric.hi - metric.lo) return null;
  const clamp = (v: number) => Math.min(metric.hi, Math.max(metric.lo, v));
  return { value: clamp(value), low: clamp(value - half), high: clamp(value + half) };
}

/** Returns the variance of the summed noise of the terms (2p/(1−p)² each, p = e^(−1/b)). */
function variance(terms: readonly Term[]): number {
  return terms.reduce((a, t) => {
    if (t.b <= 0) return a;
    const p = Math.exp(-1 / t.b);
    return a + (2 * p) / ((1 - p) * (1 - p));
  }, 0);
}

/** Returns the half-width shown on the page: the larger distance from the value to a bound. */
export function plusMinus(e: Estimate): number {
  return Math.max(e.value - e.low, e.high - e.value);
}
