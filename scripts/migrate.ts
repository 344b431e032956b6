/** `deno task migrate`: applies pending migrations and prints what it did; `--status` lists. */
import { loadConfig } from "../config.ts";
import { ConfigError } from "../config.ts";
import { migrate, migrationStatus } from "../db/migrate.ts";
import { openScriptDatabase } from "./_cli.ts";

let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  Deno.exit(1);
}
const db = await openScriptDatabase(config, {
  max: 1,
  locked: (reason) => `migrate: ${reason} The service migrates when it starts.`,
});
if (db === null) Deno.exit(1);
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
