/**
 * Removal of voice recordings, shared by participant erasure, device erasure and retention, and
 * the maintenance that finishes what a crash interrupted. A removal marks the rows first (they
 * vanish from every read at once), deletes their objects, then the rows: a crash after the mark
 * leaves marked rows, which `recordingMaintenance` finishes. Maintenance also sweeps objects no
 * row holds (an upload that died between object and row), expired leases and stale spool files.
 */
import { retentionCutoff } from "../core/retention.ts";
import type { Sql } from "../db/client.ts";
import type { ObjectStore } from "../db/objects.ts";
import {
  deleteExpiredLeases,
  deleteMarkedRecordings,
  type DoomedRecording,
  keysWithRows,
  liveLeases,
  markDeviceRecordings,
  markedRecordings,
  markParticipantRecordings,
  markRecordingsBefore,
} from "../db/recordings.ts";

/** Objects deleted at once. */
const DELETE_CONCURRENCY = 8;
/** Recordings removed per step (objects, then rows). */
export const REMOVE_CHUNK = 200;
/** An object without a row is swept only when older than this (ms): uploads under way are younger. */
export const ORPHAN_GRACE_MS = 60 * 60_000;

/** Returns how many rows were deleted after deleting the objects of `doomed`, then the rows. */
export async function removeRecordings(
  sql: Sql,
  store: ObjectStore,
  doomed: readonly DoomedRecording[],
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < doomed.length; i += REMOVE_CHUNK) {
    const chunk = doomed.slice(i, i + REMOVE_CHUNK);
    for (let j = 0; j < chunk.length; j += DELETE_CONCURRENCY) {
      await Promise.all(
        chunk.slice(j, j + DELETE_CONCURRENCY).map((d) => store.delete(d.object_key)),
      );
    }
    deleted += await deleteMarkedRecordings(sql, chunk.map((d) => d.recording_id));
  }
  return deleted;
}

/** Returns how many recordings of `participantId` were erased (objects, then rows). */
export async function eraseParticipantRecordings(
  sql: Sql,
  store: ObjectStore,
  participantId: string,
  now: Date,
): Promise<number> {
  const doomed = await markParticipantRecordings(sql, participantId, now);
  await removeRecordings(sql, store, doomed);
  return doomed.length;
}

/** Returns how many recordings of `deviceId` were erased (objects, then rows). */
export async function eraseDeviceRecordings(
  sql: Sql,
  store: ObjectStore,
  deviceId: string,
  now: Date,
): Promise<number> {
  const doomed = await markDeviceRecordings(sql, deviceId, now);
  await removeRecordings(sql, store, doomed);
  return doomed.length;
}

/** A retention run's totals. */
export interface RecordingPurge {
  cutoff: Date;
  deleted: number;
  chunks: number;
}

/** Returns the totals after removing recordings recorded more than `days` ago, chunk by chunk. */
export async function purgeOldRecordings(
  sql: Sql,
  store: ObjectStore,
  days: number,
  now: Date,
  chunk = REMOVE_CHUNK,
): Promise<RecordingPurge> {
  const cutoff = retentionCutoff(now, days);
  let deleted = 0;
  let chunks = 0;
  for (;;) {
    const doomed = await markRecordingsBefore(sql, cutoff, chunk, now);
    chunks++;
    deleted += await removeRecordings(sql, store, doomed);
    if (doomed.length < chunk) return { cutoff, deleted, chunks };
  }
}

/** What one maintenance run did. */
export interface RecordingMaintenance {
  /** Interrupted removals finished (rows deleted). */
  removals_finished: number;
  /** Objects without a row deleted. */
  orphans_deleted: number;
  leases_deleted: number;
  spool_files_deleted: number;
}

/**
 * Returns what was done after finishing interrupted removals (marked before `now` − grace... or
 * any marked row when `graceMs` is 0), deleting objects under `recordings/` that no row holds
 * and no live lease protects and that are older than `graceMs`, expired leases, and spool files
 * older than `graceMs`.
 */
export async function recordingMaintenance(
  sql: Sql,
  store: ObjectStore,
  now: Date,
  graceMs = ORPHAN_GRACE_MS,
): Promise<RecordingMaintenance> {
  const before = new Date(now.getTime() - graceMs);
  let removalsFinished = 0;
  for (;;) {
    const doomed = await markedRecordings(sql, before, REMOVE_CHUNK);
    removalsFinished += await removeRecordings(sql, store, doomed);
    if (doomed.length < REMOVE_CHUNK) break;
  }

  let orphans = 0;
  let page: { key: string; lastModified: Date }[] = [];
  const sweep = async () => {
    const old = page.filter((o) => o.lastModified <= before);
    page = [];
    if (old.length === 0) return;
    const held = await keysWithRows(sql, old.map((o) => o.key));
    const leased = await liveLeases(sql, old.map((o) => `object:${o.key}`), now);
    for (const o of old) {
      if (held.has(o.key) || leased.has(`object:${o.key}`)) continue;
      await store.delete(o.key);
      orphans++;
    }
  };
  for await (const object of store.list("recordings/")) {
    page.push(object);
    if (page.length >= REMOVE_CHUNK) await sweep();
  }
  await sweep();

  const leases = await deleteExpiredLeases(sql, now);
  let spoolFiles = 0;
  try {
    for await (const entry of Deno.readDir(store.spoolDir)) {
      if (!entry.isFile) continue;
      const path = `${store.spoolDir}/${entry.name}`;
      const info = await Deno.stat(path).catch(() => null);
      if (info && (info.mtime ?? now) <= before) {
        await Deno.remove(path).catch(() => {});
        spoolFiles++;
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return {
    removals_finished: removalsFinished,
    orphans_deleted: orphans,
    leases_deleted: leases,
    spool_files_deleted: spoolFiles,
  };
}
