/**
 * Request bodies: the size limits (1 MiB for every request; a few KiB for the sign-in forms,
 * which any stranger may post) and strict UTF-8 for text bodies (JSON, forms, text/*): a body
 * whose bytes are not valid UTF-8 is refused with 400 when it is read, never repaired with
 * U+FFFD (two different byte strings would otherwise become one id).
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { badRequest } from "../core/errors.ts";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;
/** The most a sign-in form may send (the token field and its name, with room to spare). */
export const MAX_FORM_BYTES = 4096;

/**
 * Returns middleware answering 413 for bodies over 1 MiB (declared or streamed), except on the
 * `exempt` paths (streamed uploads with their own limit, AUDIO_MAX_BYTES).
 */
export function limitBody(exempt: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => detail(c, 413, "Request body too large (limit 1 MiB)"),
  });
  const skip = new Set(exempt);
  return (c, next) => (skip.has(c.req.path) ? next() : limit(c, next));
}

/**
 * Returns middleware answering 413 for a sign-in form over MAX_FORM_BYTES: a declared length is
 * refused before one byte is read, a streamed body as soon as it passes the limit.
 */
export function limitFormBody(): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: (c) =>
      c.text(`Form too large (limit ${MAX_FORM_BYTES} bytes)`, 413, { Connection: "close" }),
  });
}

const TEXT_BODY =
  /^(?:application\/(?:[\w.+-]*\+)?json|application\/x-www-form-urlencoded|text\/)/i;

/** The error a text body with invalid UTF-8 fails its reader with (mapped to 400). */
export const INVALID_UTF8 = "Request body is not valid UTF-8";

/** Checks whole bodies (decoding without `stream` keeps no state between calls). */
const WHOLE = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Returns `body` checked as it streams: the stream fails with a 400 error at the first bad byte.
 * Lazy (high-water mark 0): nothing is read from the socket until a handler reads the body, so a
 * request refused before its body (a credential, a size limit) buffers nothing. The first chunk
 * is held until the next read: a body of one chunk (most) is checked whole by the shared decoder,
 * and a streaming decoder is made only for the second chunk of a longer one.
 */
function strictUtf8Stream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let decoder: TextDecoder | undefined;
  let held: Uint8Array | undefined;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      reader ??= body.getReader();
      // Reads until there is something to pass on: a stream calls pull again only after an
      // enqueue, so the held first chunk must not end a pull with nothing enqueued.
      while (true) {
        const { done, value } = await reader.read();
        try {
          if (done) {
            if (decoder) decoder.decode();
            else if (held) WHOLE.decode(held);
          } else if (held === undefined && decoder === undefined) {
            held = value;
            continue;
          } else {
            decoder ??= new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
            if (held) decoder.decode(held, { stream: true });
            decoder.decode(value, { stream: true });
          }
        } catch {
          controller.error(badRequest(INVALID_UTF8));
          await reader.cancel().catch(() => {});
          return;
        }
        if (held) controller.enqueue(held);
        held = undefined;
        if (done) controller.close();
        else controller.enqueue(value);
        return;
      }
    },
    cancel(reason) {
      return reader ? reader.cancel(reason) : body.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Returns middleware making every text body (JSON, form, text/*) fail with 400 on invalid UTF-8. */
export function strictUtf8(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (raw.body && TEXT_BODY.test(raw.headers.get("content-type") ?? "")) {
      // From the URL, not from `raw`: copying `raw` reads its `signal`, and Deno.serve then warns
      // on every response that request.signal aborts on success (legacy behaviour).
      c.req.raw = new Request(raw.url, {
        method: raw.method,
        headers: raw.headers,
        body: strictUtf8Stream(raw.body),
        duplex: "half",
      } as RequestInit);
    }
    await next();
  };
}
