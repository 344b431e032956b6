/**
 * Released company periods (docs/privacy.md "Company numbers"): every closed UTC day or ISO week
 * of a company is released once with fresh noise, stored, and answered unchanged on every read
 * and instance; a period whose sessions changed since is re-released while its budget lasts.
 */
import { type PeriodKind, releasePeriod, type ReleasePlan } from "../core/company_release.ts";
import type { PeriodRelease } from "../core/company_estimates.ts";
import type { RandomWords } from "../core/dp_sampler.ts";
import { addDays, bucketStart } from "../core/time.ts";
import { type CompanyPrivacy, parseEpsilon } from "../config.ts";
import type { Sql } from "../db/client.ts";
import {
  type NewRelease,
  pendingPeriods,
  periodTruths,
  readReleases,
  storeReleases,
} from "../db/company_releases.ts";

/** The production noise source: the platform's cryptographic random generator. */
export const cryptoWords: RandomWords = (out) => {
  crypto.getRandomValues(out);
};

const BUCKET = { d: "day", w: "week" } as const;
const DAYS = { d: 1, w: 7 } as const;

/** Returns the start (`YYYY-MM-DD`) of the period of a kind that is still open at `now`. */
export function openPeriodStart(now: Date, kind: PeriodKind): string {
  return bucketStart(now, BUCKET[kind]);
}

/** Returns the start of the newest closed period of a kind at `now`. */
export function lastClosedStart(now: Date, kind: PeriodKind): string {
  return addDays(openPeriodStart(now, kind), -DAYS[kind]);
}

/** Returns when the open period closes and is released (ISO timestamp, 00:00 UTC). */
export function nextReleaseAt(now: Date, kind: PeriodKind): string {
  return `${addDays(openPeriodStart(now, kind), DAYS[kind])}T00:00:00.000Z`;
}

/**
 * Returns every released closed period of a kind of the company, oldest first, releasing first
 * what has no release yet and re-releasing what changed (within the budget).
 */
export async function releasedPeriods(
  sql: Sql,
  plan: ReleasePlan,
  privacy: CompanyPrivacy,
  companyId: string,
  kind: PeriodKind,
  now: Date,
  random: RandomWords,
): Promise<PeriodRelease[]> {
  const last = lastClosedStart(now, kind);
  const maxReleases = 1 + privacy.rereleaseLimit;
  const pending = await pendingPeriods(sql, companyId, kind, last, maxReleases);
  if (pending.length > 0) {
    const params = { epsilon: privacy.epsilon, contributionBound: privacy.contributionBound };
    const truths = await periodTruths(
      sql,
      plan,
      companyId,
      kind,
      pending,
      privacy.contributionBound,
    );
    const releases: NewRelease[] = truths.map((t) => ({
      companyId,
      kind,
      periodStart: t.period_start,
      version: t.version,
      epsilon: privacy.epsilonText,
      contributionBound: privacy.contributionBound,
      releasedAt: now,
      values: releasePeriod(plan, kind, t.truth, params, random),
    }));
    await storeReleases(sql, releases, maxReleases);
  }
  return (await readReleases(sql, companyId, kind, last)).map((r) => ({
    kind,
    start: r.period_start,
    params: {
      epsilon: parseEpsilon(r.epsilon) ?? privacy.epsilon,
      contributionBound: r.contribution_bound,
    },
    values: r.values,
  }));
}
