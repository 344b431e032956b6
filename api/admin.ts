/** Data-subject rights handlers: erase and export a participant, and the recordings' admin
 * reads (X-ADMIN-KEY). */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { REGISTRY } from "../core/tasks.ts";
import { erasePlayerRoute, exportPlayerRoute } from "../openapi/admin.ts";
import { erasePlayer, exportPlayer } from "../services/privacy.ts";
import { adminAuth } from "../http/auth.ts";
import type { AppEnv, ComposedDeps } from "../http/context.ts";
import { registerRecordingAdmin } from "./recordings.ts";

/** Registers the erase and export routes on the app. */
export function registerAdmin(app: OpenAPIHono<AppEnv>, deps: ComposedDeps): void {
  const { config, sql, objects } = deps;
  const tasks = deps.tasks ?? REGISTRY;
  // The request log names these paths by template with a keyed hash of the player id, for
  // every method (http/middleware.ts pseudonymousAdminPaths).
  const admin = adminAuth(config);

  app.openapi(
    { ...erasePlayerRoute, middleware: [admin] },
    async (c) => {
      const { player_id } = c.req.valid("param");
      const erasure = await erasePlayer(sql, objects, player_id, deps.now());
      c.set("logFields", { ...c.get("logFields"), deleted: erasure.deleted });
      return c.json(erasure, 200);
    },
  );

  app.openapi(
    { ...exportPlayerRoute(tasks), middleware: [admin] },
    async (c) => {
      const { player_id } = c.req.valid("param");
      const body = await exportPlayer(sql, player_id, deps.now(), undefined, tasks);
      c.header("Content-Disposition", 'attachment; filename="player-export.json"');
      c.header("Cache-Control", "no-store");
      // The JSON body of the contract, streamed (the typed c.json would build one string).
      return c.body(body, 200, { "Content-Type": "application/json; charset=utf-8" }) as never;
    },
  );

  registerRecordingAdmin(app, deps, admin);
}
