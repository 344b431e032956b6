/**
 * Voice recording handlers: the two streamed multipart uploads (ingest token) and the admin
 * reads (manifest, audio, participant index). Uploads bypass the validator (it would buffer the
 * whole form): the routes are registered for the contract and handled as plain POSTs.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { logPseudonym } from "../core/pseudonym.ts";
import { DomainError } from "../core/errors.ts";
import { ObjectStoreError } from "../db/objects.ts";
import {
  legacyAudioRoute,
  participantIndexRoute,
  recordingAudioRoute,
  RecordingMetadataSchema,
  sessionAudioRoute,
  sessionManifestRoute,
} from "../openapi/recordings.ts";
import { ingestRecording, type UploadEndpoint } from "../services/recording_ingest.ts";
import { participantIndex, recordingAudio, sessionManifest } from "../services/recordings.ts";
import { requireIngestToken } from "../http/auth.ts";
import { audioResponse } from "../http/audio.ts";
import { vouchForBody } from "../http/serve.ts";
import type { AppEnv, ComposedDeps } from "../http/context.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";

/** The upload paths: exempt from the 1 MiB body limit (they enforce AUDIO_MAX_BYTES). */
export const UPLOAD_PATHS: readonly string[] = [sessionAudioRoute.path, legacyAudioRoute.path];

const OUTCOMES: Record<string, string> = {
  bad_request: "bad_request",
  unauthorized: "unauthorized",
  forbidden: "unauthorized",
  conflict: "conflict",
  payload_too_large: "too_large",
  unsupported_media_type: "unsupported_media",
  unprocessable: "checksum_mismatch",
  too_many_requests: "rate_limited",
};

/** Returns the /metrics outcome of a refused upload. */
function outcomeOf(err: unknown): string {
  if (err instanceof DomainError) return OUTCOMES[err.kind] ?? err.kind;
  if (err instanceof ObjectStoreError || isDatabaseUnavailable(err)) return "unavailable";
  if (err instanceof SyntaxError) return "bad_request";
  return "error";
}

/** Registers the two upload endpoints. */
export function registerRecordingUploads(app: OpenAPIHono<AppEnv>, deps: ComposedDeps): void {
  const { config, sql, metrics, objects: store } = deps;
  app.openAPIRegistry.register("RecordingMetadata", RecordingMetadataSchema);
  const routes: [typeof sessionAudioRoute | typeof legacyAudioRoute, UploadEndpoint][] = [
    [sessionAudioRoute, "session_audio"],
    [legacyAudioRoute, "audio"],
  ];
  for (const [route, endpoint] of routes) {
    app.openAPIRegistry.registerPath(route);
    app.post(route.path, async (c) => {
      try {
        // Credentials before the body: a caller without them makes the service read nothing.
        requireIngestToken(config, c.req.header("authorization"));
        // Only now may the body outlast BODY_TIMEOUT_SECONDS, at UPLOAD_MIN_BYTES_PER_SECOND
        // (http/front.ts): a slow link can send 50 MiB, a caller without a token cannot linger.
        vouchForBody(c);
        const done = await ingestRecording(
          { sql, store, maxBytes: config.audioMaxBytes, now: deps.now },
          endpoint,
          {
            body: c.req.raw.body,
            contentType: c.req.header("content-type"),
            contentLength: c.req.header("content-length"),
          },
        );
        const outcome = done.answer.duplicate ? "duplicate" : "stored";
        metrics.recordingUpload(outcome, done.storedBytes);
        // Never the transcript or the raw participant id: its keyed hash only.
        c.set("logFields", {
          upload: outcome,
          stored_bytes: done.storedBytes,
          ...(done.participantId !== null
            ? { participant_hash: logPseudonym(done.participantId, config.companySalt) }
            : {}),
        });
        return c.json(done.answer, 200);
      } catch (err) {
        const outcome = outcomeOf(err);
        metrics.recordingUpload(outcome, 0);
        c.set("logFields", { upload: outcome });
        if (err instanceof ObjectStoreError) {
          deps.log("warn", { msg: "object store failed", error: err.message });
        }
        throw err;
      }
    });
  }
}

/** The path templates logged instead of request paths that hold a participant id. */
const INDEX_PATH = "/admin/participants/{participant_id}/recordings";

/** Registers the admin reads behind `adminAuth` (the admin credential middleware). */
export function registerRecordingAdmin(
  app: OpenAPIHono<AppEnv>,
  deps: ComposedDeps,
  adminAuth: MiddlewareHandler<AppEnv>,
): void {
  const { config, sql, objects: store } = deps;
  const pseudonymous: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set("logPath", INDEX_PATH);
    c.set("logFields", {
      participant_hash: logPseudonym(c.req.param("participant_id") ?? "", config.companySalt),
    });
    await next();
  };

  app.openapi({ ...sessionManifestRoute, middleware: [adminAuth] }, async (c) => {
    const { session_id } = c.req.valid("param");
    c.header("Cache-Control", "no-store");
    return c.json(await sessionManifest(sql, session_id), 200);
  });

  app.openapi({ ...recordingAudioRoute, middleware: [adminAuth] }, async (c) => {
    const { recording_id } = c.req.valid("param");
    const audio = await recordingAudio(sql, store, recording_id, c.req.header("range"));
    return audioResponse(audio) as never;
  });

  app.openapi({ ...participantIndexRoute, middleware: [pseudonymous, adminAuth] }, async (c) => {
    const { participant_id } = c.req.valid("param");
    c.header("Cache-Control", "no-store");
    return c.json(await participantIndex(sql, participant_id), 200);
  });
}
