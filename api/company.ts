/** Company dashboard handlers (token in `t`) and the admin company seed. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../core/company.ts";
import { badCredentials, deniedCredentials } from "../core/errors.ts";
import {
  companyInfoRoute,
  companySummaryRoute,
  companyTimeseriesRoute,
  seedCompanyRoute,
} from "../openapi/company.ts";
import {
  companyInfo,
  companySummary,
  companyTimeseries,
  seedCompany,
} from "../services/company.ts";
import type { AppDeps, AppEnv } from "./context.ts";

/** Throws 401 without X-ADMIN-KEY and 403 for a wrong key or a locked (empty) ADMIN_KEY. */
export function requireAdminKey(adminKey: string, header: string | undefined): void {
  if (adminKey === "") throw deniedCredentials("Admin endpoints are locked (ADMIN_KEY is not set)");
  if (header === undefined || header === "") throw badCredentials("Missing X-ADMIN-KEY header");
  if (!constantTimeEqual(header, adminKey)) throw deniedCredentials("Invalid admin key");
}

/** Registers the company and admin routes on the app. */
export function registerCompany(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { config, sql } = deps;
  app.openapi(companyInfoRoute, async (c) => {
    return c.json(await companyInfo(sql, config, c.req.valid("query").t), 200);
  });
  app.openapi(companySummaryRoute, async (c) => {
    return c.json(await companySummary(sql, config, c.req.valid("query").t), 200);
  });
  app.openapi(companyTimeseriesRoute, async (c) => {
    const { t, bucket } = c.req.valid("query");
    return c.json(await companyTimeseries(sql, config, t, bucket), 200);
  });
  const adminAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
    requireAdminKey(config.adminKey, c.req.header("x-admin-key"));
    await next();
  };
  app.openapi({ ...seedCompanyRoute, middleware: [adminAuth] }, async (c) => {
    return c.json(await seedCompany(sql, config, c.req.valid("json")), 200);
  });
}
