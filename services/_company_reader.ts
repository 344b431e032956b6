/** One company read: the company its token resolved to and what every read of it shares. */
import type { RandomWords } from "../core/dp_sampler.ts";
import type { TaskRegistry } from "../core/tasks.ts";
import type { CompanyPrivacy } from "../config.ts";
import type { Sql } from "../db/client.ts";

/** A company whose token was checked once for this request, and the read's settings. */
export interface CompanyReader {
  sql: Sql;
  companyId: string;
  /** The registered name, null where none is known. */
  name: string | null;
  /** MIN_COMPANY_N. */
  k: number;
  privacy: CompanyPrivacy;
  now: Date;
  random: RandomWords;
  tasks: TaskRegistry;
  /** Reads shared by the request's several answers (player count, released periods). */
  memo: Map<string, Promise<unknown>>;
}

/** Returns the result of `read`, run at most once per reader and key. */
export function once<T>(r: CompanyReader, key: string, read: () => Promise<T>): Promise<T> {
  let p = r.memo.get(key) as Promise<T> | undefined;
  if (p === undefined) {
    p = read();
    r.memo.set(key, p);
  }
  return p;
}

/** Returns the below-k message (the same words in both modes). */
export function insufficient(n: number, k: number): string {
  return `Not enough data yet: ${n} of ${k} players needed before aggregates are shown.`;
}

/** Returns the company's shown fields: each task's sessions and its averages (summary or buckets). */
export function companyFields(tasks: TaskRegistry, of: "summary" | "timeseries"): string[] {
  return tasks.tasks.flatMap((t) => [
    ...(t.company.sessions === null ? [] : [t.company.sessions.field]),
    ...t.company.metrics.filter((m) => m[of] !== null).map((m) => m.field),
  ]);
}
