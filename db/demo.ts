/** SQL used by `deno task demo`: wiping the data tables and finding sessions already stored. */
import { type Sql, textArray } from "./client.ts";

/** Every table holding data (schema_migrations is not one of them). */
export const DATA_TABLES = [
  "raw_events",
  "session_summary",
  "play_sessions",
  "company_registry",
  "model_state",
  "engagement_sessions",
  "engagement_users",
  "devices",
  "device_heartbeats",
  "device_hours",
  "device_commands",
  "device_logs",
] as const;

/** Resolves once every data table is empty (identities restarted); migrations stay applied. */
export async function resetData(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`truncate ${tx([...DATA_TABLES])} restart identity`;
    // The compaction watermark starts over with the heartbeats (never emptied: one row).
    await tx`update fleet_compaction set received_at = '-infinity', id = 0`;
  });
}

/** Returns the ids among `sessionIds` that already have a play session row. */
export async function existingSessions(
  sql: Sql,
  sessionIds: readonly string[],
): Promise<Set<string>> {
  if (sessionIds.length === 0) return new Set();
  const rows = await sql<{ session_id: string }[]>`
    select session_id from play_sessions where session_id = any(${textArray(sql, sessionIds)})`;
  return new Set(rows.map((r) => r.session_id));
}

/** Returns the number of rows in each data table. */
export async function tableCounts(sql: Sql): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of DATA_TABLES) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`;
    counts[table] = row.n;
  }
  return counts;
}
