/**
 * Raw event retention (RAW_EVENT_RETENTION_DAYS): attempt events of finalized sessions received
 * (server time, `received_at`; never the client's `ts_utc`) longer ago than the retention are deleted in bounded chunks; summaries, models and company
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
/** The service's share of time spent purging (the rest is left to ingest). */
export const SERVICE_PURGE_SHARE = 0.5;

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
  /**
   * Share of the time spent deleting, in (0, 1]: after a chunk that took t ms the purge pauses
   * t·(1/share − 1) ms, so a backlog does not take the database from ingest (1 = no pause).
   */
  share?: number;
  /** Called after every chunk with the totals so far. */
  onProgress?: (progress: RetentionProgress) => void;
}

/** Returns the totals after deleting the raw events of finalized sessions older than `days`. */
export async function purgeRawEvents(
  sql: Sql,
  days: number,
  now: Date,
  { exclusive, chunk = PURGE_CHUNK, share = 1, onProgress }: RetentionOptions,
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
      const started = performance.now();
      const done = await purgeChunk(q, progress.cutoff, after, chunk);
      const pause = (performance.now() - started) * (1 / share - 1);
      progress.scanned += done.scanned;
      progress.deleted += done.deleted;
      progress.chunks++;
      onProgress?.({ ...progress });
      if (done.scanned < chunk || done.last === null) return;
      after = done.last;
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
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
