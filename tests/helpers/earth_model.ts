/**
 * The earth model as the tests state it: previous [fta_level, repetition_burden] → next
 * fta_level, clamped to [0, 1] (docs/design.md "Learner"), straight on core/learner.ts.
 */
import { type LearnerModel, predictNext, trainSeries } from "../../core/learner.ts";
import { CoreInputError } from "../../core/input_error.ts";

/** The two earth metrics of one finalized session that the earth model uses. */
export interface SessionPoint {
  fta_level: number;
  repetition_burden: number;
}

/** Returns the earth model trained on a player's sessions in play order (or insufficient_data). */
export function trainLearner(sessions: readonly SessionPoint[]): LearnerModel {
  for (const [i, p] of sessions.entries()) {
    if (!Number.isFinite(p.fta_level) || !Number.isFinite(p.repetition_burden)) {
      throw new CoreInputError(`sessions[${i}] must have finite fta_level and repetition_burden`);
    }
  }
  return trainSeries(
    sessions.map((p) => ({ features: [p.fta_level, p.repetition_burden], target: p.fta_level })),
    2,
  );
}

/** Returns the predicted next-session fta_level clamped to [0, 1], or null when untrained. */
export function predictNextFta(model: LearnerModel, last: SessionPoint | null): number | null {
  return predictNext(model, last === null ? null : [last.fta_level, last.repetition_burden], [
    0,
    1,
  ]);
}
