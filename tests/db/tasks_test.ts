import assert from "node:assert/strict";
import { catalogRows, registerTasks } from "../../db/tasks.ts";
import { createRegistry, REGISTRY } from "../../core/tasks.ts";
import { AIR, AIR_REGISTRY } from "../helpers/air_task.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
const opts = dbTestOptions;

const catalog = async () =>
  (await db.sql`select * from task_metric order by task, metric`).map((r) => ({ ...r }));

const insertAir = (ms: unknown) =>
  db.sql`
    insert into session_summary (player_id, session_id, task_version, task, metrics, played_at,
      n_attempts)
    values ('p', 'air-check', 'air_v1', 'air', ${db.sql.json({ reaction_time_ms: ms as number })},
      now(), 1)`;

Deno.test(
  "migration 0012 seeds the service registry's catalog, as registerTasks writes it",
  opts,
  async () => {
    const seeded = await catalog();
    await registerTasks(db.sql, REGISTRY);
    assert.deepEqual(await catalog(), seeded, "registering the service's tasks changes nothing");
    assert.deepEqual(seeded, [
      {
        task: "earth",
        metric: "earth_score_bucket",
        kind: "number",
        lo: 0,
        hi: 10,
        levels: [0, 5, 10],
        company: true,
      },
      {
        task: "earth",
        metric: "fta_level",
        kind: "number",
        lo: 0,
        hi: 1,
        levels: null,
        company: true,
      },
      {
        task: "earth",
        metric: "fta_strict",
        kind: "boolean",
        lo: 0,
        hi: 1,
        levels: null,
        company: false,
      },
      {
        task: "earth",
        metric: "repetition_burden",
        kind: "number",
        lo: 1,
        hi: 3,
        levels: null,
        company: true,
      },
      {
        task: "water",
        metric: "stress_score",
        kind: "number",
        lo: 0,
        hi: 100,
        levels: null,
        company: true,
      },
    ]);
    assert.equal(catalogRows(REGISTRY).length, 5);
  },
);

Deno.test(
  "`registerTasks` adds a task, updates a changed range and drops a dropped metric",
  opts,
  async () => {
    await db.sql`insert into play_sessions (session_id, player_id) values ('air-check', 'p')`;
    // Before air is registered, its sessions are refused (no catalog rows for the task).
    await assert.rejects(insertAir(300), (e: { code?: string }) => e.code === "23514");
    await registerTasks(db.sql, AIR_REGISTRY);
    const air = (await catalog()).filter((r) => r.task === "air");
    assert.deepEqual(air, [
      {
        task: "air",
        metric: "reaction_time_ms",
        kind: "number",
        lo: 0,
        hi: 86_400_000,
        levels: null,
        company: true,
      },
    ]);
    /** Returns a check that a refusal is the catalog's (23514) with `message`. */
    const refused = (message: RegExp) => (e: { code?: string; message?: string }) =>
      e.code === "23514" && message.test(e.message ?? "");
    await assert.rejects(
      insertAir(-1),
      refused(/metric reaction_time_ms = -1 is not a registered/),
    );
    await assert.rejects(insertAir("300"), refused(/reaction_time_ms = "300" is not a registered/));
    // A metric missing (no metrics at all): not the task's registered ones.
    await assert.rejects(
      db.sql`insert into session_summary (player_id, session_id, task_version, task, metrics,
        played_at, n_attempts)
        values ('p', 'air-check', 'air_v1', 'air', '{}', now(), 1)`,
      refused(/metrics are not the task's registered ones/),
    );
    // A narrower range replaces the stored one; a metric no longer declared goes.
    const narrow = {
      ...AIR,
      metrics: [{ ...AIR.metrics[0], range: [0, 500] as const }],
    };
    await registerTasks(db.sql, createRegistry([narrow]));
    assert.equal((await catalog()).find((r) => r.task === "air")!.hi, 500);
    await assert.rejects(insertAir(600), (e: { code?: string }) => e.code === "23514");
    await insertAir(300);
    const renamed = { ...narrow, metrics: [{ ...narrow.metrics[0], key: "reaction_ms" }] };
    await registerTasks(
      db.sql,
      createRegistry([{
        ...renamed,
        model: { ...renamed.model, features: ["reaction_ms"], target: "reaction_ms" },
        company: {
          ...renamed.company,
          metrics: [{ ...renamed.company.metrics[0], metric: "reaction_ms" }],
        },
        charts: [{ ...renamed.charts[0], metric: "reaction_ms" }],
      }]),
    );
    assert.deepEqual((await catalog()).filter((r) => r.task === "air").map((r) => r.metric), [
      "reaction_ms",
    ]);
    // Other tasks' rows are left as they are.
    assert.equal((await catalog()).filter((r) => r.task !== "air").length, 5);
  },
);
