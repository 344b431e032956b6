/**
 * Ingest of attempt events. Single events from concurrent requests are coalesced into one
 * autocommitted statement (group commit: the events that arrive while a statement is in flight go
 * in the next one); every request is answered only after the statement holding its row has
 * committed. A batch is stored all-or-nothing.
 */
import { sameAttemptContent } from "../core/attempt.ts";
import { companyIdFor } from "../core/company.ts";
import { conflict } from "../core/errors.ts";
import { parseTimestamp } from "../core/time.ts";
import type { Sql, Tx } from "../db/client.ts";
import { ConcurrentWriteError, sqlState } from "../db/errors.ts";
import {
  AtomicIngestRefused,
  attemptKey,
  type EventIngestStatus,
  type EventRow,
  INGEST_RACED,
  ingestEvents,
} from "../db/events.ts";
import type { AttemptEvent } from "../openapi/telemetry.ts";
import { createGroupCommit, type GroupCommit } from "./group_commit.ts";

export type Outcome =
  | { status: "stored" }
  | { status: "duplicate" }
  | { status: "conflict"; message: string };

/** Returns the row to store for a validated event (company_name hashed, never stored). */
export function toEventRow(event: AttemptEvent, companySalt: string): EventRow {
  const companyId = event.company_id ??
    (event.company_name !== undefined ? companyIdFor(event.company_name, companySalt) : null);
  return {
    player_id: event.player_id,
    session_id: event.session_id,
    task_version: event.task_version,
    sequence_index: event.sequence_index,
    sequence_length: event.sequence_length,
    attempt_index: event.attempt_index,
    presented: event.presented,
    input: event.input,
    is_correct: event.is_correct,
    duration_ms: event.duration_ms,
    ts_utc: parseTimestamp(event.ts_utc)!,
    remediation_stage: event.remediation_stage,
    volts_count: event.volts_count,
    company_id: companyId,
  };
}

const DIFFERENT = "Attempt already stored with different content " +
  "(same session_id, sequence_index and attempt_index)";

const CONFLICTS: Record<Exclude<EventIngestStatus, "stored" | "duplicate" | "retry">, string> = {
  finalized: "Session is already finalized",
  other_player: "Session belongs to another player_id than this event's",
  different: DIFFERENT,
};

/** A concurrent writer can hide a row's answer from one statement, never from the next. */
const MAX_ROUNDS = 5;

function outcomeOf(status: Exclude<EventIngestStatus, "retry">): Outcome {
  if (status === "stored" || status === "duplicate") return { status };
  return { status: "conflict", message: CONFLICTS[status] };
}

/** Returns one outcome per row, storing the acceptable ones through `q` (a pool or a transaction). */
async function ingestRows(q: Sql | Tx, rows: readonly EventRow[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  const firstOfKey = new Map<string, number>();
  let pending: number[] = [];
  rows.forEach((row, i) => {
    const key = attemptKey(row);
    if (!firstOfKey.has(key)) {
      firstOfKey.set(key, i);
      pending.push(i);
    }
  });
  for (let round = 1; pending.length > 0; round++) {
    if (round > MAX_ROUNDS) {
      throw new ConcurrentWriteError(`event ingest did not settle in ${MAX_ROUNDS} rounds`);
    }
    const statuses = await ingestEvents(q, pending.map((i) => rows[i]));
    const retry: number[] = [];
    pending.forEach((i, j) => {
      const status = statuses[j];
      if (status === "retry") retry.push(i);
      else outcomes[i] = outcomeOf(status);
    });
    pending = retry;
  }
  // A key repeated in the rows. Once its first occurrence is stored (or found stored with the
  // same content), the stored content is the first's: a later row is a duplicate when it has
  // that content, else a conflict. When the first was refused, what is stored may still be this
  // row's content (the first differed from it): the database answers for these rows again.
  const again: number[] = [];
  rows.forEach((row, i) => {
    if (outcomes[i]) return;
    const first = firstOfKey.get(attemptKey(row))!;
    if (outcomes[first].status === "conflict") again.push(i);
    else if (sameAttemptContent(rows[first], row)) outcomes[i] = { status: "duplicate" };
    else outcomes[i] = { status: "conflict", message: DIFFERENT };
  });
  if (again.length > 0) {
    const answers = await ingestRows(q, again.map((i) => rows[i]));
    again.forEach((i, j) => (outcomes[i] = answers[j]));
  }
  return outcomes;
}

function batchConflict(index: number, message: string): Error {
  return conflict(`events[${index}]: ${message}`);
}

/** Returns the counts of outcomes, or throws 409 naming the first conflicting index. */
function batchCounts(outcomes: readonly Outcome[]): { stored: number; duplicates: number } {
  const bad = outcomes.findIndex((o) => o.status === "conflict");
  if (bad >= 0) throw batchConflict(bad, (outcomes[bad] as { message: string }).message);
  return {
    stored: outcomes.filter((o) => o.status === "stored").length,
    duplicates: outcomes.filter((o) => o.status === "duplicate").length,
  };
}

/** Returns whether every key occurs once and every session has one player in the batch. */
function isClean(rows: readonly EventRow[]): boolean {
  const keys = new Set<string>();
  const players = new Map<string, string>();
  for (const row of rows) {
    const key = attemptKey(row);
    if (keys.has(key) || (players.get(row.session_id) ?? row.player_id) !== row.player_id) {
      return false;
    }
    keys.add(key);
    players.set(row.session_id, row.player_id);
  }
  return true;
}

/** Returns the outcomes of a clean batch stored by one atomic statement (null: raced, retry). */
async function ingestAtomically(sql: Sql, rows: readonly EventRow[]): Promise<Outcome[] | null> {
  let statuses: EventIngestStatus[];
  try {
    statuses = await ingestEvents(sql, rows, { atomic: true });
  } catch (err) {
    // A conflict: the statement stored nothing and named the first conflicting row.
    if (err instanceof AtomicIngestRefused) throw batchConflict(err.index, CONFLICTS[err.status]);
    if (sqlState(err) === INGEST_RACED) return null;
    throw err;
  }
  if (statuses.includes("retry")) return null;
  return statuses.map((s) => outcomeOf(s as Exclude<EventIngestStatus, "retry">));
}

/**
 * Returns the counts of a batch stored all-or-nothing; throws 409 naming the first bad index.
 * A batch without repeated keys or mixed players per session takes one autocommitted
 * statement; others, and batches a concurrent writer raced, take a transaction.
 */
export async function ingestBatch(
  sql: Sql,
  rows: readonly EventRow[],
): Promise<{ stored: number; duplicates: number }> {
  if (isClean(rows)) {
    const outcomes = await ingestAtomically(sql, rows);
    if (outcomes) return batchCounts(outcomes);
  }
  return await sql.begin(async (tx) => batchCounts(await ingestRows(tx, rows)));
}

/** Returns the group-commit writer of single events over `sql` (see services/group_commit.ts). */
export function createEventWriter(
  sql: Sql,
  maxBatch = 500,
  onBatch?: (size: number) => void,
): GroupCommit<EventRow, Outcome> {
  return createGroupCommit((rows) => ingestRows(sql, rows), { maxBatch, onBatch });
}
