/**
 * Registers the pages (routes/*.tsx) and their static assets on the app. Every page handler is
 * guarded: a database outage renders a 503 page, a domain error its status, anything else a 500
 * page (logged), so pages never answer with a JSON error.
 */
import type { Context } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../api/context.ts";
import { DomainError, notFound } from "../core/errors.ts";
import { IdSchema } from "../openapi/common.ts";
import { isDatabaseUnavailable } from "../db/errors.ts";
import { handleLogout } from "./_auth.tsx";
import { createAssets, errorPage, type PageEnv, sendStatic, sharedIslands } from "./_page.tsx";
import type { Logger } from "../api/log.ts";
import { companyPage } from "./company.tsx";
import { engagementLogin, engagementPage } from "./engagement.tsx";
import { homePage } from "./index.tsx";
import { playerLogin, playerPage } from "./player.tsx";

type Handler = (c: Context<AppEnv>) => Promise<Response>;

const DOMAIN_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 400,
  too_many_requests: 503,
} as const;

function guard(env: PageEnv, handler: Handler): Handler {
  return async (c) => {
    try {
      return await handler(c);
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        const res = await errorPage(c, env, 503, "The database is unavailable", "Try again soon.");
        res.headers.set("Retry-After", "2");
        return res;
      }
      if (err instanceof DomainError) {
        return errorPage(c, env, DOMAIN_STATUS[err.kind], "This page cannot be shown", err.message);
      }
      env.deps.log("error", {
        msg: "page failed",
        request_id: c.get("requestId"),
        error: err instanceof Error ? err.name : "unknown",
        message: err instanceof Error ? err.message : String(err),
        stack: err instanceof Error ? err.stack : undefined,
      });
      return errorPage(c, env, 500, "Something went wrong", "The error was logged.");
    }
  };
}

function redirect(path: string): Response {
  return new Response(null, { status: 302, headers: { Location: path } });
}

/** Registers /, the dashboards, sign-in/out and /static/* on the app. */
export function registerPages(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const env: PageEnv = { deps, assets: createAssets(deps.log) };
  const userParam = (c: Context<AppEnv>, name: string) => {
    const id = c.req.param(name) ?? "";
    if (!IdSchema.safeParse(id).success) {
      throw notFound(`Not a valid ${name === "player_id" ? "player" : "user"} id`);
    }
    c.set("userId", id);
    return id;
  };

  app.get("/", guard(env, (c) => homePage(c, env)));
  app.get("/player", (c) => {
    const id = c.req.query("player_id")?.trim() ?? "";
    return id ? redirect(`/players/${encodeURIComponent(id)}`) : redirect("/");
  });
  app.get(
    "/players/:player_id",
    guard(env, (c) => playerPage(c, env, userParam(c, "player_id"))),
  );
  app.post(
    "/players/:player_id",
    guard(env, (c) => playerLogin(c, env, userParam(c, "player_id"))),
  );
  app.get("/company", guard(env, (c) => companyPage(c, env)));
  app.get("/engagement", (c) => {
    const id = c.req.query("user_id")?.trim() ?? "";
    return id ? redirect(`/engagement/${encodeURIComponent(id)}`) : redirect("/");
  });
  app.get(
    "/engagement/:user_id",
    guard(env, (c) => engagementPage(c, env, userParam(c, "user_id"))),
  );
  app.post(
    "/engagement/:user_id",
    guard(env, (c) => engagementLogin(c, env, userParam(c, "user_id"))),
  );
  app.post("/logout", (c) => handleLogout(c, env));

  app.get("/static/:file", async (c) => {
    if (c.req.param("file") !== env.assets.stylesheetUrl.slice("/static/".length)) {
      return c.notFound();
    }
    return sendStatic(c, await env.assets.stylesheet());
  });
  app.get("/static/islands/:file", async (c) => {
    const build = await env.assets.islands();
    const file = build?.files.get(c.req.param("file"));
    return file ? sendStatic(c, file) : c.notFound();
  });
}

/**
 * Bundles the islands now (or loads them from the cache) so the first page is fast; main.ts may
 * call it after the server starts. Failures are logged and pages then ship no scripts.
 */
export async function prepareIslands(log: Logger): Promise<void> {
  await sharedIslands(log);
}
