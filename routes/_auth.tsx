/** Page sign-in: the token form, its POST handler, the session check and sign-out. */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { dashboardGrantOf, grantCovers, markCredentialFailure } from "../http/auth.ts";
import type { Config } from "../config.ts";
import { DomainError } from "../core/errors.ts";
import { type PageEnv, sendPage } from "./_page.tsx";
import { issueSession, SESSION_SECONDS, sessionCookieName, verifiedSession } from "./session.ts";
import { isSessionRevoked, revokeSession } from "../db/sessions.ts";
import { LoginForm, Notice } from "./_ui.tsx";

/**
 * Returns the user the request's session cookie grants (`*` = any), or null: the signature,
 * expiry and grant are checked in memory, then one primary-key lookup says whether the session
 * was signed out (on any instance).
 */
export async function sessionUser(c: Context, env: PageEnv): Promise<string | null> {
  const config = env.deps.config;
  const session = await verifiedSession(
    config,
    getCookie(c, sessionCookieName(config)),
    env.deps.now(),
  );
  if (session === null || await isSessionRevoked(env.deps.sql, session.id)) return null;
  return session.user;
}

function cookieHeader(config: Config, value: string, maxAge: number): string {
  const secure = config.policy.secureCookies ? "; Secure" : "";
  return `${sessionCookieName(config)}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; ` +
    `SameSite=Strict${secure}`;
}

/**
 * Returns true when the form may come from another site: `Sec-Fetch-Site` other than same-origin
 * (or none, typed by the user), an `Origin` of another host, or `Origin: null` from a browser that
 * sends no `Sec-Fetch-Site` (an older browser, or a sandboxed frame: login CSRF). Pages send
 * `Referrer-Policy: no-referrer`, so the pages' own forms in current browsers carry `Origin: null`
 * together with `Sec-Fetch-Site: same-origin`, and pass.
 */
export function crossSite(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = c.req.header("origin");
  if (origin === "null") return site === undefined;
  if (!origin) return false;
  try {
    return new URL(origin).host !== new URL(c.req.url).host;
  } catch {
    return true;
  }
}

/** Shown on the sign-in page when the browser sent a session that no longer holds. */
export const EXPIRED_SESSION = "Your sign-in has expired or is no longer valid. Enter the " +
  "dashboard token again.";

/**
 * Returns the sign-in page (401) for a private page; when the browser sent a session cookie that
 * no longer holds (expired, or its token withdrawn), it says so.
 */
export function loginPage(
  c: Context,
  env: PageEnv,
  opts: { title: string; subject: string; error?: string; status?: 401 | 403 },
): Promise<Response> {
  const stale = getCookie(c, sessionCookieName(env.deps.config)) !== undefined;
  return sendPage(c, env, {
    title: opts.title,
    status: opts.status ?? 401,
    lead: "Sign in to continue.",
    body: (
      <LoginForm
        action={new URL(c.req.url).pathname}
        subject={opts.subject}
        error={opts.error ?? (stale ? EXPIRED_SESSION : undefined)}
      />
    ),
  });
}

/** Returns the 403 page for a token or session that belongs to another user. */
export function otherUserPage(c: Context, env: PageEnv, title: string): Promise<Response> {
  return sendPage(c, env, {
    title,
    status: 403,
    body: (
      <Notice title="Access denied" tone="error">
        <p>
          This dashboard token is for a different user. Ask whoever gave you the token for one that
          covers this user, or open the dashboard of the user it belongs to.
        </p>
      </Notice>
    ),
  });
}

/**
 * Handles the token form posted to a private page about `userId`: 401 for an unknown token,
 * 403 for a token of another user, else a session cookie and a redirect back to the page.
 */
export async function handleLogin(
  c: Context,
  env: PageEnv,
  userId: string,
  opts: { title: string; subject: string },
): Promise<Response> {
  const config = env.deps.config;
  if (crossSite(c)) {
    return sendPage(c, env, {
      title: opts.title,
      status: 403,
      body: <Notice title="Cross-site form rejected" tone="error" />,
    });
  }
  let token = "";
  try {
    const form = await c.req.parseBody();
    token = typeof form.token === "string" ? form.token.trim() : "";
  } catch (err) {
    if (err instanceof DomainError) throw err; // a body that is not UTF-8: 400
    token = "";
  }
  if (token === "" || token.length > 256) {
    return loginPage(c, env, { ...opts, error: "Enter a dashboard token." });
  }
  const grant = dashboardGrantOf(config, token);
  if (grant === null) {
    markCredentialFailure(c);
    return loginPage(c, env, { ...opts, error: "That token is not valid." });
  }
  if (!grantCovers(grant, userId)) {
    markCredentialFailure(c);
    return otherUserPage(c, env, opts.title);
  }
  const value = await issueSession(config, token, grant, env.deps.now());
  return new Response(null, {
    status: 303,
    headers: {
      Location: new URL(c.req.url).pathname,
      "Set-Cookie": cookieHeader(config, value, SESSION_SECONDS),
      "Cache-Control": "no-store",
    },
  });
}

/** Handles POST /logout: revokes the session for every instance, clears the cookie, returns home. */
export async function handleLogout(c: Context, env: PageEnv): Promise<Response> {
  if (crossSite(c)) return new Response("Cross-site request rejected", { status: 403 });
  const { config, sql } = env.deps;
  const now = env.deps.now();
  const session = await verifiedSession(config, getCookie(c, sessionCookieName(config)), now);
  if (session !== null) await revokeSession(sql, session.id, session.expiresAt, now);
  return new Response(null, {
    status: 303,
    headers: {
      Location: "/",
      "Set-Cookie": cookieHeader(env.deps.config, "", 0),
      "Cache-Control": "no-store",
    },
  });
}

/** The sign-out button shown on private pages. */
export function SignOut() {
  return (
    <form method="post" action="/logout" class="signout">
      <button type="submit" class="linkish">Sign out</button>
    </form>
  );
}
