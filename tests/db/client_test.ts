import assert from "node:assert/strict";
import { textArray } from "../../db/client.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();

Deno.test(
  "textArray: values with array-literal syntax arrive verbatim, in order",
  dbTestOptions,
  async () => {
    const values = ["plain", "a,b", "{x}", 'quo"te', "back\\slash", "", "NULL", "é ünï", "s-1"];
    const [row] = await db.sql<{ items: string[] }[]>`select ${textArray(db.sql, values)} as items`;
    assert.deepEqual(row.items, values);
    const [one] = await db.sql<{ items: string[] }[]>`select ${
      textArray(db.sql, ["s-1"])
    } as items`;
    assert.deepEqual(one.items, ["s-1"]);
    const [none] = await db.sql<{ n: number }[]>`
    select count(*)::int as n from play_sessions where session_id = any(${textArray(db.sql, [])})`;
    assert.equal(none.n, 0);
  },
);
