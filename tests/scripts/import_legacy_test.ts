import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { dashboardTokenFor } from "../../core/company.ts";
import { trainLearner } from "../helpers/earth_model.ts";
import { DEV_DASHBOARD_TOKEN_SALT, loadConfig } from "../../config.ts";
import { tableCounts } from "../../db/demo.ts";
import {
  formatImportReport,
  importLegacy,
  type ImportReport,
  LegacyFileError,
} from "../../scripts/import_legacy.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import {
  addEvents,
  buildLegacyFile,
  HANDOVER_SCHEMA,
  LEGACY_ID,
  LEGACY_TOKEN,
  ORPHAN_ID,
  P1,
} from "../helpers/legacy.ts";
import { sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const config = loadConfig({ APP_ENV: "test" });
/** The temporary folder of this file's legacy SQLite files (made before its first test). */
let dir = "";
const opts = dbTestOptions;

/** Writes the handover-schema legacy file; returns its path. */
async function buildHandoverFile(): Promise<string> {
  const path = `${dir}/telemetry.db`;
  (await buildLegacyFile(path, HANDOVER_SCHEMA)).close();
  return path;
}

const FIRST_RUN: ImportReport = {
  schema: "handover",
  raw_events: { read: 23, inserted: 22, present: 1 },
  session_summary: { read: 5, inserted: 5, present: 0 },
  company_registry: { read: 1, inserted: 1, present: 0, registered: 1 },
  model_state: { read: 2, retrained: 3 },
  engagement_sessions: 5,
  warnings: [],
};

const IMPORTED_AT = new Date("2025-01-01T00:00:00Z");
let legacyPath = "";
Deno.test.beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "etl-legacy-" });
  legacyPath = await buildHandoverFile();
});
Deno.test.afterAll(() => Deno.remove(dir, { recursive: true }));

Deno.test("imports every table with exact counts", opts, async () => {
  const report = await importLegacy(db.sql, config, legacyPath, IMPORTED_AT);
  assert.deepEqual(report, FIRST_RUN);
  assert.deepEqual(await tableCounts(db.sql), {
    raw_events: 22,
    session_summary: 5,
    play_sessions: 6,
    company_registry: 2,
    device_commands: 0,
    device_heartbeats: 0,
    device_hours: 0,
    device_logs: 0,
    devices: 0,
    model_state: 3,
    engagement_sessions: 5,
    engagement_users: 3,
  });
  const lines = formatImportReport(report);
  assert.equal(lines[0], "schema: handover version of the legacy system");
  assert.match(lines[2], /^raw_events\s+23\s+22\s+1$/);
  assert.match(lines[4], /\+1 registered with a token from the current salt/);
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
      n_players_interval: null,
      privacy: "exact",
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
      stress_score: null,
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
    schema: "handover",
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
      /not a telemetry\.db of the legacy system \(handover or later schema\): table raw_events is missing;.*table model_state is missing/,
    );
    // This service's own earlier guess at the legacy system's columns (plain `presented`, `input`).
    await rejects(
      variant("plain-json-names", (f) => {
        f.exec("alter table raw_events rename column presented_json to presented");
        f.exec("alter table raw_events rename column input_json to input");
      }),
      /raw_events lacks column\(s\) presented_json, input_json$/,
    );
    // Half of the later schema is neither version.
    await rejects(
      variant("half-later", (f) => f.exec("alter table session_summary add column stress_score")),
      /has the later schema's session_summary\.stress_score but lacks model_state\.model_name$/,
    );

    await rejects(
      variant("no-column", (f) => f.exec("alter table session_summary drop column fta_strict")),
      /session_summary lacks column\(s\) fta_strict/,
    );
    await rejects(
      variant(
        "bad-json",
        (f) => f.exec("update raw_events set presented_json = '[1, 2' where id = 3"),
      ),
      /raw_events id 3: presented_json must be a JSON array/,
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
        (f) => f.exec(`update raw_events set input_json = '["a\\u0000b"]' where id = 2`),
      ),
      /raw_events id 2: input_json must be a JSON array of ints or strings/,
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
      sequence_length, attempt_index, presented_json, input_json, is_correct, duration_ms, ts_utc,
      remediation_stage, volts_count, company_id)
      select 'someone-else', session_id, task_version, sequence_index, sequence_length,
        attempt_index, presented_json, input_json, 0, duration_ms, ts_utc, remediation_stage, volts_count,
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

Deno.test(
  "the CLI refuses a bad file with exit code 1 before touching any database",
  opts,
  async () => {
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
  },
);

Deno.test(
  "the CLI migrates, imports and prints the counts; a second run adds nothing",
  opts,
  async () => {
    const env = { DATA_DIR: `${dir}/cli-data` };
    const first = await cli([legacyPath], env);
    assert.equal(first.code, 0, text(first.stderr));
    assert.match(text(first.stdout), /raw_events\s+23\s+22\s+1\n/);
    const second = await cli([legacyPath], env);
    assert.equal(second.code, 0, text(second.stderr));
    assert.match(text(second.stdout), /raw_events\s+23\s+0\s+23\n/);
    assert.match(text(second.stdout), /session_summary\s+5\s+0\s+5\n/);
    assert.match(text(second.stdout), /0 player model\(s\) retrained/);
  },
);
