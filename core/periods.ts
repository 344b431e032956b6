/**
 * Which periods a company chart shows, and how each tile compares with the period before: pure
 * post-processing of the periods the service may show (those hidden for privacy carry nulls).
 *
 * The finest grain whose chart has at least MIN_CHART_POINTS shown values wins: days when at least
 * half of the days in the range can be shown, else weeks. When neither reaches MIN_CHART_POINTS
 * there is no chart (the page says so in words), never a chart of one dot. (Merging hidden
 * periods needs their data, so it can only happen where the service holds them, not here.)
 */

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
}

/** How long each period of a chosen series is. */
export type Grain = "day" | "week";

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
 * shows MIN_CHART_POINTS values. `days` and `weeks` are every period of their range, oldest first.
 */
export function choosePeriods(
  days: readonly Period[],
  weeks: readonly Period[],
  key: string,
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
  return null;
}

/** Returns the latest shown value of `key` and the change from the shown period before it. */
export function changeFromPrevious(
  periods: readonly Period[],
  key: string,
): { latest: Period; value: number; previous: Period | null; change: number | null } | null {
  const shown = periods.filter((p) => p.values[key] !== null && p.values[key] !== undefined);
  const latest = shown.at(-1);
  if (!latest) return null;
  const previous = shown.at(-2) ?? null;
  const value = latest.values[key]!;
  return {
    latest,
    value,
    previous,
    change: previous === null ? null : value - previous.values[key]!,
  };
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
