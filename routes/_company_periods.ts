/**
 * The company page's periods as core/periods.ts reads them, and their CSV (private to routes/):
 * the same numbers the page shows, hidden ones empty.
 */
import { type Period, toCsv } from "../core/periods.ts";
import type { Timeseries } from "../openapi/company.ts";

/** The averages a company period carries, by the key the page and the CSV use. */
export const PERIOD_KEYS = {
  score: "avg_brain_performance_score",
  burden: "avg_repetition_burden",
  stress: "avg_stress_score",
} as const;

/** Returns a bucket's field as a number, or null (hidden, absent, or not a number). */
const num = (b: Record<string, unknown>, field: string): number | null =>
  typeof b[field] === "number" ? b[field] as number : null;

/** Returns the shown buckets of a company time series as periods. */
export function toPeriods(buckets: Timeseries["buckets"]): Period[] {
  return buckets.map((b) => ({
    start: b.bucket_start,
    end: b.bucket_end,
    sessions: b.n_sessions,
    values: {
      score: num(b, PERIOD_KEYS.score),
      burden: num(b, PERIOD_KEYS.burden),
      stress: num(b, PERIOD_KEYS.stress),
    },
  }));
}

/** Returns the CSV of a company time series: one row per shown period, hidden averages empty. */
export function timeseriesCsv(series: Timeseries): string {
  return toCsv(
    [
      "period_start",
      "period_end",
      "sessions",
      PERIOD_KEYS.score,
      PERIOD_KEYS.burden,
      "water_sessions",
      PERIOD_KEYS.stress,
    ],
    series.buckets.map((b) => [
      b.bucket_start,
      b.bucket_end,
      b.n_sessions,
      num(b, PERIOD_KEYS.score),
      num(b, PERIOD_KEYS.burden),
      num(b, "n_water_sessions"),
      num(b, PERIOD_KEYS.stress),
    ]),
  );
}
