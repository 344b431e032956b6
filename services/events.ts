/**
 * Ingest of attempt events. Single events from concurrent requests are coalesced into one
 * transaction per tick (group commit); every request is answered only after the transaction
 * holding its row has committed. A batch is one all-or-nothing transaction.
 */
import { companyIdFor } from "../core/company.ts";
import { conflict } from "../core/errors.ts";
import { parseTimestamp } from "../core/time.ts";
import type { Sql, Tx } from "../db/client.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import {
  attemptKey,
  type EventRow,
  findEvents,
  insertEvents,
  lockSessionsForIngest,
} from "../db/events.ts";
import type { AttemptEvent } from "../openapi/telemetry.ts";

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

function sameContent(a: EventRow, b: EventRow): boolean {
  return a.player_id === b.player_id && a.task_version === b.task_version &&
    a.sequence_length === b.sequence_length && a.is_correct === b.is_correct &&
    Number(a.duration_ms) === Number(b.duration_ms) &&
    a.ts_utc.getTime() === b.ts_utc.getTime() && a.remediation_stage === b.remediation_stage &&
    (a.volts_count ?? null) === (b.volts_count ?? null) &&
    (a.company_id ?? null) === (b.company_id ?? null) &&
    JSON.stringify(a.presented) === JSON.stringify(b.presented) &&
    JSON.stringify(a.input) === JSON.stringify(b.input);
}

const DIFFERENT = "Attempt already stored with different content " +
  "(same session_id, sequence_index and attempt_index)";

/** Returns one outcome per row, storing the acceptable ones inside `tx`. */
async function ingestInTx(tx: Tx, rows: readonly EventRow[]): Promise<Outcome[]> {
  const firstPlayer = new Map<string, string>();
  for (const r of rows) {
    if (!firstPlayer.has(r.session_id)) firstPlayer.set(r.session_id, r.player_id);
  }
  const sessions = await lockSessionsForIngest(
    tx,
    [...firstPlayer].map(([session_id, player_id]) => ({ session_id, player_id })),
  );

  const outcomes: (Outcome | null)[] = rows.map(() => null);
  const firstOfKey = new Map<string, number>();
  const candidates: number[] = [];
  rows.forEach((row, i) => {
    const session = sessions.get(row.session_id)!;
    const key = attemptKey(row);
    const earlier = firstOfKey.get(key);
    if (session.finalized) {
      outcomes[i] = { status: "conflict", message: "Session is already finalized" };
    } else if (session.player_id !== row.player_id) {
      outcomes[i] = {
        status: "conflict",
        message: "Session belongs to another player_id than this event's",
      };
    } else if (earlier !== undefined) {
      outcomes[i] = sameContent(rows[earlier], row)
        ? { status: "duplicate" }
        : { status: "conflict", message: DIFFERENT };
    } else {
      firstOfKey.set(key, i);
      candidates.push(i);
    }
  });

  const inserted = await insertEvents(tx, candidates.map((i) => rows[i]));
  const skipped = candidates.filter((i) => !inserted.has(attemptKey(rows[i])));
  const stored = new Map(
    (await findEvents(tx, skipped.map((i) => rows[i]))).map((e) => [attemptKey(e), e]),
  );
  for (const i of candidates) {
    const existing = stored.get(attemptKey(rows[i]));
    if (inserted.has(attemptKey(rows[i]))) outcomes[i] = { status: "stored" };
    else if (existing && sameContent(existing, rows[i])) outcomes[i] = { status: "duplicate" };
    else outcomes[i] = { status: "conflict", message: DIFFERENT };
  }
  return outcomes as Outcome[];
}

/** Returns the counts of a batch stored all-or-nothing; throws 409 naming the first bad index. */
export async function ingestBatch(
  sql: Sql,
  rows: readonly EventRow[],
): Promise<{ stored: number; duplicates: number }> {
  return await sql.begin(async (tx) => {
    const outcomes = await ingestInTx(tx, rows);
    const bad = outcomes.findIndex((o) => o.status === "conflict");
    if (bad >= 0) {
      const o = outcomes[bad] as { message: string };
      throw conflict(`events[${bad}]: ${o.message}`);
    }
    return {
      stored: outcomes.filter((o) => o.status === "stored").length,
      duplicates: outcomes.filter((o) => o.status === "duplicate").length,
    };
  });
}

interface Pending {
  row: EventRow;
  resolve(outcome: Outcome): void;
  reject(err: unknown): void;
}

/** Coalesces concurrent single-event writes into one transaction per tick. */
export interface EventWriter {
  /** Returns the outcome of one event once the transaction holding it has committed. */
  submit(row: EventRow): Promise<Outcome>;
}

/** Returns a group-commit writer over `sql` (at most `maxBatch` events per transaction). */
export function createEventWriter(sql: Sql, maxBatch = 500): EventWriter {
  const queue: Pending[] = [];
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    try {
      const outcomes = await sql.begin((tx) => ingestInTx(tx, batch.map((p) => p.row)));
      batch.forEach((p, i) => p.resolve(outcomes[i]));
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One row's value failed the whole statement: retry each alone so only it fails.
      await Promise.all(batch.map(async (p) => {
        try {
          p.resolve((await sql.begin((tx) => ingestInTx(tx, [p.row])))[0]);
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
    submit(row) {
      return new Promise<Outcome>((resolve, reject) => {
        queue.push({ row, resolve, reject });
        schedule();
      });
    },
  };
}
