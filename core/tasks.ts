/**
 * The task registry: every task the service knows, in one place. A task definition declares the
 * task_versions that select it, how a finalized session's summary is computed, its metrics (the
 * one name and definition of each, unit, range, direction, aggregation), its per-player model,
 * what a company sees of it and how the pages chart it. Storage (session_summary.metrics, the
 * long-form company aggregates), the contract, the pages and the glossary are derived from it
 * (docs/tasks.md). The built-in registry is `REGISTRY`; tests build their own with
 * `createRegistry` and inject it at the composition root.
 *
 * A session is finalized with the task of the body's task_version when given, else of its events'
 * task_version; a version no task declares follows the default task (earth), as the legacy system does.
 */
import { badRequest } from "./errors.ts";
import { CoreInputError } from "./input_error.ts";
import { type LearnerModel, predictNext, type SeriesPoint, trainSeries } from "./learner.ts";
import { computeSessionMetrics } from "./metrics.ts";

/** The value of one metric of one session. */
export type MetricValue = number | boolean;

/** How a metric's values combine over sessions: the mean, or the share of sessions where true. */
export type Aggregation = "mean" | "share";

/** One metric of a task. */
export interface MetricDefinition {
  /** The field name in session summaries, in storage and in the API (e.g. `fta_level`). */
  key: string;
  /** The one name of the metric, used on every page and in the glossary. */
  label: string;
  /** One-line definition (glossary, page hints). */
  definition: string;
  /** Unit of a value ("share" for 0–1 ratios shown as percent, "ms", "points", "attempts"). */
  unit: string;
  /** JSON type of a value. */
  kind: "number" | "boolean";
  /** Closed range of a value (booleans: [0, 1]). */
  range: readonly [number, number];
  /** When set, the only values allowed (the earth score: 0, 5, 10). */
  levels?: readonly number[];
  /** With levels: what each level means, in level order (chart labels). */
  levelLabels?: readonly string[];
  /** Decimals a value is shown with (default 2; "share" metrics show as whole percent). */
  decimals?: number;
  /** Whether a higher value is better; null when neither is. */
  higherIsBetter: boolean | null;
  /** How sessions' values combine (player totals, company averages). */
  aggregation: Aggregation;
  /** Description of the SessionSummary field in the contract. */
  apiDescription: string;
}

/** A per-player model: each session's features predict the next session's target. */
export interface TaskModel {
  /** The `model_name` of the API and of model_state. */
  name: string;
  /** Metric keys (numeric metrics of the task). */
  features: readonly string[];
  /** The metric key predicted. */
  target: string;
  /** Predictions are clamped to this closed range (the target's scale). */
  range: readonly [number, number];
  /** The contract's name of each coefficient, in feature order (e.g. `coef_fta`). */
  coefficientNames: readonly string[];
}

/** A company average of one metric, shown when at least k distinct players have the metric. */
export interface CompanyMetric {
  /** The metric's key. */
  metric: string;
  /** The field name in the company summary and timeseries buckets. */
  field: string;
  /** Description of the field in the company summary; null: not in the summary. */
  summary: string | null;
  /** Description of the field in a timeseries bucket; null: not in the timeseries. */
  timeseries: string | null;
}

/** What a company sees of a task. The rule: an average needs k distinct players behind it. */
export interface CompanyView {
  /** The field counting the task's sessions in the summary and buckets (with descriptions). */
  sessions: { field: string; summary?: string; timeseries?: string } | null;
  /** The averages, in contract order. */
  metrics: readonly CompanyMetric[];
  /** The forecast: the mean next-session prediction of the players' models (k models). */
  forecast: { field: string; description: string; models: string };
}

/** A chart of one metric per session (player page) or per bucket (company page). */
export interface ChartView {
  /** The metric's key. */
  metric: string;
  /** line: a value per session/bucket; bar: sessions per level (levels metrics only). */
  chart: "line" | "bar";
  /** The value axis: its range and whether values show as percent. */
  axis: { min: number; max: number; percent: boolean };
  /** Company page too (the metric must be a company metric). */
  company: boolean;
  /** The series color. */
  color: "blue" | "orange" | "green" | "violet" | "grey";
  /** Said after the title, e.g. "1 = best, 3 = worst". */
  note?: string;
}

/** What finalize knows when it computes a summary. */
export interface FinalizeInput {
  /** The session's attempts (any order, duplicates allowed). */
  attempts: readonly AttemptInput[];
  /** The finalize body (validated by the contract); fields absent when not sent. */
  body: Readonly<Record<string, unknown>>;
}

/** One stored attempt as finalize reads it. */
export interface AttemptInput {
  sequence_index: number;
  attempt_index: number;
  is_correct: boolean;
  duration_ms: number;
}

/** A finalize body field a task reads (a number in a range). */
export interface BodyField {
  /** The JSON field name. */
  name: string;
  range: readonly [number, number];
  /** Its description in the contract. */
  description: string;
  example: number;
}

/** One task. */
export interface TaskDefinition {
  /** Short name, equal to its model's name. */
  name: string;
  /** The task's one name on the pages ("Earth task"). */
  label: string;
  /** task_version values that select this task. */
  versions: readonly string[];
  /** The finalize body fields the task reads. */
  body: readonly BodyField[];
  /** Returns the session's metrics (one per declared metric), or throws a DomainError. */
  summarize(input: FinalizeInput): Readonly<Record<string, MetricValue>>;
  metrics: readonly MetricDefinition[];
  model: TaskModel;
  company: CompanyView;
  /** The charts, in page order. */
  charts: readonly ChartView[];
}

/** The tasks of one deployment (or test), the default first. */
export interface TaskRegistry {
  readonly tasks: readonly TaskDefinition[];
  /** The task of any task_version no task declares. */
  readonly defaultTask: TaskDefinition;
  /** Every metric of every task, in registry order, with its task. */
  readonly metrics: readonly (MetricDefinition & { task: string })[];
  /** The model names the API accepts, in registry order. */
  readonly modelNames: readonly string[];
  /** The finalize body fields of every task, in registry order. */
  readonly bodyFields: readonly BodyField[];
  /** Returns the task a task_version selects (the default task for unknown versions). */
  taskFor(taskVersion: string): TaskDefinition;
  /** Returns the task whose model has this name, or null. */
  taskByModel(modelName: string): TaskDefinition | null;
  /** Returns the task of this name, or null. */
  task(name: string): TaskDefinition | null;
  /** Returns the metric of this key, or null. */
  metric(key: string): (MetricDefinition & { task: string }) | null;
}

/** Returns the registry of the given tasks (the first is the default), checking it is coherent. */
export function createRegistry(tasks: readonly TaskDefinition[]): TaskRegistry {
  if (tasks.length === 0) throw new Error("a registry needs at least one task");
  const unique = (what: string, values: readonly string[]) => {
    const seen = new Set<string>();
    for (const v of values) {
      if (seen.has(v)) throw new Error(`duplicate ${what} ${v}`);
      seen.add(v);
    }
  };
  unique("task", tasks.map((t) => t.name));
  unique("task_version", tasks.flatMap((t) => t.versions));
  unique("metric", tasks.flatMap((t) => t.metrics.map((m) => m.key)));
  unique("finalize body field", tasks.flatMap((t) => t.body.map((f) => f.name)));
  for (const t of tasks) checkTask(t);
  const metrics = tasks.flatMap((t) => t.metrics.map((m) => ({ ...m, task: t.name })));
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  return {
    tasks,
    defaultTask: tasks[0],
    metrics,
    modelNames: tasks.map((t) => t.model.name),
    bodyFields: tasks.flatMap((t) => t.body),
    taskFor: (v) => tasks.find((t) => t.versions.includes(v)) ?? tasks[0],
    taskByModel: (n) => tasks.find((t) => t.model.name === n) ?? null,
    task: (n) => tasks.find((t) => t.name === n) ?? null,
    metric: (k) => byKey.get(k) ?? null,
  };
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Throws when a task's definition refers to what it does not declare. */
function checkTask(t: TaskDefinition): void {
  const where = `task ${t.name}`;
  if (!NAME.test(t.name)) throw new Error(`${where}: name must match ${NAME}`);
  if (t.model.name !== t.name) throw new Error(`${where}: the model is named after its task`);
  const numeric = new Set(t.metrics.filter((m) => m.kind === "number").map((m) => m.key));
  for (const m of t.metrics) {
    if (!NAME.test(m.key)) throw new Error(`${where}: metric key ${m.key} must match ${NAME}`);
    if (!(m.range[0] <= m.range[1])) throw new Error(`${where}: ${m.key} has an empty range`);
    if (m.kind === "boolean" && m.aggregation !== "share") {
      throw new Error(`${where}: boolean ${m.key} aggregates as a share`);
    }
    if (m.levelLabels !== undefined && m.levelLabels.length !== m.levels?.length) {
      throw new Error(`${where}: ${m.key} has one label per level`);
    }
  }
  for (const f of [...t.model.features, t.model.target]) {
    if (!numeric.has(f)) throw new Error(`${where}: model metric ${f} is not a numeric metric`);
  }
  if (t.model.coefficientNames.length !== t.model.features.length) {
    throw new Error(`${where}: one coefficient name per feature`);
  }
  for (const c of t.company.metrics) {
    if (!numeric.has(c.metric)) throw new Error(`${where}: company metric ${c.metric} unknown`);
  }
  if (t.company.sessions !== null && t.company.metrics.length === 0) {
    throw new Error(`${where}: a company session count needs a company metric (its counts)`);
  }
  const company = new Set(t.company.metrics.map((c) => c.metric));
  for (const c of t.charts) {
    if (!t.metrics.some((m) => m.key === c.metric)) {
      throw new Error(`${where}: chart of unknown metric ${c.metric}`);
    }
    if (c.company && !company.has(c.metric)) {
      throw new Error(`${where}: company chart of ${c.metric}, not a company metric`);
    }
    if (c.chart === "bar" && t.metrics.find((m) => m.key === c.metric)?.levels === undefined) {
      throw new Error(`${where}: a bar chart counts the levels of a levels metric`);
    }
  }
}

/** Lowest and highest stress score a water_v1 client may report. */
export const STRESS_RANGE = [0, 100] as const;

/** The earth task: three sequences, up to three attempts each (core/metrics.ts). */
export const EARTH: TaskDefinition = {
  name: "earth",
  label: "Earth task",
  versions: ["earth_v1"],
  body: [],
  summarize: ({ attempts }) => ({ ...computeSessionMetrics(attempts) }),
  metrics: [
    {
      key: "fta_level",
      label: "First-try accuracy",
      definition: "Share of the session's three sequences solved on the first attempt (0–1).",
      unit: "share",
      kind: "number",
      range: [0, 1],
      higherIsBetter: true,
      aggregation: "mean",
      apiDescription: "Earth metric; null for water_v1",
    },
    {
      key: "fta_strict",
      label: "All first try",
      definition: "Whether all three sequences were solved on the first attempt.",
      unit: "yes/no",
      kind: "boolean",
      range: [0, 1],
      higherIsBetter: true,
      aggregation: "share",
      apiDescription: "Earth metric; null for water_v1",
    },
    {
      key: "repetition_burden",
      label: "Repetition burden",
      definition: "Mean attempts per sequence up to its first correct one, 3 for an unsolved one " +
        "(1–3).",
      unit: "attempts",
      kind: "number",
      range: [1, 3],
      higherIsBetter: false,
      aggregation: "mean",
      apiDescription: "Earth metric; null for water_v1",
    },
    {
      key: "earth_score_bucket",
      label: "Earth score",
      definition: "10 when all three sequences were solved on the first attempt, 5 when all " +
        "were solved, else 0.",
      unit: "points",
      kind: "number",
      range: [0, 10],
      levels: [0, 5, 10],
      levelLabels: ["0 (unsolved)", "5 (solved)", "10 (all first try)"],
      decimals: 1,
      higherIsBetter: true,
      aggregation: "mean",
      apiDescription: "Earth metric; null for water_v1",
    },
  ],
  model: {
    name: "earth",
    features: ["fta_level", "repetition_burden"],
    target: "fta_level",
    range: [0, 1],
    coefficientNames: ["coef_fta", "coef_burden"],
  },
  company: {
    sessions: null,
    metrics: [
      {
        metric: "fta_level",
        field: "avg_brain_performance_score",
        summary: "Mean fta_level over earth sessions; null below MIN_COMPANY_N earth players",
        timeseries: "Over the bucket's earth sessions; null when suppressed for privacy or none",
      },
      {
        metric: "repetition_burden",
        field: "avg_repetition_burden",
        summary: "Over earth sessions; null below MIN_COMPANY_N earth players",
        timeseries: "Over the bucket's earth sessions; null when suppressed for privacy or none",
      },
      {
        metric: "earth_score_bucket",
        field: "avg_earth_score_bucket",
        summary: "Over earth sessions; null below MIN_COMPANY_N earth players",
        timeseries: null,
      },
    ],
    forecast: {
      field: "predicted_next_brain_performance",
      description: "Mean over the company's players with a trained earth model of their " +
        "predicted next fta_level; null below MIN_COMPANY_N models",
      models: "Players with a trained earth model",
    },
  },
  charts: [
    {
      metric: "fta_level",
      chart: "line",
      axis: { min: 0, max: 1, percent: true },
      company: true,
      color: "blue",
    },
    {
      metric: "repetition_burden",
      chart: "line",
      axis: { min: 1, max: 3, percent: false },
      company: true,
      color: "orange",
      note: "1 = best, 3 = worst",
    },
    {
      metric: "earth_score_bucket",
      chart: "bar",
      axis: { min: 0, max: 10, percent: false },
      company: false,
      color: "green",
    },
  ],
};

/** The water task: the client reports a stress score in the finalize body. */
export const WATER: TaskDefinition = {
  name: "water",
  label: "Water task",
  versions: ["water_v1"],
  body: [{
    name: "stress_score",
    range: STRESS_RANGE,
    description: "The player's stress score (0–100) a water_v1 client reports; stored for " +
      "water_v1 sessions only (ignored, stored null, for every other task).",
    example: 75,
  }],
  summarize: ({ body }) => {
    const stress = body.stress_score;
    if (stress === undefined || stress === null) {
      throw badRequest("water_v1 sessions require stress_score in request body");
    }
    if (
      typeof stress !== "number" || !Number.isFinite(stress) ||
      stress < STRESS_RANGE[0] || stress > STRESS_RANGE[1]
    ) {
      throw new CoreInputError("stress_score must be a number from 0 to 100");
    }
    return { stress_score: stress };
  },
  metrics: [{
    key: "stress_score",
    label: "Stress score",
    definition: "The stress the player reported for the session, from 0 (none) to 100.",
    unit: "points",
    kind: "number",
    range: STRESS_RANGE,
    decimals: 1,
    higherIsBetter: false,
    aggregation: "mean",
    apiDescription: "Water metric (0–100); null for every other task",
  }],
  model: {
    name: "water",
    features: ["stress_score"],
    target: "stress_score",
    range: [0, 100],
    coefficientNames: ["coef_stress"],
  },
  company: {
    sessions: { field: "n_water_sessions", summary: "Finalized water_v1 sessions" },
    metrics: [{
      metric: "stress_score",
      field: "avg_stress_score",
      summary: "Mean stress_score over water sessions; null below MIN_COMPANY_N water players",
      timeseries: "Over the bucket's water sessions; null when suppressed for privacy or none",
    }],
    forecast: {
      field: "predicted_next_stress_score",
      description: "Mean over the company's players with a trained water model of their " +
        "predicted next stress_score; null below MIN_COMPANY_N models",
      models: "Players with a trained water model",
    },
  },
  charts: [{
    metric: "stress_score",
    chart: "line",
    axis: { min: 0, max: 100, percent: false },
    company: true,
    color: "violet",
    note: "0 = calm, 100 = most stressed",
  }],
};

/** The service's tasks: earth (the default) and water. */
export const REGISTRY: TaskRegistry = createRegistry([EARTH, WATER]);

/** Every task of the service's registry, the default (earth) first. */
export const TASKS: readonly TaskDefinition[] = REGISTRY.tasks;

/** The task of any task_version no task declares. */
export const DEFAULT_TASK: TaskDefinition = REGISTRY.defaultTask;

/** The model names the API accepts, in registry order. */
export const MODEL_NAMES: readonly string[] = REGISTRY.modelNames;

/** Returns the task a task_version selects in the service's registry. */
export function taskFor(taskVersion: string): TaskDefinition {
  return REGISTRY.taskFor(taskVersion);
}

/** Returns the task whose model has this name in the service's registry, or null. */
export function taskByModel(modelName: string): TaskDefinition | null {
  return REGISTRY.taskByModel(modelName);
}

/** The metrics of one session, as stored (a task's own keys only) or as models read them. */
export type MetricValues = Readonly<Record<string, MetricValue | null | undefined>>;

/** Returns the model's feature values of a session, or null when the session lacks one. */
export function featuresOf(model: TaskModel, s: MetricValues): number[] | null {
  const values = model.features.map((f) => s[f]);
  return values.every((v): v is number => typeof v === "number") ? values : null;
}

/** Returns the learner points of a player's sessions (play order), skipping other tasks' ones. */
export function modelPoints(model: TaskModel, sessions: readonly MetricValues[]): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const s of sessions) {
    const features = featuresOf(model, s);
    const target = s[model.target];
    if (features !== null && typeof target === "number") points.push({ features, target });
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

/** Returns the session's metrics after checking they are exactly the task's, in range. */
export function checkedMetrics(
  task: TaskDefinition,
  values: Readonly<Record<string, MetricValue>>,
): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  for (const m of task.metrics) {
    const v = values[m.key];
    const ok = m.kind === "boolean"
      ? typeof v === "boolean"
      : typeof v === "number" && Number.isFinite(v) && v >= m.range[0] && v <= m.range[1] &&
        (m.levels === undefined || m.levels.includes(v));
    if (!ok) throw new Error(`task ${task.name} computed an invalid ${m.key}: ${v}`);
    out[m.key] = v;
  }
  if (Object.keys(values).length !== task.metrics.length) {
    throw new Error(`task ${task.name} computed metrics it does not declare`);
  }
  return out;
}

/** Returns every metric of the registry in registry order: the session's value, else null. */
export function flatMetrics(
  registry: TaskRegistry,
  metrics: Readonly<Record<string, MetricValue>>,
): Record<string, MetricValue | null> {
  const out: Record<string, MetricValue | null> = {};
  for (const m of registry.metrics) out[m.key] = metrics[m.key] ?? null;
  return out;
}

/**
 * Returns the task of a flat summary (one field per registry metric, null where absent: the
 * legacy system's and the API's shape) and its metrics: the first task all of whose metrics are
 * set; null when none is.
 */
export function taskOfFlat(
  registry: TaskRegistry,
  flat: Readonly<Record<string, MetricValue | null | undefined>>,
): { task: TaskDefinition; metrics: Record<string, MetricValue> } | null {
  for (const task of registry.tasks) {
    const metrics: Record<string, MetricValue> = {};
    for (const m of task.metrics) {
      const v = flat[m.key];
      if (v === null || v === undefined) break;
      metrics[m.key] = v;
    }
    if (Object.keys(metrics).length === task.metrics.length) return { task, metrics };
  }
  return null;
}
