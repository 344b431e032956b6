/**
 * Company time-series bucket suppression (docs/design.md "Privacy, beyond the legacy system").
 *
 * A bucket with fewer than k distinct players is suppressed. Complementary suppression: while
 * some bucket is suppressed and the suppressed buckets together hold fewer than k distinct
 * players, the smallest visible bucket (fewest players, then earliest) is suppressed too, since
 * the company total minus the visible buckets would otherwise reveal the suppressed ones.
 * Distinct players over a union of buckets cannot be derived from per-bucket counts, so the caller
 * counts them (in SQL) between steps.
 */
import { CoreInputError } from "./input_error.ts";

/** One time bucket and how many distinct players played in it. */
export interface BucketStat {
  /** `YYYY-MM-DD` (the day, or the Monday of the week). */
  bucket_start: string;
  /** Distinct players in the bucket. */
  n_players: number;
}

/** Throws unless k is an integer ≥ 1 and the buckets are well formed and unique. */
function validate(buckets: readonly BucketStat[], k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new CoreInputError("k must be an integer >= 1");
  const seen = new Set<string>();
  for (const [i, b] of buckets.entries()) {
    if (!Number.isInteger(b.n_players) || b.n_players < 0) {
      throw new CoreInputError(`buckets[${i}].n_players must be a non-negative integer`);
    }
    if (seen.has(b.bucket_start)) {
      throw new CoreInputError(`duplicate bucket_start ${JSON.stringify(b.bucket_start)}`);
    }
    seen.add(b.bucket_start);
  }
}

/** Returns the ascending-sorted copy of a list of bucket starts. */
function sorted(starts: readonly string[]): string[] {
  return [...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Returns the bucket_starts (ascending) of the buckets with fewer than k distinct players. */
export function initialSuppression(buckets: readonly BucketStat[], k: number): string[] {
  validate(buckets, k);
  return sorted(buckets.filter((b) => b.n_players < k).map((b) => b.bucket_start));
}

/**
 * Returns the next bucket_start to suppress (smallest visible bucket, ties by earliest start), or
 * null when nothing is suppressed, the suppressed union already holds ≥ k players, or no visible
 * bucket is left.
 */
export function nextComplementary(
  buckets: readonly BucketStat[],
  suppressed: readonly string[],
  suppressedDistinctPlayers: number,
  k: number,
): string | null {
  validate(buckets, k);
  if (suppressed.length === 0 || suppressedDistinctPlayers >= k) return null;
  const hidden = new Set(suppressed);
  let best: BucketStat | null = null;
  for (const b of buckets) {
    if (hidden.has(b.bucket_start)) continue;
    if (
      best === null || b.n_players < best.n_players ||
      (b.n_players === best.n_players && b.bucket_start < best.bucket_start)
    ) {
      best = b;
    }
  }
  return best === null ? null : best.bucket_start;
}

/**
 * Returns every suppressed bucket_start (ascending): those already hidden, those with fewer than
 * k players, then complementary suppression to the end. The one suppression loop the service
 * runs (exact mode); `distinctPlayersOf` counts distinct players over a set of buckets (in SQL).
 */
export async function suppressBuckets(
  buckets: readonly BucketStat[],
  k: number,
  distinctPlayersOf: (starts: readonly string[]) => number | Promise<number>,
  already: readonly string[] = [],
): Promise<string[]> {
  const suppressed = [...new Set([...already, ...initialSuppression(buckets, k)])];
  while (true) {
    const count = suppressed.length === 0 ? 0 : await distinctPlayersOf(suppressed);
    const next = nextComplementary(buckets, suppressed, count, k);
    if (next === null) return sorted(suppressed);
    suppressed.push(next);
  }
}
