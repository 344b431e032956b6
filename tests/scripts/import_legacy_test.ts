import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { companyIdFor, dashboardTokenFor } from "../../core/company.ts";
import { trainLearner } from "../../core/learner.ts";
import { computeSessionMetrics } from "../../core/metrics.ts";
import { DEV_DASHBOARD_TOKEN_SALT, loadConfig } from "../../config.ts";
import { tableCounts } from "../../db/seed.ts";
import {
  formatImportReport,
  importLegacy,
  type ImportReport,
  LegacyFileError,
} from "../../scripts/import_legacy.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { openTestDatabase } from "../helpers/db.ts";
import { type Pattern, sampleEvents, sessionEvents } from "../helpers/play.ts";

const db = await openTestDatabase();
const t = testApp(db.sql);
const config = loadConfig({ APP_ENV: "test" });
const dir = await Deno.makeTempDir({ prefix: "etl-legacy-" });
const opts = dbTestOptions;

// A company registered by the seed system under other salts than this service's.
const LEGACY_ID = companyIdFor("Legacy Co", "old-company-salt");
const LEGACY_TOKEN = dashboardTokenFor(LEGACY_ID, "old-dashboard-token-salt");
const ORPHAN_ID = "c_orphan000001"; // used by a summary, missing from the legacy registry
const P1 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

/** SQLAlchemy's SQLite text for a timestamp: `2024-01-15 14:30:00.000000`, no offset. */
const sqliteTime = (iso: string) =>
  new Date(iso).toISOString().replace("T", " ").replace("Z", "000");

const SCHEMA = `
  CREATE TABLE raw_events (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL, task_version VARCHAR NOT NULL, sequence_index INTEGER NOT NULL,
    sequence_length INTEGER NOT NULL, attempt_index INTEGER NOT NULL, presented JSON NOT NULL,
    input JSON NOT NULL, is_correct BOOLEAN NOT NULL, duration_ms INTEGER NOT NULL,
    ts_utc DATETIME NOT NULL, remediation_stage VARCHAR NOT NULL, volts_count INTEGER,
    company_id VARCHAR);
  CREATE TABLE session_summary (id INTEGER NOT NULL PRIMARY KEY, player_id VARCHAR NOT NULL,
    session_id VARCHAR NOT NULL, task_version VARCHAR NOT NULL, fta_level FLOAT NOT NULL,
    fta_strict BOOLEAN NOT NULL, repetition_burden FLOAT NOT NULL,
    earth_score_bucket INTEGER NOT NULL, created_ts_utc DATETIME NOT NULL, company_id VARCHAR);
  CREATE TABLE company_registry (company_id VARCHAR NOT NULL PRIMARY KEY, company_name VARCHAR,
    dashboard_token VARCHAR NOT NULL UNIQUE, created_ts_utc DATETIME NOT NULL);
  CREATE TABLE model_state (player_id VARCHAR NOT NULL PRIMARY KEY,
    trained_ts_utc DATETIME NOT NULL, n_samples INTEGER NOT NULL, coefficients_json TEXT,
    intercept FLOAT, mae FLOAT, status VARCHAR NOT NULL);`;

type Event = Record<string, unknown>;

function addEvents(file: DatabaseSync, events: Event[]): void {
  const insert = file.prepare(`insert into raw_events (player_id, session_id, task_version,
    sequence_index, sequence_length, attempt_index, presented, input, is_correct, duration_ms,
    ts_utc, remediation_stage, volts_count, company_id) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
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

function addSummary(file: DatabaseSync, events: Event[], s: Event): void {
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

const P2_SESSIONS: [string, Pattern, string][] = [
  ["legacy-s1", [2, 2, 0], "2024-01-16T09:00:00Z"],
  ["legacy-s2", [1, 2, 1], "2024-01-17T09:00:00Z"],
  ["legacy-s3", [1, 1, 1], "2024-01-18T09:00:00Z"],
];

/** Writes the legacy file; returns its path. */
async function buildLegacyFile(): Promise<string> {
  const path = `${dir}/telemetry.db`;
  const file = new DatabaseSync(path);
  file.exec(SCHEMA);
  const sample = await sampleEvents();
  addEvents(file, sample);
  addEvents(file, [sample[0]]); // a client retry the seed stored twice
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
  addSummary(file, p2[0], {
    player_id: "legacy-p2",
    session_id: "legacy-s1",
    created: "2024-01-16T10:00:00Z",
    company_id: LEGACY_ID,
  });
  addSummary(file, p2[2], {
    player_id: "legacy-p2",
    session_id: "legacy-s3",
    created: "2024-01-18T10:00:00Z",
    company_id: LEGACY_ID,
  });
  addSummary(file, p2[1], {
    player_id: "legacy-p2",
    session_id: "legacy-s2",
    created: "2024-01-19T10:00:00Z",
    company_id: LEGACY_ID,
  });
  addSummary(file, [], {
    player_id: "legacy-p3",
    session_id: "sess-no-events",
    created: "2024-01-20T10:00:00Z",
    company_id: ORPHAN_ID,
  });

  file.prepare("insert into company_registry values (?, ?, ?, ?)")
    .run(LEGACY_ID, "Legacy Co", LEGACY_TOKEN, "2023-12-01 08:00:00.000000");
  const model = file.prepare("insert into model_state values (?, ?, ?, ?, ?, ?, ?)");
  model.run(P1, "2024-01-15 14:40:00", 1, null, null, null, "insufficient_data");
  model.run("legacy-p2", "2024-01-19 10:00:00", 3, "[9, 9]", 9, 9, "trained");
  file.close();
  return path;
}

const FIRST_RUN: ImportReport = {
  raw_events: { read: 23, inserted: 22, present: 1 },
  session_summary: { read: 5, inserted: 5, present: 0 },
  company_registry: { read: 1, inserted: 1, present: 0, registered: 1 },
  model_state: { read: 2, retrained: 3 },
  engagement_sessions: 5,
  warnings: [],
};

const IMPORTED_AT = new Date("2025-01-01T00:00:00Z");
const legacyPath = await buildLegacyFile();

Deno.test("imports every table with exact counts", opts, async () => {
  const report = await importLegacy(db.sql, config, legacyPath, IMPORTED_AT);
  assert.deepEqual(report, FIRST_RUN);
  assert.deepEqual(await tableCounts(db.sql), {
    raw_events: 22,
    session_summary: 5,
    play_sessions: 6,
    company_registry: 2,
    model_state: 3,
    engagement_sessions: 5,
    engagement_users: 3,
  });
  const lines = formatImportReport(report);
  assert.match(lines[1], /^raw_events\s+23\s+22\s+1$/);
  assert.match(lines[3], /\+1 registered with a token from the current salt/);
});

Deno.test(
  "the legacy dashboard token keeps working; an unregistered company gets one",
  opts,
  async () => {
    const res = await t.request(`/dashboard/company?t=${LEGACY_TOKEN}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      company_id: LEGACY_ID,
      n_players: 1,
      has_sufficient_data: false,
      message: "Not enough data yet: 1 of 5 players needed before aggregates are shown.",
    });
    const [row] = await db.sql<{ created_ts_utc: Date; company_name: string }[]>`
    select created_ts_utc, company_name from company_registry where company_id = ${LEGACY_ID}`;
    assert.equal(row.created_ts_utc.toISOString(), "2023-12-01T08:00:00.000Z");
    assert.equal(row.company_name, "Legacy Co");
    const orphan = await t.request(
      `/dashboard/company?t=${dashboardTokenFor(ORPHAN_ID, DEV_DASHBOARD_TOKEN_SALT)}`,
    );
    assert.equal(orphan.status, 200);
  },
);

Deno.test(
  "summaries keep created times and legacy order; played_at and n_attempts from events",
  opts,
  async () => {
    const [sample] = await (await t.request(`/players/${P1}/sessions`)).json();
    assert.deepEqual({ ...sample, id: 0 }, {
      id: 0,
      player_id: P1,
      session_id: "sess-001-2024-01-15",
      task_version: "earth_v1",
      fta_level: 1 / 3,
      fta_strict: false,
      repetition_burden: 2,
      earth_score_bucket: 5,
      created_ts_utc: "2024-01-15T14:40:00.000Z",
      company_id: null,
      played_at: "2024-01-15T14:30:00.000Z",
      n_attempts: 6,
    });
    const p2 = await (await t.request("/players/legacy-p2/sessions")).json();
    assert.deepEqual(p2.map((s: { session_id: string }) => s.session_id), [
      "legacy-s1",
      "legacy-s3",
      "legacy-s2",
    ]);
    assert.ok(p2[0].id > sample.id && p2[1].id < p2[2].id);
    const [none] = await (await t.request("/players/legacy-p3/sessions")).json();
    assert.equal(none.played_at, "2024-01-20T10:00:00.000Z");
    assert.equal(none.n_attempts, 0);
  },
);

Deno.test("models are retrained over play order, not copied", opts, async () => {
  const state = await (await t.request("/model/state/legacy-p2")).json();
  const p2 = await (await t.request("/players/legacy-p2/sessions")).json();
  const byPlay = [...p2].sort((a, b) => a.played_at.localeCompare(b.played_at));
  const expected = trainLearner(byPlay);
  assert.equal(state.status, "trained");
  assert.equal(state.n_samples, 3);
  assert.deepEqual(state.coefficients, expected.coefficients);
  assert.equal(state.intercept, expected.intercept);
  assert.equal(state.trained_ts_utc, IMPORTED_AT.toISOString());
  const p1 = await (await t.request(`/model/state/${P1}`)).json();
  assert.equal(p1.status, "insufficient_data");
});

Deno.test("a second run adds nothing and retrains nothing", opts, async () => {
  const before = await tableCounts(db.sql);
  const report = await importLegacy(db.sql, config, legacyPath, new Date("2025-02-01T00:00:00Z"));
  assert.deepEqual(report, {
    raw_events: { read: 23, inserted: 0, present: 23 },
    session_summary: { read: 5, inserted: 0, present: 5 },
    company_registry: { read: 1, inserted: 0, present: 1, registered: 0 },
    model_state: { read: 2, retrained: 0 },
    engagement_sessions: 0,
    warnings: [],
  });
  assert.deepEqual(await tableCounts(db.sql), before);
  const state = await (await t.request("/model/state/legacy-p2")).json();
  assert.equal(state.trained_ts_utc, IMPORTED_AT.toISOString());
});

Deno.test("an imported unfinalized session can be finalized through the API", opts, async () => {
  const res = await t.request("/sessions/sess-open/finalize", { method: "POST" });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).n_attempts, 2);
});

async function rejects(path: string, message: RegExp): Promise<void> {
  const before = await tableCounts(db.sql);
  await assert.rejects(importLegacy(db.sql, config, path), (err: unknown) => {
    assert.ok(err instanceof LegacyFileError, String(err));
    assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(await tableCounts(db.sql), before);
}

function variant(name: string, edit: (file: DatabaseSync) => void): string {
  const path = `${dir}/${name}.db`;
  Deno.copyFileSync(legacyPath, path);
  const file = new DatabaseSync(path);
  edit(file);
  file.close();
  return path;
}

Deno.test(
  "a corrupt or foreign file is refused with a clear error and changes nothing",
  opts,
  async () => {
    const garbage = `${dir}/garbage.db`;
    await Deno.writeFile(garbage, crypto.getRandomValues(new Uint8Array(8192)));
    await rejects(garbage, /is not a readable SQLite file: file is not a database/);
    await rejects(`${dir}/missing.db`, /cannot open .*missing\.db/);

    const foreign = `${dir}/foreign.db`;
    const other = new DatabaseSync(foreign);
    other.exec("create table notes (id integer primary key, body text)");
    other.close();
    await rejects(
      foreign,
      /not a telemetry\.db of the seed system: table raw_events is missing;.*table model_state is missing/,
    );

    await rejects(
      variant("no-column", (f) => f.exec("alter table session_summary drop column fta_strict")),
      /session_summary lacks column\(s\) fta_strict/,
    );
    await rejects(
      variant("bad-json", (f) => f.exec("update raw_events set presented = '[1, 2' where id = 3")),
      /raw_events id 3: presented must be a JSON array/,
    );
    await rejects(
      variant(
        "bad-time",
        (f) => f.exec("update session_summary set created_ts_utc = 'yesterday' where id = 2"),
      ),
      /session_summary id 2: created_ts_utc must be an ISO-8601 timestamp/,
    );
    await rejects(
      variant(
        "nul",
        (f) => f.exec(`update raw_events set input = '["a\\u0000b"]' where id = 2`),
      ),
      /raw_events id 2: input must be a JSON array of ints or strings/,
    );
    await rejects(
      variant(
        "bad-bucket",
        (f) => f.exec("update session_summary set earth_score_bucket = 7 where id = 1"),
      ),
      /earth_score_bucket must be one of 0, 5, 10/,
    );
  },
);

Deno.test(
  "conflicting resends and mixed players in the file are reported as warnings",
  opts,
  async () => {
    const path = variant("warnings", (f) => {
      f.exec(`insert into raw_events (player_id, session_id, task_version, sequence_index,
      sequence_length, attempt_index, presented, input, is_correct, duration_ms, ts_utc,
      remediation_stage, volts_count, company_id)
      select 'someone-else', session_id, task_version, sequence_index, sequence_length,
        attempt_index, presented, input, 0, duration_ms, ts_utc, remediation_stage, volts_count,
        company_id
      from raw_events where id = 1`);
      addEvents(
        f,
        ["p-a", "p-b"].map((player, i) => ({
          ...sessionEvents({
            player,
            session: "mixed-s",
            pattern: [1, 1, 1],
            start: "2024-02-01T09:00:00Z",
          })[i],
        })),
      );
    });
    const report = await importLegacy(db.sql, config, path);
    assert.deepEqual(report.raw_events, { read: 26, inserted: 2, present: 24 });
    assert.deepEqual(report.warnings, [
      "1 raw_events row(s) repeat an attempt key with different content; the first (lowest id) was kept",
      "1 legacy session(s) have events of more than one player_id",
    ]);
  },
);

const cli = (args: string[], env: Record<string, string>) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/import_legacy.ts", ...args],
    cwd: new URL("../../", import.meta.url).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("the CLI refuses a bad file with exit code 1 before touching any database", async () => {
  const garbage = `${dir}/cli-garbage.db`;
  await Deno.writeTextFile(garbage, "not sqlite at all ".repeat(200));
  const env = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
  const out = await cli([garbage], env);
  assert.equal(out.code, 1, text(out.stderr));
  assert.match(
    text(out.stderr),
    /import-legacy: .*not a readable SQLite file.*\nNothing was changed\./,
  );
  assert.equal((await cli([], env)).code, 2);
});

Deno.test("the CLI migrates, imports and prints the counts; a second run adds nothing", async () => {
  const env = { DATA_DIR: `${dir}/cli-data` };
  const first = await cli([legacyPath], env);
  assert.equal(first.code, 0, text(first.stderr));
  assert.match(text(first.stdout), /raw_events\s+23\s+22\s+1\n/);
  const second = await cli([legacyPath], env);
  assert.equal(second.code, 0, text(second.stderr));
  assert.match(text(second.stdout), /raw_events\s+23\s+0\s+23\n/);
  assert.match(text(second.stdout), /session_summary\s+5\s+0\s+5\n/);
  assert.match(text(second.stdout), /0 player model\(s\) retrained/);
});

Deno.test("cleanup", opts, async () => {
  await db.close();
  await Deno.remove(dir, { recursive: true });
});
