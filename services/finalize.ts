/**
 * Finalize a session: compute its task's metrics, store the summary, register its company,
 * retrain the player's model of that task, and record it as an engagement session — all in one
 * transaction, idempotent.
 */
import { dashboardTokenFor } from "../core/company.ts";
import { badRequest, notFound } from "../core/errors.ts";
import { taskFor, type TaskModel, trainTaskModel } from "../core/tasks.ts";
import type { Config } from "../config.ts";
import type { Sql, Tx } from "../db/client.ts";
import { insertCompanyToken } from "../db/companies.ts";
import { recordGameSession } from "../db/engagement.ts";
import { lockPlayer, saveModel } from "../db/models.ts";
import {
  findSummary,
  insertSummary,
  lockSessionForFinalize,
  playerModelSeries,
  sessionAttempts,
  type SummaryRow,
} from "../db/summaries.ts";
import type { FinalizeBody, SessionSummary } from "../openapi/telemetry.ts";

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
    stress_score: row.stress_score,
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

/** Stores the player's model of one task, retrained on their sessions of it (player locked). */
export async function retrainModel(
  tx: Tx,
  playerId: string,
  model: TaskModel,
  now: Date,
): Promise<void> {
  const series = await playerModelSeries(tx, playerId, model);
  await saveModel(tx, playerId, trainTaskModel(model, series), now, model.name);
}

/**
 * Returns the session's summary, creating it on the first call with the task of
 * `body.task_version` (else of its events); a finalized session ignores the body.
 */
export async function finalizeSession(
  sql: Sql,
  config: Config,
  sessionId: string,
  now: Date,
  body: FinalizeBody = {},
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
    const taskVersion = body.task_version ?? attempts.task_version;
    const task = taskFor(taskVersion);
    const metrics = task.summarize({
      attempts: attempts.outcomes,
      stress_score: body.stress_score,
    });

    // One round trip again: the summary, the company, the player's lock and the learner's read
    // (after the lock, so two finalizes of one player retrain one after the other, each on every
    // summary before its own), and the engagement session.
    const [summary, , , series] = await Promise.all([
      insertSummary(tx, {
        player_id: playerId,
        session_id: sessionId,
        task_version: taskVersion,
        company_id: companyId,
        played_at: attempts.played_at,
        n_attempts: attempts.n_attempts,
        created_ts_utc: now,
        ...metrics,
      }),
      companyId === null ? undefined : insertCompanyToken(
        tx,
        companyId,
        dashboardTokenFor(companyId, config.dashboardTokenSalt),
      ),
      lockPlayer(tx, playerId),
      playerModelSeries(tx, playerId, task.model),
      recordGameSession(tx, {
        playerId,
        sessionId,
        startedAt: attempts.played_at,
        durationSeconds: Math.round(
          (attempts.ended_at.getTime() - attempts.played_at.getTime()) / 1000,
        ),
      }),
    ]);
    await saveModel(tx, playerId, trainTaskModel(task.model, series), now, task.model.name);
    return summary;
  });
  return toSessionSummary(row);
}
