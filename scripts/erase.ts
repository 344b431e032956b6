/**
 * `deno task erase <player_id> [--yes]`: erases everything held under a participant id (what
 * DELETE /admin/players/{player_id} does), after asking for confirmation unless `--yes`.
 */
import { logPseudonym } from "../core/pseudonym.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { IdSchema } from "../openapi/common.ts";
import { erasePlayer } from "../services/privacy.ts";
import { openObjectStore } from "../db/objects.ts";
import { openScriptDatabase } from "./_cli.ts";

const USAGE = "usage: deno task erase <player_id> [--yes]";

/** Returns the player id and whether confirmation was given, or an error message. */
export function eraseArgs(args: string[]): { playerId: string; yes: boolean } | string {
  const yes = args.includes("--yes");
  const rest = args.filter((a) => a !== "--yes");
  if (rest.length !== 1) return USAGE;
  const parsed = IdSchema.safeParse(rest[0]);
  if (!parsed.success) {
    return `Not a valid player id: ${parsed.error.issues.map((i) => i.message).join("; ")}`;
  }
  return { playerId: parsed.data, yes };
}

async function main(): Promise<number> {
  const args = eraseArgs(Deno.args);
  if (typeof args === "string") {
    console.error(args);
    return 2;
  }
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
  if (!args.yes) {
    const answer = prompt(
      `Erase every event, session, summary, model, engagement session and recording of ` +
        `${JSON.stringify(args.playerId)}? This cannot be undone. Type "yes" to confirm:`,
    );
    if (answer?.trim().toLowerCase() !== "yes") {
      console.error("Not confirmed; nothing erased. (Pass --yes to skip this question.)");
      return 1;
    }
  }
  const db = await openScriptDatabase(config, {
    max: 1,
    locked: (reason) => reason,
  });
  if (db === null) return 1;
  try {
    const store = openObjectStore(config.audioStore, config.dataDir);
    const { deleted } = await erasePlayer(db.sql, store, args.playerId, new Date());
    console.log(
      `Erased ${JSON.stringify(args.playerId)}: ${deleted.raw_events} raw events, ` +
        `${deleted.sessions} sessions, ${deleted.models} models, ` +
        `${deleted.engagement_sessions} engagement sessions, ${deleted.recordings} recordings.`,
    );
    console.log(`Log pseudonym (player_hash): ${logPseudonym(args.playerId, config.companySalt)}`);
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) Deno.exit(await main());
