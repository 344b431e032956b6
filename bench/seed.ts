/**
 * The data the in-process probes and `deno task bench pair` seed: the finalize scenario's players
 * and the quick company scenario's read company. Each takes the `insertSummaries` of the checkout
 * whose schema it fills (another checkout's, for a before/after comparison).
 */
import type postgres from "postgres";
import type { insertSummaries } from "./measure.ts";

type Insert = typeof insertSummaries;

/** The company the finalize probes' players play in. */
export const FINALIZE_COMPANY = "c_finalizebench";
/** The company the read probes read. */
export const READ_COMPANY = "c_benchmeasured";

/** Returns the id of the finalize probes' k-th player of `players` (`fp-0`, `fp-1`, …). */
export function finalizePlayer(k: number, players: number): string {
  return `fp-${k % players}`;
}

/** Stores `players` players with 100 earlier sessions each in FINALIZE_COMPANY, from 2024. */
export async function seedFinalizePlayers(
  sql: postgres.Sql,
  insert: Insert,
  players: number,
): Promise<void> {
  await insert(sql, {
    prefix: "fz-",
    count: players * 100,
    players: `'fp-' || (g % ${players})`,
    company: `'${FINALIZE_COMPANY}'`,
    from: "2024-01-01",
  });
}

/** Registers READ_COMPANY with `token` and stores its 10,000 sessions of 200 players from 2025. */
export async function seedReadCompany(
  sql: postgres.Sql,
  insert: Insert,
  token: string,
): Promise<void> {
  await sql`insert into company_registry (company_id, company_name, dashboard_token)
    values (${READ_COMPANY}, 'Bench Measured', ${token})`;
  await insert(sql, {
    prefix: "cs-",
    count: 10_000,
    players: `'cp-' || (g % 200)`,
    company: `'${READ_COMPANY}'`,
    from: "2025-01-01",
  });
}
