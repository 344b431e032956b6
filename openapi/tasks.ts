/**
 * The contract's task-dependent schemas, built from a task registry (core/tasks.ts): the session
 * summary (one field per metric), the finalize body (the tasks' body fields), the model state,
 * and the company summary, timeseries bucket and forecast (each task's company view). Built once
 * per registry; for the service's registry the document is what it was when these were written
 * out by hand (tests/openapi/contract_test.ts keeps openapi/openapi.json byte for byte).
 */
import { z } from "@hono/zod-openapi";
import type { MetricDefinition, TaskRegistry } from "../core/tasks.ts";
import { text } from "./common.ts";
import {
  companyForecast,
  companySummary,
  finalizeWater,
  modelState,
  sessionSummary,
} from "./examples.ts";

/** Returns "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** Returns the schema of one metric's summary field: its type, null for other tasks. */
function metricField(m: MetricDefinition) {
  const base = m.kind === "boolean"
    ? z.boolean()
    : m.levels !== undefined && m.levels.length > 1
    ? z.union(m.levels.map((l) => z.literal(l)) as [z.ZodLiteral<number>, z.ZodLiteral<number>])
    : z.number();
  return base.nullable().openapi({ description: m.apiDescription });
}

/** Returns a zod number, described when a description is given. */
function described<T extends z.ZodType>(schema: T, description: string | undefined | null): T {
  return description == null ? schema : schema.openapi({ description }) as T;
}

/** Builds the task-dependent schemas of a registry. */
function build(registry: TaskRegistry) {
  const { tasks } = registry;

  const SessionSummarySchema = z.object({
    id: z.number().int(),
    player_id: z.string(),
    session_id: z.string(),
    task_version: z.string(),
    ...Object.fromEntries(registry.metrics.map((m) => [m.key, metricField(m)])),
    created_ts_utc: z.string().openapi({ description: "Finalize time (ISO-8601, UTC)" }),
    company_id: z.string().nullable(),
    played_at: z.string().openapi({ description: "Earliest ts_utc of the session's attempts" }),
    n_attempts: z.number().int(),
  }).openapi("SessionSummary", { example: sessionSummary });

  const FinalizeBodySchema = z.object({
    task_version: text(1, 64).nullable().optional().openapi({
      description: "The session's task; absent or null: its events' task_version. water_v1 " +
        "needs stress_score; a version no task declares is finalized as earth_v1.",
      example: "water_v1",
    }),
    ...Object.fromEntries(registry.bodyFields.map((f) => [
      f.name,
      z.number().min(f.range[0]).max(f.range[1]).nullable().optional()
        .openapi({ description: f.description, example: f.example }),
    ])),
  }).openapi("FinalizeRequest", { example: finalizeWater });

  const ModelNameSchema = z.enum(registry.modelNames as [string, ...string[]]);

  const ModelStateSchema = z.object({
    player_id: z.string(),
    model_name: ModelNameSchema.openapi({ description: "The task the model learns" }),
    trained_ts_utc: z.string(),
    n_samples: z.number().int().openapi({
      description: "Finalized sessions of the model's task (legacy semantics)",
    }),
    coefficients: z.array(z.number()).nullable().openapi({
      description: "One per feature: " +
        tasks.map((t) => `${t.name} [${t.model.coefficientNames.join(", ")}]`).join(", "),
    }),
    intercept: z.number().nullable(),
    mae: z.number().nullable(),
    status: z.enum(["trained", "insufficient_data"]),
    predicted_next: z.number().nullable().openapi({
      description: "intercept + coefficients · the last session's features, clamped to the " +
        "target's range (" +
        tasks.map((t) => `${t.name} ${t.model.target} [${t.model.range.join(", ")}]`)
          .join(", ") +
        ")",
    }),
    predicted_next_fta: z.number().nullable().openapi({
      description: "Earth: the same as predicted_next (kept for earlier clients); null for water",
    }),
  }).openapi("ModelState", { example: modelState });

  const companyFields = (
    pick: (m: { summary: string | null; timeseries: string | null }) => boolean,
  ) =>
    tasks.flatMap((t) => [
      ...(t.company.sessions === null ? [] : [t.company.sessions.field]),
      ...t.company.metrics.filter(pick).map((m) => m.field),
    ]);
  const intervals = (fields: readonly string[]) =>
    Object.fromEntries(fields.map((f) => [`${f}_interval`, intervalOf(f)]));

  const CompanySummarySchema = z.object({
    company_id: z.string(),
    n_players: z.number().int(),
    n_sessions: z.number().int(),
    ...Object.fromEntries(tasks.flatMap((t) => [
      ...(t.company.sessions === null ? [] : [[
        t.company.sessions.field,
        described(z.number().int(), t.company.sessions.summary),
      ]]),
      ...t.company.metrics.filter((m) => m.summary !== null)
        .map((m) => [m.field, described(z.number().nullable(), m.summary)]),
    ])),
    ...intervals(["n_players", "n_sessions", ...companyFields((m) => m.summary !== null)]),
    privacy: PrivacyModeSchema,
    released_through: z.string().nullable().openapi({
      description: "Protected mode: last day (YYYY-MM-DD) of the newest released week the " +
        "numbers cover; null in exact mode or before the first release",
    }),
  }).openapi("CompanySummary", { example: companySummary });

  const TimeseriesBucketSchema = z.object({
    bucket_start: z.string().openapi({ description: "First UTC day (YYYY-MM-DD)" }),
    bucket_end: z.string().openapi({ description: "Last UTC day, inclusive (YYYY-MM-DD)" }),
    n_sessions: z.number().int().openapi({ description: "Sessions of every task" }),
    ...Object.fromEntries(tasks.flatMap((t) => [
      ...(t.company.sessions === null ? [] : [[
        t.company.sessions.field,
        described(z.number().int(), t.company.sessions.timeseries),
      ]]),
      ...t.company.metrics.filter((m) => m.timeseries !== null)
        .map((m) => [m.field, described(z.number().nullable(), m.timeseries)]),
    ])),
    ...intervals(["n_sessions", ...companyFields((m) => m.timeseries !== null)]),
  }).openapi("TimeseriesBucket");

  const CompanyForecastSchema = z.object(Object.fromEntries(tasks.map((t) => [
    t.name,
    z.object({
      [t.company.forecast.field]: z.number().nullable().openapi({
        description: t.company.forecast.description,
      }),
      n_models: z.number().int().openapi({
        description: `${t.company.forecast.models} (protected mode: the released players of ` +
          "the week the forecast comes from)",
      }),
      [`${t.company.forecast.field}_interval`]: intervalOf(t.company.forecast.field),
    }),
  ]))).openapi("CompanyForecast", { example: companyForecast });

  return {
    SessionSummarySchema,
    FinalizeBodySchema,
    ModelNameSchema,
    ModelStateSchema,
    CompanySummarySchema,
    TimeseriesBucketSchema,
    CompanyForecastSchema,
  };
}

/** A 90 % interval of a released estimate (protected mode). */
export const Interval90Schema = z.object({
  low: z.number(),
  high: z.number(),
}).openapi("Interval90", {
  description: "90 % interval of a released estimate (protected mode): the noise added for " +
    "differential privacy leaves the true value inside it about 90 % of the time",
});

/** Returns the nullable interval field of a number field. */
export const intervalOf = (field: string) =>
  Interval90Schema.nullable().openapi({
    description: `90 % interval of ${field}; null in exact mode or where ${field} is null`,
  });

/** Which way company numbers are answered. */
export const PrivacyModeSchema = z.enum(["protected", "exact"]).openapi({
  description: "protected: numbers released with differential privacy per closed period " +
    "(docs/privacy.md); exact: exact aggregates with k-anonymity (COMPANY_PRIVACY=exact)",
});

/** The task-dependent schemas of one registry. */
export type TaskSchemas = ReturnType<typeof build>;

const built = new WeakMap<TaskRegistry, TaskSchemas>();

/** Returns the task-dependent schemas of a registry (the same objects on every call). */
export function taskSchemas(registry: TaskRegistry): TaskSchemas {
  let schemas = built.get(registry);
  if (schemas === undefined) built.set(registry, schemas = build(registry));
  return schemas;
}

/** The fields every session summary has; one more per registry metric (null but its task's). */
export interface SummaryBase {
  id: number;
  player_id: string;
  session_id: string;
  task_version: string;
  created_ts_utc: string;
  company_id: string | null;
  played_at: string;
  n_attempts: number;
}

/** A session summary: the base fields and every registry metric by key. */
export type SessionSummary = SummaryBase & Record<string, unknown>;

/** The finalize body: the task_version and the tasks' body fields. */
export type FinalizeBody = { task_version?: string | null } & Record<string, unknown>;

/** A player's model state of one task with its prediction. */
export interface ModelState {
  player_id: string;
  model_name: string;
  trained_ts_utc: string;
  n_samples: number;
  coefficients: number[] | null;
  intercept: number | null;
  mae: number | null;
  status: "trained" | "insufficient_data";
  predicted_next: number | null;
  predicted_next_fta: number | null;
}

/** The company summary: counts, and each task's company fields by name. */
export type CompanySummary =
  & { company_id: string; n_players: number; n_sessions: number }
  & Record<
    string,
    unknown
  >;

/** One timeseries bucket: its days, sessions, and each task's company fields by name. */
export type TimeseriesBucket =
  & { bucket_start: string; bucket_end: string; n_sessions: number }
  & Record<string, unknown>;

/** Per task name: the mean next-session prediction (its forecast field), n_models, interval. */
export type CompanyForecast = Record<string, Record<string, number | Interval90 | null>>;

/** A 90 % interval as answered (null in exact mode). */
export type Interval90 = { low: number; high: number } | null;
