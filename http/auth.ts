/** Credential checks shared by the API and the pages. Tokens compare in constant time. */
import type { MiddlewareHandler } from "hono";
import type { Config } from "../config.ts";
import type { AppEnv } from "./context.ts";
import { constantTimeEqual, digestsEqual, secretDigest } from "../core/company.ts";
import { badCredentials, deniedCredentials } from "../core/errors.ts";

/** Returns the token of an `Authorization: Bearer <token>` header, or throws 401. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw badCredentials("Missing Authorization header");
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  if (!match) throw badCredentials("Authorization header must be 'Bearer <token>'");
  return match[1];
}

/** Digests of configured secrets, computed once per (immutable) list. */
const digestCache = new WeakMap<readonly unknown[], Uint8Array[]>();

function digestsOf<T>(list: readonly T[], secret: (item: T) => string): Uint8Array[] {
  let digests = digestCache.get(list);
  if (!digests) {
    digests = list.map((item) => secretDigest(secret(item)));
    digestCache.set(list, digests);
  }
  return digests;
}

/** Digests of presented tokens that matched a configured secret (a few; reset when full). */
const presented = new Map<string, Uint8Array>();

/** Returns the index of the first candidate equal to `token` (all are compared), or -1. */
function matchIndex<T>(token: string, list: readonly T[], secret: (item: T) => string): number {
  const remembered = presented.get(token);
  const digest = remembered ?? secretDigest(token);
  let found = -1;
  digestsOf(list, secret).forEach((candidate, i) => {
    if (digestsEqual(digest, candidate) && found < 0) found = i;
  });
  // Only valid tokens are remembered: a caller with a wrong one learns that from the answer.
  if (found >= 0 && !remembered) {
    if (presented.size >= 64) presented.clear();
    presented.set(token, digest);
  }
  return found;
}

/** Returns true when `token` equals one of `candidates` (every candidate is compared). */
export function tokenMatches(token: string, candidates: readonly string[]): boolean {
  return matchIndex(token, candidates, (c) => c) >= 0;
}

/** Throws 401 unless the header carries one of the configured ingest tokens. */
export function requireIngestToken(config: Config, header: string | undefined): void {
  const token = bearerToken(header);
  if (!tokenMatches(token, config.ingestTokens)) throw badCredentials("Invalid service token");
}

/** Returns the user a dashboard token may read (`*` = any), or null for an unknown token. */
export function dashboardGrantOf(config: Config, token: string): string | null {
  const i = matchIndex(token, config.dashboardGrants, (g) => g.token);
  return i < 0 ? null : config.dashboardGrants[i].user;
}

/** Throws 401 for a missing/unknown dashboard token and 403 when it belongs to another user. */
export function authorizeDashboard(
  config: Config,
  header: string | undefined,
  userId: string,
): void {
  const user = dashboardGrantOf(config, bearerToken(header));
  if (user === null) throw badCredentials("Invalid dashboard token");
  if (user !== "*" && user !== userId) throw deniedCredentials("Token not permitted for this user");
}

/** Returns middleware rejecting requests without an ingest token (runs before validation). */
export function ingestAuth(config: Config): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireIngestToken(config, c.req.header("authorization"));
    await next();
  };
}

/** Returns middleware rejecting dashboard tokens not granted the user named by a path param. */
export function dashboardAuth(config: Config, param: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const userId = c.req.param(param) ?? "";
    c.set("userId", userId);
    authorizeDashboard(config, c.req.header("authorization"), userId);
    await next();
  };
}

/** How an admin endpoint answers a refused credential. */
export type AdminFailure =
  /** The earth endpoints of today: 401 without any credential, 403 for a wrong X-ADMIN-KEY or
   * when both secrets are unset. */
  | "earth"
  /** The device endpoints (as in the later version): 401 for every refusal. */
  | "unauthorized";

/**
 * Throws unless the request carries an admin credential: `Authorization: Bearer <ADMIN_TOKEN>`
 * or `X-ADMIN-KEY: <ADMIN_KEY>` (either suffices; both compared in constant time). With both
 * secrets unset the admin endpoints are locked. Refusals answer as `failure` says.
 */
export function requireAdmin(
  config: Pick<Config, "adminKey" | "adminToken">,
  headers: { authorization?: string; adminKey?: string },
  failure: AdminFailure,
): void {
  const refuse = (status: 401 | 403, message: string): never => {
    throw status === 403 && failure === "earth"
      ? deniedCredentials(message)
      : badCredentials(message);
  };
  const { adminKey, adminToken } = config;
  if (adminKey === "" && adminToken === "") {
    refuse(
      403,
      failure === "earth"
        ? "Admin endpoints are locked (ADMIN_KEY is not set)"
        : "Admin endpoints are locked (neither ADMIN_TOKEN nor ADMIN_KEY is set)",
    );
  }
  const key = headers.adminKey ?? "";
  const bearer = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(headers.authorization ?? "")?.[1] ?? "";
  const keyOk = key !== "" && adminKey !== "" && constantTimeEqual(key, adminKey);
  const tokenOk = bearer !== "" && adminToken !== "" && tokenMatches(bearer, [adminToken]);
  if (keyOk || tokenOk) return;
  if (key !== "") refuse(403, "Invalid admin key");
  // Without ADMIN_TOKEN a bearer is no admin credential (it may be another service's token).
  if (bearer !== "" && adminToken !== "") refuse(401, "Invalid admin token");
  refuse(401, failure === "earth" ? "Missing X-ADMIN-KEY header" : "Missing admin credentials");
}

/** Returns middleware refusing requests without an admin credential (see `requireAdmin`). */
export function adminAuth(config: Config, failure: AdminFailure): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireAdmin(config, {
      authorization: c.req.header("authorization"),
      adminKey: c.req.header("x-admin-key"),
    }, failure);
    await next();
  };
}
