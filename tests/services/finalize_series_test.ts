/** Finalize retrains on the player's summaries in play order, its own in its place. */
import assert from "node:assert/strict";
import { type MetricValues, REGISTRY, trainTaskModel } from "../../core/tasks.ts";
import { findModel } from "../../db/models.ts";
import { playerModelSeries } from "../../db/summaries.ts";
import { dbTestOptions, postJson, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";
import { type Pattern, playSession, sessionEvents } from "../helpers/play.ts";
import { insertSummary, type SummarySpec } from "../helpers/summaries.ts";

const db = testDatabase();
const t = testApp(db.sql);
const earth = REGISTRY.task("earth")!.model;

/** Asserts the player's stored earth model is the one trained on `series`. */
async function assertModelTrainedOn(player: string, series: MetricValues[]): Promise<void> {
  const { status, n_samples, coefficients, intercept, mae } = (await findModel(
    db.sql,
    player,
    "earth",
  ))!;
  assert.deepEqual(
    { status, n_samples, coefficients, intercept, mae },
    trainTaskModel(earth, series),
  );
}

/** Stores a summary played at `at`, to the microsecond (a Date parameter has milliseconds). */
async function storedAt(spec: Omit<SummarySpec, "at">, at: string): Promise<void> {
  const id = await insertSummary(db.sql, { ...spec, at });
  await db.sql`
    update session_summary set played_at = ${at}::text::timestamptz where session_id = ${id}`;
}

Deno.test(
  "`finalizeSession` retrains with its session in play order: after a tie, to the microsecond",
  dbTestOptions,
  async () => {
    const p = { player: "p-series-order", company: "c_series_order" };
    // Stored out of order, two of them with microseconds (as the legacy import can store them).
    await storedAt({ ...p, fta: 1, burden: 1 }, "2026-12-01T12:00:00Z");
    await storedAt({ ...p, fta: 0, burden: 3 }, "2026-12-01T10:00:00Z");
    await storedAt({ ...p, fta: 2 / 3, burden: 5 / 3 }, "2026-12-01T11:00:00.000500Z");
    await storedAt({ ...p, fta: 1, burden: 2 }, "2026-12-01T10:59:59.999900Z");
    await storedAt({ ...p, fta: 1 / 3, burden: 3 }, "2026-12-01T11:00:00Z");
    await storedAt({ ...p, stress: 40 }, "2026-12-01T11:00:00Z");
    // First attempt at 11:00:00.000 (fta 1/3, burden 2): after the tie, before 11:00:00.0005.
    await playSession(t, {
      player: p.player,
      session: "so-new",
      pattern: [2, 0, 1],
      start: "2026-12-01T11:00:00Z",
    });

    const series = await playerModelSeries(db.sql, p.player, earth);
    assert.deepEqual(series.map((s) => [s.fta_level, s.repetition_burden]), [
      [0, 3],
      [1, 2],
      [1 / 3, 3],
      [1 / 3, 2],
      [2 / 3, 5 / 3],
      [1, 1],
    ]);
    await assertModelTrainedOn(p.player, series);
  },
);

Deno.test(
  "`finalizeSession` places its session by its first attempt's time as stored, to the millisecond",
  dbTestOptions,
  async () => {
    const p = { player: "p-series-micro", company: "c_series_order" };
    await storedAt({ ...p, fta: 0, burden: 3 }, "2026-12-01T10:00:00Z");
    await storedAt({ ...p, fta: 1, burden: 1 }, "2026-12-01T11:00:00.000300Z");
    await storedAt({ ...p, fta: 2 / 3, burden: 5 / 3 }, "2026-12-01T12:00:00Z");
    const events = sessionEvents({
      player: p.player,
      session: "so-micro",
      pattern: [2, 0, 1],
      start: "2026-12-01T11:00:00Z",
    });
    assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
    // Attempts stored to the microsecond (a legacy import): the first at 11:00:00.000700. The
    // summary stores 11:00:00.000, before the summary at 11:00:00.000300.
    await db.sql`
      update raw_events set ts_utc = ts_utc + interval '700 microseconds'
      where session_id = 'so-micro'`;
    const fin = await t.request("/sessions/so-micro/finalize", { method: "POST" });
    assert.equal(fin.status, 200);
    assert.equal((await fin.json()).played_at, "2026-12-01T11:00:00.000Z");

    const series = await playerModelSeries(db.sql, p.player, earth);
    assert.deepEqual(series.map((s) => [s.fta_level, s.repetition_burden]), [
      [0, 3],
      [1 / 3, 2],
      [1, 1],
      [2 / 3, 5 / 3],
    ]);
    await assertModelTrainedOn(p.player, series);
  },
);

Deno.test(
  "`finalizeSession` of one player's sessions at once: the last model is trained on all of them",
  dbTestOptions,
  async () => {
    const player = "p-series-race";
    const patterns: Pattern[] = [
      [1, 1, 1],
      [2, 0, 1],
      [0, 0, 0],
      [1, 2, 3],
      [3, 1, 2],
      [1, 0, 1],
    ];
    for (const [i, pattern] of patterns.entries()) {
      const events = sessionEvents({
        player,
        session: `sr-${i}`,
        pattern,
        start: `2026-12-01T1${i}:00:00Z`,
      });
      assert.equal((await t.request("/events/batch", postJson({ events }))).status, 200);
    }
    const answers = await Promise.all(
      patterns.map((_, i) => t.request(`/sessions/sr-${i}/finalize`, { method: "POST" })),
    );
    assert.deepEqual(answers.map((r) => r.status), patterns.map(() => 200));
    const series = await playerModelSeries(db.sql, player, earth);
    assert.equal(series.length, patterns.length);
    await assertModelTrainedOn(player, series);
  },
);
