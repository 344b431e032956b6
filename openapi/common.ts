/** Shared contract pieces: error bodies, their responses, and the security schemes. */
import { z } from "@hono/zod-openapi";
import { normalizeCompanyName } from "../core/company.ts";

/** Text without NUL characters (PostgreSQL text cannot store them). */
export const text = (min: number, max: number) =>
  z.string().min(min).max(max).refine((v) => !v.includes("\u0000"), {
    message: "Must not contain NUL characters",
  }).refine((v) => v.isWellFormed(), {
    message: "Must be well-formed Unicode (no lone surrogates)",
  });

/** A company name that identifies a company: something must survive normalization. */
export const CompanyNameSchema = text(1, 256).refine((v) => normalizeCompanyName(v).trim() !== "", {
  message: "company_name must contain at least one letter or digit",
});

/** A player, session or user id as every endpoint and page accepts it. */
export const IdSchema = text(1, 128).refine((v) => v !== "." && v !== "..", {
  message: "'.' and '..' cannot be carried in a URL path",
});

export const ErrorSchema = z.object({
  detail: z.string().openapi({ example: "No events found for session" }),
}).openapi("Error");

export const ValidationIssueSchema = z.object({
  loc: z.array(z.union([z.string(), z.number()])).openapi({ example: ["body", "attempt_index"] }),
  msg: z.string().openapi({ example: "Too big: expected number to be <=3" }),
  type: z.string().openapi({ example: "too_big" }),
}).openapi("ValidationIssue");

export const ValidationErrorSchema = z.object({
  detail: z.array(ValidationIssueSchema),
}).openapi("ValidationError");

export type ErrorBody = z.infer<typeof ErrorSchema>;
export type ValidationErrorBody = z.infer<typeof ValidationErrorSchema>;

const RETRY_AFTER = {
  "Retry-After": {
    description: "Seconds to wait before retrying",
    schema: { type: "integer" as const, example: 2 },
  },
};

const error = (description: string, example: string, retry = false) => ({
  description,
  ...(retry ? { headers: RETRY_AFTER } : {}),
  content: { "application/json": { schema: ErrorSchema, example: { detail: example } } },
});

/** Documented error responses, by status, for routes to spread into `responses`. */
export const errors = {
  400: error(
    "Bad request: malformed JSON or a request the service cannot act on",
    "Malformed JSON in request body",
  ),
  401: error("Missing or malformed credentials", "Missing Authorization header"),
  403: error("Credentials valid but not allowed here", "Forbidden"),
  404: error("Not found", "Not Found"),
  409: error("Conflicts with data already stored", "Conflict"),
  413: error("Request body larger than 1 MiB", "Request body too large (limit 1 MiB)"),
  415: error("Body sent without Content-Type: application/json", "Unsupported Media Type"),
  422: {
    description: "Validation failed; every offending field is named in `loc`",
    content: {
      "application/json": {
        schema: ValidationErrorSchema,
        example: {
          detail: [{
            loc: ["body", "attempt_index"],
            msg: "Too big: expected number to be <=3",
            type: "too_big",
          }],
        },
      },
    },
  },
  429: error(
    "Too many failed authentication attempts from this client; see Retry-After",
    "Too many failed authentication attempts; retry later",
    true,
  ),
  503: error("Database unavailable; retry with backoff", "Database unavailable", true),
} as const;

type ErrorStatus = Exclude<keyof typeof errors, 422>;

/** Returns the documented error response for `status` with a route-specific example detail. */
export function errorWith<S extends ErrorStatus>(status: S, detail: string): (typeof errors)[S] {
  const base = errors[status];
  return {
    ...base,
    content: { "application/json": { schema: ErrorSchema, example: { detail } } },
  } as (typeof errors)[S];
}

type Requirement = Record<string, string[]>[];

/** Security requirements used by the routes (schemes registered in api/mod.ts). */
export const security: Record<
  "ingest" | "dashboardBearer" | "admin" | "companyToken",
  Requirement
> = {
  ingest: [{ ingestToken: [] }],
  dashboardBearer: [{ dashboardToken: [] }],
  admin: [{ adminKey: [] }, { adminToken: [] }],
  companyToken: [{ companyToken: [] }],
};

/** The security schemes of the document. */
export const securitySchemes = {
  ingestToken: {
    type: "http",
    scheme: "bearer",
    description: "INGEST_SERVICE_TOKEN (any of its comma list). Required in production for " +
      "event ingest and finalize; always for session-summary ingest.",
  },
  dashboardToken: {
    type: "http",
    scheme: "bearer",
    description: "A token of DASHBOARD_TOKEN_MAP, mapped to one user id or `*`.",
  },
  adminKey: { type: "apiKey", in: "header", name: "X-ADMIN-KEY", description: "ADMIN_KEY" },
  adminToken: {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN (`Authorization: Bearer`), accepted on every admin endpoint " +
      "alongside X-ADMIN-KEY.",
  },
  companyToken: {
    type: "apiKey",
    in: "query",
    name: "t",
    description: "A company dashboard token (24 hex characters).",
  },
} as const;
