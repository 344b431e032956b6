/** Number and date formatting shared by pages and islands (same output on server and client). */

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
