/**
 * Contract of voice recordings: the two multipart upload endpoints (their metadata part), the
 * upload answer, the session manifest, the participant index and the admin reads.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errors, errorWith, IdSchema, security, text } from "./common.ts";
import {
  legacyAudioUpload,
  participantIndex,
  recordingManifest,
  recordingMetadata,
  sessionAudioUpload,
} from "./examples.ts";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuid = (description: string) =>
  z.string().regex(UUID, "Must be a UUID").openapi({ description, format: "uuid" });

/** The `metadata` part (a JSON string) of both upload endpoints. */
export const RecordingMetadataSchema = z.object({
  session_id: uuid("The conversation session"),
  device_id: text(1, 128).openapi({ example: "companion-7f3a" }),
  turn_number: z.number().int().min(0).max(10_000),
  role: z.enum(["user", "assistant"]).default("user").openapi({
    description: "Who speaks: the family member (`user`, the default) or the assistant",
  }),
  recorded_at: z.iso.datetime({ offset: true }).openapi({
    description: "ISO-8601 with an offset (`Z` or `±hh:mm`); its UTC date names the folder",
    example: "2026-12-02T09:15:00+01:00",
  }),
  duration_ms: z.number().int().min(0).max(2_147_483_647),
  recording_id: uuid("Names the object of the older endpoint (generated when absent)")
    .nullish(),
  participant_id: IdSchema.nullish().openapi({
    description: "The family member: erasure and export of this id reach the recording",
  }),
  activity_id: text(1, 100).nullish(),
  transcript: text(0, 100_000).nullish().openapi({
    description: "Personal data: stored, exported, never logged",
  }),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "Must be 64 hex characters").nullish().openapi({
    description: "SHA-256 of the file's bytes; when given, a mismatch is refused (422)",
  }),
  codec: z.enum(["flac", "opus"]).default("flac").openapi({
    description: "Older endpoint only: `flac` (default) or `opus` (Ogg); session_audio is FLAC",
  }),
}).openapi("RecordingMetadata", { example: recordingMetadata });

export type RecordingMetadata = z.infer<typeof RecordingMetadataSchema>;

export const UploadAnswerSchema = z.object({
  success: z.literal(true),
  url: z.string().openapi({
    description: "Admin path that streams the stored object (needs an admin credential)",
    example: "/admin/recordings/0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b/audio",
  }),
  manifest_url: z.string().optional().openapi({
    description: "session_audio only: admin path of the session's manifest",
    example: "/admin/sessions/5f0e8d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f/recordings",
  }),
  recording_id: z.string(),
  object_key: z.string().openapi({
    description: "The key of the stored object",
    example:
      "recordings/companion-7f3a/2026/12/02/5f0e8d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f/03_user.flac",
  }),
  duplicate: z.boolean().openapi({
    description: "True when this exact content was already stored for the turn (nothing new)",
  }),
  duration_warning: z.string().nullable().openapi({
    description: "Set when duration_ms is more than 1 s away from the FLAC file's own duration",
  }),
}).openapi("RecordingUpload", { example: sessionAudioUpload });

export type UploadAnswer = z.infer<typeof UploadAnswerSchema>;

const SideSchema = z.object({
  audio_filepath: z.string().openapi({ description: "The object key" }),
  duration_ms: z.number().int(),
  text: z.string().optional().openapi({ description: "The transcript, when one was given" }),
  recording_id: z.string(),
  audio_url: z.string().openapi({ description: "Admin path that streams it" }),
}).openapi("ManifestSide");

export const ManifestSchema = z.object({
  session_id: z.string(),
  device_id: z.string(),
  participant_id: z.string().nullable(),
  started_at: z.string().openapi({ description: "Earliest recorded_at of its turns" }),
  turn_count: z.number().int(),
  total_duration_ms: z.number().int(),
  turns: z.array(z.object({
    turn: z.number().int(),
    activity_id: z.string().optional(),
    user: SideSchema.optional(),
    assistant: SideSchema.optional(),
  })).openapi({ description: "By turn number" }),
}).openapi("RecordingManifest", { example: recordingManifest });

export const ParticipantIndexSchema = z.object({
  participant_id: z.string(),
  session_count: z.number().int(),
  total_duration_ms: z.number().int(),
  sessions: z.array(z.object({
    session_id: z.string(),
    device_id: z.string(),
    started_at: z.string(),
    manifest_path: z.string(),
    turn_count: z.number().int(),
    total_duration_ms: z.number().int(),
  })).openapi({ description: "By started_at" }),
}).openapi("ParticipantRecordingIndex", { example: participantIndex });

export type ParticipantIndex = z.infer<typeof ParticipantIndexSchema>;

const UPLOAD_ERRORS = {
  400: errorWith(400, "metadata.role: must be user or assistant"),
  401: errorWith(401, "Invalid service token"),
  409: errorWith(409, "Different content is already stored for this turn"),
  413: errorWith(413, "Audio upload too large (limit 52428800 bytes)"),
  415: errorWith(415, "The file does not start with the FLAC signature (fLaC)"),
  422: {
    description: "The file's SHA-256 differs from metadata.sha256 (nothing was kept)",
    content: {
      "application/json": {
        schema: errors[401].content["application/json"].schema,
        example: { detail: "sha256 does not match the received file (nothing was kept)" },
      },
    },
  },
  429: errors[429],
  503: errorWith(503, "Object storage unavailable"),
};

const uploadBody = {
  required: true,
  content: {
    "multipart/form-data": {
      schema: z.object({
        file: z.string().openapi({ format: "binary", description: "The audio file" }),
        metadata: z.string().openapi({
          description: "RecordingMetadata as a JSON string",
        }),
      }),
    },
  },
};

const uploadDescription = (key: string) =>
  `Streams \`file\` to object storage under \`${key}\` (never held whole in memory), then records ` +
  "it. Retries are safe: the same content for the same (session_id, turn_number, role) answers " +
  "200 with the same URLs and stores nothing new; different content is 409. The content must " +
  "start with the codec's signature (415); a given sha256 must match (422); the whole body is " +
  "limited to AUDIO_MAX_BYTES (413). Nothing is stored when the answer is not 200.";

export const sessionAudioRoute = createRoute({
  method: "post",
  path: "/internal/ingest/session_audio",
  operationId: "uploadSessionAudio",
  tags: ["recordings"],
  summary: "Upload one conversational turn (FLAC)",
  description: uploadDescription(
    "recordings/{device_id}/{yyyy}/{mm}/{dd}/{session_id}/{turn:02d}_{role}.flac",
  ),
  security: security.ingest,
  request: { body: uploadBody },
  responses: {
    200: {
      description: "Stored (or already stored with this content)",
      content: { "application/json": { schema: UploadAnswerSchema } },
    },
    ...UPLOAD_ERRORS,
  },
});

export const legacyAudioRoute = createRoute({
  method: "post",
  path: "/internal/ingest/audio",
  operationId: "uploadAudio",
  tags: ["recordings"],
  summary: "Upload a recording (older endpoint: FLAC or Opus)",
  description: uploadDescription("recordings/{device_id}/{yyyy}/{mm}/{dd}/{recording_id}.{ext}") +
    " `metadata.codec` is `flac` (default, `.flac`) or `opus` (Ogg, `.ogg`). The answer has no " +
    "manifest_url.",
  security: security.ingest,
  request: { body: uploadBody },
  responses: {
    200: {
      description: "Stored (or already stored with this content)",
      content: { "application/json": { schema: UploadAnswerSchema, example: legacyAudioUpload } },
    },
    ...UPLOAD_ERRORS,
  },
});

const ADMIN_ERRORS = {
  401: errorWith(401, "Missing X-ADMIN-KEY header"),
  403: errorWith(403, "Invalid admin key"),
  404: errorWith(404, "No recordings for this session"),
  422: errors[422],
  429: errors[429],
  503: errors[503],
};

export const sessionManifestRoute = createRoute({
  method: "get",
  path: "/admin/sessions/{session_id}/recordings",
  operationId: "sessionManifest",
  tags: ["recordings"],
  summary: "A session's manifest, derived from the database",
  description: "Every turn of the session with the user's and the assistant's recordings " +
    "(object key, duration, transcript, admin audio path), computed from the database on each " +
    "read: it always holds every committed upload. 404 when the session has no recordings.",
  security: security.admin,
  request: {
    params: z.object({
      session_id: uuid("The session").openapi({
        param: { name: "session_id", in: "path" },
        example: recordingManifest.session_id,
      }),
    }),
  },
  responses: {
    200: {
      description: "The manifest",
      content: { "application/json": { schema: ManifestSchema } },
    },
    ...ADMIN_ERRORS,
  },
});

export const recordingAudioRoute = createRoute({
  method: "get",
  path: "/admin/recordings/{recording_id}/audio",
  operationId: "recordingAudio",
  tags: ["recordings"],
  summary: "Stream a recording's audio",
  description: "The stored file with its content type (`audio/flac` or `audio/ogg`), " +
    "`Accept-Ranges: bytes` and `Cache-Control: no-store`. One `Range: bytes=…` range answers " +
    "206 with Content-Range; an unsatisfiable one 416.",
  security: security.admin,
  request: {
    params: z.object({
      recording_id: uuid("The recording").openapi({
        param: { name: "recording_id", in: "path" },
        example: sessionAudioUpload.recording_id,
      }),
    }),
  },
  responses: {
    200: {
      description: "The whole file",
      content: {
        "audio/flac": { schema: z.string().openapi({ format: "binary" }) },
        "audio/ogg": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    206: {
      description: "The requested range, with Content-Range",
      content: { "audio/flac": { schema: z.string().openapi({ format: "binary" }) } },
    },
    416: {
      description: "The range starts past the end (Content-Range: bytes */size)",
      content: {
        "application/json": {
          schema: errors[401].content["application/json"].schema,
          example: { detail: "Range not satisfiable" },
        },
      },
    },
    ...ADMIN_ERRORS,
  },
});

export const participantIndexRoute = createRoute({
  method: "get",
  path: "/admin/participants/{participant_id}/recordings",
  operationId: "participantRecordings",
  tags: ["recordings"],
  summary: "A participant's recording index, derived from the database",
  description: "Every session with recordings of the participant; an unknown id answers zeros.",
  security: security.admin,
  request: {
    params: z.object({
      participant_id: IdSchema.openapi({
        param: { name: "participant_id", in: "path" },
        example: participantIndex.participant_id,
      }),
    }),
  },
  responses: {
    200: {
      description: "The index",
      content: { "application/json": { schema: ParticipantIndexSchema } },
    },
    ...ADMIN_ERRORS,
  },
});
