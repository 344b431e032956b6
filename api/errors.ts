/** The one place that turns failures into HTTP answers with `detail` bodies. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CredentialError, DomainError, type ErrorKind } from "../core/errors.ts";
import { isDatabaseUnavailable, sqlState } from "../db/errors.ts";
import type { ValidationErrorBody } from "../openapi/common.ts";
import type { Logger } from "./log.ts";
import type { AppEnv } from "./context.ts";

const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
};

/** Returns a JSON error answer `{"detail": message}`. */
export function detail(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.json({ detail: message }, status);
}

/** Returns the onError handler: typed errors → their status, database outage → 503, else 500. */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof CredentialError) c.set("credentialFailure", true);
    if (err instanceof DomainError) return detail(c, STATUS[err.kind], err.message);
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const message = status === 413 ? "Request body too large (limit 1 MiB)" : err.message ||
        "Bad request";
      return detail(c, status, message);
    }
    if (isDatabaseUnavailable(err)) {
      c.header("Retry-After", "2");
      return detail(c, 503, "Database unavailable");
    }
    // 40001 (serialization failure) and 40P01 (deadlock detected): a transient collision with
    // a concurrent writer; nothing was stored, and the same request succeeds when retried.
    const state = sqlState(err);
    if (state === "40001" || state === "40P01") {
      c.header("Retry-After", "1");
      return detail(c, 503, "Database busy (concurrent writers); retry");
    }
    // SQLSTATE class 22 (data exception: NUL in text, out-of-range value, …) and 54000
    // (program limit exceeded) are caused by the request's values, never by the server.
    if (state && (state.startsWith("22") || state === "54000")) {
      return detail(c, 400, "Invalid value in request");
    }
    if (err instanceof SyntaxError || err instanceof URIError) {
      return detail(c, 400, "Malformed request");
    }
    log("error", {
      msg: "unhandled error",
      request_id: c.get("requestId"),
      error: err.name,
      message: err.message,
      stack: err.stack,
    });
    return detail(c, 500, "Internal server error");
  };
}

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code: string;
}

const LOC_TARGET: Record<string, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
};

/** Returns the 422 body naming every offending field of a failed zod validation. */
export function validationBody(
  target: string,
  issues: readonly ZodIssueLike[],
): ValidationErrorBody {
  return {
    detail: issues.map((issue) => ({
      loc: [
        LOC_TARGET[target] ?? target,
        ...issue.path.map((p) => (typeof p === "number" ? p : String(p))),
      ],
      msg: issue.message,
      type: issue.code,
    })),
  };
}

/** The zod-openapi default hook: a failed validation answers 422 with every issue. */
export function validationHook(
  result: { success: boolean; target: string; error?: { issues: readonly ZodIssueLike[] } },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined;
  return c.json(validationBody(result.target, result.error.issues), 422);
}
