/** `deno task migrate`: applies pending migrations and prints what it did; `--status` lists. */
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { migrate, migrationStatus } from "../db/migrate.ts";

const config = loadConfig(Deno.env.toObject());
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max: 1 });
try {
  if (Deno.args.includes("--status")) {
    for (const m of await migrationStatus(db.sql)) {
      const state = m.appliedAt ? `applied ${m.appliedAt.toISOString()}` : "pending";
      console.log(`${m.version}_${m.name}  ${state}`);
    }
  } else {
    const applied = await migrate(db.sql);
    console.log(
      applied.length === 0 ? "Nothing to apply: the database is up to date." : applied
        .map((name) => `applied ${name}`).join("\n"),
    );
  }
} finally {
  await db.close();
}
