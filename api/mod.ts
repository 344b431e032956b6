/** The API as one sub-app: the areas, the contract (`/openapi.json`) and its docs, JSON errors. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { securitySchemes } from "../openapi/common.ts";
import type { AppEnv, ComposedDeps } from "../http/context.ts";
import { registerDocs } from "./docs.ts";
import { errorHandler, validationHook } from "./errors.ts";
import { registerAdmin } from "./admin.ts";
import { registerEngagement } from "./engagement.ts";
import { registerHealth } from "./health.ts";
import { registerTelemetry } from "./telemetry.ts";
import { registerCompany } from "./company.ts";
import { registerRecordingUploads } from "./recordings.ts";
import { registerDevices } from "./devices.ts";

export const API_VERSION = "1.0.0";

/** Returns the OpenAPI document settings shared by the app and `deno task openapi`. */
export const documentInfo: {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
} = {
  openapi: "3.1.0",
  info: {
    title: "Earth Task Telemetry",
    version: API_VERSION,
    description: "Play telemetry, privacy-guarded company aggregates and family engagement " +
      'rollups. Errors are `{"detail": "…"}`; validation failures (422) are ' +
      '`{"detail": [{"loc", "msg", "type"}]}`.',
  },
  tags: [
    { name: "telemetry", description: "Attempt events, session finalize, player reads" },
    { name: "company", description: "Company dashboards (token in `t`)" },
    { name: "engagement", description: "Session-summary ingest and the seven-day dashboard" },
    { name: "admin", description: "Operator endpoints (X-ADMIN-KEY or ADMIN_TOKEN bearer)" },
    {
      name: "recordings",
      description: "Voice recordings: streamed uploads (ingest token), admin reads " +
        "(X-ADMIN-KEY or ADMIN_TOKEN bearer)",
    },
    {
      name: "devices",
      description: "The companion-device fleet: heartbeats, commands, log snapshots " +
        "(ingest token) and their admin reads (ADMIN_TOKEN bearer or X-ADMIN-KEY; docs/devices.md)",
    },
    { name: "health", description: "Probes" },
  ],
};

/** Returns the API sub-app: its routes, security schemes and `{"detail": …}` error answers. */
export function createApi(deps: ComposedDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }

  // One object store, the composition root's, for the uploads, the admin reads and both erasures.
  registerHealth(app, deps);
  registerTelemetry(app, deps);
  registerCompany(app, deps);
  registerEngagement(app, deps);
  registerRecordingUploads(app, deps);
  registerAdmin(app, deps);
  registerDevices(app, deps);

  if (deps.config.policy.docsOpen) {
    app.doc31("/openapi.json", documentInfo);
    registerDocs(app);
  }
  app.onError(errorHandler(deps.log));
  return app;
}
