/**
 * The release mechanism for company numbers (docs/privacy.md "Company numbers"): which noisy
 * integers one closed period releases, their sensitivities, and the noise, in integer arithmetic
 * only (tests/core/dp_sampler_test.ts scans this file for float operations).
 *
 * Bounded contribution: per period a player counts once in their task's player count, at most C
 * times in its session count, and contributes one value per metric: the mean of their first C
 * sessions of the period (play order), clamped to the metric's range and scaled to integer units
 * (computed in SQL, db/company_releases.ts). A metric's released sum is centred on the middle of
 * its range, so one player moves it by at most half the range.
 *
 * Sensitivity (adding or removing one player's sessions of the period): players and new players
 * 1, sessions C, a metric's centred sum (hi − lo)·scale / 2. Each quantity gets the share
 * weight/W of the period's ε and discrete Laplace noise of scale sensitivity/(ε·weight/W), so the
 * whole release is ε-differentially private (basic composition over its quantities).
 */
import { discreteLaplace, type RandomWords, type Rational } from "./dp_sampler.ts";

/** A metric a company sees: its range, its integer units and its share of ε. */
export interface ReleaseMetric {
  task: string;
  /** The metric's key (core/tasks.ts). */
  metric: string;
  /** Its range (values are clamped to it before averaging). */
  lo: number;
  hi: number;
  /** Units per 1 of the metric: a player's value is rounded to 1/scale before summing. */
  scale: number;
  /** The range in units (integers, hiUnits − loUnits even). */
  loUnits: number;
  hiUnits: number;
  /** Share of the period's ε (relative to the plan's total weight). */
  weight: number;
}

/** A task whose sessions a company sees: the shares of its player and session counts. */
export interface ReleaseTask {
  task: string;
  playersWeight: number;
  sessionsWeight: number;
}

/** What one period release consists of (core/company_plan.ts builds it from the registry). */
export interface ReleasePlan {
  tasks: readonly ReleaseTask[];
  metrics: readonly ReleaseMetric[];
  /** Share of the players whose first session in the company falls in the week (weeks only). */
  newPlayersWeight: number;
}

/** Period kinds: UTC day ('d') and ISO week ('w'). */
export type PeriodKind = "d" | "w";

/** The key of a released quantity: `task.players`, `task.sessions`, `task.metric`, `all.new_players`. */
export type QuantityKey = string;

/** One released quantity: its key, its L1 sensitivity and its weight. */
export interface Quantity {
  key: QuantityKey;
  sensitivity: bigint;
  weight: bigint;
}

/** The privacy parameters of a release. */
export interface ReleaseParams {
  /** ε of one period release. */
  epsilon: Rational;
  /** C: sessions per player and period that count. */
  contributionBound: number;
}

/** Returns the key of a task's player count. */
export const playersKey = (task: string): QuantityKey => `${task}.players`;
/** Returns the key of a task's session count. */
export const sessionsKey = (task: string): QuantityKey => `${task}.sessions`;
/** Returns the key of a metric's centred sum. */
export const metricKey = (m: ReleaseMetric): QuantityKey => `${m.task}.${m.metric}`;
/** The key of the week's new players. */
export const NEW_PLAYERS: QuantityKey = "all.new_players";

/** Returns a metric's range in units and its middle (lo, hi, mid; hi − lo even). */
export function unitsOf(m: ReleaseMetric): { lo: bigint; hi: bigint; mid: bigint } {
  const lo = BigInt(m.loUnits);
  const hi = BigInt(m.hiUnits);
  if ((hi - lo) % BigInt(2) !== BigInt(0)) throw new RangeError(`${m.metric}: odd range in units`);
  return { lo, hi, mid: (lo + hi) / BigInt(2) };
}

/** Returns the quantities one period of a kind releases, with sensitivities and weights. */
export function quantitiesOf(plan: ReleasePlan, kind: PeriodKind, bound: number): Quantity[] {
  const out: Quantity[] = [];
  for (const t of plan.tasks) {
    out.push({ key: playersKey(t.task), sensitivity: BigInt(1), weight: BigInt(t.playersWeight) });
    out.push({
      key: sessionsKey(t.task),
      sensitivity: BigInt(bound),
      weight: BigInt(t.sessionsWeight),
    });
  }
  for (const m of plan.metrics) {
    const { lo, hi } = unitsOf(m);
    out.push({ key: metricKey(m), sensitivity: (hi - lo) / BigInt(2), weight: BigInt(m.weight) });
  }
  if (kind === "w") {
    out.push({ key: NEW_PLAYERS, sensitivity: BigInt(1), weight: BigInt(plan.newPlayersWeight) });
  }
  return out;
}

/**
 * Returns the Laplace scale of a quantity as the rational t/s: sensitivity / (ε · weight / W),
 * W the total weight of the release.
 */
export function noiseScale(q: Quantity, total: bigint, epsilon: Rational): Rational {
  return { num: q.sensitivity * total * epsilon.den, den: q.weight * epsilon.num };
}

/**
 * The true integers of one period (db/company_releases.ts): per task its players and capped
 * sessions, per metric the sum of the players' scaled values, for weeks the new players.
 */
export type PeriodTruth = Readonly<Record<QuantityKey, bigint>>;

/** Returns the released integers of one period: each quantity (sums centred) plus its noise. */
export function releasePeriod(
  plan: ReleasePlan,
  kind: PeriodKind,
  truth: PeriodTruth,
  params: ReleaseParams,
  random: RandomWords | null,
): Record<QuantityKey, bigint> {
  const quantities = quantitiesOf(plan, kind, params.contributionBound);
  const total = quantities.reduce((a, q) => a + q.weight, BigInt(0));
  const exact = centred(plan, truth);
  const out: Record<QuantityKey, bigint> = {};
  for (const q of quantities) {
    const value = exact[q.key] ?? BigInt(0);
    if (random === null) {
      out[q.key] = value;
      continue;
    }
    const scale = noiseScale(q, total, params.epsilon);
    out[q.key] = value + discreteLaplace(scale.num, scale.den, random);
  }
  return out;
}

/** Returns the truth with each metric's sum centred: Σ(v − mid) = sum − players · mid. */
function centred(plan: ReleasePlan, truth: PeriodTruth): Record<QuantityKey, bigint> {
  const out: Record<QuantityKey, bigint> = { ...truth };
  for (const m of plan.metrics) {
    const players = truth[playersKey(m.task)] ?? BigInt(0);
    out[metricKey(m)] = (truth[metricKey(m)] ?? BigInt(0)) - players * unitsOf(m).mid;
  }
  return out;
}
