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
  createHeartbeatWriter,
  fleetStatus,
  fleetUptime,
  listDeviceUsers,
} from "../services/devices.ts";
import {
  adminAuth,
  bearerToken,
  dashboardGrantOf,
  ingestAuth,
  tokenMatches,
} from "../http/auth.ts";
import { isLoopbackHost } from "../config.ts";
import type { AppDeps, AppEnv, ComposedDeps } from "../http/context.ts";

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

  const heartbeats = createHeartbeatWriter(sql, (n) => metrics?.batch("heartbeats", n));
  app.openapi({ ...heartbeatRoute, middleware: [ingest] }, async (c) => {
    await heartbeats.record(c.req.valid("json"), deps.now());
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
    return c.json(
      await queueCommand(sql, body.device_id, body.command, deps.now(), deps.commandHints),
      201,
    );
  });

  app.openapi({ ...pendingCommandRoute, middleware: [ingest] }, async (c) => {
    const deviceId = c.req.valid("header")["x-device-id"];
    return c.json(await pollCommand(sql, deviceId, deps.now(), deps.commandHints), 200);
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

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const EMPTY_POLL = JSON.stringify({ command: null });

/** Returns the host name of a `Host` header (`[::1]:8000` → `[::1]`, `a.b:80` → `a.b`). */
function hostName(header: string): string {
  const h = header.trim();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/**
 * Returns the light path of `GET /internal/commands/pending`, tried before the app itself (app.ts
 * wraps its `fetch`): a poll with a valid ingest token (compared in constant time, as on the full
 * path) for a device the command hints say has nothing pending is answered `{"command": null}`
 * at once, with the headers every response carries, without SQL, routing, the middleware chain,
 * zod, the request log line or the per-route request metrics (it is counted in
 * `etl_command_polls_hinted_total`). It returns null for anything else (another path, a query
 * string, a failed credential, a missing or invalid X-Device-ID, an Origin, a hinted device,
 * hints not ready), which the app then answers and counts exactly as before.
 */
export function lightPoll(deps: AppDeps): (req: Request) => Response | null {
  const { config, metrics } = deps;
  const hints = deps.commandHints!;
  const hsts = config.policy.hstsMaxAge === null
    ? null
    : `max-age=${config.policy.hstsMaxAge}; includeSubDomains`;
  const path = pendingCommandRoute.path;
  return (req) => {
    if (req.method !== "GET") return null;
    const url = req.url;
    const slash = url.indexOf("/", url.indexOf("//") + 2);
    if (slash < 0 || url.length - slash !== path.length || !url.endsWith(path)) return null;
    const headers = req.headers;
    const deviceId = headers.get("x-device-id");
    const auth = headers.get("authorization");
    if (
      deviceId === null || deviceId.length < 1 || deviceId.length > 128 ||
      !deviceId.isWellFormed() || auth === null || headers.has("origin") ||
      (config.policy.loopbackHostOnly && !isLoopbackHost(hostName(headers.get("host") ?? "")))
    ) return null;
    const token = BEARER.exec(auth)?.[1];
    if (token === undefined || !tokenMatches(token, config.ingestTokens)) return null;
    if (hints.probe(deviceId).kind !== "none") return null;
    const given = headers.get("x-request-id");
    const out: Record<string, string> = {
      "content-type": "application/json",
      "x-request-id": given !== null && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID(),
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      vary: "Origin",
    };
    if (hsts) out["strict-transport-security"] = hsts;
    metrics?.hintedPoll();
    return new Response(EMPTY_POLL, { status: 200, headers: out });
  };
}
