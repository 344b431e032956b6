/** What the operator scripts share (private to scripts/). */
import type { Config } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { DataDirLockedError } from "../db/embedded.ts";

/**
 * Returns the configured database, or null after printing `locked(reason)` (unless empty) when
 * the service holds the embedded data directory.
 */
export async function openScriptDatabase(
  config: Config,
  { max, locked }: { max: number; locked: (reason: string) => string },
): Promise<Database | null> {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const message = locked(err.message);
    if (message !== "") console.error(message);
    return null;
  }
}
