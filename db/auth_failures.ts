/** Shared failed-credential counters (table auth_failures): one row per client key and window. */
import type { Sql } from "./client.ts";

/** A client's failures in its current window. */
export interface FailureWindow {
  failures: number;
  windowStartedAt: Date;
}

/**
 * Returns the client's window after counting one more failure at `now`: a window older than
 * `windowSeconds` starts afresh at `now` with one failure. One statement, atomic across processes.
 */
export async function recordAuthFailure(
  sql: Sql,
  client: string,
  now: Date,
  windowSeconds: number,
): Promise<FailureWindow> {
  const [row] = await sql<{ failures: number; window_started_at: Date }[]>`
    insert into auth_failures as f (client, window_started_at, failures)
    values (${client}, ${now}, 1)
    on conflict (client) do update set
      failures = case
        when f.window_started_at <= excluded.window_started_at - make_interval(secs => ${windowSeconds})
        then 1 else f.failures + 1 end,
      window_started_at = case
        when f.window_started_at <= excluded.window_started_at - make_interval(secs => ${windowSeconds})
        then excluded.window_started_at else f.window_started_at end
    returning failures, window_started_at`;
  return { failures: row.failures, windowStartedAt: row.window_started_at };
}

/** Returns how many windows that ended before `now` were deleted. */
export async function pruneAuthFailures(
  sql: Sql,
  now: Date,
  windowSeconds: number,
): Promise<number> {
  const rows = await sql`
    delete from auth_failures
    where window_started_at <= ${now}::timestamptz - make_interval(secs => ${windowSeconds})`;
  return rows.count;
}
