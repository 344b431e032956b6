/**
 * The company release plan of a task registry (docs/privacy.md "Company numbers"): which counts
 * and sums a period releases, their integer units and their shares of ε, derived from each
 * task's company view (core/tasks.ts), so a new task's company metrics are released too.
 *
 * Shares (of 100): the default task's players 20, sessions 10, its first company metric 30 and
 * its other metrics 10 together; every other task 15 split evenly over them (a third each to
 * players, sessions and metrics); the week's new players 15. A day has no new players and
 * spends the whole ε on the rest. With earth and water: earth players 20, sessions 10, first-try
 * accuracy 30, burden 5, score 5; water players 5, sessions 5, stress 5; new players 15 —
 * chosen so the weekly first-try accuracy of a 100-player company is within ±0.05 of the truth
 * 90 % of the time at ε = 1 (docs/performance.md).
 */
import type { ReleaseMetric, ReleasePlan, ReleaseTask } from "./company_release.ts";
import { REGISTRY, type TaskRegistry } from "./tasks.ts";

/** Integer weights: shares of 100 times this (exact for the splits above up to 5 metrics). */
const UNIT = 600;
const RESERVED = new Set(["players", "sessions", "new_players"]);

/** Returns units per 1 so the range spans about 10,000 units (a power of ten, doubled if odd). */
function unitsFor(lo: number, hi: number): { scale: number; loUnits: number; hiUnits: number } {
  let scale = 10 ** (4 - Math.floor(Math.log10(Math.max(hi - lo, 1e-9))));
  let loUnits = Math.round(lo * scale);
  let hiUnits = Math.round(hi * scale);
  if ((hiUnits - loUnits) % 2 !== 0) {
    scale *= 2;
    loUnits *= 2;
    hiUnits *= 2;
  }
  return { scale, loUnits, hiUnits };
}

/** Returns the release plan of a registry's company views. */
export function releasePlanOf(registry: TaskRegistry): ReleasePlan {
  const seen = registry.tasks.filter((t) => t.company.metrics.length > 0);
  const tasks: ReleaseTask[] = [];
  const metrics: ReleaseMetric[] = [];
  const others = seen.length - 1;
  seen.forEach((t, i) => {
    const keys = t.company.metrics.map((c) => c.metric);
    for (const k of keys) {
      if (RESERVED.has(k)) throw new Error(`company metric ${k} of ${t.name}: reserved name`);
    }
    const share = i === 0 ? null : 15 / others;
    tasks.push({
      task: t.name,
      playersWeight: Math.round((share === null ? 20 : share / 3) * UNIT),
      sessionsWeight: Math.round((share === null ? 10 : share / 3) * UNIT),
    });
    keys.forEach((key, j) => {
      const def = registry.metric(key)!;
      const [lo, hi] = def.range;
      const weight = share === null
        ? (j === 0 ? 30 : 10 / (keys.length - 1))
        : share / 3 / keys.length;
      metrics.push({
        task: t.name,
        metric: key,
        lo,
        hi,
        ...unitsFor(lo, hi),
        weight: Math.round(weight * UNIT),
      });
    });
  });
  return { tasks, metrics, newPlayersWeight: 15 * UNIT };
}

const plans = new WeakMap<TaskRegistry, ReleasePlan>();

/** Returns the release plan of a registry, built once per registry. */
export function planOf(registry: TaskRegistry): ReleasePlan {
  let plan = plans.get(registry);
  if (plan === undefined) plans.set(registry, plan = releasePlanOf(registry));
  return plan;
}

/** The service registry's plan. */
export const COMPANY_RELEASE_PLAN: ReleasePlan = planOf(REGISTRY);
