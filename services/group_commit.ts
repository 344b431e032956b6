/**
 * Group commit: single writes from concurrent requests are coalesced into one autocommitted
 * statement per tick. Every caller is answered only after the statement holding its item has
 * committed, so nothing is acknowledged before it is durable; one round trip and one WAL flush
 * serve every request of the tick.
 */
import { isDatabaseUnavailable } from "../db/errors.ts";

/** A queue whose items are stored together. */
export interface GroupCommit<T, R> {
  /** Returns the result of one item once the statement holding it has committed. */
  submit(item: T): Promise<R>;
}

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Returns a group-commit queue over `store`, which must store the items it is given (at most
 * `maxBatch`) in one statement and return one result per item, in order.
 */
export function createGroupCommit<T, R>(
  store: (items: T[]) => Promise<R[]>,
  maxBatch = 500,
): GroupCommit<T, R> {
  const queue: Pending<T, R>[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    try {
      const results = await store(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One item's value failed the whole statement: retry each alone so only it fails.
      await Promise.all(batch.map(async (p) => {
        try {
          p.resolve((await store([p.item]))[0]);
        } catch (one) {
          p.reject(one);
        }
      }));
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(flush, 0);
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
