/**
 * Reads the legacy system's SQLite file (telemetry.db) with Deno's built-in `node:sqlite`, read
 * only, and validates every row before anything is written elsewhere: a file that is not SQLite,
 * lacks a table or column, or holds a row this service cannot represent is a LegacyFileError.
 *
 * Two schemas exist, told apart by their columns: the handover version (earth only) and the later
 * version, which adds `session_summary.stress_score` and `model_state.model_name`.
 *
 * SQLite as the legacy system (SQLAlchemy) wrote it: timestamps are TEXT such as
 * `2024-01-15 14:30:00.000000` (no offset = UTC), booleans INTEGER 0/1, JSON columns TEXT.
 */
import { DatabaseSync } from "node:sqlite";
import { EARTH, type MetricDefinition, WATER } from "../core/tasks.ts";
import { parseTimestamp } from "../core/time.ts";
import type { EventRow } from "./events.ts";

/** Thrown when the file cannot be imported; the message says why and where. */
export class LegacyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LegacyFileError";
  }
}

/**
 * One legacy session summary, flat as the legacy system stored it (metrics as it computed them,
 * null where the session's task has none; no play time yet). db/legacy.ts maps it to its task.
 */
export interface LegacySummary {
  player_id: string;
  session_id: string;
  task_version: string;
  created_ts_utc: Date;
  company_id: string | null;
  fta_level: number | null;
  fta_strict: boolean | null;
  repetition_burden: number | null;
  earth_score_bucket: 0 | 5 | 10 | null;
  stress_score: number | null;
}

/** One legacy company registry row (its token is kept as it is). */
export interface LegacyCompany {
  company_id: string;
  company_name: string | null;
  dashboard_token: string;
  created_ts_utc: Date | null;
}

/** Which version of the legacy system wrote the file. */
export type LegacySchema = "handover" | "later";

/** The validated content of a legacy file, each table in id order. */
export interface LegacyData {
  schema: LegacySchema;
  events: EventRow[];
  summaries: LegacySummary[];
  companies: LegacyCompany[];
  /** Rows of the legacy model_state table (models are retrained, not copied). */
  modelRows: number;
}

function words(text: string): string[] {
  return text.split(" ");
}

/** Columns each table of the handover schema has (more are fine). */
export const REQUIRED_COLUMNS: Record<string, readonly string[]> = {
  raw_events: words(
    "id player_id session_id task_version sequence_index sequence_length attempt_index " +
      "presented_json input_json is_correct duration_ms ts_utc remediation_stage volts_count " +
      "company_id",
  ),
  session_summary: words(
    "id player_id session_id task_version fta_level fta_strict repetition_burden " +
      "earth_score_bucket created_ts_utc company_id",
  ),
  company_registry: words("id company_id company_name dashboard_token created_ts_utc"),
  model_state: words(
    "id player_id trained_ts_utc n_samples coefficients_json intercept mae status",
  ),
};

/** Columns the later schema adds to the handover one (all of them, or none). */
export const LATER_COLUMNS: Record<string, readonly string[]> = {
  session_summary: ["stress_score"],
  model_state: ["model_name"],
};

type Row = Record<string, unknown>;

/** Field readers: each returns the value or throws a message naming the field. */
class Fields {
  constructor(private row: Row, private where: string) {}

  fail(field: string, expected: string): never {
    const v = this.row[field];
    const got = typeof v === "string" ? JSON.stringify(v.slice(0, 60)) : String(v);
    throw new LegacyFileError(`${this.where}: ${field} must be ${expected} (got ${got})`);
  }
  text(field: string, max = 128): string {
    const v = this.row[field];
    if (typeof v !== "string" || v.length === 0 || v.length > max || v.includes("\0")) {
      this.fail(field, `text of 1–${max} characters without NUL`);
    }
    return v;
  }
  optText(field: string, max = 256): string | null {
    const v = this.row[field];
    return v === null || v === undefined || v === "" ? null : this.text(field, max);
  }
  int(field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = typeof this.row[field] === "bigint" ? Number(this.row[field]) : this.row[field];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `an integer from ${min} to ${max}`);
    }
    return v;
  }
  real(field: string, min: number, max: number): number {
    const v = this.row[field];
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      this.fail(field, `a number from ${min} to ${max}`);
    }
    return v;
  }
  oneOf<T extends string | number>(field: string, allowed: readonly T[]): T {
    const v = typeof this.row[field] === "bigint" ? Number(this.row[field]) : this.row[field];
    const found = allowed.find((a) => a === v);
    return found ?? this.fail(field, `one of ${allowed.join(", ")}`);
  }
  bool(field: string): boolean {
    const v = this.row[field];
    if (v === 0 || v === 1 || v === 0n || v === 1n) return Number(v) === 1;
    return this.fail(field, "0 or 1");
  }
  time(field: string): Date {
    const v = this.row[field];
    const t = typeof v === "string" ? parseTimestamp(v.trim()) : null;
    return t ?? this.fail(field, "an ISO-8601 timestamp (no offset = UTC)");
  }
  items(field: string): (number | string)[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(String(this.row[field]));
    } catch {
      this.fail(field, "a JSON array");
    }
    const ok = Array.isArray(parsed) &&
      parsed.every((x) =>
        (typeof x === "string" && !x.includes("\0")) ||
        (typeof x === "number" && Number.isInteger(x))
      );
    return ok ? parsed as (number | string)[] : this.fail(field, "a JSON array of ints or strings");
  }
}

function eventOf(row: Row): EventRow {
  const f = new Fields(row, `raw_events id ${row.id}`);
  const stage = f.oneOf("remediation_stage", ["none", "volts", "space"] as const);
  return {
    player_id: f.text("player_id"),
    session_id: f.text("session_id"),
    task_version: f.text("task_version", 64),
    sequence_index: f.int("sequence_index", 1, 1_000_000),
    sequence_length: f.int("sequence_length", 1, 1_000_000),
    attempt_index: f.int("attempt_index", 1, 3),
    presented: f.items("presented_json"),
    input: f.items("input_json"),
    is_correct: f.bool("is_correct"),
    duration_ms: f.int("duration_ms", 0, 86_400_000),
    ts_utc: f.time("ts_utc"),
    remediation_stage: stage,
    volts_count: row.volts_count === null ? null : f.int("volts_count", 0, 1_000_000),
    company_id: f.optText("company_id", 64),
  };
}

/** The legacy columns of the earth metrics: the registry's keys (core/tasks.ts). */
const EARTH_COLUMNS = EARTH.metrics.map((m) => m.key);

/** Returns an earth or water metric's definition (the legacy columns are the registry's keys). */
const metric = (key: string): MetricDefinition =>
  [...EARTH.metrics, ...WATER.metrics].find((m) => m.key === key)!;

/** Returns a number metric's legacy value, checked against the metric's registry range. */
const realOf = (f: Fields, key: string) => f.real(key, ...metric(key).range);

/**
 * Returns a summary row. Handover files have the four earth metrics on every row. Later files
 * have them all or none (a water session has none) and a stress score from 0 to 100 or null;
 * every row has one of the two.
 */
function summaryOf(row: Row, schema: LegacySchema): LegacySummary {
  const f = new Fields(row, `session_summary id ${row.id}`);
  const base = {
    player_id: f.text("player_id"),
    session_id: f.text("session_id"),
    task_version: f.text("task_version", 64),
    created_ts_utc: f.time("created_ts_utc"),
    company_id: f.optText("company_id", 64),
  };
  const stress_score = schema === "later" && row.stress_score !== null
    ? realOf(f, "stress_score")
    : null;
  const nulls = EARTH_COLUMNS.filter((c) => row[c] === null);
  if (schema === "later" && nulls.length === EARTH_COLUMNS.length) {
    if (stress_score === null) {
      throw new LegacyFileError(
        `session_summary id ${row.id}: has neither the earth metrics nor a stress_score`,
      );
    }
    return {
      ...base,
      fta_level: null,
      fta_strict: null,
      repetition_burden: null,
      earth_score_bucket: null,
      stress_score,
    };
  }
  if (schema === "later" && nulls.length > 0) {
    throw new LegacyFileError(
      `session_summary id ${row.id}: the earth metrics are set together or not at all ` +
        `(${nulls.join(", ")} null)`,
    );
  }
  return {
    ...base,
    fta_level: realOf(f, "fta_level"),
    fta_strict: f.bool("fta_strict"),
    repetition_burden: realOf(f, "repetition_burden"),
    earth_score_bucket: f.oneOf(
      "earth_score_bucket",
      metric("earth_score_bucket").levels as [0, 5, 10],
    ),
    stress_score,
  };
}

function companyOf(row: Row): LegacyCompany {
  const f = new Fields(row, `company_registry ${JSON.stringify(row.company_id)}`);
  return {
    company_id: f.text("company_id", 64),
    company_name: f.optText("company_name"),
    dashboard_token: f.text("dashboard_token", 256),
    created_ts_utc: row.created_ts_utc === null ? null : f.time("created_ts_utc"),
  };
}

function columnsOf(db: DatabaseSync, table: string): Set<string> {
  const info = db.prepare(`pragma table_info(${table})`).all() as { name: string }[];
  return new Set(info.map((c) => c.name));
}

/** Returns the schema of the file, or throws naming every missing table and column. */
function detectSchema(db: DatabaseSync): LegacySchema {
  const problems: string[] = [];
  const have = new Map<string, Set<string>>();
  for (const [table, columns] of Object.entries(REQUIRED_COLUMNS)) {
    const found = columnsOf(db, table);
    have.set(table, found);
    if (found.size === 0) {
      problems.push(`table ${table} is missing`);
      continue;
    }
    const missing = columns.filter((c) => !found.has(c));
    if (missing.length > 0) problems.push(`${table} lacks column(s) ${missing.join(", ")}`);
  }
  if (problems.length > 0) {
    throw new LegacyFileError(
      `not a telemetry.db of the legacy system (handover or later schema): ${problems.join("; ")}`,
    );
  }
  const later = Object.entries(LATER_COLUMNS).flatMap(([table, columns]) =>
    columns.map((c) => ({ table, column: c, present: have.get(table)!.has(c) }))
  );
  const present = later.filter((c) => c.present);
  if (present.length === 0) return "handover";
  if (present.length === later.length) return "later";
  const name = (cs: typeof later) => cs.map((c) => `${c.table}.${c.column}`).join(", ");
  throw new LegacyFileError(
    "not a telemetry.db of the legacy system: it has the later schema's " +
      `${name(present)} but lacks ${name(later.filter((c) => !c.present))}`,
  );
}

/** Returns the validated content of a legacy SQLite file, or throws LegacyFileError. */
export function readLegacyFile(path: string): LegacyData {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err) {
    throw new LegacyFileError(`cannot open ${path}: ${(err as Error).message}`);
  }
  try {
    try {
      const check = db.prepare("pragma quick_check").all() as { quick_check: string }[];
      if (check[0]?.quick_check !== "ok") {
        throw new LegacyFileError(`${path} is damaged: ${check[0]?.quick_check}`);
      }
    } catch (err) {
      if (err instanceof LegacyFileError) throw err;
      throw new LegacyFileError(`${path} is not a readable SQLite file: ${(err as Error).message}`);
    }
    const schema = detectSchema(db);
    const all = (sql: string) => db.prepare(sql).all() as Row[];
    return {
      schema,
      events: all("select * from raw_events order by id").map(eventOf),
      summaries: all("select * from session_summary order by id").map((r) => summaryOf(r, schema)),
      companies: all("select * from company_registry order by id").map(companyOf),
      modelRows: Number(all("select count(*) as n from model_state")[0].n),
    };
  } finally {
    db.close();
  }
}
