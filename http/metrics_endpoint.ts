/** `GET /metrics` and the middleware counting every request into the process's metrics. */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { badCredentials } from "../core/errors.ts";
import { bearerToken, tokenMatches } from "./auth.ts";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";
import type { Metrics } from "./metrics.ts";

/**
 * Returns middleware counting every request under its route template (never the raw path: a
 * request no route matched is `unmatched`).
 */
export function measureRequests(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const template = routePath(c, -1);
      const route = !template || template.endsWith("*") ? "unmatched" : template;
      metrics.request(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  };
}

/**
 * Returns the GET /metrics handler: with METRICS_TOKEN set it needs that bearer token (compared
 * in constant time, 401 otherwise); without it production answers 404 (off) and other
 * environments answer openly.
 */
export function metricsEndpoint(
  config: Config,
  metrics: Metrics,
  sql: Sql,
): MiddlewareHandler<AppEnv> {
  return (c) => {
    if (config.metricsToken) {
      const token = bearerToken(c.req.header("authorization"));
      if (!tokenMatches(token, [config.metricsToken])) {
        throw badCredentials("Invalid metrics token");
      }
    } else if (!config.policy.metricsOpen) {
      return Promise.resolve(detail(c, 404, "Not Found"));
    }
    return Promise.resolve(c.body(metrics.render(sql), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
    }));
  };
}
