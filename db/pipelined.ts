/**
 * A transaction in two round trips fewer than `sql.begin`, which waits for the answer to BEGIN
 * before the first statement and for the last statement's before COMMIT. Here, on a reserved
 * connection, BEGIN is sent at once (it travels with the first statements), and `commit(last)`
 * sends COMMIT right behind the last statement. A failed statement aborts the transaction, and
 * the COMMIT behind it then rolls back.
 *
 * The order: postgres.js sends one connection's statements in the order it is asked for their
 * answers, and Postgres runs them in that order. `await` and `Promise.all` ask a job after the
 * call, in call order (`execute()` asks at once); `commit` asks for `last` and the COMMIT the same
 * way, so statements started before `commit` in the same synchronous run of the caller (the
 * arguments of one `Promise.all`, each a single statement or a `Promise.all` of some) go out
 * before them.
 */
import type postgres from "postgres";
import type { Sql, Tx } from "./client.ts";

/** Ends a pipelined transaction: returns `last`'s rows once it and the COMMIT behind it are done. */
export type Commit = <T extends readonly postgres.MaybeRow[]>(
  last: postgres.PendingQuery<T>,
) => Promise<T>;

/**
 * Returns what `fn` returns, its statements (through `tx`: plain statements, no savepoints) in one
 * transaction, committed by `fn` with `commit(last)`; a throw, or a return without a commit,
 * rolls it back.
 */
export async function pipelinedTransaction<T>(
  sql: Sql,
  fn: (tx: Tx, commit: Commit) => Promise<T>,
): Promise<T> {
  const reserved = await sql.reserve();
  let open = true;
  try {
    // Started now, so it goes out before any statement `fn` starts; its failure (the connection
    // lost) fails those statements too, and is thrown by the commit otherwise.
    const begun = reserved`begin`.execute();
    begun.catch(() => {});
    const commit: Commit = async (last) => {
      // Not `execute()`, which would send them now, ahead of statements started just before.
      const answer = Promise.resolve(last);
      const done = Promise.resolve(reserved`commit`);
      try {
        const [, rows] = await Promise.all([begun, answer, done]);
        return rows;
      } finally {
        // Answered or not, the transaction is over: committed, or rolled back by Postgres (a
        // failed statement) or with the connection (which postgres.js then closes).
        open = false;
        await done.catch(() => {});
      }
    };
    return await fn(reserved as unknown as Tx, commit);
  } finally {
    if (open) await reserved`rollback`.catch(() => {});
    reserved.release();
  }
}
