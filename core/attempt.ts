/**
 * When an attempt sent again counts as a duplicate: the rule "same content" in one place.
 *
 * An attempt is keyed by (session_id, sequence_index, attempt_index); a second event with the key
 * is a duplicate when every content field below is equal, and a conflict (409) otherwise. The
 * ingest statement applies the same rule in SQL (`db/events.ts`, `is not distinct from` over
 * `ATTEMPT_CONTENT_FIELDS`); a test feeds the same pairs to both (`tests/db/events_test.ts`).
 */

/** The content of an attempt event, as stored. */
export interface AttemptContent {
  player_id: string;
  task_version: string;
  sequence_length: number;
  is_correct: boolean;
  duration_ms: number | bigint;
  ts_utc: Date;
  remediation_stage: string;
  volts_count: number | null;
  company_id: string | null;
  presented: unknown;
  input: unknown;
}

/** The fields compared, in the order of the SQL row comparison. */
export const ATTEMPT_CONTENT_FIELDS = [
  "player_id",
  "task_version",
  "sequence_length",
  "is_correct",
  "duration_ms",
  "ts_utc",
  "remediation_stage",
  "volts_count",
  "company_id",
  "presented",
  "input",
] as const satisfies readonly (keyof AttemptContent)[];

function sameField(a: AttemptContent, b: AttemptContent, field: keyof AttemptContent): boolean {
  switch (field) {
    case "duration_ms":
      return Number(a.duration_ms) === Number(b.duration_ms);
    case "ts_utc":
      return a.ts_utc.getTime() === b.ts_utc.getTime();
    case "presented":
    case "input":
      // Arrays of numbers and strings (the contract): equal as JSON text is equal as jsonb.
      return JSON.stringify(a[field]) === JSON.stringify(b[field]);
    default:
      return (a[field] ?? null) === (b[field] ?? null);
  }
}

/** Returns true when two attempts with one key carry the same content (a resend, not a conflict). */
export function sameAttemptContent(a: AttemptContent, b: AttemptContent): boolean {
  return ATTEMPT_CONTENT_FIELDS.every((field) => sameField(a, b, field));
}
