/**
 * The composition root: the one place the HTTP application is assembled from its edges. The
 * cross-cutting middleware (http/) wraps everything; the API (api/) and the pages (routes/) are
 * sub-apps that never import each other. Used by main.ts, scripts/openapi.ts and the tests.
 */
import { type Context, Hono } from "hono";
import { createApi } from "./api/mod.ts";
import { errorHandler } from "./api/errors.ts";
import type { AppDeps, AppEnv, ComposedDeps } from "./http/context.ts";
import { detail } from "./http/errors.ts";
import { limitBody, strictUtf8 } from "./http/body.ts";
import {
  baseHeaders,
  corsFor,
  identifyClient,
  loopbackHostOnly,
  pseudonymousAdminPaths,
  requestLog,
} from "./http/middleware.ts";
import { createMetrics } from "./http/metrics.ts";
import { measureRequests, metricsEndpoint } from "./http/metrics_endpoint.ts";
import { authFailureLimit } from "./http/ratelimit.ts";
import { createPages } from "./routes/mod.ts";
import { openObjectStore } from "./db/objects.ts";
import { UPLOAD_PATHS } from "./api/recordings.ts";
import { lightHeartbeat, lightPoll } from "./api/devices.ts";

/** Returns true when the client prefers a page (a browser's `Accept` names text/html). */
export function wantsHtml(c: Context): boolean {
  return /\btext\/html\b/i.test(c.req.header("accept") ?? "");
}

/**
 * Returns the dependencies with their defaults: the one object store of the recordings (the
 * uploads, the admin reads, both erasures and the fleet pages share it) and the one metrics
 * registry. The only place either is created for the app.
 */
export function composeDeps(given: AppDeps): ComposedDeps {
  return {
    ...given,
    metrics: given.metrics ?? createMetrics(),
    objects: given.objects ?? openObjectStore(given.config.audioStore, given.config.dataDir),
  };
}

/** Returns the application for the given dependencies. */
export function createApp(given: AppDeps): Hono<AppEnv> {
  const deps = composeDeps(given);
  const { metrics } = deps;
  const app = new Hono<AppEnv>();
  app.use("*", identifyClient(deps.config.trustedProxies));
  app.use("*", requestLog(deps.log));
  app.use("/admin/players/*", pseudonymousAdminPaths(deps.config.companySalt));
  app.use("*", measureRequests(metrics));
  app.use("*", baseHeaders(deps.config.policy.hstsMaxAge));
  if (deps.config.policy.loopbackHostOnly) app.use("*", loopbackHostOnly());
  app.use("*", corsFor(deps.config.corsOrigins));
  // strictUtf8 first: it rebuilds the request from its URL, so when limitBody then copies a
  // streamed (chunked) body's request it copies ours, never Deno.serve's (whose signal it would
  // read, making Deno warn on every response).
  // Audio uploads stream past the 1 MiB limit; they enforce AUDIO_MAX_BYTES themselves.
  app.use("*", strictUtf8());
  app.use("*", limitBody(UPLOAD_PATHS));
  app.use("*", authFailureLimit(deps));

  app.get("/metrics", metricsEndpoint(deps.config, metrics, deps.sql, deps.now));
  app.route("/", createApi(deps));
  const pages = createPages(deps);
  app.route("/", pages.app);

  app.notFound((c) => (wantsHtml(c) ? pages.notFoundPage(c) : detail(c, 404, "Not Found")));
  // Failures outside both sub-apps (middleware) are answered like the API's.
  app.onError(errorHandler(deps.log));
  // The heartbeat's light path comes before everything (api/devices.ts lightHeartbeat): 333 a
  // second at the planned scale; what it does not take, or hands back, the app answers.
  const heartbeat = lightHeartbeat(deps);
  const appFetch = app.fetch;
  const full: typeof app.fetch = (req, env, ctx) =>
    heartbeat(req, (read) => appFetch(read, env, ctx)) ?? appFetch(req, env, ctx);
  app.fetch = full;
  if (deps.commandHints) {
    // The empty poll's light path comes before everything (api/devices.ts lightPoll): 3,333 a
    // second at the planned scale.
    const light = lightPoll(deps);
    app.fetch = (req, env, ctx) => light(req) ?? full(req, env, ctx);
  }
  return app;
}
