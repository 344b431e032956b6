/** Contract of the family-engagement area: session-summary ingest and the seven-day dashboard. */
import { createRoute, z } from "@hono/zod-openapi";
import { hasUtcOffset } from "../core/time.ts";
import { errors, errorWith, IdSchema, security, text } from "./common.ts";

const ingestExample = {
  session_id: "demo-session-001",
  user_external_id: "demo-user",
  started_at: "2025-10-22T14:30:00Z",
  duration_seconds: 900,
  sentiment_score: 0.66,
  status: "success",
};

export const SessionSummarySchema = z.object({
  session_id: text(1, 128).openapi({ example: "demo-session-001" }),
  user_external_id: IdSchema.openapi({ example: "demo-user" }),
  started_at: z.string().refine(hasUtcOffset, {
    message: "Invalid input: expected an ISO-8601 timestamp with Z or a UTC offset",
  }).openapi({
    description: "ISO-8601 with `Z` or `±HH:MM`; a timestamp without an offset is rejected. " +
      "Accepted from 2000-01-01T00:00:00Z to 5 minutes past the server's clock (else 422 naming " +
      "the field and the window).",
    example: "2025-10-22T14:30:00Z",
  }),
  duration_seconds: z.number().int().min(0).max(86400).openapi({ example: 900 }),
  sentiment_score: z.number().min(0).max(1).openapi({
    description: "0..1; stored rounded half-up to 2 decimals (0.235 → 0.24).",
    example: 0.66,
  }),
  device_id: text(1, 128).optional().openapi({
    description: "The device that ran the session (the X-Device-ID header wins over it).",
    example: "dev-0001",
  }),
  status: z.enum(["success", "unattended", "early_exit", "error_exit"]).optional().openapi({
    description: "How the session ended. An `unattended` one (the device ran, nobody took " +
      "part) is stored but not counted in the seven-day rollup (docs/engagement.md).",
  }),
}).openapi("EngagementSessionSummary", {
  description: "One companion-device session. Unknown extra fields are ignored.",
});

export const IngestStatusSchema = z.object({
  status: z.enum(["ok", "duplicate"]),
}).openapi("IngestStatus", { example: { status: "ok" } });

// zod-to-openapi does not emit `.length()`, so the bounds are also stated for the document.
const week = <T extends z.ZodType>(item: T) =>
  z.array(item).length(7).openapi({ minItems: 7, maxItems: 7 });

export const EngagementDashboardSchema = z.object({
  lastSession: z.object({
    timestamp: z.iso.datetime().nullable().openapi({
      description: "End (started_at + duration) of the newest session ever; null when none.",
    }),
  }),
  streak: z.object({
    days: z.number().int().min(0).max(7),
    dailyActivity: week(z.boolean()),
  }),
  avgDuration: z.object({
    minutes: z.number().int().min(0),
    dailyDurations: week(z.number().int().min(0)),
  }),
  toneTrend: z.object({
    current: z.enum(["positive", "neutral", "negative"]),
    dailySentiment: week(z.number().min(0).max(1).nullable()),
  }),
  lastUpdated: z.iso.datetime(),
}).openapi("EngagementDashboard", {
  description: "Seven UTC days ending today (index 0 = six days ago, index 6 = today).",
});

export const UserIdParamsSchema = z.object({
  user_id: IdSchema.openapi({
    param: { name: "user_id", in: "path" },
    example: "demo-user",
  }),
});

/** The validated ingest body. */
export type EngagementSessionSummary = z.infer<typeof SessionSummarySchema>;
/** The ingest answer. */
export type EngagementIngestStatus = z.infer<typeof IngestStatusSchema>["status"];
/** The dashboard contract. */
export type EngagementDashboard = z.infer<typeof EngagementDashboardSchema>;

const dashboardExample: EngagementDashboard = {
  lastSession: { timestamp: "2025-10-22T14:45:00.000Z" },
  streak: { days: 2, dailyActivity: [false, false, true, false, false, true, true] },
  avgDuration: { minutes: 12, dailyDurations: [0, 0, 12, 0, 0, 10, 15] },
  toneTrend: { current: "positive", dailySentiment: [null, null, 0.55, null, null, 0.6, 0.66] },
  lastUpdated: "2025-10-22T18:00:00.000Z",
};

export const ingestSessionSummaryRoute = createRoute({
  method: "post",
  path: "/internal/ingest/session_summary",
  operationId: "ingestSessionSummary",
  tags: ["engagement"],
  summary: "Ingest one session summary",
  description: "Stores a companion-device session once per `session_id`. A repeat (also a " +
    'concurrent one) answers `{"status":"duplicate"}` and changes nothing; both answers are ' +
    "200. The credential is checked before the body.",
  security: security.ingest,
  request: {
    headers: z.object({
      "x-device-id": text(1, 128).optional().openapi({
        param: { name: "x-device-id", in: "header" },
        description: "The device that ran the session (1–128 characters); wins over the " +
          "body's device_id.",
        example: "dev-0001",
      }),
    }),
    body: {
      required: true,
      content: { "application/json": { schema: SessionSummarySchema, example: ingestExample } },
    },
  },
  responses: {
    200: {
      description: "Stored, or already stored",
      content: { "application/json": { schema: IngestStatusSchema, example: { status: "ok" } } },
    },
    400: errors[400],
    401: errorWith(401, "Invalid service token"),
    413: errors[413],
    415: errors[415],
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

export const engagementDashboardRoute = createRoute({
  method: "get",
  path: "/api/dashboard/{user_id}",
  operationId: "engagementDashboard",
  tags: ["engagement"],
  summary: "Seven-day engagement dashboard",
  description: "Computed at the moment of the request over the seven UTC days ending today. " +
    "An unknown user gets the zeroed shape (and is created). A token mapped to another user " +
    "is 403; `*` reads any user.",
  security: security.dashboardBearer,
  request: { params: UserIdParamsSchema },
  responses: {
    200: {
      description: "The dashboard",
      content: {
        "application/json": { schema: EngagementDashboardSchema, example: dashboardExample },
      },
    },
    401: errorWith(401, "Invalid dashboard token"),
    403: errorWith(403, "Token not permitted for this user"),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});
