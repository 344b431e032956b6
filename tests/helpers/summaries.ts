/** Writes finalized session summaries straight into the database (fast company fixtures). */
import type { Sql } from "../../db/client.ts";

/** One session summary: an earth session (fta set) or a water session (stress set). */
export interface SummarySpec {
  player: string;
  company: string;
  /** ISO play time. */
  at: string;
  fta?: number;
  burden?: number;
  bucket?: 0 | 5 | 10;
  stress?: number;
}

let n = 0;

/** Inserts a finalized play session and its summary (migration 0012's form); returns its id. */
export async function insertSummary(sql: Sql, s: SummarySpec): Promise<string> {
  const id = `fixture-${Date.now().toString(36)}-${++n}`;
  const earth = s.fta !== undefined;
  const metrics = earth
    ? {
      fta_level: s.fta!,
      fta_strict: s.fta === 1,
      repetition_burden: s.burden ?? 1,
      earth_score_bucket: s.bucket ?? 5,
    }
    : { stress_score: s.stress ?? 50 };
  await sql`
    insert into play_sessions (session_id, player_id, finalized_at)
    values (${id}, ${s.player}, now())`;
  await sql`
    insert into session_summary (player_id, session_id, task_version, task, metrics, company_id,
      played_at, n_attempts)
    values (${s.player}, ${id}, ${earth ? "earth_v1" : "water_v1"}, ${earth ? "earth" : "water"},
      ${sql.json(metrics)}, ${s.company}, ${s.at}, 3)`;
  return id;
}

/** Registers a company with the dashboard token the test salt gives it. */
export async function registerCompany(sql: Sql, companyId: string, token: string): Promise<void> {
  await sql`
    insert into company_registry (company_id, company_name, dashboard_token)
    values (${companyId}, null, ${token}) on conflict do nothing`;
}
