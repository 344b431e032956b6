/**
 * The pages (routes/*.tsx) and their static assets as one Hono sub-app. Its `onError` renders
 * every failure as an HTML page with the status the API would give it (http/errors.ts): a
 * database outage 503 with Retry-After, a domain error its status, a bug 500 (logged). Its
 * `notFound` is an HTML 404 page, which the composition root (app.ts) also serves to browsers
 * asking for unknown paths.
 */
import { type Context, Hono } from "hono";
import type { AppEnv, ComposedDeps } from "../http/context.ts";
import { CredentialError, notFound } from "../core/errors.ts";
import { markCredentialFailure } from "../http/auth.ts";
import { bugFields, errorAnswer } from "../http/errors.ts";
import { IdSchema } from "../openapi/common.ts";
import { logPseudonym } from "../core/pseudonym.ts";
import { handleLogout } from "./_auth.tsx";
import { createAssets, errorPage, type PageEnv } from "./_page.tsx";
import { sendStatic } from "../http/static.ts";
import { limitFormBody } from "../http/body.ts";
import { companyCsv, companyPage } from "./company.tsx";
import { engagementLogin, engagementPage } from "./engagement.tsx";
import { homePage } from "./index.tsx";
import { DEVICE_TITLE, devicePage, deviceRecordingAudio, queueCommandForm } from "./device.tsx";
import { fleetListPage, fleetLogin } from "./fleet.tsx";
import { playerLogin, playerPage } from "./player.tsx";

/** The title and explanation of an error page for a status. */
function errorText(status: number, message: string): [title: string, text: string] {
  if (status === 503) {
    return message === "Database unavailable"
      ? ["The database is unavailable", "Try again soon."]
      : ["The service is busy", "Try again in a moment."];
  }
  if (status >= 500) return ["Something went wrong", "The error was logged."];
  return ["This page cannot be shown", message];
}

/** Returns the HTML error page of any failure, with the status of the shared error map. */
async function failurePage(c: Context<AppEnv>, env: PageEnv, err: unknown): Promise<Response> {
  const answer = errorAnswer(err);
  if (err instanceof CredentialError) markCredentialFailure(c);
  if (answer.bug) env.deps.log("error", bugFields(err, c.get("requestId")));
  const [title, text] = errorText(answer.status, answer.message);
  const res = await errorPage(c, env, answer.status, title, text);
  if (answer.retryAfter !== undefined) res.headers.set("Retry-After", String(answer.retryAfter));
  return res;
}

/** The pages sub-app and its not-found page (for the composition root's browser 404s). */
export interface Pages {
  app: Hono<AppEnv>;
  /** Returns the HTML 404 page. */
  notFoundPage(c: Context<AppEnv>): Promise<Response>;
}

function redirect(path: string): Response {
  return new Response(null, { status: 302, headers: { Location: path } });
}

/** Returns the pages sub-app: /, the dashboards, sign-in/out and /static/*. */
export function createPages(deps: ComposedDeps): Pages {
  const env: PageEnv = { deps, assets: createAssets(deps.log) };
  const app = new Hono<AppEnv>();
  const notFoundPage = (c: Context<AppEnv>) =>
    errorPage(c, env, 404, "Page not found", "There is no page at this address.");
  app.onError((err, c) => failurePage(c, env, err));
  app.notFound(notFoundPage);
  const userParam = (c: Context<AppEnv>, name: string) => {
    const id = c.req.param(name) ?? "";
    if (!IdSchema.safeParse(id).success) {
      throw notFound(`Not a valid ${name === "player_id" ? "player" : "user"} id`);
    }
    c.set("userId", id);
    return id;
  };

  app.get("/", (c) => homePage(c, env));
  app.get("/player", (c) => {
    const id = c.req.query("player_id")?.trim() ?? "";
    return id ? redirect(`/players/${encodeURIComponent(id)}`) : redirect("/");
  });
  app.get(
    "/players/:player_id",
    (c) => playerPage(c, env, userParam(c, "player_id")),
  );
  // Sign-in and sign-out need no credential, so their bodies are bounded to a few KiB.
  const form = limitFormBody();
  app.post(
    "/players/:player_id",
    form,
    (c) => playerLogin(c, env, userParam(c, "player_id")),
  );
  app.get("/company", (c) => companyPage(c, env));
  app.get("/company.csv", (c) => companyCsv(c, env));
  app.get("/engagement", (c) => {
    const id = c.req.query("user_id")?.trim() ?? "";
    return id ? redirect(`/engagement/${encodeURIComponent(id)}`) : redirect("/");
  });
  app.get(
    "/engagement/:user_id",
    (c) => engagementPage(c, env, userParam(c, "user_id")),
  );
  app.post(
    "/engagement/:user_id",
    form,
    (c) => engagementLogin(c, env, userParam(c, "user_id")),
  );
  app.get("/fleet", (c) => fleetListPage(c, env));
  app.post("/fleet", form, (c) => fleetLogin(c, env));
  // The request log names the route template and a keyed hash of the device id, never the id.
  const deviceParam = (c: Context<AppEnv>) => {
    const id = c.req.param("device_id") ?? "";
    c.set("logPath", c.req.routePath.replace(/:(\w+)/g, "{$1}"));
    c.set("logFields", { device_hash: logPseudonym(id, deps.config.companySalt) });
    if (!IdSchema.safeParse(id).success) throw notFound("Not a valid device id");
    return id;
  };
  app.get("/fleet/devices/:device_id", (c) => devicePage(c, env, deviceParam(c)));
  app.post("/fleet/devices/:device_id", form, (c) => {
    deviceParam(c);
    return fleetLogin(c, env, DEVICE_TITLE);
  });
  app.post(
    "/fleet/devices/:device_id/commands",
    form,
    (c) => queueCommandForm(c, env, deviceParam(c)),
  );
  app.get(
    "/fleet/devices/:device_id/recordings/:recording_id/audio",
    (c) => deviceRecordingAudio(c, env, deviceParam(c), c.req.param("recording_id")),
  );
  app.post("/logout", form, (c) => handleLogout(c, env));

  app.get("/static/:file", async (c) => {
    if (c.req.param("file") !== env.assets.stylesheetUrl.slice("/static/".length)) {
      return c.notFound();
    }
    return sendStatic(c, await env.assets.stylesheet());
  });
  app.get("/static/islands/:file", async (c) => {
    const build = await env.assets.islands();
    const file = build?.files.get(c.req.param("file"));
    return file ? sendStatic(c, file) : c.notFound();
  });
  return { app, notFoundPage };
}
