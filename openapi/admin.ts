/** Contract of the data-subject rights endpoints: erase and export everything held on a player. */
import { createRoute, z } from "@hono/zod-openapi";
import { errors, errorWith, IdSchema, security } from "./common.ts";
import { erasure, exportedRecording, playerExport } from "./examples.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { type SessionSummary, taskSchemas } from "./tasks.ts";

export const ErasureSchema = z.object({
  player_id: z.string(),
  deleted: z.object({
    raw_events: z.number().int().openapi({ description: "Attempt events" }),
    sessions: z.number().int().openapi({
      description: "Play sessions, open or finalized (their summaries with them)",
    }),
    models: z.number().int().openapi({ description: "Model states, of every task" }),
    engagement_sessions: z.number().int().openapi({
      description: "Engagement sessions of the same user id (device and game)",
    }),
    recordings: z.number().int().openapi({
      description: "Voice recordings whose participant_id is the id (objects and rows)",
    }),
    device_links: z.number().int().openapi({
      description: "Devices the user's sessions were linked to (the links go with the sessions; " +
        "the devices' own data stays: DELETE /admin/devices/{device_id})",
    }),
  }),
}).openapi("Erasure", { example: erasure });

export type Erasure = z.infer<typeof ErasureSchema>;

export const ExportedEventSchema = z.object({
  player_id: z.string(),
  session_id: z.string(),
  task_version: z.string(),
  sequence_index: z.number().int(),
  sequence_length: z.number().int(),
  attempt_index: z.number().int(),
  presented: z.array(z.union([z.number(), z.string()])),
  input: z.array(z.union([z.number(), z.string()])),
  is_correct: z.boolean(),
  duration_ms: z.number().int(),
  ts_utc: z.string(),
  remediation_stage: z.enum(["none", "volts", "space"]),
  volts_count: z.number().int().nullable(),
  company_id: z.string().nullable().openapi({
    description: "As stored: a posted company_name is kept only as this salted hash",
  }),
  received_at: z.string().openapi({ description: "When the service stored it" }),
}).openapi("ExportedEvent");

/** Returns the exported session schema over a registry's session summary. */
function exportedSessionSchema(registry: TaskRegistry) {
  return z.object({
    session_id: z.string(),
    first_seen_at: z.string().openapi({ description: "When its first event arrived" }),
    finalized_at: z.string().nullable(),
    summary: taskSchemas(registry).SessionSummarySchema.nullable().openapi({
      description: "Null while open",
    }),
  }).openapi("ExportedSession");
}

/** Returns the exported model schema naming a registry's models. */
function exportedModelSchema(registry: TaskRegistry) {
  return z.object({
    player_id: z.string(),
    model_name: z.string().openapi({
      description: `The task the model learns (${registry.modelNames.join(", ")})`,
    }),
    trained_ts_utc: z.string(),
    n_samples: z.number().int(),
    coefficients: z.array(z.number()).nullable(),
    intercept: z.number().nullable(),
    mae: z.number().nullable(),
    status: z.string(),
  }).openapi("ExportedModel");
}

export const ExportedSessionSchema = exportedSessionSchema(REGISTRY);
export const ExportedModelSchema = exportedModelSchema(REGISTRY);

export const ExportedEngagementSessionSchema = z.object({
  source: z.enum(["device", "earth_task"]),
  session_id: z.string(),
  started_at: z.string(),
  duration_seconds: z.number().int(),
  sentiment_hundredths: z.number().int().nullable().openapi({
    description: "Sentiment as stored, in hundredths (0.68 = 68); null for game sessions",
  }),
  device_id: z.string().nullable().openapi({ description: "The device that sent it" }),
  status: z.enum(["success", "unattended", "early_exit", "error_exit"]).nullable(),
  created_at: z.string(),
}).openapi("ExportedEngagementSession");

export const ExportedRecordingSchema = z.object({
  recording_id: z.string(),
  session_id: z.string(),
  turn_number: z.number().int(),
  role: z.enum(["user", "assistant"]),
  device_id: z.string(),
  activity_id: z.string().nullable(),
  recorded_at: z.string(),
  duration_ms: z.number().int(),
  codec: z.enum(["flac", "opus"]),
  size_bytes: z.number().int(),
  sha256: z.string(),
  object_key: z.string(),
  transcript: z.string().nullable(),
  download_path: z.string().openapi({
    description: "Admin path that streams the audio (X-ADMIN-KEY)",
  }),
}).openapi("ExportedRecording", { example: exportedRecording });

export const ExportedDeviceLinkSchema = z.object({
  device_id: z.string(),
  session_count: z.number().int(),
  first_session_at: z.string(),
  last_session_at: z.string(),
}).openapi("ExportedDeviceLink");

/** Returns the export schema of a registry. */
function playerExportSchema(registry: TaskRegistry) {
  return z.object({
    player_id: z.string(),
    exported_at: z.string(),
    sessions: z.array(exportedSessionSchema(registry)).openapi({ description: "By session_id" }),
    events: z.array(ExportedEventSchema).openapi({
      description: "By session_id, sequence_index, attempt_index",
    }),
    models: z.array(exportedModelSchema(registry)),
    engagement_sessions: z.array(ExportedEngagementSessionSchema).openapi({
      description: "By started_at",
    }),
    recordings: z.array(ExportedRecordingSchema).openapi({
      description: "Voice recordings with their transcripts, by recording_id",
    }),
    device_links: z.array(ExportedDeviceLinkSchema).openapi({
      description: "The devices the user's sessions came from, the most recent first",
    }),
  }).openapi("PlayerExport", { example: playerExport });
}

export type ExportedEvent = z.infer<typeof ExportedEventSchema>;
export type ExportedSession = Omit<z.infer<typeof ExportedSessionSchema>, "summary"> & {
  summary: SessionSummary | null;
};
export type ExportedModel = z.infer<typeof ExportedModelSchema>;
export type ExportedRecording = z.infer<typeof ExportedRecordingSchema>;
export type ExportedEngagementSession = z.infer<typeof ExportedEngagementSessionSchema>;
export type ExportedDeviceLink = z.infer<typeof ExportedDeviceLinkSchema>;

const playerIdParam = (example: string) =>
  z.object({
    player_id: IdSchema.openapi({ param: { name: "player_id", in: "path" }, example }),
  });

const ADMIN_ERRORS = {
  401: errorWith(401, "Missing X-ADMIN-KEY header"),
  403: errorWith(403, "Invalid admin key"),
  422: errors[422],
  429: errors[429],
  503: errors[503],
};

export const erasePlayerRoute = createRoute({
  method: "delete",
  path: "/admin/players/{player_id}",
  operationId: "erasePlayer",
  tags: ["admin"],
  summary: "Erase everything held on a participant",
  description: "Deletes, in one transaction, the participant's attempt events, play sessions " +
    "and their summaries, models of every task, and the engagement sessions of the same user " +
    "id (with their device links); company aggregates are recomputed in the same transaction. " +
    "Then every voice recording whose participant_id is the id: objects first, then rows " +
    "(maintenance finishes an interrupted one). Events acknowledged before " +
    "the erasure committed never survive it; later ones start the id afresh. Idempotent: an " +
    "unknown (or already erased) id answers zeros. The request log carries a keyed hash of " +
    "the id, never the id. 401 without X-ADMIN-KEY, 403 for a wrong key or an empty ADMIN_KEY.",
  security: security.admin,
  request: { params: playerIdParam(erasure.player_id) },
  responses: {
    200: {
      description: "What was deleted (zeros when nothing was held)",
      content: { "application/json": { schema: ErasureSchema } },
    },
    ...ADMIN_ERRORS,
  },
});

/** Builds the export route of a registry. */
function buildExportRoute(registry: TaskRegistry) {
  return createRoute({
    method: "get",
    path: "/admin/players/{player_id}/export",
    operationId: "exportPlayer",
    tags: ["admin"],
    summary: "Export everything held on a participant",
    description: "One JSON document, streamed in chunks (`Content-Disposition: attachment`): " +
      "play sessions with their summaries, attempt events as stored, models, and engagement " +
      "sessions of the same user id with the devices they came from, and voice recordings with " +
      "transcripts and admin download paths. Empty lists for an unknown id. Read page by page, not in " +
      "one snapshot: writes during the export may or may not appear. 401 without X-ADMIN-KEY, " +
      "403 for a wrong key or an empty ADMIN_KEY.",
    security: security.admin,
    request: { params: playerIdParam(playerExport.player_id) },
    responses: {
      200: {
        description: "The export (an attachment)",
        headers: {
          "Content-Disposition": {
            description: 'attachment; filename="player-export.json"',
            schema: { type: "string" },
          },
        },
        content: { "application/json": { schema: playerExportSchema(registry) } },
      },
      ...ADMIN_ERRORS,
    },
  });
}

const built = new WeakMap<TaskRegistry, ReturnType<typeof buildExportRoute>>();

/** Returns the export route of a registry (the same object on every call). */
export function exportPlayerRoute(registry: TaskRegistry): ReturnType<typeof buildExportRoute> {
  let route = built.get(registry);
  if (route === undefined) built.set(registry, route = buildExportRoute(registry));
  return route;
}
