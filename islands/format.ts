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
