/** Raw event retention: which attempt events are old enough to delete. */

const DAY_MS = 86_400_000;

/** Returns the instant before which raw events are past a retention of `days` days at `now`. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}
