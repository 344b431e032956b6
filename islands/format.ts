/** Number and date formatting shared by pages and islands (same output on server and client). */
import type { ChartSpec } from "./_chart.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** Returns a 0..1 share as a whole percentage ("67%"). */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** Returns a number with a fixed number of decimals ("1.33"). */
export function fixed(value: number, decimals = 2): string {
  return value.toFixed(decimals);
}

/** Returns a UTC day key (YYYY-MM-DD) as "4 Mar". */
export function dayLabel(day: string): string {
  const [, m, d] = day.split("-").map(Number);
  return `${d} ${MONTHS[m - 1] ?? "?"}`;
}

/** Returns the month of a day key (YYYY-MM-DD) as "Mar 2024". */
export function monthLabel(day: string): string {
  const [y, m] = day.split("-").map(Number);
  return `${MONTHS[m - 1] ?? "?"} ${y}`;
}

/** Returns the short UTC weekday of a day key ("Mon"). */
export function weekdayLabel(day: string): string {
  return WEEKDAYS[new Date(`${day}T00:00:00Z`).getUTCDay()];
}

/** Returns an ISO timestamp as "2024-01-15 14:30 UTC". */
export function utcMinute(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${t.toISOString().slice(0, 10)} ${t.toISOString().slice(11, 16)} UTC`;
}

/**
 * Returns a chart's text alternative carrying every value, e.g. "First-try accuracy per session:
 * #1 33%, #2 no data, #3 0%; latest 0%." (a series name leads each series when there are several;
 * line charts end with their latest value).
 */
export function chartAlt(title: string, spec: ChartSpec): string {
  const show = (v: number | null) =>
    v === null ? "no data" : spec.percent ? percent(v) : String(Math.round(v * 100) / 100);
  const series = spec.series.map((s) => {
    const values = s.data.map((v, i) => `${spec.labels[i]} ${show(v)}`);
    const latest = s.data.findLast((v) => v !== null);
    return (spec.series.length > 1 ? `${s.name}: ` : "") + (values.join(", ") || "no data") +
      (spec.kind === "line" && latest != null ? `; latest ${show(latest)}` : "");
  });
  return `${title}: ${series.join(". ") || "no data"}.`;
}

/** What formatMetric needs to know of a metric (core/tasks.ts MetricDefinition). */
interface Shown {
  kind: "number" | "boolean";
  unit: string;
  levels?: readonly number[];
  decimals?: number;
}

/**
 * Returns a metric's value as the pages show it: shares as percent, booleans yes/no, a levels
 * metric's own value as it is, else with the metric's decimals. `average`: a mean over sessions
 * (a boolean's is the share of yes, a levels metric's has decimals).
 */
export function formatMetric(m: Shown, value: number | boolean, average = false): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (m.unit === "share" || (m.kind === "boolean" && average)) return percent(value);
  if (m.levels !== undefined && !average) return String(value);
  return fixed(value, m.decimals ?? 2);
}

/**
 * Returns a formatted value with the registry's unit word ("50.0 points", "1.00 attempts",
 * "1100 ms"; shares and yes/no carry their own: "62%", "yes"), as every big number shows it.
 */
export function withUnit(m: Pick<Shown, "kind" | "unit">, text: string): string {
  return m.unit === "share" || m.kind === "boolean" ? text : `${text} ${m.unit}`;
}

/** A 90 % interval as the contract answers it (null in exact mode). */
export type Interval = { low: number; high: number } | null;

/** Returns the larger distance from a value to its interval's bounds. */
export function halfWidthOf(value: number, interval: { low: number; high: number }): number {
  return Math.max(value - interval.low, interval.high - value);
}

/**
 * Returns a metric's average with its 90 % interval ("62% ± 4": shares in percentage points,
 * else at the metric's decimals), or just the average in exact mode (no interval).
 */
export function formatMetricPm(m: Shown, value: number, interval: Interval): string {
  const shown = formatMetric(m, value, true);
  if (interval === null) return shown;
  const half = halfWidthOf(value, interval);
  if (m.unit === "share" || m.kind === "boolean") return `${shown} ± ${Math.round(half * 100)}`;
  return `${shown} ± ${fixed(half, m.decimals ?? 2)}`;
}

/** Returns a count with its interval ("120 ± 14"), or just the count. */
export function countPm(value: number, interval: Interval): string {
  if (interval === null) return String(value);
  return `${value} ± ${Math.round(halfWidthOf(value, interval))}`;
}
