/** What the operator scripts share (private to scripts/). */
import type { Config } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { DataDirLockedError } from "../db/embedded.ts";
import { startupFailure } from "../db/errors.ts";

/**
 * Returns the configured database, or null after printing one line (the script then exits 1):
 * `locked(reason)` when the service holds the embedded data directory, or the host, port and
 * database when the server is unreachable or the database does not exist. No stack trace.
 */
export async function openScriptDatabase(
  config: Config,
  { max, locked }: { max: number; locked: (reason: string) => string },
): Promise<Database | null> {
  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    console.error(locked(err.message));
    return null;
  }
  try {
    await db.sql`select 1`; // postgres.js connects lazily: find out now
    return db;
  } catch (err) {
    const line = startupFailure(err, config.databaseUrl);
    await db.close().catch(() => {});
    if (line === null) throw err;
    console.error(line);
    return null;
  }
}
