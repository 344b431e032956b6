/**
 * A streaming `multipart/form-data` parser (RFC 7578 / RFC 2046): bytes go in chunk by chunk,
 * parts come out as events, and at no point is more than one chunk plus a delimiter's length
 * (and one part's header block, capped) held. Boundaries may be split across chunks anywhere.
 * Pure: no I/O; the caller feeds it.
 */
import { badRequest } from "./errors.ts";

/** One part's headers as far as form data needs them. */
export interface PartHead {
  /** `name` of its Content-Disposition. */
  name: string;
  /** `filename` of its Content-Disposition, when given. */
  filename: string | null;
  /** Its Content-Type, lower case, or null. */
  contentType: string | null;
}

/** What the parser reports, in stream order. */
export type MultipartEvent =
  | { type: "part"; head: PartHead }
  | { type: "data"; bytes: Uint8Array }
  | { type: "end_part" };

/** The largest header block of one part (bytes). */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

const CRLF_CRLF = new Uint8Array([13, 10, 13, 10]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Returns the boundary of a `multipart/form-data` Content-Type, or throws 400-kind. */
export function multipartBoundary(contentType: string | undefined | null): string {
  const type = contentType ?? "";
  if (!/^\s*multipart\/form-data\s*(;|$)/i.test(type)) {
    throw badRequest("Content-Type must be multipart/form-data");
  }
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(type);
  if (!match) throw badRequest("multipart/form-data needs a boundary parameter");
  return match[1] ?? match[2];
}

/** Returns the index of `needle` in `hay` at or after `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = hay.length - needle.length;
  outer: for (
    let i = hay.indexOf(first, from);
    i >= 0 && i <= last;
    i = hay.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Returns the length of the longest suffix of `hay` that is a proper prefix of `needle`. */
function partialSuffix(hay: Uint8Array, needle: Uint8Array): number {
  const max = Math.min(hay.length, needle.length - 1);
  outer: for (let n = max; n > 0; n--) {
    const start = hay.length - n;
    for (let j = 0; j < n; j++) if (hay[start + j] !== needle[j]) continue outer;
    return n;
  }
  return 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Returns the form-data head of a part's header block, or throws 400-kind. */
export function parsePartHead(block: string): PartHead {
  let disposition: string | null = null;
  let contentType: string | null = null;
  for (const line of block.split("\r\n")) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) throw badRequest("Malformed multipart part header");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-disposition") disposition = value;
    else if (name === "content-type") contentType = value.toLowerCase();
  }
  if (disposition === null || !/^form-data\s*(;|$)/i.test(disposition)) {
    throw badRequest("Every multipart part needs Content-Disposition: form-data");
  }
  const param = (key: string): string | null => {
    const m = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s;]+))`, "i").exec(
      disposition!,
    );
    if (!m) return null;
    return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2];
  };
  const name = param("name");
  if (name === null) throw badRequest("A multipart part has no name");
  return { name, filename: param("filename"), contentType };
}

type State = "preamble" | "after_delimiter" | "headers" | "body" | "done";

/**
 * Returns a parser for one body with `boundary`: `push(chunk)` returns the events that chunk
 * completes, `end()` checks the body was complete (throws 400-kind if not). Data events hold
 * views of the pushed chunks or small copies; consume them before the next push.
 */
export function createMultipartParser(boundary: string) {
  // The delimiter is CRLF "--" boundary; the first one may start the body without the CRLF, so
  // the parser starts as if a CRLF had been read.
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  let state: State = "preamble";
  let pending: Uint8Array = new Uint8Array([13, 10]);

  function push(chunk: Uint8Array): MultipartEvent[] {
    const events: MultipartEvent[] = [];
    if (state === "done") return events; // the epilogue is ignored
    let buf = concat(pending, chunk);
    pending = new Uint8Array(0);
    for (;;) {
      if (state === "preamble" || state === "body") {
        const at = indexOf(buf, delimiter, 0);
        if (at < 0) {
          const keep = partialSuffix(buf, delimiter);
          if (state === "body" && buf.length - keep > 0) {
            events.push({ type: "data", bytes: buf.subarray(0, buf.length - keep) });
          }
          pending = buf.slice(buf.length - keep);
          return events;
        }
        if (state === "body") {
          if (at > 0) events.push({ type: "data", bytes: buf.subarray(0, at) });
          events.push({ type: "end_part" });
        }
        buf = buf.subarray(at + delimiter.length);
        state = "after_delimiter";
      }
      if (state === "after_delimiter") {
        // "--" closes the body; otherwise optional transport padding, then CRLF.
        if (buf.length < 2) {
          pending = buf.slice();
          return events;
        }
        if (buf[0] === 45 && buf[1] === 45) {
          state = "done";
          return events;
        }
        let i = 0;
        while (i < buf.length && (buf[i] === 32 || buf[i] === 9)) i++;
        if (i + 2 > buf.length) {
          if (buf.length > 256) throw badRequest("Malformed multipart delimiter line");
          pending = buf.slice();
          return events;
        }
        if (buf[i] !== 13 || buf[i + 1] !== 10) throw badRequest("Malformed multipart delimiter");
        buf = buf.subarray(i + 2);
        state = "headers";
      }
      if (state === "headers") {
        // An empty header block: the CRLF CRLF's first CRLF ended the delimiter line.
        const end = buf.length >= 2 && buf[0] === 13 && buf[1] === 10
          ? -2
          : indexOf(buf, CRLF_CRLF, 0);
        if (end === -1) {
          if (buf.length > MAX_PART_HEADER_BYTES) {
            throw badRequest("Multipart part headers too large");
          }
          pending = buf.slice();
          return events;
        }
        if (end > MAX_PART_HEADER_BYTES) throw badRequest("Multipart part headers too large");
        const head = parsePartHead(end < 0 ? "" : decoder.decode(buf.subarray(0, end)));
        events.push({ type: "part", head });
        buf = buf.subarray(end < 0 ? 2 : end + 4);
        state = "body";
      }
    }
  }

  function end(): void {
    if (state !== "done") throw badRequest("Multipart body ended before its closing boundary");
  }

  return { push, end };
}

/** A streaming multipart parser (see `createMultipartParser`). */
export type MultipartParser = ReturnType<typeof createMultipartParser>;
