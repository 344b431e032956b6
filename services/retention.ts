/**
 * Raw event retention (RAW_EVENT_RETENTION_DAYS): attempt events of finalized sessions whose
 * ts_utc is older than the retention are deleted in bounded chunks; summaries, models and company
 * aggregates stay. One instance at a time runs it (a session-level advisory lock).
 */
import { retentionCutoff } from "../core/retention.ts";
import type { Sql } from "../db/client.ts";
import {
  purgeChunk,
  type PurgePosition,
  releaseRetentionLock,
  tryRetentionLock,
} from "../db/retention.ts";

/** Events looked at per statement: bounds how long one statement holds the database. */
export const PURGE_CHUNK = 2000;

/** The running totals of a purge. */
export interface RetentionProgress {
  cutoff: Date;
  /** Events older than the cutoff looked at so far. */
  scanned: number;
  /** Events deleted so far. */
  deleted: number;
  chunks: number;
}

/** A purge's result; `ran` is false when another instance held the lock (nothing was done). */
export interface RetentionRun extends RetentionProgress {
  ran: boolean;
}

export interface RetentionOptions {
  /** Take the advisory lock on a reserved connection (a server; the embedded one has one owner). */
  exclusive: boolean;
  chunk?: number;
  /** Called after every chunk with the totals so far. */
  onProgress?: (progress: RetentionProgress) => void;
}

/** Returns the totals after deleting the raw events of finalized sessions older than `days`. */
export async function purgeRawEvents(
  sql: Sql,
  days: number,
  now: Date,
  { exclusive, chunk = PURGE_CHUNK, onProgress }: RetentionOptions,
): Promise<RetentionRun> {
  const progress: RetentionProgress = {
    cutoff: retentionCutoff(now, days),
    scanned: 0,
    deleted: 0,
    chunks: 0,
  };
  const walk = async (q: Sql) => {
    let after: PurgePosition | null = null;
    for (;;) {
      const done = await purgeChunk(q, progress.cutoff, after, chunk);
      progress.scanned += done.scanned;
      progress.deleted += done.deleted;
      progress.chunks++;
      onProgress?.({ ...progress });
      if (done.scanned < chunk || done.last === null) return;
      after = done.last;
    }
  };
  if (!exclusive) {
    await walk(sql);
    return { ...progress, ran: true };
  }
  const reserved = await sql.reserve();
  try {
    if (!await tryRetentionLock(reserved)) return { ...progress, ran: false };
    try {
      await walk(reserved);
    } finally {
      await releaseRetentionLock(reserved);
    }
    return { ...progress, ran: true };
  } finally {
    reserved.release();
  }
}
