/**
 * Finalize a session: compute its metrics, store the summary, register its company, retrain the
 * player's model, and record it as an engagement session — all in one transaction, idempotent.
 */
import { dashboardTokenFor } from "../core/company.ts";
import { badRequest, notFound } from "../core/errors.ts";
import { trainLearner } from "../core/learner.ts";
import { computeSessionMetrics } from "../core/metrics.ts";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { insertCompanyToken } from "../db/companies.ts";
import { recordGameSession } from "../db/engagement.ts";
import { lockPlayer, saveModel } from "../db/models.ts";
import {
  findSummary,
  insertSummary,
  lockSessionForFinalize,
  playerLearningPoints,
  sessionAttempts,
  type SummaryRow,
} from "../db/summaries.ts";
import type { SessionSummary } from "../openapi/telemetry.ts";

/** Returns the API shape of a stored summary. */
export function toSessionSummary(row: SummaryRow): SessionSummary {
  return {
    id: Number(row.id),
    player_id: row.player_id,
    session_id: row.session_id,
    task_version: row.task_version,
    fta_level: row.fta_level,
    fta_strict: row.fta_strict,
    repetition_burden: row.repetition_burden,
    earth_score_bucket: row.earth_score_bucket,
    created_ts_utc: row.created_ts_utc.toISOString(),
    company_id: row.company_id,
    played_at: row.played_at.toISOString(),
    n_attempts: row.n_attempts,
  };
}

/** Returns the message for a session whose events disagree on company_id. */
function mixedCompanies(ids: readonly (string | null)[]): string {
  const shown = ids.map((id) => (id === null ? "(none)" : id)).sort();
  return `Mixed company_ids in session: ${shown.join(", ")}`;
}

/** Returns the session's summary, creating it on the first call. */
export async function finalizeSession(
  sql: Sql,
  config: Config,
  sessionId: string,
  now: Date,
): Promise<SessionSummary> {
  const row = await sql.begin(async (tx) => {
    // Statements sent together are pipelined (one round trip) and run in the order sent: the
    // aggregation reads the session's attempts after its row is locked against ingest.
    const [session, attempts] = await Promise.all([
      lockSessionForFinalize(tx, sessionId),
      sessionAttempts(tx, sessionId),
    ]);
    if (!session) throw notFound("No events found for session");
    if (session.finalized) return (await findSummary(tx, sessionId))!;
    if (!attempts) throw notFound("No events found for session");
    if (attempts.company_ids.length > 1) throw badRequest(mixedCompanies(attempts.company_ids));
    const companyId = attempts.company_ids[0] ?? null;
    const playerId = session.player_id;

    // One round trip again: the summary, the company, the player's lock and the learner's read
    // (after the lock, so two finalizes of one player retrain one after the other, each on every
    // summary before its own), and the engagement session.
    const [summary, , , points] = await Promise.all([
      insertSummary(tx, {
        player_id: playerId,
        session_id: sessionId,
        task_version: attempts.task_version,
        company_id: companyId,
        played_at: attempts.played_at,
        n_attempts: attempts.n_attempts,
        created_ts_utc: now,
        ...computeSessionMetrics(attempts.outcomes),
      }),
      companyId === null ? undefined : insertCompanyToken(
        tx,
        companyId,
        dashboardTokenFor(companyId, config.dashboardTokenSalt),
      ),
      lockPlayer(tx, playerId),
      playerLearningPoints(tx, playerId),
      recordGameSession(tx, {
        playerId,
        sessionId,
        startedAt: attempts.played_at,
        durationSeconds: Math.round(
          (attempts.ended_at.getTime() - attempts.played_at.getTime()) / 1000,
        ),
      }),
    ]);
    await saveModel(tx, playerId, trainLearner(points), now);
    return summary;
  });
  return toSessionSummary(row);
}
