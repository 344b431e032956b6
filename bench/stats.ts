/** Medians, percentiles and the number formats of the benchmark's tables. */

/** Returns the median of `values` (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Returns the nearest-rank percentile `p` (0..100) of `values`. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Returns a whole number with thousands separators (`1,234`). */
export const f0 = (n: number): string => Math.round(n).toLocaleString("en-US");
/** Returns a number with two decimals. */
export const f2 = (n: number): string => n.toFixed(2);
/** Returns milliseconds with two decimals and the unit. */
export const ms = (n: number): string => `${n.toFixed(2)} ms`;
/** Returns KiB as whole MiB. */
export const mib = (kb: number): string => (kb / 1024).toFixed(0);
