/** SQL for the per-player, per-task model state. */
import type { LearnerModel } from "../core/learner.ts";
import type postgres from "postgres";
import type { Sql, Tx } from "./client.ts";

export interface ModelRow extends LearnerModel {
  player_id: string;
  model_name: string;
  trained_ts_utc: Date;
}

/**
 * Returns the statement (not yet sent) that stores (replaces) a player's model state of one task
 * (`model_name`, default earth); a pipelined transaction commits right behind it.
 */
export function saveModel(
  tx: Tx,
  playerId: string,
  m: LearnerModel,
  at: Date,
  modelName = "earth",
): postgres.PendingQuery<postgres.Row[]> {
  return tx`
    insert into model_state (player_id, model_name, trained_ts_utc, n_samples, coefficients,
      intercept, mae, status)
    values (${playerId}, ${modelName}, ${at}, ${m.n_samples},
      ${m.coefficients === null ? null : tx.json(m.coefficients)}, ${m.intercept}, ${m.mae},
      ${m.status})
    on conflict (player_id, model_name) do update set trained_ts_utc = excluded.trained_ts_utc,
      n_samples = excluded.n_samples, coefficients = excluded.coefficients,
      intercept = excluded.intercept, mae = excluded.mae, status = excluded.status`;
}

/** Returns a player's model state of one task, or null. */
export async function findModel(
  sql: Sql,
  playerId: string,
  modelName = "earth",
): Promise<ModelRow | null> {
  const rows = await sql<ModelRow[]>`
    select player_id, model_name, trained_ts_utc, n_samples, coefficients, intercept, mae, status
    from model_state where player_id = ${playerId} and model_name = ${modelName}`;
  return rows[0] ?? null;
}

/** Takes a transaction-scoped lock on a player, so two finalizes retrain one after the other. */
export async function lockPlayer(tx: Tx, playerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(727002, hashtext(${playerId}))`;
}
