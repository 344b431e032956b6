/**
 * Statistics upkeep for the embedded database. PGlite runs no autovacuum, so its planner never
 * gets fresh statistics by itself; this stands in for autovacuum's ANALYZE with its threshold.
 */
import type { Sql } from "./client.ts";

/** Returns the tables analyzed: those changed by more than 50 rows + 10 % since their last one. */
export async function analyzeStaleTables(sql: Sql): Promise<string[]> {
  const stale = await sql<{ name: string }[]>`
    select relname as name from pg_stat_user_tables
    where schemaname = current_schema()
      and n_mod_since_analyze > 50 + 0.1 * n_live_tup
    order by relname`;
  for (const { name } of stale) await sql`analyze ${sql(name)}`;
  return stale.map((t) => t.name);
}
