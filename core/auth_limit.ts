/** The failed-credential limiter's rule, apart from where the counts are kept. */

/** Whether a failing request is refused with 429, and for how many more seconds. */
export interface FailureVerdict {
  limited: boolean;
  /** Seconds until the client's window ends (at least 1). */
  retryAfterSeconds: number;
}

/**
 * Returns the verdict on a credential failure that brought the client's window (started at
 * `windowStartedAt`) to `failures`: the first `limit` failures are answered as they are, every
 * further one in the window with 429. `limit` 0 never limits.
 */
export function failureVerdict(
  failures: number,
  windowStartedAt: Date,
  now: Date,
  limit: number,
  windowSeconds: number,
): FailureVerdict {
  const endsInMs = windowStartedAt.getTime() + windowSeconds * 1000 - now.getTime();
  return {
    limited: limit > 0 && failures > limit,
    retryAfterSeconds: Math.max(1, Math.ceil(endsInMs / 1000)),
  };
}
