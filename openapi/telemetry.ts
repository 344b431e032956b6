/** Contract of play telemetry: attempt events, batches, finalize, player reads. */
import { createRoute, z } from "@hono/zod-openapi";
import { COMPANY_ID_PATTERN } from "../core/company.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { parseTimestamp } from "../core/time.ts";
import { CompanyNameSchema, errors, errorWith, IdSchema, security, text } from "./common.ts";
import { playerSessions, sampleEvent, sampleSession } from "./examples.ts";
import { orList, taskSchemas } from "./tasks.ts";

export type { FinalizeBody, ModelState, SessionSummary } from "./tasks.ts";

export const MAX_BATCH = 500;

const Id = IdSchema;
const Item = z.union([z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1), text(0, 256)]);

export const AttemptEventSchema = z.object({
  player_id: Id.openapi({ example: sampleEvent.player_id }),
  session_id: Id.openapi({ example: sampleEvent.session_id }),
  task_version: text(1, 64).default("earth_v1"),
  sequence_index: z.number().int().min(1).max(1_000_000),
  sequence_length: z.number().int().min(1).max(1_000_000),
  attempt_index: z.number().int().min(1).max(3),
  presented: z.array(Item).max(64),
  input: z.array(Item).max(64),
  is_correct: z.boolean(),
  duration_ms: z.number().int().min(0).max(86_400_000),
  ts_utc: z.string().max(64).refine((v) => parseTimestamp(v) !== null, {
    message: "Invalid ISO-8601 timestamp (no offset means UTC)",
  }).openapi({
    description:
      "When the attempt was made. Accepted from 2000-01-01T00:00:00Z to 5 minutes past " +
      "the server's clock; outside that window 422 names the field and the window. The server " +
      "also records its own receive time.",
    example: "2024-01-15T14:30:00Z",
  }),
  remediation_stage: z.enum(["none", "volts", "space"]),
  volts_count: z.number().int().min(0).max(1_000_000).nullable().default(null),
  company_name: CompanyNameSchema.optional().openapi({
    description: "Hashed into company_id with COMPANY_SALT; never stored.",
    example: "Acme Corp",
  }),
  company_id: z.string().regex(COMPANY_ID_PATTERN).optional().openapi({
    description: "A precomputed company id (wins over company_name).",
    example: "c_a7e357256323",
  }),
}).openapi("AttemptSubmitted", { example: sampleEvent });

export type AttemptEvent = z.infer<typeof AttemptEventSchema>;
/** What a client sends (defaults not yet applied). */
export type AttemptEventInput = z.input<typeof AttemptEventSchema>;

export const StoredSchema = z.object({ stored: z.literal(true) }).openapi("Stored", {
  example: { stored: true },
});

export const BatchSchema = z.object({
  events: z.array(AttemptEventSchema).min(1).max(MAX_BATCH),
}).openapi("EventBatch", { example: { events: sampleSession } });

export const BatchResultSchema = z.object({
  stored: z.number().int().openapi({ description: "Events newly stored" }),
  duplicates: z.number().int().openapi({ description: "Identical resends, stored before" }),
}).openapi("BatchResult", { example: { stored: 6, duplicates: 0 } });

/** The service registry's finalize body, session summary and model state schemas. */
export const { FinalizeBodySchema, SessionSummarySchema, ModelNameSchema, ModelStateSchema } =
  taskSchemas(REGISTRY);

const SessionIdParam = z.object({
  session_id: Id.openapi({
    param: { name: "session_id", in: "path" },
    example: "sess-001-2024-01-15",
  }),
});
const PlayerIdParam = z.object({
  player_id: Id.openapi({
    param: { name: "player_id", in: "path" },
    example: sampleEvent.player_id,
  }),
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const postEventRoute = createRoute({
  method: "post",
  path: "/events",
  operationId: "postEvent",
  tags: ["telemetry"],
  summary: "Submit one attempt",
  description: "Stores one AttemptSubmitted event. Resending the same attempt (same session, " +
    'sequence and attempt index, same content) answers `{"stored": true}` and stores nothing ' +
    "new; the same attempt with different content, an event for a finalized session, or a " +
    "player_id differing from the session's earlier events is 409. Open in development; " +
    "`Bearer <INGEST_SERVICE_TOKEN>` in production.",
  security: [...security.ingest, {}],
  request: {
    body: { required: true, content: { "application/json": { schema: AttemptEventSchema } } },
  },
  responses: {
    200: json(StoredSchema, "Stored (or an identical resend)"),
    400: errors[400],
    401: errorWith(401, "Invalid service token"),
    409: errorWith(
      409,
      "Attempt already stored with different content " +
        "(same session_id, sequence_index and attempt_index)",
    ),
    413: errors[413],
    415: errors[415],
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

export const postBatchRoute = createRoute({
  method: "post",
  path: "/events/batch",
  operationId: "postEvents",
  tags: ["telemetry"],
  summary: "Submit up to 500 attempts at once",
  description: "All-or-nothing: one transaction; one invalid event rejects the batch with 422 " +
    'naming its index (`loc: ["body", "events", i, field]`), one conflicting event with 409 ' +
    "naming its index. Identical resends count as duplicates.",
  security: [...security.ingest, {}],
  request: {
    body: { required: true, content: { "application/json": { schema: BatchSchema } } },
  },
  responses: {
    200: json(BatchResultSchema, "Stored"),
    400: errors[400],
    401: errorWith(401, "Invalid service token"),
    409: errorWith(409, "events[3]: Session is already finalized"),
    413: errors[413],
    415: errors[415],
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

/** Builds the task-dependent routes of a registry. */
function buildRoutes(registry: TaskRegistry) {
  const { FinalizeBodySchema, SessionSummarySchema, ModelNameSchema, ModelStateSchema } =
    taskSchemas(registry);
  const models = registry.modelNames;
  const finalize = createRoute({
    method: "post",
    path: "/sessions/{session_id}/finalize",
    operationId: "finalizeSession",
    tags: ["telemetry"],
    summary: "Finalize a session",
    description: "Computes the session metrics of its task, stores the summary, registers the " +
      "company, retrains the player's model of that task and records the session for the " +
      "engagement rollup. The task is the body's task_version when given, else the events' one: " +
      "water_v1 stores the body's stress_score (required: 400 without it) and no earth metrics; " +
      "earth_v1 and any version no task declares compute the earth metrics (stress_score ignored). " +
      "400 also for events with mixed company_ids. Idempotent: finalizing again returns the same " +
      "summary (same id) and ignores the body.",
    security: [...security.ingest, {}],
    request: {
      params: SessionIdParam,
      body: {
        required: false,
        description: "Optional. No body, or `{}`, finalizes with the events' task_version.",
        content: {
          "application/json": { schema: FinalizeBodySchema, example: { task_version: "earth_v1" } },
        },
      },
    },
    responses: {
      200: json(SessionSummarySchema, "The session summary"),
      400: errorWith(400, "water_v1 sessions require stress_score in request body"),
      401: errorWith(401, "Invalid service token"),
      404: errorWith(404, "No events found for session"),
      413: errors[413],
      415: errors[415],
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });

  const playerSessions_ = createRoute({
    method: "get",
    path: "/players/{player_id}/sessions",
    operationId: "playerSessions",
    tags: ["telemetry"],
    summary: "A player's session summaries",
    description: "In finalize order. Open in development; in production a dashboard token " +
      "mapped to this player (or `*`).",
    security: [...security.dashboardBearer, {}],
    request: { params: PlayerIdParam },
    responses: {
      200: {
        description: "Summaries (empty for an unknown player)",
        content: {
          "application/json": { schema: z.array(SessionSummarySchema), example: playerSessions },
        },
      },
      401: errorWith(401, "Invalid dashboard token"),
      403: errorWith(403, "Token not permitted for this user"),
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });

  const modelState = createRoute({
    method: "get",
    path: "/model/state/{player_id}",
    operationId: "modelState",
    tags: ["telemetry"],
    summary: "A player's model state",
    description: "The player's linear model of one task (retrained on every finalize of that " +
      "task) and its next-session prediction. 404 `No model state found for player` while the " +
      `player has no finalized session of that task; 422 for a model_name other than ${
        orList(models)
      }.`,
    security: [...security.dashboardBearer, {}],
    request: {
      params: PlayerIdParam,
      query: z.object({
        model_name: ModelNameSchema.default(registry.defaultTask.model.name).openapi({
          param: { name: "model_name", in: "query" },
          description: orList([`${models[0]} (default)`, ...models.slice(1)]),
          example: registry.defaultTask.model.name,
        }),
      }),
    },
    responses: {
      200: json(ModelStateSchema, "Model state"),
      401: errorWith(401, "Invalid dashboard token"),
      403: errorWith(403, "Token not permitted for this user"),
      404: errorWith(404, "No model state found for player"),
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });
  return { finalize, playerSessions: playerSessions_, modelState };
}

/** The task-dependent telemetry routes of one registry (finalize, player reads). */
export type TelemetryRoutes = ReturnType<typeof buildRoutes>;

const built = new WeakMap<TaskRegistry, TelemetryRoutes>();

/** Returns the task-dependent telemetry routes of a registry (the same objects on every call). */
export function telemetryRoutes(registry: TaskRegistry): TelemetryRoutes {
  let routes = built.get(registry);
  if (routes === undefined) built.set(registry, routes = buildRoutes(registry));
  return routes;
}
