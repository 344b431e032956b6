/**
 * Upload of one voice recording (both endpoints): the multipart body is parsed as it streams in
 * and the file spooled to local disk while it is counted and hashed (never held in memory);
 * then the signature, checksum and FLAC STREAMINFO are checked, the turn's leases taken, the
 * object stored, and only then the row committed. Every refusal leaves nothing behind.
 */
import { createHash } from "node:crypto";
import {
  AUDIO_HEAD_BYTES,
  type Codec,
  contentTypeOf,
  durationWarning,
  hasSignature,
  readStreamInfo,
} from "../core/audio.ts";
import {
  badRequest,
  conflict,
  payloadTooLarge,
  unprocessable,
  unsupportedMedia,
} from "../core/errors.ts";
import { createMultipartParser, multipartBoundary } from "../core/multipart.ts";
import {
  audioPath,
  legacyKey,
  manifestPath,
  type Role,
  sessionTurnKey,
} from "../core/recordings.ts";
import type { Sql } from "../db/client.ts";
import type { ObjectStore } from "../db/objects.ts";
import {
  insertRecording,
  recordingById,
  recordingOfTurn,
  type RecordingRow,
  releaseLeases,
  takeLeases,
} from "../db/recordings.ts";
import {
  type RecordingMetadata,
  RecordingMetadataSchema,
  type UploadAnswer,
} from "../openapi/recordings.ts";

export type UploadEndpoint = "session_audio" | "audio";

/** The largest `metadata` part (bytes). */
export const MAX_METADATA_BYTES = 256 * 1024;
/** How long an upload's leases protect its turn and key while the object is stored (ms). */
export const LEASE_MS = 15 * 60_000;

export interface IngestDeps {
  sql: Sql;
  store: ObjectStore;
  /** AUDIO_MAX_BYTES: the largest request body. */
  maxBytes: number;
  now: () => Date;
  /** A seam for tests: runs after the object is stored and before the row commits. */
  afterStore?: (key: string) => Promise<void>;
}

/** The outcome of an accepted upload. */
export interface Ingested {
  answer: UploadAnswer;
  /** Bytes newly stored (0 for a duplicate). */
  storedBytes: number;
  /** The participant (for the log's keyed hash). */
  participantId: string | null;
}

/** An upload's body as the edge hands it over. */
export interface UploadRequest {
  body: ReadableStream<Uint8Array> | null;
  contentType: string | undefined;
  contentLength: string | undefined;
}

interface Spooled {
  path: string;
  size: number;
  sha256: string;
  head: Uint8Array;
  /** The metadata part's bytes (decoded by `parseMetadata`). */
  metadata: Uint8Array | null;
  hasFile: boolean;
}

const tooLarge = (max: number) => payloadTooLarge(`Audio upload too large (limit ${max} bytes)`);

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

/** Returns the spooled upload: the file part on disk (fsynced), hashed; the metadata as text. */
async function spool(request: UploadRequest, deps: IngestDeps): Promise<Spooled> {
  const declared = Number(request.contentLength ?? "");
  if (Number.isFinite(declared) && declared > deps.maxBytes) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(deps.maxBytes);
  }
  const parser = createMultipartParser(multipartBoundary(request.contentType));
  if (!request.body) throw badRequest("The upload has no body");
  await Deno.mkdir(deps.store.spoolDir, { recursive: true });
  const path = `${deps.store.spoolDir}/${crypto.randomUUID()}.part`;
  const file = await Deno.open(path, { write: true, createNew: true });
  const hash = createHash("sha256");
  const head = new Uint8Array(AUDIO_HEAD_BYTES);
  let headLength = 0;
  let size = 0;
  let total = 0;
  let current: "file" | "metadata" | "other" | null = null;
  let hasFile = false;
  const metadataChunks: Uint8Array[] = [];
  let metadataBytes = 0;
  let metadataSeen = false;
  const reader = request.body.getReader();
  let ok = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The client went away mid-upload (or the connection broke): nothing is kept.
        throw badRequest("The upload was cut off before its end");
      }
      const { done, value } = chunk;
      if (done) break;
      total += value.length;
      if (total > deps.maxBytes) throw tooLarge(deps.maxBytes);
      for (const event of parser.push(value)) {
        if (event.type === "part") {
          const name = event.head.name;
          if ((name === "file" && hasFile) || (name === "metadata" && metadataSeen)) {
            throw badRequest(`The multipart body has more than one "${name}" part`);
          }
          current = name === "file" ? "file" : name === "metadata" ? "metadata" : "other";
          if (current === "file") hasFile = true;
          if (current === "metadata") metadataSeen = true;
        } else if (event.type === "end_part") {
          current = null;
        } else if (current === "file") {
          const bytes = event.bytes;
          if (headLength < head.length) {
            const take = Math.min(head.length - headLength, bytes.length);
            head.set(bytes.subarray(0, take), headLength);
            headLength += take;
          }
          hash.update(bytes);
          size += bytes.length;
          await writeAll(file, bytes);
        } else if (current === "metadata") {
          metadataBytes += event.bytes.length;
          if (metadataBytes > MAX_METADATA_BYTES) {
            throw badRequest(`The metadata part is larger than ${MAX_METADATA_BYTES} bytes`);
          }
          metadataChunks.push(event.bytes.slice());
        }
      }
    }
    parser.end();
    await file.sync();
    ok = true;
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err;
  } finally {
    file.close();
    if (!ok) await Deno.remove(path).catch(() => {});
  }
  const metadata = metadataSeen
    ? metadataChunks.reduce((all, c) => {
      const out = new Uint8Array(all.length + c.length);
      out.set(all);
      out.set(c, all.length);
      return out;
    }, new Uint8Array(0))
    : null;
  return {
    path,
    size,
    sha256: hash.digest("hex"),
    head: head.subarray(0, headLength),
    metadata,
    hasFile,
  };
}

/** Returns the validated metadata of an upload, or throws 400-kind naming the first problem. */
export function parseMetadata(bytes: Uint8Array | null): RecordingMetadata {
  if (bytes === null) throw badRequest('The multipart body needs a "metadata" part');
  let text: string;
  try {
    // Strict UTF-8: two different byte strings must never become one transcript or id.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw badRequest("metadata is not valid UTF-8");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest("metadata is not valid JSON");
  }
  const parsed = RecordingMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `metadata.${issue.path.join(".")}` : "metadata";
    throw badRequest(`${where}: ${issue.message}`);
  }
  return parsed.data;
}

function answerOf(row: RecordingRow, duplicate: boolean): UploadAnswer {
  return {
    success: true,
    url: audioPath(row.recording_id),
    ...(row.endpoint === "session_audio" ? { manifest_url: manifestPath(row.session_id) } : {}),
    recording_id: row.recording_id,
    object_key: row.object_key,
    duplicate,
    duration_warning: row.duration_warning,
  };
}

/** Returns the answer to a resend of a stored turn (200 when the content is the same). */
function resend(stored: RecordingRow, sha256: string): Ingested {
  if (stored.sha256 !== sha256) {
    throw conflict(
      "Different content is already stored for this turn (session_id, turn_number, role)",
    );
  }
  return { answer: answerOf(stored, true), storedBytes: 0, participantId: stored.participant_id };
}

/**
 * Returns the answer to an upload on `endpoint` after storing it (or finding the same content
 * stored): 400 bad metadata or body, 409 other content for the turn, 413 over the size cap, 415
 * wrong signature, 422 checksum mismatch; a failing store or database throws (503) with no row.
 */
export async function ingestRecording(
  deps: IngestDeps,
  endpoint: UploadEndpoint,
  request: UploadRequest,
): Promise<Ingested> {
  const spooled = await spool(request, deps);
  let kept = false;
  try {
    if (!spooled.hasFile) throw badRequest('The multipart body needs a "file" part');
    const meta = parseMetadata(spooled.metadata);
    if (spooled.size === 0) throw badRequest("The file part is empty");
    const codec: Codec = endpoint === "session_audio" ? "flac" : meta.codec;
    if (!hasSignature(spooled.head, codec)) {
      throw unsupportedMedia(
        codec === "flac"
          ? "The file does not start with the FLAC signature (fLaC)"
          : "The file does not start with the Ogg signature (OggS)",
      );
    }
    const info = codec === "flac" ? readStreamInfo(spooled.head) : null;
    if (codec === "flac" && info === null) {
      throw unsupportedMedia("The FLAC file has no valid STREAMINFO block");
    }
    if (meta.sha256 && meta.sha256.toLowerCase() !== spooled.sha256) {
      throw unprocessable("sha256 does not match the received file (nothing was kept)");
    }
    const role: Role = meta.role;
    const stored = await recordingOfTurn(deps.sql, meta.session_id, meta.turn_number, role);
    if (stored) return resend(stored, spooled.sha256);

    const recordingId = (meta.recording_id ?? crypto.randomUUID()).toLowerCase();
    if (meta.recording_id && await recordingById(deps.sql, recordingId)) {
      throw conflict("recording_id is already used by another turn");
    }
    const recordedAt = new Date(meta.recorded_at);
    const key = endpoint === "session_audio"
      ? sessionTurnKey(meta.device_id, recordedAt, meta.session_id, meta.turn_number, role)
      : legacyKey(meta.device_id, recordedAt, recordingId, codec);
    const leases = [`turn:${meta.session_id}:${meta.turn_number}:${role}`, `object:${key}`];
    const now = deps.now();
    const leased = await takeLeases(
      deps.sql,
      leases,
      spooled.sha256,
      now,
      new Date(now.getTime() + LEASE_MS),
    );
    if (!leased) {
      throw conflict("Different content for this turn is being stored right now");
    }
    const row: RecordingRow = {
      recording_id: recordingId,
      session_id: meta.session_id.toLowerCase(),
      turn_number: meta.turn_number,
      role,
      device_id: meta.device_id,
      participant_id: meta.participant_id ?? null,
      activity_id: meta.activity_id ?? null,
      endpoint,
      codec,
      object_key: key,
      size_bytes: spooled.size,
      sha256: spooled.sha256,
      recorded_at: recordedAt,
      duration_ms: meta.duration_ms,
      file_duration_ms: info?.durationMs ?? null,
      sample_rate: info?.sampleRate ?? null,
      channels: info?.channels ?? null,
      bits_per_sample: info?.bitsPerSample ?? null,
      duration_warning: durationWarning(meta.duration_ms, info?.durationMs ?? null),
      transcript: meta.transcript ?? null,
    };
    try {
      kept = true; // the store consumes the spool file
      await deps.store.putFile(
        key,
        spooled.path,
        spooled.size,
        contentTypeOf(codec),
        spooled.sha256,
      );
      await deps.afterStore?.(key);
      const inserted = await insertRecording(deps.sql, row, leases);
      if (inserted) {
        return {
          answer: answerOf(inserted, false),
          storedBytes: spooled.size,
          participantId: row.participant_id,
        };
      }
    } catch (err) {
      // The object (if stored) stays until the orphan sweep: deleting it here could remove the
      // bytes of a concurrent upload of the same content that committed its row.
      await releaseLeases(deps.sql, leases, spooled.sha256).catch(() => {});
      throw err;
    }
    // Lost a race with the same content (the leases let only same-content uploads overlap).
    const winner = await recordingOfTurn(deps.sql, meta.session_id, meta.turn_number, role);
    if (winner) return resend(winner, spooled.sha256);
    throw conflict("This turn's object key or recording_id is already used by another turn");
  } finally {
    if (!kept) await Deno.remove(spooled.path).catch(() => {});
  }
}
