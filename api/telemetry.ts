/** Play telemetry handlers: events, batches, finalize, player reads. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { conflict, notFound } from "../core/errors.ts";
import { REGISTRY } from "../core/tasks.ts";
import { postBatchRoute, postEventRoute, telemetryRoutes } from "../openapi/telemetry.ts";
import { createEventWriter, ingestBatch, toEventRow } from "../services/events.ts";
import { finalizeSession } from "../services/finalize.ts";
import { findModelState, listPlayerSessions } from "../services/players.ts";
import { dashboardAuth, ingestAuth } from "../http/auth.ts";
import { clientTimeProblem } from "../core/client_time.ts";
import { parseTimestamp } from "../core/time.ts";
import { fieldProblem } from "./errors.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

/**
 * Lets an empty finalize body mean `{}` (docs/unreal.md promises it: "no body, an empty body or
 * `{}`"); the body validator would otherwise refuse an empty `application/json` body as malformed.
 */
const emptyBodyIsEmptyObject: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Without a Content-Type the route's validator already takes no body as `{}`.
  const raw = c.req.raw;
  if (c.req.header("content-type") !== undefined && (await raw.clone().text()).trim() === "") {
    const headers = new Headers(raw.headers);
    headers.delete("content-length");
    c.req.raw = new Request(raw.url, { method: raw.method, headers, body: "{}" });
  }
  await next();
};

/** Registers the telemetry routes on the app. */
export function registerTelemetry(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { config, sql } = deps;
  const tasks = deps.tasks ?? REGISTRY;
  const routes = telemetryRoutes(tasks);
  const { metrics } = deps;
  const writer = createEventWriter(sql, undefined, (n) => metrics?.batch("events", n));
  // Credentials (production) are checked before the body is validated (no 422 details to strangers).
  const ingest = config.policy.openIngest ? [] : [ingestAuth(config)];
  const reader = config.policy.openReads ? [] : [dashboardAuth(config, "player_id")];

  app.openapi({ ...postEventRoute, middleware: ingest }, async (c) => {
    const event = c.req.valid("json");
    c.set("userId", event.player_id);
    const late = clientTimeProblem(parseTimestamp(event.ts_utc)!, deps.now());
    if (late) return fieldProblem(c, ["ts_utc"], late) as never;
    const outcome = await writer.submit(toEventRow(event, config.companySalt));
    if (outcome.status === "conflict") throw conflict(outcome.message);
    if (outcome.status === "stored") metrics?.eventsStored(1);
    return c.json({ stored: true as const }, 200);
  });

  app.openapi({ ...postBatchRoute, middleware: ingest }, async (c) => {
    const { events } = c.req.valid("json");
    const now = deps.now();
    for (const [i, e] of events.entries()) {
      const late = clientTimeProblem(parseTimestamp(e.ts_utc)!, now);
      if (late) return fieldProblem(c, ["events", i, "ts_utc"], late) as never;
    }
    const result = await ingestBatch(sql, events.map((e) => toEventRow(e, config.companySalt)));
    metrics?.eventsStored(result.stored);
    return c.json(result, 200);
  });

  const finalizeMiddleware = [...ingest, emptyBodyIsEmptyObject];
  app.openapi({ ...routes.finalize, middleware: finalizeMiddleware }, async (c) => {
    const { session_id } = c.req.valid("param");
    const body = c.req.valid("json");
    const summary = await finalizeSession(sql, config, session_id, deps.now(), body, tasks);
    c.set("userId", summary.player_id);
    return c.json(summary, 200);
  });

  app.openapi({ ...routes.playerSessions, middleware: reader }, async (c) => {
    const { player_id } = c.req.valid("param");
    c.set("userId", player_id);
    return c.json(await listPlayerSessions(sql, player_id, tasks), 200);
  });

  app.openapi({ ...routes.modelState, middleware: reader }, async (c) => {
    const { player_id } = c.req.valid("param");
    const { model_name } = c.req.valid("query");
    c.set("userId", player_id);
    const state = await findModelState(sql, player_id, model_name, tasks);
    if (!state) throw notFound("No model state found for player");
    return c.json(state, 200);
  });
}
