/**
 * Dashboard-token sessions for pages. A form posts the token once; the server checks it against
 * DASHBOARD_TOKEN_MAP and sets a cookie that holds only the granted user, an expiry, a short
 * fingerprint of the grant (so removing the token from the map ends its sessions) and an
 * HMAC-SHA256 signature. The key is derived from DASHBOARD_TOKEN_SALT, so every process behind a
 * load balancer accepts the same cookies. The raw token is never stored in the cookie.
 */
import type { Config } from "../config.ts";
import { constantTimeEqual } from "../core/company.ts";

/** How long a page session lasts. */
export const SESSION_SECONDS = 8 * 60 * 60;

/** v2 cookies carry a random session id (revocable at sign-out); v1 cookies are no longer valid. */
const VERSION = "v2";
const encoder = new TextEncoder();

/** Returns the cookie name: `__Host-` prefixed in production (it requires Secure). */
export function sessionCookieName(config: Config): string {
  return config.policy.secureCookies ? "__Host-ett_session" : "ett_session";
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): string | null {
  try {
    const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(bin, (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

function signingKey(config: Config): Promise<CryptoKey> {
  const salt = config.dashboardTokenSalt;
  let key = keys.get(salt);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey(
        "raw",
        encoder.encode(salt),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const derived = await crypto.subtle.sign(
        "HMAC",
        base,
        encoder.encode("earth-task-telemetry page session key v1"),
      );
      return crypto.subtle.importKey(
        "raw",
        derived,
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
    })();
    keys.set(salt, key);
  }
  return key;
}

async function mac(config: Config, text: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", await signingKey(config), encoder.encode(text));
  return base64url(new Uint8Array(sig));
}

/** Returns the fingerprint of a grant's token (a keyed hash, not reversible to the token). */
function grantId(config: Config, token: string): Promise<string> {
  return mac(config, `grant:${token}`).then((m) => m.slice(0, 16));
}

/** A verified session: its id (for revocation), the user it grants and its expiry. */
export interface PageSession {
  id: string;
  user: string;
  expiresAt: Date;
}

/** Returns a signed cookie value granting `user` (`*` = any user) until `now + SESSION_SECONDS`. */
export async function issueSession(
  config: Config,
  token: string,
  user: string,
  now: Date,
): Promise<string> {
  const expires = Math.floor(now.getTime() / 1000) + SESSION_SECONDS;
  const id = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const body = `${VERSION}.${id}.${base64url(encoder.encode(user))}.${expires}.${await grantId(
    config,
    token,
  )}`;
  return `${body}.${await mac(config, body)}`;
}

/**
 * Returns the session a cookie value holds, or null when invalid, expired or its grant withdrawn
 * (revocation at sign-out is checked by the caller, against the database).
 */
export async function verifiedSession(
  config: Config,
  value: string | undefined,
  now: Date,
): Promise<PageSession | null> {
  if (!value || value.length > 1024) return null;
  const parts = value.split(".");
  if (parts.length !== 6 || parts[0] !== VERSION) return null;
  const [, id, userPart, expiresPart, grant, sig] = parts;
  const body = parts.slice(0, 5).join(".");
  if (!constantTimeEqual(sig, await mac(config, body))) return null;
  if (!/^\d{1,12}$/.test(expiresPart) || Number(expiresPart) * 1000 <= now.getTime()) return null;
  const user = fromBase64url(userPart);
  if (user === null || !/^[A-Za-z0-9_-]{22}$/.test(id)) return null;
  // The grant must still exist in the current map and still give this user.
  for (const g of config.dashboardGrants) {
    if (g.user === user && constantTimeEqual(grant, await grantId(config, g.token))) {
      return { id, user, expiresAt: new Date(Number(expiresPart) * 1000) };
    }
  }
  return null;
}

/** Returns the user a cookie value grants (`*` = any), or null (see `verifiedSession`). */
export async function verifySession(
  config: Config,
  value: string | undefined,
  now: Date,
): Promise<string | null> {
  return (await verifiedSession(config, value, now))?.user ?? null;
}
