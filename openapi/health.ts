/** Contract of the health probes. */
import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "./common.ts";

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
export const ReadySchema = z.object({
  status: z.literal("ready"),
  windowDays: z.literal(7),
}).openapi("Ready");

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  tags: ["health"],
  security: [],
  summary: "Process liveness",
  description: "Answers as long as the process serves HTTP; does not touch the database. " +
    "Open (no credentials). HEAD is answered too.",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: HealthSchema, example: { status: "ok" } } },
    },
  },
});

export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "healthz",
  tags: ["health"],
  security: [],
  summary: "Database connectivity",
  description: "One database round trip (`select 1`); 503 (with Retry-After) when the " +
    "database is unreachable. Open (no credentials).",
  responses: {
    200: {
      description: "The database answered",
      content: { "application/json": { schema: HealthSchema, example: { status: "ok" } } },
    },
    503: errors[503],
  },
});

export const readyzRoute = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "readyz",
  tags: ["health"],
  security: [],
  summary: "Readiness",
  description: "Ready when the database answers; echoes the fixed seven-day rollup window. " +
    "HEAD is answered too. Open (no credentials).",
  responses: {
    200: {
      description: "Ready",
      content: {
        "application/json": { schema: ReadySchema, example: { status: "ready", windowDays: 7 } },
      },
    },
    503: errors[503],
  },
});
