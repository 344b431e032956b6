/**
 * `/docs`: Swagger UI served from the `swagger-ui-dist` npm package under this origin
 * (`/docs/assets/<version>/…`), so the API docs work offline and behind a strict egress policy.
 * The page loads nothing from another host, runs no inline script (its start-up call is a served
 * file) and is sent with a Content-Security-Policy that allows only this origin (plus `data:`
 * images, which the stylesheet's icons are).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { join } from "node:path";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import type { AppEnv } from "../http/context.ts";
import { sendStatic, type StaticFile, staticFile } from "../http/static.ts";
import { CONTENT_SECURITY_POLICY } from "../http/csp.ts";

/** The start-up script: render the UI over this origin's contract (no validator badge). */
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
`;

const PACKAGE_FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** Returns the HTML of the docs page, its assets under `base` (`/docs/assets/<version>`). */
export function docsPage(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Earth Task Telemetry API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css">
<link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>
`;
}

/** Registers `/docs` and `/docs/assets/<version>/<file>` on the API app. */
export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  const dir = swaggerUiPath();
  const version: string = JSON.parse(Deno.readTextFileSync(join(dir, "package.json"))).version;
  const base = `/docs/assets/${version}`;
  const html = docsPage(base);
  const files = new Map<string, Promise<StaticFile>>();
  const file = (name: string): Promise<StaticFile> | undefined => {
    let found = files.get(name);
    if (found) return found;
    if (name === "init.js") {
      found = staticFile(new TextEncoder().encode(INIT_JS), PACKAGE_FILES["swagger-ui-bundle.js"]);
    } else if (Object.hasOwn(PACKAGE_FILES, name)) {
      found = Deno.readFile(join(dir, name)).then((bytes) =>
        staticFile(bytes, PACKAGE_FILES[name])
      );
      found.catch(() => files.delete(name)); // a failed read is tried again next time
    } else {
      return undefined;
    }
    files.set(name, found);
    return found;
  };

  app.get("/docs", (c: Context<AppEnv>) =>
    c.html(html, 200, {
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Frame-Options": "DENY",
      "Cache-Control": "no-cache",
    }));
  app.get(`${base}/:file`, async (c) => {
    const found = file(c.req.param("file"));
    return found ? sendStatic(c, await found) : c.notFound();
  });
}
