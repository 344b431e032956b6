/** Credential checks shared by the API and the pages. Tokens compare in constant time. */
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../config.ts";
import type { AppEnv } from "./context.ts";
import { constantTimeEqual, digestsEqual, secretDigest } from "../core/company.ts";
import { badCredentials, deniedCredentials } from "../core/errors.ts";

/** Marks the request as refused for its credential (the failed-credential limiter counts it). */
export function markCredentialFailure(c: Context<AppEnv>): void {
  c.set("credentialFailure", true);
}

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

/** Returns true when a grant (`*` = any user; null = none) covers `userId`: the one grant rule. */
export function grantCovers(granted: string | null, userId: string): boolean {
  return granted !== null && (granted === "*" || granted === userId);
}

/** Throws 401 for a missing/unknown dashboard token and 403 when it belongs to another user. */
export function authorizeDashboard(
  config: Config,
  header: string | undefined,
  userId: string,
): void {
  const user = dashboardGrantOf(config, bearerToken(header));
  if (user === null) throw badCredentials("Invalid dashboard token");
  if (!grantCovers(user, userId)) throw deniedCredentials("Token not permitted for this user");
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

/** How the admin middleware answers a wrong credential (and a locked deployment). */
export interface AdminAuthOptions {
  /**
   * 403 (the earth admin endpoints' historical answer: a wrong X-ADMIN-KEY is 403) or 401 (the
   * device endpoints). A request with neither header is always 401.
   */
  failureStatus: 401 | 403;
}

/**
 * Throws unless the request carries an admin secret: `X-ADMIN-KEY` equal to ADMIN_KEY or
 * `Authorization: Bearer` equal to ADMIN_TOKEN (both compared in constant time). With neither
 * configured the endpoints are locked (`failureStatus`).
 */
export function requireAdmin(
  config: Pick<Config, "adminKey" | "adminToken">,
  headers: { adminKey: string | undefined; authorization: string | undefined },
  opts: AdminAuthOptions = { failureStatus: 403 },
): void {
  const fail = opts.failureStatus === 401 ? badCredentials : deniedCredentials;
  if (config.adminKey === "" && config.adminToken === "") {
    throw fail("Admin endpoints are locked (ADMIN_KEY is not set)");
  }
  const key = headers.adminKey ?? "";
  // Without ADMIN_TOKEN an Authorization header is no admin credential (it may be another role's).
  const auth = config.adminToken === "" ? "" : headers.authorization ?? "";
  if (key === "" && auth === "") {
    throw badCredentials("Missing X-ADMIN-KEY header");
  }
  // Both are compared whenever presented, so the answer's timing does not tell which matched.
  const keyOk = key !== "" && config.adminKey !== "" && constantTimeEqual(key, config.adminKey);
  let tokenOk = false;
  if (auth !== "") {
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(auth);
    tokenOk = match !== null && constantTimeEqual(match[1], config.adminToken);
  }
  if (!keyOk && !tokenOk) throw fail("Invalid admin key");
}

/** Returns the one admin middleware: refuses requests without an admin secret (before the body). */
export function adminAuth(
  config: Config,
  opts: AdminAuthOptions = { failureStatus: 403 },
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireAdmin(config, {
      adminKey: c.req.header("x-admin-key"),
      authorization: c.req.header("authorization"),
    }, opts);
    await next();
  };
}
