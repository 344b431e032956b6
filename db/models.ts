/** SQL for the per-player model state. */
import type { LearnerModel } from "../core/learner.ts";
import type { Sql, Tx } from "./client.ts";

export interface ModelRow extends LearnerModel {
  player_id: string;
  trained_ts_utc: Date;
}

/** Stores (replaces) a player's model state. */
export async function saveModel(
  tx: Tx,
  playerId: string,
  m: LearnerModel,
  at: Date,
): Promise<void> {
  await tx`
    insert into model_state (player_id, trained_ts_utc, n_samples, coefficients, intercept, mae,
      status)
    values (${playerId}, ${at}, ${m.n_samples},
      ${m.coefficients === null ? null : tx.json(m.coefficients)}, ${m.intercept}, ${m.mae},
      ${m.status})
    on conflict (player_id) do update set trained_ts_utc = excluded.trained_ts_utc,
      n_samples = excluded.n_samples, coefficients = excluded.coefficients,
      intercept = excluded.intercept, mae = excluded.mae, status = excluded.status`;
}

/** Returns a player's model state, or null. */
export async function findModel(sql: Sql, playerId: string): Promise<ModelRow | null> {
  const rows = await sql<ModelRow[]>`
    select player_id, trained_ts_utc, n_samples, coefficients, intercept, mae, status
    from model_state where player_id = ${playerId}`;
  return rows[0] ?? null;
}

/** Takes a transaction-scoped lock on a player, so two finalizes retrain one after the other. */
export async function lockPlayer(tx: Tx, playerId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(727002, hashtext(${playerId}))`;
}
