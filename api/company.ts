/** Company dashboard handlers (token in `t`) and the admin company seed. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  companyForecastRoute,
  companyInfoRoute,
  companySummaryRoute,
  companyTimeseriesRoute,
  seedCompanyRoute,
} from "../openapi/company.ts";
import {
  companyForecast,
  companyInfo,
  companySummary,
  companyTimeseries,
  seedCompany,
} from "../services/company.ts";
import { adminAuth } from "../http/auth.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

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
  app.openapi(companyForecastRoute, async (c) => {
    return c.json(await companyForecast(sql, config, c.req.valid("query").t), 200);
  });
  const admin = adminAuth(config);
  app.openapi({ ...seedCompanyRoute, middleware: [admin] }, async (c) => {
    return c.json(await seedCompany(sql, config, c.req.valid("json")), 200);
  });
}
