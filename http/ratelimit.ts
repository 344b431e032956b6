/**
 * Slows credential guessing: a client (by IP) whose credentials were refused (every 401, and
 * 403s caused by a credential — not, say, "not enough players yet") more than `limit` times
 * within `windowSeconds` gets 429 with Retry-After until its window ends. Well-behaved clients
 * never fail authentication, so they are never limited; health probes are exempt.
 *
 * The counters live in this process: with several workers each counts on its own, which still
 * bounds guessing to workers × limit per window.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";

interface Window {
  startedAt: number;
  failures: number;
}

const MAX_TRACKED = 10_000;

/** Health probes are never limited (a load balancer shares its address with nobody). */
const PROBES = new Set(["/health", "/healthz", "/readyz"]);

/** Returns the client address Deno.serve passed as the handler's info (or "unknown"). */
function clientKey(env: unknown): string {
  const addr = (env as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return addr?.hostname ?? "unknown";
}

/** Returns the middleware; `limit` 0 disables it. `clock` returns milliseconds. */
export function authFailureLimit(
  limit: number,
  windowSeconds: number,
  clock: () => number = Date.now,
): MiddlewareHandler<AppEnv> {
  const windows = new Map<string, Window>();
  const windowMs = windowSeconds * 1000;

  const current = (key: string, now: number): Window | undefined => {
    const w = windows.get(key);
    if (w && now - w.startedAt >= windowMs) {
      windows.delete(key);
      return undefined;
    }
    return w;
  };
  const prune = (now: number) => {
    if (windows.size < MAX_TRACKED) return;
    for (const [key, w] of windows) if (now - w.startedAt >= windowMs) windows.delete(key);
    if (windows.size >= MAX_TRACKED) windows.delete(windows.keys().next().value!);
  };

  return async (c, next) => {
    if (limit <= 0 || PROBES.has(c.req.path)) return await next();
    const key = clientKey(c.env);
    const now = clock();
    const w = current(key, now);
    if (w && w.failures >= limit) {
      const retryAfter = Math.max(1, Math.ceil((w.startedAt + windowMs - now) / 1000));
      c.header("Retry-After", String(retryAfter));
      return detail(c, 429, "Too many failed authentication attempts; retry later");
    }
    await next();
    if (c.res.status === 401 || (c.res.status === 403 && c.get("credentialFailure"))) {
      prune(now);
      const entry = current(key, now) ?? { startedAt: now, failures: 0 };
      entry.failures++;
      windows.set(key, entry);
    }
  };
}
