/**
 * `deno task fleet-maintenance`: runs fleet maintenance once (compact raw heartbeats older than 2
 * hours, delete old raw heartbeats, hourly summaries and finished commands, time out stale
 * pick-ups; docs/devices.md) and prints what it did.
 */
import { ConfigError, loadConfig } from "../config.ts";
import { runFleetMaintenance } from "../services/fleet_maintenance.ts";
import { openScriptDatabase } from "./_cli.ts";

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const db = await openScriptDatabase(config, { max: 2, locked: (reason) => reason });
  if (db === null) return 1;
  try {
    const started = performance.now();
    const done = await runFleetMaintenance(db.sql, new Date(), {
      exclusive: db.kind === "postgres",
      commandTimeoutSeconds: config.commandTimeoutSeconds,
    });
    if (!done.ran) {
      console.log("Another instance is running fleet maintenance right now; nothing done.");
      return 0;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `Compacted ${done.compacted} heartbeats; deleted ${done.rawDeleted} raw heartbeats, ` +
        `${done.hoursDeleted} hourly summaries and ${done.commandsDeleted} finished commands; ` +
        `${done.commandsTimedOut} commands timed out (${done.chunks} chunks, ${seconds} s).`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) Deno.exit(await main());
