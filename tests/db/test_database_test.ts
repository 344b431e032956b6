/** The test-database helper itself: nothing on import, one open and one `prepare` per file. */
import assert from "node:assert/strict";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();
let prepared = 0;
db.prepare(async () => {
  prepared++;
  await db.sql`create table helper_probe (n int)`;
  await db.sql`insert into helper_probe values (1)`;
});

/** What using the database while this file was being imported did. */
const atImport = (() => {
  try {
    return `open (${db.kind})`;
  } catch (err) {
    return (err as Error).message;
  }
})();

Deno.test("`testDatabase` opens nothing while the file is imported", dbTestOptions, () => {
  assert.equal(
    atImport,
    "the test database is used outside a test (it opens before the first one)",
  );
});

Deno.test("`testDatabase` is open in every test, prepared once", dbTestOptions, async () => {
  assert.equal(prepared, 1);
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from helper_probe`;
  assert.equal(row.n, 1);
  assert.equal(db.kind, Deno.env.get("TEST_DATABASE_URL") ? "postgres" : "embedded");
});

Deno.test("`testDatabase` keeps one database for the whole file", dbTestOptions, async () => {
  await db.sql`insert into helper_probe values (2)`;
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from helper_probe`;
  assert.equal(row.n, 2);
  assert.equal(prepared, 1);
});
