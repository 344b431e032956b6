/** Data-subject rights handlers: erase and export a participant (X-ADMIN-KEY). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { logPseudonym } from "../core/pseudonym.ts";
import { erasePlayerRoute, exportPlayerRoute } from "../openapi/admin.ts";
import { erasePlayer, exportPlayer } from "../services/privacy.ts";
import { adminAuth } from "../http/auth.ts";
import type { AppDeps, AppEnv } from "../http/context.ts";

/** The path templates logged instead of the request paths (which hold the player id). */
const LOGGED_PATHS = {
  erase: "/admin/players/{player_id}",
  export: "/admin/players/{player_id}/export",
} as const;

/** Registers the erase and export routes on the app. */
export function registerAdmin(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { config, sql } = deps;
  // Runs before authentication and validation, so no answer of these routes logs the raw id.
  const pseudonymous = (path: string): MiddlewareHandler<AppEnv> => async (c, next) => {
    c.set("logPath", path);
    c.set("logFields", {
      player_hash: logPseudonym(c.req.param("player_id") ?? "", config.companySalt),
    });
    await next();
  };
  const admin = adminAuth(config, "earth");

  app.openapi(
    { ...erasePlayerRoute, middleware: [pseudonymous(LOGGED_PATHS.erase), admin] },
    async (c) => {
      const { player_id } = c.req.valid("param");
      const erasure = await erasePlayer(sql, player_id);
      c.set("logFields", { ...c.get("logFields"), deleted: erasure.deleted });
      return c.json(erasure, 200);
    },
  );

  app.openapi(
    { ...exportPlayerRoute, middleware: [pseudonymous(LOGGED_PATHS.export), admin] },
    async (c) => {
      const { player_id } = c.req.valid("param");
      const body = await exportPlayer(sql, player_id, deps.now());
      c.header("Content-Disposition", 'attachment; filename="player-export.json"');
      c.header("Cache-Control", "no-store");
      // The JSON body of the contract, streamed (the typed c.json would build one string).
      return c.body(body, 200, { "Content-Type": "application/json; charset=utf-8" }) as never;
    },
  );
}
