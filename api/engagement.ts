/** Engagement handlers: session-summary ingest and the seven-day dashboard. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { engagementDashboardRoute, ingestSessionSummaryRoute } from "../openapi/engagement.ts";
import { buildEngagementDashboard, createSummaryWriter } from "../services/engagement.ts";
import { dashboardAuth, ingestAuth } from "../http/auth.ts";
import { clientTimeProblem } from "../core/client_time.ts";
import { parseTimestamp } from "../core/time.ts";
import { fieldProblem } from "./errors.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

/** Registers POST /internal/ingest/session_summary and GET /api/dashboard/{user_id}. */
export function registerEngagement(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const summaries = createSummaryWriter(deps.sql, (n) => deps.metrics?.batch("engagement", n));
  app.openapi(
    { ...ingestSessionSummaryRoute, middleware: [ingestAuth(deps.config)] },
    async (c) => {
      const body = c.req.valid("json");
      c.set("userId", body.user_external_id);
      const late = clientTimeProblem(parseTimestamp(body.started_at)!, deps.now());
      if (late) return fieldProblem(c, ["started_at"], late) as never;
      const status = await summaries.ingest(body, c.req.valid("header")["x-device-id"]);
      return c.json({ status }, 200);
    },
  );

  app.openapi(
    { ...engagementDashboardRoute, middleware: [dashboardAuth(deps.config, "user_id")] },
    async (c) => {
      const { user_id } = c.req.valid("param");
      return c.json(await buildEngagementDashboard(deps.sql, user_id, deps.now()), 200);
    },
  );
}
