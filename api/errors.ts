/** The API's rendering of failures: `{"detail": …}` bodies (status map: http/errors.ts). */
import type { Context } from "hono";
import { CredentialError } from "../core/errors.ts";
import type { ValidationErrorBody } from "../openapi/common.ts";
import type { Logger } from "../http/log.ts";
import type { AppEnv } from "../http/context.ts";
import { bugFields, detail, errorAnswer } from "../http/errors.ts";

/** Returns the onError handler rendering `errorAnswer` as `{"detail": …}` (bugs are logged). */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof CredentialError) c.set("credentialFailure", true);
    const answer = errorAnswer(err);
    if (answer.bug) log("error", bugFields(err, c.get("requestId")));
    if (answer.retryAfter !== undefined) c.header("Retry-After", String(answer.retryAfter));
    return detail(c, answer.status, answer.message);
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

/** Returns the 422 answer for one field outside its accepted window (`loc` after `body`). */
export function fieldProblem(
  c: Context,
  loc: readonly (string | number)[],
  msg: string,
): Response {
  return c.json(
    { detail: [{ loc: ["body", ...loc], msg, type: "time_window" }] } satisfies ValidationErrorBody,
    422,
  );
}
