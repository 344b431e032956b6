/** SQL of the fleet gauges /metrics computes at scrape: devices by status, commands by status. */
import type { Sql } from "./client.ts";

/** Returns the number of devices per status at the thresholds given (from core/devices.ts). */
export async function deviceStatusCounts(
  sql: Sql,
  staleBefore: Date,
  healthyLatencyMs: number,
): Promise<{ healthy: number; degraded: number; dead: number }> {
  const [row] = await sql<{ healthy: number; degraded: number; dead: number }[]>`
    select
      count(*) filter (where last_seen < ${staleBefore})::int as dead,
      count(*) filter (where last_seen >= ${staleBefore} and agent_status = 'ok'
        and latency_ms < ${healthyLatencyMs})::int as healthy,
      count(*) filter (where last_seen >= ${staleBefore} and not (agent_status = 'ok'
        and coalesce(latency_ms < ${healthyLatencyMs}, false)))::int as degraded
    from devices`;
  return row;
}
