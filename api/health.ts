/** Health probes: liveness, database connectivity, readiness. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { ping } from "../db/health.ts";
import { healthRoute, healthzRoute, readyzRoute } from "../openapi/health.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

/** Registers /health, /healthz and /readyz (GET and HEAD) on the app. */
export function registerHealth(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(healthzRoute, async (c) => {
    await ping(deps.sql);
    return c.json({ status: "ok" as const }, 200);
  });
  app.openapi(readyzRoute, async (c) => {
    await ping(deps.sql);
    return c.json({ status: "ready" as const, windowDays: 7 as const }, 200);
  });
}
