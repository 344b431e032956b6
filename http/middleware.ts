/** Cross-cutting middleware as plain functions: client address, request id + log, CORS, headers. */
import type { MiddlewareHandler } from "hono";
import { type AddressRange, clientAddress } from "../core/client_address.ts";
import { logPseudonym } from "../core/pseudonym.ts";
import { isLoopbackHost } from "../config.ts";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";
import { type Logger, redactUrl } from "./log.ts";

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

const CORS_METHODS = "GET,HEAD,POST,OPTIONS";
const CORS_HEADERS = "Authorization,Content-Type,X-Request-ID,X-ADMIN-KEY";

/**
 * Returns CORS middleware allowing exactly the configured origins, as the legacy clients expect:
 * an allowed origin is echoed with `Access-Control-Allow-Credentials: true`, and its preflight
 * answers 200. Any other origin is never echoed (its preflight is a bare 204).
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  return async (c, next) => {
    const origin = c.req.header("origin") ?? "";
    const ok = allowed.has(origin);
    if (c.req.method === "OPTIONS") {
      const headers = new Headers({ Vary: "Origin" });
      if (ok) {
        headers.set("Access-Control-Allow-Origin", origin);
        headers.set("Access-Control-Allow-Credentials", "true");
        headers.set("Access-Control-Allow-Methods", CORS_METHODS);
        headers.set("Access-Control-Allow-Headers", CORS_HEADERS);
        headers.set("Access-Control-Max-Age", "600");
        headers.set("Access-Control-Expose-Headers", "X-Request-ID");
      }
      c.res = new Response(null, { status: ok ? 200 : 204, headers });
      return;
    }
    await next();
    c.res.headers.append("Vary", "Origin");
    if (ok) {
      c.res.headers.set("Access-Control-Allow-Origin", origin);
      c.res.headers.set("Access-Control-Allow-Credentials", "true");
      c.res.headers.set("Access-Control-Expose-Headers", "X-Request-ID");
    }
  };
}

const ADMIN_PLAYER_PATH = /^\/admin\/players\/([^/]*)(\/.*)?$/;
const KNOWN_ADMIN_SUFFIXES = new Set(["", "/", "/export", "/export/"]);

/**
 * Returns middleware that logs every `/admin/players/{player_id}…` request (any method,
 * preflights and trailing slashes included) by its template and a keyed hash of the id.
 */
export function pseudonymousAdminPaths(salt: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const match = ADMIN_PLAYER_PATH.exec(c.req.path);
    if (match) {
      let id = match[1];
      try {
        id = decodeURIComponent(id);
      } catch {
        // keep the raw segment; it is hashed either way
      }
      const suffix = match[2] ?? "";
      c.set(
        "logPath",
        `/admin/players/{player_id}${KNOWN_ADMIN_SUFFIXES.has(suffix) ? suffix : "/…"}`,
      );
      c.set("logFields", { ...c.get("logFields"), player_hash: logPseudonym(id, salt) });
    }
    await next();
  };
}

/** Returns the host name of a `Host` header (`[::1]:8000` → `[::1]`, `a.b:80` → `a.b`). */
function hostName(header: string): string {
  const h = header.trim();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/** Returns middleware refusing (421) requests whose `Host` is not a loopback name: DNS rebinding. */
export function loopbackHostOnly(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!isLoopbackHost(hostName(host))) {
      return detail(c, 421, "This development service answers only loopback host names");
    }
    await next();
  };
}

/** Returns true for a JSON answer (the API's: personal or company data, or an error about it). */
function isJson(res: Response): boolean {
  return /^application\/(?:[\w.+-]*\+)?json\b/i.test(res.headers.get("content-type") ?? "");
}

/**
 * Returns middleware setting the headers every response carries: nosniff, no referrer, HSTS
 * when `hstsMaxAge` is set (production), and `Cache-Control: no-store` on every JSON answer that
 * does not set its own caching (API answers carry personal or company data).
 */
export function baseHeaders(hstsMaxAge: number | null): MiddlewareHandler<AppEnv> {
  const hsts = hstsMaxAge === null ? null : `max-age=${hstsMaxAge}; includeSubDomains`;
  return async (c, next) => {
    await next();
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    c.res.headers.set("Referrer-Policy", "no-referrer");
    if (hsts) c.res.headers.set("Strict-Transport-Security", hsts);
    if (!c.res.headers.has("cache-control") && isJson(c.res)) {
      c.res.headers.set("Cache-Control", "no-store");
    }
  };
}
