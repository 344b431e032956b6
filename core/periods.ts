/**
 * Which periods a company chart shows, and how each tile compares with the period before: pure
 * post-processing of the periods the service may show (those hidden for privacy carry nulls).
 *
 * The finest grain whose chart has at least MIN_CHART_POINTS shown values wins: days when at least
 * half of the days in the range can be shown, else weeks, else calendar months. When none reaches
 * MIN_CHART_POINTS there is no chart (the page says so in words), never a chart of one dot.
 * (Merging hidden periods needs their data, so it can only happen where the service holds them,
 * not here: months are that merge, computed by the service.)
 */
import { addDays, addMonths } from "./time.ts";

/** One period as the page receives it: its UTC days, its sessions, and its averages by key. */
export interface Period {
  /** First UTC day, `YYYY-MM-DD`. */
  start: string;
  /** Last UTC day, `YYYY-MM-DD`. */
  end: string;
  /** Sessions in the period (null when hidden). */
  sessions: number | null;
  /** The period's averages by metric key; null when hidden for privacy or without sessions. */
  values: Record<string, number | null>;
  /** The released 90 % interval of each value (protected mode); absent or null in exact mode. */
  intervals?: Record<string, PeriodInterval>;
}

/** How long each period of a chosen series is. */
export type Grain = "day" | "week" | "month";

/** The fewest shown values a chart may have (one value is a tile, not a chart). */
export const MIN_CHART_POINTS = 2;

/** Returns how many periods show a value for `key`. */
export function shownCount(periods: readonly Period[], key: string): number {
  return periods.filter((p) => p.values[key] !== null && p.values[key] !== undefined).length;
}

/** Returns the number of UTC days from `start` to `end`, both included. */
function daysBetween(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 864e5) +
    1;
}

/**
 * Returns the grain and periods to chart for `key` (the headline metric), or null when no grain
 * shows MIN_CHART_POINTS values. `days`, `weeks` and `months` are every period of their range,
 * oldest first.
 */
export function choosePeriods(
  days: readonly Period[],
  weeks: readonly Period[],
  key: string,
  months: readonly Period[] = [],
): { grain: Grain; periods: Period[] } | null {
  const first = days[0]?.start;
  const last = days.at(-1)?.end;
  const span = first && last ? daysBetween(first, last) : 0;
  const shownDays = shownCount(days, key);
  if (shownDays >= MIN_CHART_POINTS && shownDays * 2 >= span) {
    return { grain: "day", periods: [...days] };
  }
  if (shownCount(weeks, key) >= MIN_CHART_POINTS) {
    return { grain: "week", periods: [...weeks] };
  }
  if (shownCount(months, key) >= MIN_CHART_POINTS) {
    return { grain: "month", periods: [...months] };
  }
  return null;
}

/** A released 90 % interval of a value (protected mode); null in exact mode. */
export type PeriodInterval = { low: number; high: number } | null;

/** How the latest shown period of a value compares with the period just before it. */
export interface PeriodChange {
  /** The value's key. */
  key: string;
  /** The newest period showing a value. */
  latest: Period;
  value: number;
  /**
   * `change`: the period before shows a value and the difference is clear (exact mode: always;
   * protected mode: larger than the combined 90 % range of the two noisy values);
   * `within-noise`: protected mode, the difference is not larger than that range;
   * `previous-hidden`: the period just before shows no value (no sessions of the task, or hidden
   * for privacy), so no change is given; `first`: no earlier period exists at all.
   */
  status: "change" | "within-noise" | "previous-hidden" | "first";
  /** Latest minus previous (null unless the period before shows a value). */
  delta: number | null;
  /** The 90 % half-width of the difference (null in exact mode or without a difference). */
  noise: number | null;
}

/** Returns the larger distance from a value to its interval's bounds (0 without an interval). */
function halfWidthOf(value: number, interval: PeriodInterval | undefined): number {
  return interval ? Math.max(value - interval.low, interval.high - value) : 0;
}

/**
 * Returns how the latest shown value of `key` compares with the period just before it (the day,
 * the week or the calendar month immediately preceding; never an older one across a gap), or null when no period
 * shows it. The difference of two released values is noisy: its 90 % half-width is taken as
 * sqrt(h₁² + h₂²) of the two values' half-widths (independent noise, normal approximation), and
 * a difference within it is `within-noise`. `hidden` is the number of periods of the series left
 * out for privacy: with any, a missing period before cannot be told apart from a hidden one.
 */
export function changeFromPrevious(
  periods: readonly Period[],
  key: string,
  grain: Grain,
  hidden = 0,
): PeriodChange | null {
  const has = (p: Period) => p.values[key] !== null && p.values[key] !== undefined;
  const latest = periods.findLast(has);
  if (!latest) return null;
  const value = latest.values[key]!;
  const before = grain === "month"
    ? addMonths(latest.start, -1)
    : addDays(latest.start, grain === "day" ? -1 : -7);
  const previous = periods.find((p) => p.start === before && has(p));
  if (!previous) {
    const earlier = periods.some((p) => p.start < latest.start);
    const status = !earlier && hidden === 0 ? "first" : "previous-hidden";
    return { key, latest, value, status, delta: null, noise: null };
  }
  const delta = value - previous.values[key]!;
  const [a, b] = [latest, previous].map((p) => halfWidthOf(p.values[key]!, p.intervals?.[key]));
  const noisy = latest.intervals?.[key] != null || previous.intervals?.[key] != null;
  const noise = noisy ? Math.sqrt(a * a + b * b) : null;
  const status = noise !== null && Math.abs(delta) <= noise ? "within-noise" : "change";
  return { key, latest, value, status, delta, noise };
}

/** Returns one CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Returns a CSV document (RFC 4180, CRLF line ends) of a header row and data rows. */
export function toCsv(
  header: readonly string[],
  rows: readonly (string | number | null)[][],
): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}
