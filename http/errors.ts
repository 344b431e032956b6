/**
 * The one error vocabulary of the HTTP edges: `errorAnswer` maps any failure to a status, a
 * message safe to show, and Retry-After where a retry helps. The API renders the answer as
 * `{"detail": …}` (api/errors.ts), the pages as an HTML page (routes/mod.ts); both use this map.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, type ErrorKind, InvariantViolation } from "../core/errors.ts";
import { isDatabaseUnavailable, sqlState } from "../db/errors.ts";

/** The status of each domain error kind. */
export const KIND_STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  too_many_requests: 429,
};

/** How a failure is answered. */
export interface ErrorAnswer {
  status: ContentfulStatusCode;
  /** Safe to show to the caller (never a stack, SQL or stored value). */
  message: string;
  /** Seconds for the Retry-After header, when retrying the same request can succeed. */
  retryAfter?: number;
  /** True when the failure is a bug in the service or its data: log it with its stack. */
  bug: boolean;
}

/** Returns the status, caller-safe message, Retry-After and bug flag for a thrown value. */
export function errorAnswer(err: unknown): ErrorAnswer {
  if (err instanceof DomainError) {
    return { status: KIND_STATUS[err.kind], message: err.message, bug: false };
  }
  if (err instanceof InvariantViolation) {
    return { status: 500, message: "Internal server error", bug: true };
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = status === 413
      ? "Request body too large (limit 1 MiB)"
      : err.message || "Bad request";
    return { status, message, bug: false };
  }
  if (isDatabaseUnavailable(err)) {
    return { status: 503, message: "Database unavailable", retryAfter: 2, bug: false };
  }
  // 40001 (serialization failure) and 40P01 (deadlock detected): a transient collision with
  // a concurrent writer; nothing was stored, and the same request succeeds when retried.
  const state = sqlState(err);
  if (state === "40001" || state === "40P01") {
    return {
      status: 503,
      message: "Database busy (concurrent writers); retry",
      retryAfter: 1,
      bug: false,
    };
  }
  // SQLSTATE class 22 (data exception: NUL in text, out-of-range value, …) and 54000
  // (program limit exceeded) are caused by the request's values, never by the server.
  if (state && (state.startsWith("22") || state === "54000")) {
    return { status: 400, message: "Invalid value in request", bug: false };
  }
  if (err instanceof SyntaxError || err instanceof URIError) {
    return { status: 400, message: "Malformed request", bug: false };
  }
  return { status: 500, message: "Internal server error", bug: true };
}

/** Returns the log fields of a failure answered as a bug (name, message, stack, request id). */
export function bugFields(err: unknown, requestId: string | undefined): Record<string, unknown> {
  return {
    msg: err instanceof InvariantViolation ? "invariant violated" : "unhandled error",
    request_id: requestId,
    error: err instanceof Error ? err.name : "unknown",
    message: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  };
}

/** Returns a JSON error answer `{"detail": message}` (the API's and the transport's shape). */
export function detail(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.json({ detail: message }, status);
}
