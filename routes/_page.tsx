/** Turns a page tree into an HTTP response: layout, stylesheet, island scripts, security headers. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ComponentChildren } from "preact";
import type { ComposedDeps } from "../http/context.ts";
import type { Logger } from "../http/log.ts";
import { type StaticFile, staticFile } from "../http/static.ts";
import { buildIslands, type IslandBuild } from "./assets.ts";
import { Layout } from "./_app.tsx";
import { PAGE_HEADERS, renderBody, wrapDocument } from "./render.tsx";
import { Notice } from "./_ui.tsx";

const STYLESHEET = new URL("../static/app.css", import.meta.url);

/** The assets pages link to: the content-hashed stylesheet and the island bundles. */
export interface PageAssets {
  /** URL of the stylesheet (`/static/app.<hash>.css`). */
  stylesheetUrl: string;
  /** Returns the stylesheet file. */
  stylesheet(): Promise<StaticFile>;
  /** Returns the island build, or null when bundling failed (pages then ship no script). */
  islands(): Promise<IslandBuild | null>;
}

let islandBuild: Promise<IslandBuild | null> | undefined;
let failedAt = -Infinity;
const RETRY_MS = 60_000;

/** Returns the process-wide island build (bundled once; after a failure, retried a minute on). */
function sharedIslands(log: Logger): Promise<IslandBuild | null> {
  if (islandBuild === undefined && performance.now() - failedAt < RETRY_MS) {
    return Promise.resolve(null);
  }
  islandBuild ??= buildIslands().catch((err: unknown) => {
    log("error", {
      msg: "island bundling failed; pages are served without scripts",
      error: err instanceof Error ? err.message : String(err),
    });
    failedAt = performance.now();
    islandBuild = undefined;
    return null;
  });
  return islandBuild;
}

/** Returns the page assets (islands are bundled at the first page that needs one). */
export function createAssets(log: Logger): PageAssets {
  const css = Deno.readFileSync(STYLESHEET);
  let hash = 0x811c9dc5;
  for (const b of css) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  let cssFile: Promise<StaticFile> | undefined;
  return {
    stylesheetUrl: `/static/app.${hash.toString(16).padStart(8, "0")}.css`,
    stylesheet: () => (cssFile ??= staticFile(css, "text/css; charset=utf-8")),
    islands: () => sharedIslands(log),
  };
}

/** What pages are rendered with. */
export interface PageEnv {
  deps: ComposedDeps;
  assets: PageAssets;
}

/** A page to send. */
export interface PageSpec {
  title: string;
  heading?: string;
  lead?: ComponentChildren;
  status?: ContentfulStatusCode;
  body: ComponentChildren;
}

/** Returns the HTML response of a page, with the island scripts it needs and strict headers. */
export async function sendPage(_c: Context, env: PageEnv, spec: PageSpec): Promise<Response> {
  const { body, islands } = renderBody(
    <Layout
      heading={spec.heading ?? spec.title}
      lead={spec.lead}
      docs={env.deps.config.policy.docsOpen}
    >
      {spec.body}
    </Layout>,
  );
  const scripts: string[] = [];
  if (islands.length > 0) {
    const build = await env.assets.islands();
    if (build) {
      for (const name of islands) scripts.push(`/static/islands/${build.entries[name]}`);
    }
  }
  const html = wrapDocument(body, {
    title: `${spec.title} · Earth Task Telemetry`,
    stylesheet: env.assets.stylesheetUrl,
    scripts,
  });
  return new Response(html, { status: spec.status ?? 200, headers: { ...PAGE_HEADERS } });
}

/** Returns an error page with a title and an explanation. */
export function errorPage(
  c: Context,
  env: PageEnv,
  status: ContentfulStatusCode,
  title: string,
  message: string,
): Promise<Response> {
  return sendPage(c, env, {
    title,
    status,
    body: (
      <Notice title={title} tone="error">
        <p>{message}</p>
        <p>
          <a href="/">Back to the start page</a>
        </p>
      </Notice>
    ),
  });
}
