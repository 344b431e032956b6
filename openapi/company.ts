/** Contract of the company dashboards (token in `t`) and the admin company seed. */
import { createRoute, z } from "@hono/zod-openapi";
import { COMPANY_ID_PATTERN } from "../core/company.ts";
import { CompanyNameSchema, errors, errorWith, security } from "./common.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { companyTimeseries, seededCompany } from "./examples.ts";
import { intervalOf, PrivacyModeSchema, taskSchemas, type TimeseriesBucket } from "./tasks.ts";

const TokenQuery = z.object({
  t: z.string().max(256).optional().openapi({
    param: { name: "t", in: "query" },
    description: "Company dashboard token (24 hex characters, from POST /admin/seed_company). " +
      "The example is the legacy system's token for Acme Corp.",
    example: "6ce99e1e54ed18055b582ae8",
  }),
});

export const CompanyInfoSchema = z.object({
  company_id: z.string(),
  n_players: z.number().int(),
  has_sufficient_data: z.boolean(),
  message: z.string(),
  n_players_interval: intervalOf("n_players"),
  privacy: PrivacyModeSchema,
}).openapi("CompanyInfo", {
  example: {
    company_id: "c_a7e357256323",
    n_players: 3,
    has_sufficient_data: false,
    message: "Not enough data yet: 3 of 5 players needed before aggregates are shown.",
    n_players_interval: null,
    privacy: "exact",
  },
});

/** Returns the timeseries schema over a registry's bucket schema. */
function timeseriesSchema(bucket: z.ZodType) {
  return z.object({
    company_id: z.string(),
    bucket_type: z.enum(["day", "week", "month"]),
    buckets: z.array(bucket),
    suppressed_buckets: z.number().int().openapi({
      description: "Buckets left out for privacy: exact mode, small or complementary " +
        "suppression; protected mode, released periods with too few players (no average " +
        "survives the k rule on the noisy count and the noise)",
    }),
    privacy: PrivacyModeSchema,
    next_release_at: z.string().nullable().openapi({
      description: "Protected mode: when the open period closes and is released (its numbers " +
        "are not shown before); null in exact mode",
    }),
  }).openapi("Timeseries", { example: companyTimeseries });
}

/** The service registry's company summary, timeseries and forecast schemas. */
export const { CompanySummarySchema, TimeseriesBucketSchema, CompanyForecastSchema } = taskSchemas(
  REGISTRY,
);
export const TimeseriesSchema = timeseriesSchema(TimeseriesBucketSchema);

export const SeedCompanySchema = z.object({
  company_name: CompanyNameSchema.openapi({ example: "Acme Corp" }),
  company_id: z.string().regex(COMPANY_ID_PATTERN).optional().openapi({
    description: "Explicit id (wins over the one computed from the name)",
  }),
}).openapi("SeedCompany");

export const SeededCompanySchema = z.object({
  company_id: z.string(),
  company_name: z.string(),
  dashboard_token: z.string(),
}).openapi("SeededCompany", { example: seededCompany });

export type CompanyInfo = z.infer<typeof CompanyInfoSchema>;
export type { CompanyForecast, CompanySummary, Interval90, TimeseriesBucket } from "./tasks.ts";
/** The company's buckets by play time (TimeseriesBucket per bucket). */
export interface Timeseries {
  company_id: string;
  bucket_type: "day" | "week" | "month";
  buckets: TimeseriesBucket[];
  suppressed_buckets: number;
  privacy: "protected" | "exact";
  next_release_at: string | null;
}
export type SeededCompany = z.infer<typeof SeededCompanySchema>;

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const companyInfoRoute = createRoute({
  method: "get",
  path: "/dashboard/company",
  operationId: "companyInfo",
  tags: ["company"],
  summary: "Company info and player count",
  description: "Always available for a valid token, so a dashboard can show a " +
    "'not enough data yet' state. 403 for a missing or unknown token.",
  security: security.companyToken,
  request: { query: TokenQuery },
  responses: {
    200: json(CompanyInfoSchema, "Company info"),
    403: errorWith(403, "Invalid or missing dashboard token"),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

/** Builds the task-dependent company routes of a registry. */
function buildRoutes(registry: TaskRegistry) {
  const { CompanySummarySchema, TimeseriesBucketSchema, CompanyForecastSchema } = taskSchemas(
    registry,
  );
  const TimeseriesSchema = timeseriesSchema(TimeseriesBucketSchema);
  const summary = createRoute({
    method: "get",
    path: "/dashboard/summary",
    operationId: "companySummary",
    tags: ["company"],
    summary: "Company aggregate metrics",
    description: "Averages over every finalized session of the company. 403 below MIN_COMPANY_N " +
      "distinct players.",
    security: security.companyToken,
    request: { query: TokenQuery },
    responses: {
      200: json(CompanySummarySchema, "Aggregates"),
      403: errorWith(
        403,
        "Not enough data yet: 3 of 5 players needed before aggregates are shown.",
      ),
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });

  const timeseries = createRoute({
    method: "get",
    path: "/dashboard/timeseries",
    operationId: "companyTimeseries",
    tags: ["company"],
    summary: "Company metrics per day, week or month",
    description: "Buckets by play time (UTC days; weeks start Monday; UTC calendar months). A " +
      "bucket with fewer than MIN_COMPANY_N distinct players is left out; when the left-out " +
      "buckets together hold fewer than MIN_COMPANY_N players, the smallest visible buckets are " +
      "left out too. Protected mode: a month adds up the released days of that closed month (no " +
      "new release), so its averages are over player-days. 400 for a bucket other than day, " +
      "week or month; 403 below MIN_COMPANY_N players.",
    security: security.companyToken,
    request: {
      query: TokenQuery.extend({
        bucket: z.string().max(16).optional().openapi({
          param: { name: "bucket", in: "query" },
          description: "day (default), week or month",
          example: "week",
        }),
      }),
    },
    responses: {
      200: json(TimeseriesSchema, "Buckets"),
      400: errorWith(400, "bucket must be 'day', 'week' or 'month'"),
      403: errorWith(
        403,
        "Not enough data yet: 3 of 5 players needed before aggregates are shown.",
      ),
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });

  const forecast = createRoute({
    method: "get",
    path: "/dashboard/forecast",
    operationId: "companyForecast",
    tags: ["company"],
    summary: "Company next-session forecast per task",
    description: "Per task, the mean of the next-session predictions of the company's players " +
      "with a trained model of that task (each from the player's newest session of the task), " +
      "computed on the server: no player id reaches a company token. A mean is null below " +
      "MIN_COMPANY_N models; 403 below MIN_COMPANY_N players.",
    security: security.companyToken,
    request: { query: TokenQuery },
    responses: {
      200: json(CompanyForecastSchema, "Forecast"),
      403: errorWith(
        403,
        "Not enough data yet: 3 of 5 players needed before aggregates are shown.",
      ),
      422: errors[422],
      429: errors[429],
      503: errors[503],
    },
  });
  return { summary, timeseries, forecast };
}

/** The task-dependent company routes of one registry (summary, timeseries, forecast). */
export type CompanyRoutes = ReturnType<typeof buildRoutes>;

const built = new WeakMap<TaskRegistry, CompanyRoutes>();

/** Returns the task-dependent company routes of a registry (the same objects on every call). */
export function companyRoutes(registry: TaskRegistry): CompanyRoutes {
  let routes = built.get(registry);
  if (routes === undefined) built.set(registry, routes = buildRoutes(registry));
  return routes;
}

export const seedCompanyRoute = createRoute({
  method: "post",
  path: "/admin/seed_company",
  operationId: "seedCompany",
  tags: ["admin"],
  summary: "Register a company and get its dashboard token",
  description: "Upsert by company_id. 401 without X-ADMIN-KEY, 403 for a wrong key or when " +
    "ADMIN_KEY is empty (endpoint locked).",
  security: security.admin,
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: SeedCompanySchema, example: { company_name: "Acme Corp" } },
      },
    },
  },
  responses: {
    200: json(SeededCompanySchema, "Registered"),
    400: errors[400],
    401: errorWith(401, "Missing X-ADMIN-KEY header"),
    403: errorWith(403, "Invalid admin key"),
    413: errors[413],
    415: errors[415],
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});
