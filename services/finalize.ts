/**
 * Finalize a session: compute its task's metrics, store the summary, register its company,
 * retrain the player's model of that task, and record it as an engagement session — all in one
 * transaction (pipelined: three round trips), idempotent.
 */
import { dashboardTokenFor } from "../core/company.ts";
import { badRequest, notFound } from "../core/errors.ts";
import {
  checkedMetrics,
  flatMetrics,
  REGISTRY,
  type TaskRegistry,
  trainTaskModel,
} from "../core/tasks.ts";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { insertCompanyToken } from "../db/companies.ts";
import { recordGameSession } from "../db/engagement.ts";
import { lockPlayer, saveModel } from "../db/models.ts";
import { pipelinedTransaction } from "../db/pipelined.ts";
import { registerTasks } from "../db/tasks.ts";
import {
  findSummary,
  insertSummary,
  lockSessionForFinalize,
  playerModelSeries,
  sessionAttempts,
  type SummaryRow,
} from "../db/summaries.ts";
import type { FinalizeBody, SessionSummary } from "../openapi/telemetry.ts";

/** Returns the API shape of a stored summary: every registry metric, null but the task's own. */
export function toSessionSummary(
  row: SummaryRow,
  registry: TaskRegistry = REGISTRY,
): SessionSummary {
  return {
    id: Number(row.id),
    player_id: row.player_id,
    session_id: row.session_id,
    task_version: row.task_version,
    ...flatMetrics(registry, row.metrics),
    created_ts_utc: row.created_ts_utc.toISOString(),
    company_id: row.company_id,
    played_at: row.played_at.toISOString(),
    n_attempts: row.n_attempts,
  } as SessionSummary;
}

const registered = new WeakMap<TaskRegistry, WeakMap<Sql, Promise<void>>>();

/** Resolves once the database's metric catalog holds the registry's (once per client). */
export function ensureTasks(sql: Sql, registry: TaskRegistry): Promise<void> {
  let of = registered.get(registry);
  if (of === undefined) registered.set(registry, of = new WeakMap());
  let done = of.get(sql);
  if (done === undefined) {
    done = registerTasks(sql, registry);
    of.set(sql, done);
    done.catch(() => of!.delete(sql));
  }
  return done;
}

/** Returns the message for a session whose events disagree on company_id. */
function mixedCompanies(ids: readonly (string | null)[]): string {
  const shown = ids.map((id) => (id === null ? "(none)" : id)).sort();
  return `Mixed company_ids in session: ${shown.join(", ")}`;
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
  registry: TaskRegistry = REGISTRY,
): Promise<SessionSummary> {
  await ensureTasks(sql, registry);
  const row = await pipelinedTransaction(sql, async (tx, commit) => {
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
    const task = registry.taskFor(taskVersion);
    const metrics = checkedMetrics(
      task,
      task.summarize({ attempts: attempts.outcomes, body: body as Record<string, unknown> }),
    );

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
        task: task.name,
        metrics,
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
    const model = trainTaskModel(task.model, series);
    await commit(saveModel(tx, playerId, model, now, task.model.name));
    return summary;
  });
  return toSessionSummary(row, registry);
}
