/** Device fleet handlers: heartbeats, fleet status, uptime, users, commands, logs, erasure. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { badCredentials, deniedCredentials } from "../core/errors.ts";
import { logPseudonym } from "../core/pseudonym.ts";
import {
  deviceCommandsRoute,
  deviceUsersRoute,
  eraseDeviceRoute,
  fleetRoute,
  heartbeatRoute,
  latestLogsRoute,
  pendingCommandRoute,
  queueCommandRoute,
  reportCommandRoute,
  uploadLogsRoute,
  uptimeRoute,
} from "../openapi/devices.ts";
import {
  listDeviceCommands,
  pollCommand,
  queueCommand,
  reportCommandStatus,
} from "../services/commands.ts";
import { eraseDevice } from "../services/device_erasure.ts";
import { latestLog, storeLogSnapshot } from "../services/device_logs.ts";
import {
  fleetStatus,
  fleetUptime,
  listDeviceUsers,
  recordAgentHeartbeat,
} from "../services/devices.ts";
import { adminAuth, bearerToken, dashboardGrantOf, ingestAuth } from "../http/auth.ts";
import type { AppEnv, ComposedDeps } from "../http/context.ts";

/** Registers the device fleet routes on the app. */
export function registerDevices(app: OpenAPIHono<AppEnv>, deps: ComposedDeps): void {
  const { config, sql, metrics, objects } = deps;
  const ingest = ingestAuth(config);
  const admin = adminAuth(config, { failureStatus: 401 });
  // Device ids in paths are logged as keyed hashes under the route template.
  const pseudonymous = (path: string): MiddlewareHandler<AppEnv> => async (c, next) => {
    c.set("logPath", path);
    c.set("logFields", {
      device_hash: logPseudonym(c.req.param("device_id") ?? "", config.companySalt),
    });
    await next();
  };
  const wildcard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const grant = dashboardGrantOf(config, bearerToken(c.req.header("authorization")));
    if (grant === null) throw badCredentials("Invalid dashboard token");
    if (grant !== "*") throw deniedCredentials("The fleet needs a dashboard token mapped to *");
    await next();
  };

  app.openapi({ ...heartbeatRoute, middleware: [ingest] }, async (c) => {
    await recordAgentHeartbeat(sql, c.req.valid("json"), deps.now());
    metrics?.heartbeat();
    return c.json({ status: "ok" as const }, 200);
  });

  app.openapi({ ...fleetRoute, middleware: [wildcard] }, async (c) => {
    return c.json(await fleetStatus(sql, c.req.valid("query"), deps.now()), 200);
  });

  app.openapi({ ...uptimeRoute, middleware: [admin] }, async (c) => {
    return c.json(await fleetUptime(sql, c.req.valid("query"), deps.now()), 200);
  });

  app.openapi(
    { ...deviceUsersRoute, middleware: [pseudonymous(deviceUsersRoute.path), admin] },
    async (c) => c.json(await listDeviceUsers(sql, c.req.valid("param").device_id), 200),
  );

  app.openapi({ ...queueCommandRoute, middleware: [admin] }, async (c) => {
    const body = c.req.valid("json");
    return c.json(await queueCommand(sql, body.device_id, body.command, deps.now()), 201);
  });

  app.openapi({ ...pendingCommandRoute, middleware: [ingest] }, async (c) => {
    const deviceId = c.req.valid("header")["x-device-id"];
    return c.json(await pollCommand(sql, deviceId, deps.now()), 200);
  });

  app.openapi({ ...reportCommandRoute, middleware: [ingest] }, async (c) => {
    const body = c.req.valid("json");
    await reportCommandStatus(sql, {
      id: c.req.valid("param").id,
      deviceId: c.req.valid("header")["x-device-id"],
      status: body.status,
      error: body.error ?? null,
      timeoutSeconds: config.commandTimeoutSeconds,
    }, deps.now());
    return c.json({ status: "ok" as const }, 200);
  });

  app.openapi(
    { ...deviceCommandsRoute, middleware: [pseudonymous(deviceCommandsRoute.path), admin] },
    async (c) => {
      const { device_id } = c.req.valid("param");
      return c.json({ device_id, commands: await listDeviceCommands(sql, device_id) }, 200);
    },
  );

  app.openapi({ ...uploadLogsRoute, middleware: [ingest] }, async (c) => {
    const body = c.req.valid("json");
    const id = await storeLogSnapshot(sql, body.device_id, body.content, deps.now());
    return c.json({ status: "ok" as const, snapshot_id: id }, 200);
  });

  app.openapi(
    { ...latestLogsRoute, middleware: [pseudonymous(latestLogsRoute.path), admin] },
    async (c) => c.json({ snapshot: await latestLog(sql, c.req.valid("param").device_id) }, 200),
  );

  app.openapi(
    { ...eraseDeviceRoute, middleware: [pseudonymous(eraseDeviceRoute.path), admin] },
    async (c) => {
      const erasure = await eraseDevice(sql, c.req.valid("param").device_id, {
        recordings: { store: objects, now: deps.now() },
      });
      c.set("logFields", { ...c.get("logFields"), deleted: erasure.deleted });
      return c.json(erasure, 200);
    },
  );
}
