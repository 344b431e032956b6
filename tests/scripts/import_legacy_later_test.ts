/**
 * import-legacy on a file of the legacy system's later schema: the same earth content as the handover
 * test, plus a player's three water_v1 sessions (stress 20, 40, 60) and one model per task.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { tableCounts } from "../../db/demo.ts";
import { formatImportReport, importLegacy, LegacyFileError } from "../../scripts/import_legacy.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import {
  addEvents,
  addWaterSummary,
  buildLegacyFile,
  LATER_SCHEMA,
  LEGACY_ID,
  P1,
} from "../helpers/legacy.ts";
import { sessionEvents } from "../helpers/play.ts";

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
const config = loadConfig({ APP_ENV: "test" });
const dir = await Deno.makeTempDir({ prefix: "etl-legacy-later-" });
const opts = dbTestOptions;
const W = "legacy-w1";
const IMPORTED_AT = new Date("2025-01-01T00:00:00Z");

/** Writes the later-schema file; returns its path. */
async function buildLaterFile(): Promise<string> {
  const path = `${dir}/telemetry.db`;
  const file = await buildLegacyFile(path, LATER_SCHEMA);
  for (const [i, stress] of [20, 40, 60].entries()) {
    const session = `water-s${i + 1}`;
    const start = `2024-02-0${i + 1}T09:00:00Z`;
    addEvents(
      file,
      sessionEvents({ player: W, session, pattern: [1, 1, 1], start, company_id: LEGACY_ID })
        .map((e) => ({ ...e, task_version: "water_v1" })),
    );
    addWaterSummary(file, {
      player_id: W,
      session_id: session,
      stress,
      created: `2024-02-0${i + 1}T10:00:00Z`,
    });
  }
  const model = file.prepare(`insert into model_state (player_id, model_name, trained_ts_utc,
    n_samples, coefficients_json, intercept, mae, status) values (?, ?, ?, ?, ?, ?, ?, ?)`);
  model.run(W, "water", "2024-02-03 10:00:00", 3, "[9]", 9, 9, "trained");
  file.close();
  return path;
}

const laterPath = await buildLaterFile();

Deno.test(
  "importLegacy reads the later schema: stress scores and both tasks' models",
  opts,
  async () => {
    const report = await importLegacy(db.sql, config, laterPath, IMPORTED_AT);
    assert.deepEqual(report, {
      schema: "later",
      raw_events: { read: 32, inserted: 31, present: 1 },
      session_summary: { read: 8, inserted: 8, present: 0 },
      company_registry: { read: 1, inserted: 1, present: 0, registered: 1 },
      model_state: { read: 3, retrained: 4 },
      engagement_sessions: 8,
      warnings: [],
    });
    assert.equal(formatImportReport(report)[0], "schema: later version of the legacy system");
    assert.deepEqual(await tableCounts(db.sql), {
      raw_events: 31,
      session_summary: 8,
      play_sessions: 9,
      company_registry: 2,
      device_commands: 0,
      device_heartbeats: 0,
      device_hours: 0,
      device_logs: 0,
      devices: 0,
      model_state: 4,
      engagement_sessions: 8,
      engagement_users: 4,
    });
  },
);

Deno.test(
  "importLegacy stores water sessions with their stress score and no earth metrics",
  opts,
  async () => {
    const sessions = await (await t.request(`/players/${W}/sessions`)).json();
    assert.deepEqual(
      sessions.map((s: Record<string, unknown>) => [
        s.session_id,
        s.task_version,
        s.stress_score,
        s.fta_level,
        s.fta_strict,
        s.repetition_burden,
        s.earth_score_bucket,
        s.played_at,
        s.n_attempts,
      ]),
      [
        ["water-s1", "water_v1", 20, null, null, null, null, "2024-02-01T09:00:00.000Z", 3],
        ["water-s2", "water_v1", 40, null, null, null, null, "2024-02-02T09:00:00.000Z", 3],
        ["water-s3", "water_v1", 60, null, null, null, null, "2024-02-03T09:00:00.000Z", 3],
      ],
    );
    const [earth] = await (await t.request(`/players/${P1}/sessions`)).json();
    assert.equal(earth.stress_score, null);
    assert.equal(earth.fta_level, 1 / 3);
  },
);

Deno.test("importLegacy retrains the water model on water sessions only", opts, async () => {
  const water = await (await t.request(`/model/state/${W}?model_name=water`)).json();
  assert.equal(water.model_name, "water");
  assert.equal(water.status, "trained");
  assert.equal(water.n_samples, 3);
  assert.deepEqual(water.coefficients, [1]);
  assert.equal(water.intercept, 20);
  assert.equal(water.mae, 0);
  assert.equal(water.predicted_next, 80);
  assert.equal(water.trained_ts_utc, IMPORTED_AT.toISOString());
  assert.equal((await t.request(`/model/state/${W}`)).status, 404, "no earth session, no model");
  const earth = await (await t.request("/model/state/legacy-p2")).json();
  assert.equal(earth.model_name, "earth");
  assert.equal(earth.n_samples, 3);
});

Deno.test(
  "importLegacy of the later file a second time adds and retrains nothing",
  opts,
  async () => {
    const before = await tableCounts(db.sql);
    const report = await importLegacy(db.sql, config, laterPath, new Date("2025-02-01T00:00:00Z"));
    assert.deepEqual(report.session_summary, { read: 8, inserted: 0, present: 8 });
    assert.deepEqual(report.model_state, { read: 3, retrained: 0 });
    assert.deepEqual(await tableCounts(db.sql), before);
  },
);

async function rejects(edit: string, message: RegExp): Promise<void> {
  const path = `${dir}/bad-${crypto.randomUUID()}.db`;
  Deno.copyFileSync(laterPath, path);
  const { DatabaseSync } = await import("node:sqlite");
  const file = new DatabaseSync(path);
  file.exec(edit);
  file.close();
  const before = await tableCounts(db.sql);
  await assert.rejects(importLegacy(db.sql, config, path), (err: unknown) => {
    assert.ok(err instanceof LegacyFileError, String(err));
    assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(await tableCounts(db.sql), before);
}

Deno.test("importLegacy refuses later-schema rows this service cannot store", opts, async () => {
  await rejects(
    "update session_summary set stress_score = 150 where session_id = 'water-s2'",
    /session_summary id 7: stress_score must be a number from 0 to 100 \(got 150\)/,
  );
  await rejects(
    "update session_summary set stress_score = null where session_id = 'water-s1'",
    /session_summary id 6: has neither the earth metrics nor a stress_score/,
  );
  await rejects(
    "update session_summary set fta_strict = null where id = 1",
    /session_summary id 1: the earth metrics are set together or not at all \(fta_strict null\)/,
  );
});

Deno.test.afterAll(() => Deno.remove(dir, { recursive: true }));
