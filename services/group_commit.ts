/**
 * Group commit without a timer: single writes from concurrent requests are coalesced into one
 * autocommitted statement. A submit that finds a free statement slot is written at once (a lone
 * request waits for nothing); submits that arrive while every slot is busy queue up and are written
 * together by the next statement, started the moment a slot frees. Batches therefore grow with the
 * load on their own, and no timer sits on the path (Deno clamps nested 0 ms timers to 4 ms).
 *
 * Every caller is answered only after the statement holding its item has committed, so nothing is
 * acknowledged before it is durable; one round trip and one WAL flush serve every item of a batch.
 */
import { isDatabaseUnavailable } from "../db/errors.ts";

/** A queue whose items are stored together. */
export interface GroupCommit<T, R> {
  /** Returns the result of one item once the statement holding it has committed. */
  submit(item: T): Promise<R>;
}

/** How many statements may be in flight at once, and how many items one may hold. */
export interface GroupCommitOptions {
  /** Items per statement at most (default 500). */
  maxBatch?: number;
  /**
   * Statements in flight at once (default 1). A second one would execute while the first waits
   * for its WAL flush, but it halves the batches, and consecutive statements usually hold the
   * same sessions, whose row locks make the second wait for the first anyway (measured:
   * docs/performance.md).
   */
  maxInFlight?: number;
  /** Called with the number of items of every statement started (e.g. for /metrics). */
  onBatch?: (size: number) => void;
}

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/** Default statements in flight (see GroupCommitOptions). */
export const DEFAULT_IN_FLIGHT = 1;

/**
 * Returns a group-commit queue over `store`, which must store the items it is given (at most
 * `maxBatch`) in one statement and return one result per item, in order.
 */
export function createGroupCommit<T, R>(
  store: (items: T[]) => Promise<R[]>,
  { maxBatch = 500, maxInFlight = DEFAULT_IN_FLIGHT, onBatch }: GroupCommitOptions = {},
): GroupCommit<T, R> {
  const queue: Pending<T, R>[] = [];
  let inFlight = 0;

  /** Frees a statement slot and starts the next statement if items wait. */
  const release = () => {
    inFlight--;
    pump();
  };

  /** Writes one batch in a slot; frees the slot before answering, so an answered caller's next
   * submit finds it free when nothing else waits. Never rejects. */
  const write = async (batch: Pending<T, R>[]) => {
    onBatch?.(batch.length);
    let results: R[];
    try {
      results = await store(batch.map((p) => p.item));
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        release();
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
      release();
      return;
    }
    release();
    batch.forEach((p, i) => p.resolve(results[i]));
  };

  /** Starts statements while a slot is free and items wait. */
  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      inFlight++;
      void write(queue.splice(0, maxBatch));
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
  };
}
