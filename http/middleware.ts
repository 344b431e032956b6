/** Cross-cutting middleware as plain functions: request id + log, CORS, body limit, headers. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { type AddressRange, clientAddress } from "../core/client_address.ts";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";
import { type Logger, redactUrl } from "./log.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Returns the path and query of an absolute URL (`http://host/p?q` → `/p?q`). */
function pathAndQuery(url: string): string {
  const slash = url.indexOf("/", url.indexOf("//") + 2);
  return slash < 0 ? "/" : url.slice(slash);
}

/** Returns the socket peer's address Deno.serve passed as the handler's info (or ""). */
function peerOf(env: unknown): string {
  const addr = (env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return addr?.hostname ?? "";
}

/**
 * Returns middleware setting `clientAddress`: the socket peer, or, when the peer is one of the
 * trusted proxies, the right-most untrusted X-Forwarded-For address (core/client_address.ts).
 */
export function identifyClient(trusted: readonly AddressRange[]): MiddlewareHandler<AppEnv> {
  // Without X-Forwarded-For (or trusted proxies) the address depends on the peer alone: its
  // canonical form is remembered (a few peers, reset when full) instead of parsed per request.
  const byPeer = new Map<string, string>();
  return async (c, next) => {
    const peer = peerOf(c.env);
    const forwarded = c.req.header("x-forwarded-for");
    let address: string | undefined;
    if (!forwarded || trusted.length === 0) {
      address = byPeer.get(peer);
      if (address === undefined) {
        address = clientAddress(peer, null, trusted);
        if (byPeer.size >= 1024) byPeer.clear();
        byPeer.set(peer, address);
      }
    } else {
      address = clientAddress(peer, forwarded, trusted);
    }
    c.set("clientAddress", address);
    await next();
  };
}

/** Returns middleware that tags the request with an id and logs one JSON line when it ends. */
export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && SAFE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", requestId);
    try {
      await next();
    } finally {
      c.res.headers.set("X-Request-ID", requestId);
      const userId = c.get("userId");
      log("info", {
        request_id: requestId,
        method: c.req.method,
        path: c.get("logPath") ?? redactUrl(pathAndQuery(c.req.url)),
        client: c.get("clientAddress"),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        ...(userId !== undefined ? { user_id: userId } : {}),
        ...c.get("logFields"),
      });
    }
  };
}

/** Returns CORS middleware allowing exactly the configured origins. */
export function corsFor(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-ID", "X-ADMIN-KEY"],
    exposeHeaders: ["X-Request-ID"],
    maxAge: 600,
  });
}

/**
 * Returns middleware answering 413 for bodies over 1 MiB (declared or streamed), except on the
 * `exempt` paths (streamed uploads with their own limit).
 */
export function limitBody(exempt: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => detail(c, 413, "Request body too large (limit 1 MiB)"),
  });
  const skip = new Set(exempt);
  return (c, next) => (skip.has(c.req.path) ? next() : limit(c, next));
}

/** Returns middleware setting the headers every response carries. */
export function baseHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "no-referrer");
  };
}
