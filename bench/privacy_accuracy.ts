/**
 * `deno task bench privacy-accuracy [--quick]`: how useful the released company numbers are.
 *
 * A pure-core simulation (no service, no database; seconds): companies of 5, 20, 100 and 1,000
 * players play one week (1–5 earth sessions each, each session's first-try accuracy a binomial
 * third of the player's own ability, abilities uniform in 0.3–0.9). Each trial releases the week
 * exactly as the service does (core/company_release.ts at ε = 1, C = 3, seeded noise) and
 * post-processes it (core/company_estimates.ts, k = 5). Reported against the truth (the mean
 * over players of their capped per-player means, the released estimand): how often the average
 * is shown, within ±0.05, inside its 90 % interval, the interval's width; and the player count.
 */
import { COMPANY_RELEASE_PLAN } from "../core/company_plan.ts";
import { NEW_PLAYERS, type PeriodTruth, releasePeriod } from "../core/company_release.ts";
import { countEstimate, meanEstimate, type PeriodRelease } from "../core/company_estimates.ts";
import type { Rational } from "../core/dp_sampler.ts";
import { mulberry32, type Rng } from "../core/random.ts";
import { seededWords } from "../core/random_words.ts";

const PLAN = COMPANY_RELEASE_PLAN;
const FTA = PLAN.metrics.find((m) => m.metric === "fta_level")!;
const K = 5;
const C = 3;

/** One company size's figures. */
export interface AccuracyRow {
  players: number;
  trials: number;
  /** Share of trials where the average is shown (not "too few players"). */
  shown: number;
  /** Share of all trials with a shown average within ±0.05 of the truth. */
  within05: number;
  /** Share of shown trials whose 90 % interval holds the truth. */
  coverage: number;
  /** Median width (high − low) of the shown intervals. */
  medianWidth: number;
  /** 90th percentile of |estimate − truth| over the shown trials. */
  p90Error: number;
  /** Share of trials whose player-count interval holds the true count; its median width. */
  countCoverage: number;
  countMedianWidth: number;
}

/** Returns one simulated week: per player the scaled mean of the first C sessions. */
function week(players: number, rng: Rng): { truth: PeriodTruth; mean: number } {
  let sum = BigInt(0);
  let sessions = 0;
  let exact = 0;
  for (let p = 0; p < players; p++) {
    const ability = 0.3 + 0.6 * rng();
    const played = 1 + Math.floor(rng() * 5);
    const counted = Math.min(played, C);
    let total = 0;
    for (let s = 0; s < counted; s++) {
      let firstTry = 0;
      for (let q = 0; q < 3; q++) if (rng() < ability) firstTry += 1;
      total += firstTry / 3;
    }
    const value = total / counted;
    exact += value;
    sum += BigInt(Math.round(value * FTA.scale));
    sessions += counted;
  }
  return {
    truth: {
      "earth.players": BigInt(players),
      "earth.sessions": BigInt(sessions),
      "earth.fta_level": sum,
      "earth.repetition_burden": BigInt(players * 20_000),
      "earth.earth_score_bucket": BigInt(players * 5_000),
      "water.players": BigInt(0),
      "water.sessions": BigInt(0),
      "water.stress_score": BigInt(0),
      [NEW_PLAYERS]: BigInt(players),
    },
    mean: exact / players,
  };
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

/** Returns the accuracy figures for each company size (deterministic for a seed). */
export function privacyAccuracy(
  options: { trials: number; sizes?: number[]; epsilon?: Rational; seed?: number },
): AccuracyRow[] {
  const sizes = options.sizes ?? [5, 20, 100, 1000];
  const params = {
    epsilon: options.epsilon ?? { num: BigInt(1), den: BigInt(1) },
    contributionBound: C,
  };
  const words = seededWords(options.seed ?? 19);
  const rng = mulberry32(options.seed ?? 19);
  return sizes.map((players) => {
    let shown = 0;
    let within = 0;
    let covered = 0;
    let countCovered = 0;
    const widths: number[] = [];
    const errors: number[] = [];
    const countWidths: number[] = [];
    for (let i = 0; i < options.trials; i++) {
      const w = week(players, rng);
      const values = releasePeriod(PLAN, "w", w.truth, params, words);
      const release: PeriodRelease[] = [{ kind: "w", start: "2024-03-04", params, values }];
      const e = meanEstimate(PLAN, release, FTA, K);
      if (e !== null) {
        shown += 1;
        const error = Math.abs(e.value - w.mean);
        errors.push(error);
        if (error <= 0.05) within += 1;
        if (e.low <= w.mean && w.mean <= e.high) covered += 1;
        widths.push(e.high - e.low);
      }
      const n = countEstimate(PLAN, release, [NEW_PLAYERS]);
      if (n.low <= players && players <= n.high) countCovered += 1;
      countWidths.push(n.high - n.low);
    }
    const t = options.trials;
    return {
      players,
      trials: t,
      shown: shown / t,
      within05: within / t,
      coverage: shown === 0 ? Number.NaN : covered / shown,
      medianWidth: quantile(widths, 0.5),
      p90Error: quantile(errors, 0.9),
      countCoverage: countCovered / t,
      countMedianWidth: quantile(countWidths, 0.5),
    };
  });
}

const pct = (x: number) => (Number.isNaN(x) ? "–" : `${(100 * x).toFixed(1)} %`);
const num = (x: number, d = 3) => (Number.isNaN(x) ? "–" : x.toFixed(d));

/** Returns the figures as a Markdown table. */
export function accuracyTable(rows: readonly AccuracyRow[]): string {
  const head = "| players / week | trials | average shown | within ±0.05 | 90 % interval covers " +
    "| median interval width | p90 error | player count: covered, median width |\n" +
    "| --- | --- | --- | --- | --- | --- | --- | --- |";
  const body = rows.map((r) =>
    `| ${r.players} | ${r.trials} | ${pct(r.shown)} | ${pct(r.within05)} | ${pct(r.coverage)} | ` +
    `${num(r.medianWidth)} | ${num(r.p90Error)} | ${pct(r.countCoverage)}, ${
      num(r.countMedianWidth, 0)
    } |`
  );
  return [head, ...body].join("\n");
}

/** Runs the bench from the command line (`deno task bench privacy-accuracy [--quick]`). */
export function runPrivacyAccuracy(quick: boolean): void {
  const started = performance.now();
  const rows = privacyAccuracy({ trials: quick ? 200 : 2000 });
  console.log(accuracyTable(rows));
  const hundred = rows.find((r) => r.players === 100)!;
  const ok = hundred.within05 >= 0.9;
  console.log(
    `\ntarget (100 players, ε = 1): within ±0.05 in ≥ 90 % of weeks — ${pct(hundred.within05)} ${
      ok ? "met" : "MISSED"
    } (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}
