/** Uploads for the recording tests: a test app per store, metadata and multipart requests. */
import { DEV_INGEST_TOKEN } from "../../config.ts";
import type { Sql } from "../../db/client.ts";
import { type TestApp, testApp } from "./app.ts";
import { multipartBody, multipartType } from "./audio.ts";
import type { StoreUnderTest } from "./stores.ts";

export const ADMIN = { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" };
export const INGEST = { authorization: `Bearer ${DEV_INGEST_TOKEN}` };

/** Returns metadata for one turn of `session` (overridable). */
export function turnMeta(session: string, turn: number, over: Record<string, unknown> = {}) {
  return {
    session_id: session,
    device_id: "companion-7f3a",
    turn_number: turn,
    role: "user",
    recorded_at: "2026-03-01T00:30:00+02:00",
    duration_ms: 2500,
    participant_id: "kid-ana",
    ...over,
  };
}

/** Returns a stream of `bytes` in chunks of `size` bytes (so boundaries split across chunks). */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

export interface UploadOptions {
  headers?: Record<string, string>;
  /** Send the body as a stream of chunks of this size (no Content-Length). */
  chunk?: number;
  fileFirst?: boolean;
}

/** Returns the answer to a multipart upload to `path` (`/internal/ingest/…`). */
export function upload(
  t: TestApp,
  path: string,
  metadata: unknown,
  file: Uint8Array | null,
  { headers = INGEST, chunk, fileFirst = false }: UploadOptions = {},
): Promise<Response> {
  const body = multipartBody(metadata, file, { fileFirst });
  return t.request(path, {
    method: "POST",
    headers: { "content-type": multipartType(), ...headers },
    body: chunk ? chunked(body, chunk) : body,
    ...(chunk ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Returns a lazily built test app per store over `sql`. */
export function appsPerStore(sql: Sql, env: Record<string, string> = {}) {
  const apps = new Map<string, TestApp>();
  return (s: StoreUnderTest): TestApp => {
    let t = apps.get(s.kind);
    if (!t) {
      t = testApp(sql, { DATA_DIR: s.dataDir, ...env }, { deps: { objects: s.store } });
      apps.set(s.kind, t);
    }
    return t;
  };
}

/** Returns the files left in a store's spool folder. */
export async function spoolLeft(s: StoreUnderTest): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(s.store.spoolDir))).map((e) => e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}
