/**
 * The task registry: every task the service knows, in one place. A task declares the
 * task_versions that select it, how a finalized session's summary is computed, and its per-player
 * model (features, target, range). Adding a task is one entry here plus a migration that gives
 * session_summary its metric column(s), lets model_state accept its model name, and teaches the
 * company aggregates its counts (see docs/telemetry.md "Tasks").
 *
 * A session is finalized with the task of the body's task_version when given, else of its events'
 * task_version; a version no task declares follows the default task (earth), as the legacy system does.
 */
import { badRequest } from "./errors.ts";
import { CoreInputError } from "./input_error.ts";
import { type LearnerModel, predictNext, type SeriesPoint, trainSeries } from "./learner.ts";
import { type AttemptOutcome, computeSessionMetrics } from "./metrics.ts";

/** Every metric a session summary can carry; a task fills its own and leaves the rest null. */
export interface SummaryMetrics {
  fta_level: number | null;
  fta_strict: boolean | null;
  repetition_burden: number | null;
  earth_score_bucket: 0 | 5 | 10 | null;
  stress_score: number | null;
}

/** The numeric summary metrics a model can learn from. */
export type NumericMetric = "fta_level" | "repetition_burden" | "stress_score";

/** A per-player model: each session's features predict the next session's target. */
export interface TaskModel {
  /** The `model_name` of the API and of model_state. */
  name: string;
  features: readonly NumericMetric[];
  target: NumericMetric;
  /** Predictions are clamped to this closed range (the target's scale). */
  range: readonly [number, number];
}

/** What finalize knows when it computes a summary. */
export interface FinalizeInput {
  attempts: readonly AttemptOutcome[];
  /** From the finalize body; undefined when absent. */
  stress_score?: number | null;
}

/** One task. */
export interface TaskDefinition {
  /** Short name, equal to its model's name. */
  name: string;
  /** task_version values that select this task. */
  versions: readonly string[];
  /** Returns the session's metrics, or throws a DomainError naming what the request lacks. */
  summarize(input: FinalizeInput): SummaryMetrics;
  model: TaskModel;
}

/** Lowest and highest stress score a water_v1 client may report. */
export const STRESS_RANGE = [0, 100] as const;

const EARTH: TaskDefinition = {
  name: "earth",
  versions: ["earth_v1"],
  summarize: ({ attempts }) => ({ ...computeSessionMetrics(attempts), stress_score: null }),
  model: {
    name: "earth",
    features: ["fta_level", "repetition_burden"],
    target: "fta_level",
    range: [0, 1],
  },
};

const WATER: TaskDefinition = {
  name: "water",
  versions: ["water_v1"],
  summarize: ({ stress_score }) => {
    if (stress_score === undefined || stress_score === null) {
      throw badRequest("water_v1 sessions require stress_score in request body");
    }
    if (
      typeof stress_score !== "number" || !Number.isFinite(stress_score) ||
      stress_score < STRESS_RANGE[0] || stress_score > STRESS_RANGE[1]
    ) {
      throw new CoreInputError("stress_score must be a number from 0 to 100");
    }
    return {
      fta_level: null,
      fta_strict: null,
      repetition_burden: null,
      earth_score_bucket: null,
      stress_score,
    };
  },
  model: { name: "water", features: ["stress_score"], target: "stress_score", range: [0, 100] },
};

/** Every task, the default (earth) first. */
export const TASKS: readonly TaskDefinition[] = [EARTH, WATER];

/** The task of any task_version no task declares. */
export const DEFAULT_TASK: TaskDefinition = EARTH;

/** The model names the API accepts, in registry order. */
export const MODEL_NAMES: readonly string[] = TASKS.map((t) => t.model.name);

/** Returns the task a task_version selects (the default task for unknown versions). */
export function taskFor(taskVersion: string): TaskDefinition {
  return TASKS.find((t) => t.versions.includes(taskVersion)) ?? DEFAULT_TASK;
}

/** Returns the task whose model has this name, or null. */
export function taskByModel(modelName: string): TaskDefinition | null {
  return TASKS.find((t) => t.model.name === modelName) ?? null;
}

/** The numeric metrics of one session, as models read them. */
export type MetricValues = Readonly<Record<NumericMetric, number | null>>;

/** Returns the model's feature values of a session, or null when the session lacks one. */
export function featuresOf(model: TaskModel, s: MetricValues): number[] | null {
  const values = model.features.map((f) => s[f]);
  return values.every((v): v is number => v !== null) ? values : null;
}

/** Returns the learner points of a player's sessions (play order), skipping other tasks' ones. */
export function modelPoints(model: TaskModel, sessions: readonly MetricValues[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const s of sessions) {
    const features = featuresOf(model, s);
    const target = s[model.target];
    if (features !== null && target !== null) points.push({ features, target });
  }
  return points;
}

/** Returns the task model trained on a player's sessions in play order. */
export function trainTaskModel(model: TaskModel, sessions: readonly MetricValues[]): LearnerModel {
  return trainSeries(modelPoints(model, sessions), model.features.length);
}

/** Returns the model's next-session prediction from the player's last session of the task. */
export function predictTaskNext(
  model: TaskModel,
  learner: LearnerModel,
  last: MetricValues | null,
): number | null {
  return predictNext(learner, last === null ? null : featuresOf(model, last), model.range);
}
