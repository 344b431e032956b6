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
  parseHeartbeat,
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
  type HeartbeatWriter,
  listDeviceUsers,
} from "../services/devices.ts";
import {
  adminAuth,
  bearerToken,
  dashboardGrantOf,
  ingestAuth,
  tokenMatches,
} from "../http/auth.ts";
import { type Config, isLoopbackHost } from "../config.ts";
import { MAX_BODY_BYTES } from "../http/body.ts";
import { errorAnswer } from "../http/errors.ts";
import type { AppDeps, AppEnv, ComposedDeps } from "../http/context.ts";

/** The heartbeat writer of each composed app (its full route and its light path share it). */
const writers = new WeakMap<ComposedDeps, HeartbeatWriter>();

/** Returns the one group-commit heartbeat writer of the app composed as `deps`. */
function heartbeatWriterOf(deps: ComposedDeps): HeartbeatWriter {
  let writer = writers.get(deps);
  if (writer === undefined) {
    writer = createHeartbeatWriter(deps.sql, (n) => deps.metrics.batch("heartbeats", n));
    writers.set(deps, writer);
  }
  return writer;
}

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

  const heartbeats = heartbeatWriterOf(deps);
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
  const hsts = hstsOf(config);
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
    metrics?.hintedPoll();
    return new Response(EMPTY_POLL, { status: 200, headers: answerHeaders(headers, hsts) });
  };
}

/** Returns the headers the full app gives a JSON answer (request id, base headers, CORS vary). */
function answerHeaders(headers: Headers, hsts: string | null): Record<string, string> {
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
  return out;
}

/** Returns HSTS as the base headers send it, or null. */
function hstsOf(config: Config): string | null {
  return config.policy.hstsMaxAge === null
    ? null
    : `max-age=${config.policy.hstsMaxAge}; includeSubDomains`;
}

/** Returns true when the request's URL path is exactly `path` (no query string). */
function isPath(url: string, path: string): boolean {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash >= 0 && url.length - slash === path.length && url.endsWith(path);
}

/** Returns true when the headers carry a valid ingest token and nothing CORS or the Host check
 * would act on (the light paths' shared gate; anything else goes the full way). */
function plainIngest(config: Config, headers: Headers): boolean {
  const auth = headers.get("authorization");
  if (auth === null || headers.has("origin")) return false;
  if (config.policy.loopbackHostOnly && !isLoopbackHost(hostName(headers.get("host") ?? ""))) {
    return false;
  }
  const token = BEARER.exec(auth)?.[1];
  return token !== undefined && tokenMatches(token, config.ingestTokens);
}

const OK_BODY = JSON.stringify({ status: "ok" });
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Returns the light path of `POST /internal/heartbeat`, tried before the app itself (app.ts): a
 * heartbeat with a valid ingest token (as on the full path, and as `lightPoll` checks it),
 * `Content-Type: application/json`, a declared `Content-Length` within the 1 MiB body limit and
 * a body `parseHeartbeat` accepts (exactly what `HeartbeatSchema` accepts, tested on a corpus) is
 * stored through the same group-commit writer and answered `{"status":"ok"}` with the headers
 * every response carries, counted as the full path counts it (`etl_heartbeats_received_total`
 * and the route's request counter and latency), without routing, the middleware chain, zod or the
 * request log line. It returns null, before reading the body, for anything else (another path or
 * method, a query string, a failed or missing credential, an Origin, another content type, no or a
 * too large Content-Length): the app answers those exactly as before. A body it read but does not
 * accept (not UTF-8, not JSON, refused by the schema, a timestamp the writer refuses) or a write
 * that failed is handed to the app as read (`full`), which answers it as before (so the error
 * statuses and bodies are the full path's: 400, 422, 503).
 */
export function lightHeartbeat(
  deps: ComposedDeps,
): (
  req: Request,
  full: (req: Request) => Response | Promise<Response>,
) => Promise<Response> | null {
  const { config, metrics } = deps;
  const writer = heartbeatWriterOf(deps);
  const hsts = hstsOf(config);
  const path = heartbeatRoute.path;
  return (req, full) => {
    if (req.method !== "POST" || !isPath(req.url, path)) return null;
    const headers = req.headers;
    const length = headers.get("content-length");
    if (
      headers.get("content-type") !== "application/json" || length === null ||
      !/^[1-9]\d{0,6}$/.test(length) || Number(length) > MAX_BODY_BYTES ||
      headers.has("content-encoding") || !plainIngest(config, headers)
    ) return null;
    const started = performance.now();
    return (async () => {
      const bytes = new Uint8Array(await req.arrayBuffer());
      const asRead = () => full(new Request(req.url, { method: "POST", headers, body: bytes }));
      let body: ReturnType<typeof parseHeartbeat> = null;
      try {
        body = parseHeartbeat(JSON.parse(UTF8.decode(bytes)));
      } catch {
        // not UTF-8 or not JSON: the app answers it
      }
      if (body === null) return asRead();
      let stored: Promise<boolean>;
      try {
        stored = writer.record(body, deps.now());
      } catch {
        return asRead(); // refused before it joined a batch (a timestamp out of range)
      }
      try {
        await stored;
      } catch (err) {
        // The batch failed and nothing of it was committed. Answered here as the app's error
        // handler would (a 503 with Retry-After for an outage), not written a second time by the
        // full path; a bug goes to the full path, which logs it.
        const answer = errorAnswer(err);
        if (answer.bug) return asRead();
        const out = answerHeaders(headers, hsts);
        if (answer.retryAfter !== undefined) out["retry-after"] = String(answer.retryAfter);
        const res = new Response(JSON.stringify({ detail: answer.message }), {
          status: answer.status,
          headers: out,
        });
        metrics.request("POST", path, answer.status, (performance.now() - started) / 1000);
        return res;
      }
      metrics.heartbeat();
      const res = new Response(OK_BODY, { status: 200, headers: answerHeaders(headers, hsts) });
      metrics.request("POST", path, 200, (performance.now() - started) / 1000);
      return res;
    })();
  };
}
