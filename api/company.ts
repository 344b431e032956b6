/** Company dashboard handlers (token in `t`) and the admin company seed. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { REGISTRY } from "../core/tasks.ts";
import { companyInfoRoute, companyRoutes, seedCompanyRoute } from "../openapi/company.ts";
import {
  companyForecast,
  companyInfo,
  companySummary,
  companyTimeseries,
  openCompany,
  seedCompany,
} from "../services/company.ts";
import { adminAuth } from "../http/auth.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

/** Registers the company and admin routes on the app. */
export function registerCompany(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { config, sql } = deps;
  const tasks = deps.tasks ?? REGISTRY;
  const routes = companyRoutes(tasks);
  // The token is resolved once per request; every read after it uses the resolved company.
  const open = (token: string | undefined) =>
    openCompany(sql, {
      minCompanyN: config.minCompanyN,
      companyPrivacy: config.companyPrivacy,
      now: deps.now(),
      random: deps.random,
      tasks,
    }, token);
  app.openapi(companyInfoRoute, async (c) => {
    return c.json(await companyInfo(await open(c.req.valid("query").t)), 200);
  });
  app.openapi(routes.summary, async (c) => {
    return c.json(await companySummary(await open(c.req.valid("query").t)), 200);
  });
  app.openapi(routes.timeseries, async (c) => {
    const { t, bucket } = c.req.valid("query");
    return c.json(await companyTimeseries(await open(t), bucket), 200);
  });
  app.openapi(routes.forecast, async (c) => {
    return c.json(await companyForecast(await open(c.req.valid("query").t)), 200);
  });
  const admin = adminAuth(config);
  app.openapi({ ...seedCompanyRoute, middleware: [admin] }, async (c) => {
    return c.json(await seedCompany(sql, config, c.req.valid("json")), 200);
  });
}
