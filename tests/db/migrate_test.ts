import assert from "node:assert/strict";
import { connect } from "../../db/client.ts";
import { migrate, type Migration, migrationStatus, readMigrations } from "../../db/migrate.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { createServerDatabase, serverUrl, testDatabase } from "../helpers/db.ts";

const db = testDatabase();

Deno.test(
  "the project's migrations are numbered, ordered and all applied",
  dbTestOptions,
  async () => {
    const files = await readMigrations();
    assert.deepEqual(files.map((m) => `${m.version}_${m.name}`), [
      "0001_telemetry",
      "0002_engagement",
      "0003_company_aggregates",
      "0004_events_without_session_fk",
      "0005_ingest_raced",
      "0006_auth_failures",
      "0007_privacy",
      "0008_ingest_statement",
      "0009_retention",
      "0010_tasks",
      "0011_hardening",
      "0012_task_metrics",
      "0013_company_releases",
      "0014_devices",
      "0015_recordings",
      "0016_command_notify",
      "0017_company_bucket_metrics",
      "0018_finalize_trigger",
      "0019_one_row_trigger",
    ]);
    const status = await migrationStatus(db.sql);
    assert.ok(status.every((m) => m.appliedAt instanceof Date));
    assert.deepEqual(await migrate(db.sql), [], "a second run applies nothing");
  },
);

Deno.test(
  "pending migrations apply in order, once, recorded in schema_migrations",
  dbTestOptions,
  async () => {
    const extra: Migration[] = [
      ...(await readMigrations()),
      {
        version: "9001",
        name: "t_one",
        sql: "create table mig_t_one (x int); insert into mig_t_one values (1);",
      },
      { version: "9002", name: "t_two", sql: "insert into mig_t_one select x + 1 from mig_t_one;" },
    ];
    assert.deepEqual(await migrate(db.sql, extra), ["9001_t_one", "9002_t_two"]);
    assert.deepEqual(await migrate(db.sql, extra), []);
    const rows = await db.sql`select x from mig_t_one order by x`;
    assert.deepEqual(rows.map((r) => r.x), [1, 2]);
    const recorded = await db
      .sql`select version, name from schema_migrations where version like '900%' order by version`;
    assert.deepEqual(recorded.map((r) => `${r.version}:${r.name}`), ["9001:t_one", "9002:t_two"]);
    const status = await migrationStatus(db.sql, [
      ...extra,
      { version: "9003", name: "t_three", sql: "select 1" },
    ]);
    assert.equal(status.at(-1)!.appliedAt, null);
  },
);

Deno.test("a failing migration rolls back whole and is not recorded", dbTestOptions, async () => {
  const bad: Migration[] = [
    ...(await readMigrations()),
    {
      version: "9101",
      name: "bad",
      sql: "create table mig_bad (x int); select * from no_such_table;",
    },
  ];
  await assert.rejects(() => migrate(db.sql, bad), /no_such_table/);
  const table = await db.sql`select to_regclass('mig_bad') as t`;
  assert.equal(table[0].t, null);
  const rec = await db.sql`select 1 from schema_migrations where version = '9101'`;
  assert.equal(rec.length, 0);
});

Deno.test("two processes migrating at once cannot race (advisory lock)", {
  ...dbTestOptions,
  ignore: serverUrl() === null,
}, async () => {
  const fresh = await createServerDatabase(serverUrl()!);
  const a = connect(fresh.url, 2);
  const b = connect(fresh.url, 2);
  try {
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    assert.deepEqual([...ra, ...rb].sort(), [
      "0001_telemetry",
      "0002_engagement",
      "0003_company_aggregates",
      "0004_events_without_session_fk",
      "0005_ingest_raced",
      "0006_auth_failures",
      "0007_privacy",
      "0008_ingest_statement",
      "0009_retention",
      "0010_tasks",
      "0011_hardening",
      "0012_task_metrics",
      "0013_company_releases",
      "0014_devices",
      "0015_recordings",
      "0016_command_notify",
      "0017_company_bucket_metrics",
      "0018_finalize_trigger",
      "0019_one_row_trigger",
    ]);
    const count = await a`select count(*)::int as n from schema_migrations`;
    assert.equal(count[0].n, 19);
  } finally {
    await a.end();
    await b.end();
    await fresh.drop();
  }
});
