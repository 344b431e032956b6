/**
 * Session metrics for the Earth Task (docs/design.md "Session metrics").
 *
 * Per sequence 1, 2, 3: solved = some attempt correct; fta_seq = 1 when attempt 1 is correct;
 * attempts_used = attempt_index of the first (lowest-index) correct attempt, else 3. A missing
 * sequence is unsolved (fta 0, attempts 3); sequences outside 1..3 are ignored. Means are
 * computed as `sum / 3` so the floats are bit-identical to the legacy system's Python.
 */
import { CoreInputError } from "./input_error.ts";

/** One attempt as stored: which sequence, which try (1..3), and whether it was right. */
export interface AttemptOutcome {
  sequence_index: number;
  attempt_index: number;
  is_correct: boolean;
}

/** The per-session metrics returned by finalize. */
export interface SessionMetrics {
  fta_level: number;
  fta_strict: boolean;
  repetition_burden: number;
  earth_score_bucket: 0 | 5 | 10;
}

/** Sequences that count toward a session's metrics. */
export const SCORED_SEQUENCES = [1, 2, 3] as const;

/** Highest attempt index a sequence allows (also the attempts charged to an unsolved one). */
export const MAX_ATTEMPTS = 3;

/** Returns the session metrics of a set of attempts (any order, duplicates allowed). */
export function computeSessionMetrics(attempts: readonly AttemptOutcome[]): SessionMetrics {
  // Lowest correct attempt_index per scored sequence; absent = unsolved.
  const firstCorrect = new Map<number, number>();
  for (const [i, a] of attempts.entries()) {
    if (!Number.isInteger(a.sequence_index)) {
      throw new CoreInputError(`attempts[${i}].sequence_index must be an integer`);
    }
    if (
      !Number.isInteger(a.attempt_index) || a.attempt_index < 1 || a.attempt_index > MAX_ATTEMPTS
    ) {
      throw new CoreInputError(
        `attempts[${i}].attempt_index must be an integer 1..${MAX_ATTEMPTS}`,
      );
    }
    if (typeof a.is_correct !== "boolean") {
      throw new CoreInputError(`attempts[${i}].is_correct must be a boolean`);
    }
    if (a.sequence_index < 1 || a.sequence_index > SCORED_SEQUENCES.length || !a.is_correct) {
      continue;
    }
    const prev = firstCorrect.get(a.sequence_index);
    if (prev === undefined || a.attempt_index < prev) {
      firstCorrect.set(a.sequence_index, a.attempt_index);
    }
  }

  let ftaSum = 0;
  let attemptsSum = 0;
  let allSolved = true;
  for (const seq of SCORED_SEQUENCES) {
    const first = firstCorrect.get(seq);
    if (first === undefined) {
      allSolved = false;
      attemptsSum += MAX_ATTEMPTS;
    } else {
      attemptsSum += first;
      if (first === 1) ftaSum += 1;
    }
  }
  const n = SCORED_SEQUENCES.length;
  const ftaStrict = ftaSum === n;
  return {
    fta_level: ftaSum / n,
    fta_strict: ftaStrict,
    repetition_burden: attemptsSum / n,
    earth_score_bucket: !allSolved ? 0 : ftaStrict ? 10 : 5,
  };
}
