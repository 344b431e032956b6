/**
 * The company page's periods as core/periods.ts reads them, and their CSV (private to routes/):
 * the same numbers the page shows, hidden ones empty.
 */
import {
  type Grain,
  type Period,
  type PeriodChange,
  type PeriodInterval,
  toCsv,
} from "../core/periods.ts";
import { dayLabel, fixed, monthLabel } from "../islands/format.ts";
import type { Timeseries } from "../openapi/company.ts";
import type { TaskRegistry } from "../core/tasks.ts";

/** Returns a bucket's field as a number, or null (hidden, absent, or not a number). */
const num = (b: Record<string, unknown>, field: string): number | null =>
  typeof b[field] === "number" ? b[field] as number : null;

/** Returns a bucket's released 90 % interval of a field (null in exact mode). */
function intervalOf(b: Record<string, unknown>, field: string): PeriodInterval {
  const i = b[`${field}_interval`] as { low?: unknown; high?: unknown } | null | undefined;
  return i && typeof i.low === "number" && typeof i.high === "number"
    ? { low: i.low, high: i.high }
    : null;
}

/**
 * Returns the shown buckets of a company time series as periods, each carrying the values (and
 * released intervals) of `fields` by field name (e.g. `n_sessions`, `avg_stress_score`).
 */
export function toPeriods(buckets: Timeseries["buckets"], fields: readonly string[]): Period[] {
  return buckets.map((b) => ({
    start: b.bucket_start,
    end: b.bucket_end,
    sessions: b.n_sessions,
    values: Object.fromEntries(fields.map((f) => [f, num(b, f)])),
    intervals: Object.fromEntries(fields.map((f) => [f, intervalOf(b, f)])),
  }));
}

/** One CSV column: its header and the bucket field it carries. */
interface CsvColumn {
  header: string;
  field: string;
}

/**
 * Returns the CSV's columns after the period and its sessions, from the registry's company views:
 * per task its session count (`n_water_sessions` as `water_sessions`) and its time-series
 * averages (by their field names), in registry order. Earth and water give
 * `avg_brain_performance_score, avg_repetition_burden, water_sessions, avg_stress_score`.
 */
export function csvColumns(registry: TaskRegistry): CsvColumn[] {
  return registry.tasks.flatMap((t) => [
    ...(t.company.sessions === null
      ? []
      : [{ header: t.company.sessions.field.replace(/^n_/, ""), field: t.company.sessions.field }]),
    ...t.company.metrics.filter((m) => m.timeseries !== null).map((m) => ({
      header: m.field,
      field: m.field,
    })),
  ]);
}

/** Returns the CSV of a company time series: one row per shown period, hidden averages empty. */
export function timeseriesCsv(series: Timeseries, registry: TaskRegistry): string {
  const columns = csvColumns(registry);
  return toCsv(
    ["period_start", "period_end", "sessions", ...columns.map((c) => c.header)],
    series.buckets.map((b) => [
      b.bucket_start,
      b.bucket_end,
      b.n_sessions,
      ...columns.map((c) => num(b, c.field)),
    ]),
  );
}

/** What the change words need of a value: its unit, kind, decimals and which way is better. */
export interface ChangeUnit {
  /** The registry's unit ("share", "points", "attempts", "ms") or "sessions" for counts. */
  unit: string;
  kind: "number" | "boolean";
  decimals?: number | undefined;
  higherIsBetter: boolean | null;
}

/** Units whose word loses its "s" for exactly 1 ("1 point", "1 session"). */
const PLURAL = new Set(["points", "percentage points", "sessions", "attempts"]);

/** Returns a difference's size as a number and its unit word ("4", "percentage points"). */
function amount(u: ChangeUnit, size: number): { n: string; word: string } {
  const share = u.unit === "share" || u.kind === "boolean";
  const n = share ? String(Math.round(size * 100)) : fixed(size, u.decimals ?? 2);
  const word = share ? "percentage points" : u.unit;
  return { n, word: n === "1" && PLURAL.has(word) ? word.slice(0, -1) : word };
}

/**
 * Returns a tile's change from the previous period in words, with its unit and direction, e.g.
 * "7 Feb: 50.0 points, up 10.0 points from the day before (worse)" or "Mar 2024: 62%, up 4
 * percentage points from the month before (better)"; in protected mode the change is
 * given only when it exceeds the combined 90 % range of the two noisy values, else "no clear
 * change". `shown` formats the latest value as the tile does (with its ± in protected mode).
 */
export function changeWords(
  change: PeriodChange,
  grain: Grain,
  u: ChangeUnit,
  shown: (value: number, interval: PeriodInterval) => string,
): string {
  const when = grain === "day"
    ? dayLabel(change.latest.start)
    : grain === "month"
    ? monthLabel(change.latest.start)
    : `week of ${dayLabel(change.latest.start)}`;
  const latest = `${when}: ${shown(change.value, change.latest.intervals?.[change.key] ?? null)}`;
  const before = `the ${grain} before`;
  if (change.status === "first") return `${latest}; no earlier ${grain} to compare`;
  if (change.status === "previous-hidden") {
    return `${latest}; no change given: ${before} shows no value (no sessions, or too few ` +
      `players to show)`;
  }
  const delta = change.delta!;
  const size = amount(u, Math.abs(delta));
  const noise = change.noise === null ? null : amount(u, change.noise).n;
  if (change.status === "within-noise") {
    const sign = Number(size.n) === 0 ? "±" : delta > 0 ? "+" : "−";
    return `${latest}; no clear change from ${before} (${sign}${size.n} ${size.word}, within ` +
      `the noise of ± ${noise})`;
  }
  if (Number(size.n) === 0) return `${latest}, unchanged from ${before}`;
  const up = delta > 0;
  const judged = u.higherIsBetter === null
    ? ""
    : up === u.higherIsBetter
    ? " (better)"
    : " (worse)";
  return `${latest}, ${up ? "up" : "down"} ${size.n}${noise === null ? "" : ` ± ${noise}`} ` +
    `${size.word} from ${before}${judged}`;
}
