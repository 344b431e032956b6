/**
 * Seven-day engagement rollup (docs/design.md "Engagement rollup").
 *
 * Index 0 of every array is six UTC days before `now`, index 6 is the UTC day of `now`; the
 * window is anchored at the read, not at the last ingest. All rounding is decimal half-up done
 * with integers (scores are carried as integer hundredths), never binary floating point.
 */
import { InvariantViolation } from "./errors.ts";
import { CoreInputError } from "./input_error.ts";
import { addDays, dayKey } from "./time.ts";

/** Days in the rollup window (the contract's arrays are always this long). */
export const WINDOW_DAYS = 7;

/** Lowest daily sentiment, in hundredths, whose tone is positive. */
export const POSITIVE_MIN_HUNDREDTHS = 61;

/** Lowest daily sentiment, in hundredths, whose tone is neutral (below it: negative). */
export const NEUTRAL_MIN_HUNDREDTHS = 40;

/** Per-UTC-day totals, as the SQL aggregation returns them. */
export interface DayAggregate {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  sessions: number;
  seconds: number;
  /** Sum of the sessions' scores, each in integer hundredths. */
  sentimentSum: number;
  /** Number of sessions that had a score. */
  sentimentCount: number;
}

/** One engagement session (a companion-device summary or a finalized Earth Task session). */
export interface EngagementSession {
  startedAt: Date;
  durationSeconds: number;
  /** Score rounded half-up to integer hundredths (see scoreToHundredths), null when none. */
  sentimentHundredths: number | null;
}

/** The dashboard contract (camelCase, as served by `GET /api/dashboard/{user_id}`). */
export interface Rollup {
  lastSession: { timestamp: string | null };
  streak: { days: number; dailyActivity: boolean[] };
  avgDuration: { minutes: number; dailyDurations: number[] };
  toneTrend: { current: "positive" | "neutral" | "negative"; dailySentiment: (number | null)[] };
  lastUpdated: string;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/** Returns floor((2·sum + n) / (2n)), i.e. sum / n rounded half up, for integers sum ≥ 0, n > 0. */
function roundHalfUpDiv(sum: number, n: number): number {
  return Math.floor((2 * sum + n) / (2 * n));
}

/** Throws unless `value` is a non-negative safe integer. */
function requireCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CoreInputError(`${what} must be a non-negative integer`);
  }
}

/** Throws InvariantViolation unless a stored count is a non-negative safe integer. */
function requireStoredCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvariantViolation(`${what} must be a non-negative integer, got ${value}`);
  }
}

/** Returns a 0..1 score rounded half up to 2 decimals, as integer hundredths (0.235 → 24). */
export function scoreToHundredths(score: number): number {
  if (!Number.isFinite(score) || score < 0 || score > 1) {
    throw new CoreInputError("score must be a number between 0 and 1");
  }
  // The shortest decimal string that round-trips is the value the caller wrote (0.235, 1e-7).
  const m = DECIMAL.exec(String(score));
  if (!m) throw new CoreInputError(`unexpected number format: ${String(score)}`);
  const digits = m[1] + (m[2] ?? "");
  // value = digits × 10^exp; we want round_half_up(value × 100).
  const exp = (m[3] === undefined ? 0 : Number(m[3])) - (m[2] ?? "").length + 2;
  if (exp >= 0) return Number(digits) * 10 ** exp; // at most one decimal: exact (0.5 → 50, 1 → 100)
  const keep = digits.length + exp; // number of leading digits that form the integer part
  if (keep < 0) return 0; // below 0.001: rounds to 0
  const integer = keep === 0 ? 0 : Number(digits.slice(0, keep));
  return digits[keep] >= "5" ? integer + 1 : integer;
}

/** Returns seconds converted to minutes, rounded half up with integer arithmetic (90 → 2). */
export function minutesFromSeconds(totalSeconds: number): number {
  requireCount(totalSeconds, "totalSeconds");
  return Math.floor((totalSeconds + 30) / 60);
}

/** Returns the 7 UTC day keys of the window ending on the UTC day of `now` (oldest first). */
export function windowDays(now: Date): string[] {
  const today = dayKey(now);
  const days: string[] = [];
  for (let i = WINDOW_DAYS - 1; i >= 0; i--) days.push(addDays(today, -i));
  return days;
}

/** Returns per-day totals of the sessions that started inside the window (days ascending, empty days omitted). */
export function aggregateByDay(
  sessions: readonly EngagementSession[],
  now: Date,
): DayAggregate[] {
  const window = new Set(windowDays(now));
  const byDay = new Map<string, DayAggregate>();
  for (const [i, s] of sessions.entries()) {
    requireCount(s.durationSeconds, `sessions[${i}].durationSeconds`);
    const h = s.sentimentHundredths;
    if (h !== null && (!Number.isInteger(h) || h < 0 || h > 100)) {
      throw new CoreInputError(`sessions[${i}].sentimentHundredths must be an integer 0..100`);
    }
    const day = dayKey(s.startedAt);
    if (!window.has(day)) continue;
    const agg = byDay.get(day) ??
      { day, sessions: 0, seconds: 0, sentimentSum: 0, sentimentCount: 0 };
    agg.sessions += 1;
    agg.seconds += s.durationSeconds;
    if (h !== null) {
      agg.sentimentSum += h;
      agg.sentimentCount += 1;
    }
    byDay.set(day, agg);
  }
  return [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Returns the tone of a daily sentiment given in hundredths. */
export function toneOf(hundredths: number): "positive" | "neutral" | "negative" {
  if (hundredths >= POSITIVE_MIN_HUNDREDTHS) return "positive";
  if (hundredths >= NEUTRAL_MIN_HUNDREDTHS) return "neutral";
  return "negative";
}

/**
 * Returns the dashboard rollup for the window ending on the UTC day of `now`. Aggregates for
 * days outside the window are ignored; several aggregates for the same day are added together
 * (e.g. companion-device sessions and Earth Task sessions aggregated separately). `days` and
 * `lastSessionEnd` are read from the database: values no stored rows can produce (a negative or
 * fractional count, a sentiment sum over 100 per session, an invalid date) throw
 * InvariantViolation, a bug answered 500, never the caller's 400.
 */
export function buildRollup(input: {
  now: Date;
  days: readonly DayAggregate[];
  lastSessionEnd: Date | null;
}): Rollup {
  const { now, days, lastSessionEnd } = input;
  const window = windowDays(now);
  const index = new Map(window.map((d, i) => [d, i]));
  const sessions = new Array<number>(WINDOW_DAYS).fill(0);
  const seconds = new Array<number>(WINDOW_DAYS).fill(0);
  const sentSum = new Array<number>(WINDOW_DAYS).fill(0);
  const sentCount = new Array<number>(WINDOW_DAYS).fill(0);
  for (const [k, d] of days.entries()) {
    for (const f of ["sessions", "seconds", "sentimentSum", "sentimentCount"] as const) {
      requireStoredCount(d[f], `days[${k}].${f}`);
    }
    if (d.sentimentSum > 100 * d.sentimentCount) {
      throw new InvariantViolation(`days[${k}].sentimentSum exceeds 100 per counted session`);
    }
    const i = index.get(d.day);
    if (i === undefined) continue;
    sessions[i] += d.sessions;
    seconds[i] += d.seconds;
    sentSum[i] += d.sentimentSum;
    sentCount[i] += d.sentimentCount;
  }
  if (lastSessionEnd !== null && !Number.isFinite(lastSessionEnd.getTime())) {
    throw new InvariantViolation("lastSessionEnd is an invalid date");
  }

  const dailyActivity = sessions.map((n) => n > 0);
  const dailyDurations = seconds.map(minutesFromSeconds);
  const sentimentHundredths = sentSum.map((sum, i) =>
    sentCount[i] === 0 ? null : roundHalfUpDiv(sum, sentCount[i])
  );
  const dailySentiment = sentimentHundredths.map((h) => (h === null ? null : h / 100));

  const active = dailyDurations.filter((m) => m > 0);
  const minutes = active.length === 0
    ? 0
    : roundHalfUpDiv(active.reduce((a, b) => a + b, 0), active.length);

  const newest = sentimentHundredths.findLast((h) => h !== null);
  const current = newest === undefined || newest === null ? "neutral" : toneOf(newest);

  let streak = 0;
  for (let i = WINDOW_DAYS - 1; i >= 0 && dailyActivity[i]; i--) streak++;

  return {
    lastSession: { timestamp: lastSessionEnd === null ? null : lastSessionEnd.toISOString() },
    streak: { days: streak, dailyActivity },
    avgDuration: { minutes, dailyDurations },
    toneTrend: { current, dailySentiment },
    lastUpdated: now.toISOString(),
  };
}
