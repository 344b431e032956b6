/**
 * The failed-credential limiter. It only ever refuses a request whose credential failed (a
 * request marked `credentialFailure`: a missing, malformed or wrong token or key on the API, a
 * wrong `?t=` on the company page, a wrong token posted to a sign-in form — never a page that just
 * shows its sign-in form, nor "not enough players yet"): counted per client
 * address (see client_address middleware; IPv6 per /64), once a client has failed more than
 * AUTH_FAIL_LIMIT times in its window, each further failing request is answered 429 with
 * Retry-After instead. A request with a valid credential, or to a route that needs none, is
 * never refused, so a stale token in one game build cannot lock out the players sharing its
 * address (or a proxy's).
 *
 * The counts live in Postgres (auth_failures), shared by every worker and instance, and are
 * written only on the failure path; a process that saw a client go over the limit answers its
 * further failures from memory until the window ends.
 */
import type { MiddlewareHandler } from "hono";
import { failureVerdict } from "../core/auth_limit.ts";
import { limiterKey } from "../core/client_address.ts";
import { pruneAuthFailures, recordAuthFailure } from "../db/auth_failures.ts";
import type { AppDeps, AppEnv } from "./context.ts";
import { detail } from "./errors.ts";

/** Most clients remembered as over the limit by one process. */
const MAX_BLOCKED = 10_000;

export const LIMITED_MESSAGE = "Too many failed authentication attempts; retry later";

/** Returns the limiter middleware (AUTH_FAIL_LIMIT 0 disables it). */
export function authFailureLimit(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const { sql, log, now, config } = deps;
  const limit = config.authFailLimit;
  const windowSeconds = config.authFailWindowSeconds;
  /** Client key → end of its window (ms), for clients this process saw over the limit. */
  const blocked = new Map<string, number>();
  let nextPrune = 0;

  const limited = (c: Parameters<MiddlewareHandler<AppEnv>>[0], endsAt: number, at: number) => {
    const res = detail(c, 429, LIMITED_MESSAGE);
    res.headers.set("Retry-After", String(Math.max(1, Math.ceil((endsAt - at) / 1000))));
    c.res = undefined;
    c.res = res;
  };

  return async (c, next) => {
    await next();
    if (limit <= 0 || !c.get("credentialFailure")) return;
    const key = limiterKey(c.get("clientAddress") ?? "unknown");
    const at = now();
    const known = blocked.get(key);
    if (known !== undefined && known > at.getTime()) return limited(c, known, at.getTime());
    blocked.delete(key);
    try {
      const window = await recordAuthFailure(sql, key, at, windowSeconds);
      const verdict = failureVerdict(
        window.failures,
        window.windowStartedAt,
        at,
        limit,
        windowSeconds,
      );
      if (at.getTime() >= nextPrune) {
        nextPrune = at.getTime() + windowSeconds * 1000;
        await pruneAuthFailures(sql, at, windowSeconds);
      }
      if (!verdict.limited) return;
      if (blocked.size >= MAX_BLOCKED) blocked.delete(blocked.keys().next().value!);
      const endsAt = window.windowStartedAt.getTime() + windowSeconds * 1000;
      blocked.set(key, endsAt);
      limited(c, endsAt, at.getTime());
    } catch (err) {
      // The database is out: keep the request's own answer (a 401 stays a 401).
      log("warn", { msg: "auth failure not counted", error: String(err) });
    }
  };
}
