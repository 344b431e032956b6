/**
 * The window a client's timestamp must fall in (events' `ts_utc`, session summaries'
 * `started_at`): from a fixed floor, because devices upload sessions played offline long ago and
 * the legacy system's data is years old, up to a few minutes ahead of the server's clock (clock
 * skew). Pure: the server's clock is passed in.
 */

/** The earliest client timestamp accepted. */
export const CLIENT_TIME_FLOOR = new Date("2000-01-01T00:00:00.000Z");
/** How far ahead of the server's clock a client timestamp may be (ms). */
export const CLIENT_TIME_AHEAD_MS = 5 * 60_000;

/** Returns the bounds of the accepted window at server time `now`. */
export function clientTimeWindow(now: Date): { from: Date; to: Date } {
  return { from: CLIENT_TIME_FLOOR, to: new Date(now.getTime() + CLIENT_TIME_AHEAD_MS) };
}

/** Returns null when `at` is inside the window at `now`, else the message naming the window. */
export function clientTimeProblem(at: Date, now: Date): string | null {
  const { from, to } = clientTimeWindow(now);
  const t = at.getTime();
  if (t >= from.getTime() && t <= to.getTime()) return null;
  return `Must be from ${from.toISOString()} to 5 minutes past the server's clock ` +
    `(until ${to.toISOString()})`;
}
