/** Player reads: session summaries and model state with the next-session prediction. */
import { predictNextFta } from "../core/learner.ts";
import type { Sql } from "../db/client.ts";
import { findModel } from "../db/models.ts";
import { lastPlayed, playerSummaries } from "../db/summaries.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { toSessionSummary } from "./finalize.ts";

/** Returns a player's session summaries in finalize order (empty for an unknown player). */
export async function listPlayerSessions(sql: Sql, playerId: string): Promise<SessionSummary[]> {
  return (await playerSummaries(sql, playerId)).map(toSessionSummary);
}

/** Returns a player's model state with its prediction, or null before the first finalize. */
export async function findModelState(sql: Sql, playerId: string): Promise<ModelState | null> {
  const model = await findModel(sql, playerId);
  if (!model) return null;
  const last = model.status === "trained" ? await lastPlayed(sql, playerId) : null;
  return {
    player_id: model.player_id,
    trained_ts_utc: model.trained_ts_utc.toISOString(),
    n_samples: model.n_samples,
    coefficients: model.coefficients,
    intercept: model.intercept,
    mae: model.mae,
    status: model.status,
    predicted_next_fta: predictNextFta(model, last),
  };
}
