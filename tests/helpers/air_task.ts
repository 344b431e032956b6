/**
 * The third task, for tests only: air_v1, a reaction time in milliseconds (lower is better),
 * with its own model. This definition is all the code the task has (docs/tasks.md): storage,
 * the contract, company numbers, the pages and the glossary follow from it.
 */
import { createRegistry, EARTH, type TaskDefinition, WATER } from "../../core/tasks.ts";

/** Slowest reaction time the task records (the longest attempt an event may report). */
const MAX_MS = 86_400_000;

export const AIR: TaskDefinition = {
  name: "air",
  label: "Air task",
  versions: ["air_v1"],
  body: [],
  summarize: ({ attempts }) => ({
    reaction_time_ms: attempts.reduce((sum, a) => sum + a.duration_ms, 0) / attempts.length,
  }),
  metrics: [{
    key: "reaction_time_ms",
    label: "Reaction time",
    definition: "Mean time from a sequence's presentation to the player's answer, over the " +
      "session's attempts.",
    unit: "ms",
    kind: "number",
    range: [0, MAX_MS],
    decimals: 0,
    higherIsBetter: false,
    aggregation: "mean",
    apiDescription: "Air metric (milliseconds); null for every other task",
  }],
  model: {
    name: "air",
    features: ["reaction_time_ms"],
    target: "reaction_time_ms",
    range: [0, MAX_MS],
    coefficientNames: ["coef_reaction"],
  },
  company: {
    sessions: { field: "n_air_sessions", summary: "Finalized air_v1 sessions" },
    metrics: [{
      metric: "reaction_time_ms",
      field: "avg_reaction_time_ms",
      summary: "Mean reaction_time_ms over air sessions; null below MIN_COMPANY_N air players",
      timeseries: "Over the bucket's air sessions; null when suppressed for privacy or none",
    }],
    forecast: {
      field: "predicted_next_reaction_time_ms",
      description: "Mean over the company's players with a trained air model of their " +
        "predicted next reaction_time_ms; null below MIN_COMPANY_N models",
      models: "Players with a trained air model",
    },
  },
  charts: [{
    metric: "reaction_time_ms",
    chart: "line",
    axis: { min: 0, max: 3000, percent: false },
    company: true,
    color: "grey",
  }],
};

/** The service's tasks and air, earth still the default. */
export const AIR_REGISTRY = createRegistry([EARTH, WATER, AIR]);
