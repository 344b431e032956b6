/** Contract of the company dashboards (token in `t`) and the admin company seed. */
import { createRoute, z } from "@hono/zod-openapi";
import { COMPANY_ID_PATTERN } from "../core/company.ts";
import { CompanyNameSchema, errors, errorWith, security } from "./common.ts";
import { companyForecast, companySummary, companyTimeseries, seededCompany } from "./examples.ts";

const TokenQuery = z.object({
  t: z.string().max(256).optional().openapi({
    param: { name: "t", in: "query" },
    description: "Company dashboard token (24 hex characters, from POST /admin/seed_company). " +
      "The example is the legacy system's token for Acme Corp.",
    example: "6ce99e1e54ed18055b582ae8",
  }),
});

/** A 90 % interval of a released estimate. */
export const Interval90Schema = z.object({
  low: z.number(),
  high: z.number(),
}).openapi("Interval90", {
  description: "90 % interval of a released estimate (protected mode): the noise added for " +
    "differential privacy leaves the true value inside it at least 90 % of the time",
});

const interval = (of: string) =>
  Interval90Schema.nullable().openapi({
    description: `90 % interval of ${of}; null in exact mode or where the number is null`,
  });

const PrivacyModeSchema = z.enum(["protected", "exact"]).openapi({
  description: "protected: numbers released with differential privacy per closed period " +
    "(docs/privacy.md); exact: exact aggregates with k-anonymity (COMPANY_PRIVACY=exact)",
});

export const CompanyInfoSchema = z.object({
  company_id: z.string(),
  n_players: z.number().int(),
  has_sufficient_data: z.boolean(),
  message: z.string(),
  n_players_interval: interval("n_players"),
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

export const CompanySummarySchema = z.object({
  company_id: z.string(),
  n_players: z.number().int(),
  n_sessions: z.number().int(),
  avg_brain_performance_score: z.number().nullable().openapi({
    description: "Mean fta_level over earth sessions; null below MIN_COMPANY_N earth players",
  }),
  avg_repetition_burden: z.number().nullable().openapi({
    description: "Over earth sessions; null below MIN_COMPANY_N earth players",
  }),
  avg_earth_score_bucket: z.number().nullable().openapi({
    description: "Over earth sessions; null below MIN_COMPANY_N earth players",
  }),
  n_water_sessions: z.number().int().openapi({ description: "Finalized water_v1 sessions" }),
  avg_stress_score: z.number().nullable().openapi({
    description: "Mean stress_score over water sessions; null below MIN_COMPANY_N water players",
  }),
  n_players_interval: interval("n_players"),
  n_sessions_interval: interval("n_sessions"),
  avg_brain_performance_score_interval: interval("avg_brain_performance_score"),
  avg_repetition_burden_interval: interval("avg_repetition_burden"),
  avg_earth_score_bucket_interval: interval("avg_earth_score_bucket"),
  n_water_sessions_interval: interval("n_water_sessions"),
  avg_stress_score_interval: interval("avg_stress_score"),
  privacy: PrivacyModeSchema,
  released_through: z.string().nullable().openapi({
    description: "Protected mode: last day (YYYY-MM-DD) of the newest released week the " +
      "numbers cover; null in exact mode or before the first release",
  }),
}).openapi("CompanySummary", { example: companySummary });

export const TimeseriesBucketSchema = z.object({
  bucket_start: z.string().openapi({ description: "First UTC day (YYYY-MM-DD)" }),
  bucket_end: z.string().openapi({ description: "Last UTC day, inclusive (YYYY-MM-DD)" }),
  n_sessions: z.number().int().openapi({ description: "Sessions of every task" }),
  avg_brain_performance_score: z.number().nullable().openapi({
    description: "Over the bucket's earth sessions; null when suppressed for privacy or none",
  }),
  avg_repetition_burden: z.number().nullable().openapi({
    description: "Over the bucket's earth sessions; null when suppressed for privacy or none",
  }),
  n_water_sessions: z.number().int(),
  avg_stress_score: z.number().nullable().openapi({
    description: "Over the bucket's water sessions; null when suppressed for privacy or none",
  }),
  n_sessions_interval: interval("n_sessions"),
  avg_brain_performance_score_interval: interval("avg_brain_performance_score"),
  avg_repetition_burden_interval: interval("avg_repetition_burden"),
  n_water_sessions_interval: interval("n_water_sessions"),
  avg_stress_score_interval: interval("avg_stress_score"),
}).openapi("TimeseriesBucket");

export const TimeseriesSchema = z.object({
  company_id: z.string(),
  bucket_type: z.enum(["day", "week"]),
  buckets: z.array(TimeseriesBucketSchema),
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

export const CompanyForecastSchema = z.object({
  earth: z.object({
    predicted_next_brain_performance: z.number().nullable().openapi({
      description: "Mean over the company's players with a trained earth model of their " +
        "predicted next fta_level; null below MIN_COMPANY_N models",
    }),
    n_models: z.number().int().openapi({
      description: "Players with a trained earth model (protected mode: the released " +
        "players of the week the forecast comes from)",
    }),
    predicted_next_brain_performance_interval: interval("predicted_next_brain_performance"),
  }),
  water: z.object({
    predicted_next_stress_score: z.number().nullable().openapi({
      description: "Mean over the company's players with a trained water model of their " +
        "predicted next stress_score; null below MIN_COMPANY_N models",
    }),
    n_models: z.number().int().openapi({
      description: "Players with a trained water model (protected mode: the released " +
        "players of the week the forecast comes from)",
    }),
    predicted_next_stress_score_interval: interval("predicted_next_stress_score"),
  }),
  privacy: PrivacyModeSchema,
}).openapi("CompanyForecast", { example: companyForecast });

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
export type Interval90 = z.infer<typeof Interval90Schema> | null;
export type CompanySummary = z.infer<typeof CompanySummarySchema>;
export type Timeseries = z.infer<typeof TimeseriesSchema>;
export type CompanyForecast = z.infer<typeof CompanyForecastSchema>;
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

export const companySummaryRoute = createRoute({
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
    403: errorWith(403, "Not enough data yet: 3 of 5 players needed before aggregates are shown."),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

export const companyTimeseriesRoute = createRoute({
  method: "get",
  path: "/dashboard/timeseries",
  operationId: "companyTimeseries",
  tags: ["company"],
  summary: "Company metrics per day or week",
  description: "Buckets by play time (UTC days; weeks start Monday). A bucket with fewer than " +
    "MIN_COMPANY_N distinct players is left out; when the left-out buckets together hold fewer " +
    "than MIN_COMPANY_N players, the smallest visible buckets are left out too. 400 for a " +
    "bucket other than day or week; 403 below MIN_COMPANY_N players.",
  security: security.companyToken,
  request: {
    query: TokenQuery.extend({
      bucket: z.string().max(16).optional().openapi({
        param: { name: "bucket", in: "query" },
        description: "day (default) or week",
        example: "week",
      }),
    }),
  },
  responses: {
    200: json(TimeseriesSchema, "Buckets"),
    400: errorWith(400, "bucket must be 'day' or 'week'"),
    403: errorWith(403, "Not enough data yet: 3 of 5 players needed before aggregates are shown."),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

export const companyForecastRoute = createRoute({
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
    403: errorWith(403, "Not enough data yet: 3 of 5 players needed before aggregates are shown."),
    422: errors[422],
    429: errors[429],
    503: errors[503],
  },
});

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
