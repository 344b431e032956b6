import assert from "node:assert/strict";
import { analyzeStaleTables } from "../../db/maintenance.ts";
import { dbTestOptions } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const db = testDatabase();

Deno.test(
  "analyzeStaleTables: analyzes a table once enough rows changed, then not again",
  dbTestOptions,
  async () => {
    await analyzeStaleTables(db.sql); // settle whatever the migrations left
    await db.sql`
    insert into play_sessions (session_id, player_id)
    select 'mt-' || i, 'p-mt' from generate_series(1, 200) as i`;
    // Server statistics reach pg_stat_user_tables within about a second.
    let analyzed: string[] = [];
    for (let i = 0; i < 40 && !analyzed.includes("play_sessions"); i++) {
      analyzed = await analyzeStaleTables(db.sql);
      if (!analyzed.includes("play_sessions")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(analyzed.includes("play_sessions"), `analyzed: ${analyzed.join(", ")}`);
    const [row] = await db.sql<{ analyzed: boolean }[]>`
    select coalesce(last_analyze, last_autoanalyze) is not null as analyzed
    from pg_stat_user_tables where relname = 'play_sessions'`;
    assert.equal(row.analyzed, true);
    assert.ok(!(await analyzeStaleTables(db.sql)).includes("play_sessions"));
  },
);
