/** Player reads: session summaries and model state with the next-session prediction. */
import { predictTaskNext, REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import type { Sql } from "../db/client.ts";
import { findModel } from "../db/models.ts";
import { lastOfModel, playerSummaries } from "../db/summaries.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { toSessionSummary } from "./finalize.ts";

/** Returns a player's session summaries in finalize order (empty for an unknown player). */
export async function listPlayerSessions(
  sql: Sql,
  playerId: string,
  registry: TaskRegistry = REGISTRY,
): Promise<SessionSummary[]> {
  return (await playerSummaries(sql, playerId)).map((r) => toSessionSummary(r, registry));
}

/**
 * Returns a player's model state of one task (default earth) with its prediction, or null before
 * the player's first finalized session of that task (or for a model name no task declares).
 */
export async function findModelState(
  sql: Sql,
  playerId: string,
  modelName: string = REGISTRY.defaultTask.model.name,
  registry: TaskRegistry = REGISTRY,
): Promise<ModelState | null> {
  const task = registry.taskByModel(modelName);
  if (task === null) return null;
  const model = await findModel(sql, playerId, task.model.name);
  if (!model) return null;
  const last = model.status === "trained" ? await lastOfModel(sql, playerId, task.model) : null;
  const predicted = predictTaskNext(task.model, model, last);
  return {
    player_id: model.player_id,
    model_name: model.model_name,
    trained_ts_utc: model.trained_ts_utc.toISOString(),
    n_samples: model.n_samples,
    coefficients: model.coefficients,
    intercept: model.intercept,
    mae: model.mae,
    status: model.status,
    predicted_next: predicted,
    predicted_next_fta: task.model.name === "earth" ? predicted : null,
  };
}
