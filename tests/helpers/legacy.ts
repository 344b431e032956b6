/**
 * Builds SQLite files as the legacy system (SQLAlchemy on SQLite) wrote them, in either of its two
 * schemas, for the legacy import tests.
 */
import { DatabaseSync } from "node:sqlite";
import { companyIdFor, dashboardTokenFor } from "../../core/company.ts";
import { computeSessionMetrics } from "../../core/metrics.ts";
import { type Pattern, sampleEvents, sessionEvents } from "./play.ts";

/** A company registered by the legacy system under other salts than this service's. */
export const LEGACY_ID = companyIdFor("Legacy Co", "old-company-salt");
/** The legacy system's dashboard token of LEGACY_ID. */
export const LEGACY_TOKEN = dashboardTokenFor(LEGACY_ID, "old-dashboard-token-salt");
/** A company used by a summary but missing from the legacy registry. */
export const ORPHAN_ID = "c_orphan000001";
/** The player of the legacy system's sample session. */
export const P1 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

/** Returns SQLAlchemy's SQLite text for a timestamp: `2024-01-15 14:30:00.000000`, no offset. */
export const sqliteTime = (iso: string): string =>
  new Date(iso).toISOString().replace("T", " ").replace("Z", "000");

const RAW_EVENTS = `
  CREATE TABLE raw_events (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL, task_version VARCHAR NOT NULL, sequence_index INTEGER NOT NULL,
    sequence_length INTEGER NOT NULL, attempt_index INTEGER NOT NULL, presented_json TEXT NOT NULL,
    input_json TEXT NOT NULL, is_correct BOOLEAN NOT NULL, duration_ms INTEGER NOT NULL,
    ts_utc DATETIME NOT NULL, remediation_stage VARCHAR NOT NULL, volts_count INTEGER,
    company_id VARCHAR);
  CREATE TABLE company_registry (id INTEGER NOT NULL PRIMARY KEY,
    company_id VARCHAR NOT NULL UNIQUE, company_name VARCHAR,
    dashboard_token VARCHAR NOT NULL UNIQUE, created_ts_utc DATETIME NOT NULL);`;

/** The handover version's tables (earth only). */
export const HANDOVER_SCHEMA = RAW_EVENTS + `
  CREATE TABLE session_summary (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL UNIQUE, task_version VARCHAR NOT NULL, fta_level FLOAT NOT NULL,
    fta_strict BOOLEAN NOT NULL, repetition_burden FLOAT NOT NULL,
    earth_score_bucket INTEGER NOT NULL, created_ts_utc DATETIME NOT NULL, company_id VARCHAR);
  CREATE TABLE model_state (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL UNIQUE,
    trained_ts_utc DATETIME NOT NULL, n_samples INTEGER NOT NULL, coefficients_json TEXT,
    intercept FLOAT, mae FLOAT, status VARCHAR NOT NULL);`;

/** The later version's tables: stress_score, nullable earth columns, one model per task. */
export const LATER_SCHEMA = RAW_EVENTS + `
  CREATE TABLE session_summary (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL UNIQUE, task_version VARCHAR NOT NULL, fta_level FLOAT,
    fta_strict BOOLEAN, repetition_burden FLOAT, earth_score_bucket INTEGER,
    stress_score REAL, created_ts_utc DATETIME NOT NULL, company_id VARCHAR);
  CREATE TABLE model_state (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    model_name TEXT NOT NULL DEFAULT 'earth', trained_ts_utc DATETIME NOT NULL,
    n_samples INTEGER NOT NULL, coefficients_json TEXT, intercept FLOAT, mae FLOAT,
    status VARCHAR NOT NULL, UNIQUE (player_id, model_name));`;

type Event = Record<string, unknown>;

/** Inserts events as the legacy system stored them (JSON text columns, 0/1 booleans, naive UTC times). */
export function addEvents(file: DatabaseSync, events: Event[]): void {
  const insert = file.prepare(`insert into raw_events (player_id, session_id, task_version,
    sequence_index, sequence_length, attempt_index, presented_json, input_json, is_correct,
    duration_ms, ts_utc, remediation_stage, volts_count, company_id)
    values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  for (const e of events) {
    insert.run(
      e.player_id as string,
      e.session_id as string,
      (e.task_version as string | undefined) ?? "earth_v1",
      e.sequence_index as number,
      e.sequence_length as number,
      e.attempt_index as number,
      JSON.stringify(e.presented),
      JSON.stringify(e.input),
      e.is_correct ? 1 : 0,
      e.duration_ms as number,
      sqliteTime(e.ts_utc as string),
      e.remediation_stage as string,
      (e.volts_count as number | null) ?? null,
      (e.company_id as string | undefined) ?? null,
    );
  }
}

/** Inserts an earth summary with the metrics the legacy system computed from `events`. */
export function addSummary(file: DatabaseSync, events: Event[], s: Event): void {
  const m = computeSessionMetrics(events.map((e) => ({
    sequence_index: e.sequence_index as number,
    attempt_index: e.attempt_index as number,
    is_correct: e.is_correct as boolean,
  })));
  file.prepare(`insert into session_summary (player_id, session_id, task_version, fta_level,
    fta_strict, repetition_burden, earth_score_bucket, created_ts_utc, company_id)
    values (?, ?, 'earth_v1', ?, ?, ?, ?, ?, ?)`).run(
    s.player_id as string,
    s.session_id as string,
    m.fta_level,
    m.fta_strict ? 1 : 0,
    m.repetition_burden,
    m.earth_score_bucket,
    sqliteTime(s.created as string),
    (s.company_id as string | null) ?? null,
  );
}

/** legacy-p2's three sessions: id, pattern, start. */
export const P2_SESSIONS: [string, Pattern, string][] = [
  ["legacy-s1", [2, 2, 0], "2024-01-16T09:00:00Z"],
  ["legacy-s2", [1, 2, 1], "2024-01-17T09:00:00Z"],
  ["legacy-s3", [1, 1, 1], "2024-01-18T09:00:00Z"],
];

/**
 * Writes a legacy file with the given schema and the same earth content in both: the sample
 * session (stored twice by a client retry), legacy-p2's three sessions finalized out of play
 * order, a summary without events of an unregistered company, and an unfinalized session.
 * Returns the open file (the caller adds more and closes it).
 */
export async function buildLegacyFile(path: string, schema: string): Promise<DatabaseSync> {
  const file = new DatabaseSync(path);
  file.exec(schema);
  const sample = await sampleEvents();
  addEvents(file, sample);
  addEvents(file, [sample[0]]); // a client retry the legacy system stored twice
  const p2 = P2_SESSIONS.map(([session, pattern, start]) =>
    sessionEvents({ player: "legacy-p2", session, pattern, start, company_id: LEGACY_ID })
  );
  p2.forEach((events) => addEvents(file, events));
  const open = sessionEvents({
    player: "legacy-p4",
    session: "sess-open",
    pattern: [1, 1, 1],
    start: "2024-01-21T09:00:00Z",
  }).slice(0, 2);
  addEvents(file, open); // never finalized

  addSummary(file, sample, {
    player_id: P1,
    session_id: sample[0].session_id,
    created: "2024-01-15T14:40:00Z",
  });
  // Finalize order differs from play order: s1, s3, s2.
  for (const [i, created] of [[0, "16"], [2, "18"], [1, "19"]] as const) {
    addSummary(file, p2[i], {
      player_id: "legacy-p2",
      session_id: P2_SESSIONS[i][0],
      created: `2024-01-${created}T10:00:00Z`,
      company_id: LEGACY_ID,
    });
  }
  addSummary(file, [], {
    player_id: "legacy-p3",
    session_id: "sess-no-events",
    created: "2024-01-20T10:00:00Z",
    company_id: ORPHAN_ID,
  });

  file.prepare(`insert into company_registry (company_id, company_name, dashboard_token,
    created_ts_utc) values (?, ?, ?, ?)`)
    .run(LEGACY_ID, "Legacy Co", LEGACY_TOKEN, "2023-12-01 08:00:00.000000");
  const model = file.prepare(`insert into model_state (player_id, trained_ts_utc, n_samples,
    coefficients_json, intercept, mae, status) values (?, ?, ?, ?, ?, ?, ?)`);
  model.run(P1, "2024-01-15 14:40:00", 1, null, null, null, "insufficient_data");
  model.run("legacy-p2", "2024-01-19 10:00:00", 3, "[9, 9]", 9, 9, "trained");
  return file;
}

/** Inserts a water session summary of the later schema (no earth metrics, a stress score). */
export function addWaterSummary(
  file: DatabaseSync,
  s: { player_id: string; session_id: string; stress: number; created: string },
): void {
  file.prepare(`insert into session_summary (player_id, session_id, task_version,
    stress_score, created_ts_utc) values (?, ?, 'water_v1', ?, ?)`)
    .run(s.player_id, s.session_id, s.stress, sqliteTime(s.created));
}
