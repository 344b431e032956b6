/** `/docs` is self-hosted: Swagger UI from the swagger-ui-dist package, this origin only. */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import swaggerUiPath from "swagger-ui-dist/absolute-path.js";
import { createApp } from "../../app.ts";
import { CONTENT_SECURITY_POLICY as DOCS_CSP } from "../../http/csp.ts";
import { loadConfig } from "../../config.ts";
import { productionEnv } from "../helpers/env.ts";

const DIST = swaggerUiPath();
const VERSION = JSON.parse(Deno.readTextFileSync(join(DIST, "package.json"))).version;

/** Returns an app whose database is never reached (docs need none). */
function docsApp(env: Record<string, string> = {}) {
  const sql = postgres("postgres://unused@127.0.0.1:9/unused", { max: 1 });
  const app = createApp({
    config: loadConfig({ APP_ENV: "test", ...env }),
    sql,
    log: () => {},
    now: () => new Date(),
  });
  return { app, close: () => sql.end({ timeout: 0 }) };
}

/** Returns every src/href value of an HTML text. */
const references = (html: string) =>
  [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);

Deno.test("GET /docs names no other host and loads its viewer from this origin", async () => {
  const { app, close } = docsApp();
  const res = await app.request("/docs");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=UTF-8");
  assert.equal(res.headers.get("content-security-policy"), DOCS_CSP);
  const html = await res.text();
  assert.ok(!/https?:|\/\/[a-z0-9]/i.test(html), "no URL with a scheme or a host");
  assert.deepEqual(references(html), [
    `/docs/assets/${VERSION}/swagger-ui.css`,
    `/docs/assets/${VERSION}/favicon-32x32.png`,
    `/docs/assets/${VERSION}/swagger-ui-bundle.js`,
    `/docs/assets/${VERSION}/init.js`,
  ]);
  assert.ok(!/<script>|<style|style="/.test(html), "no inline script or style");
  await close();
});

Deno.test("CONTENT_SECURITY_POLICY allows this origin only (data: images for the stylesheet's icons)", () => {
  for (const directive of DOCS_CSP.split("; ")) {
    const [name, ...sources] = directive.split(" ");
    for (const source of sources) {
      const allowed = ["'self'", "'none'", ...(name === "img-src" ? ["data:"] : [])];
      assert.ok(allowed.includes(source), `${name} ${source}`);
    }
  }
  assert.match(DOCS_CSP, /(^|; )default-src 'self'(;|$)/);
  assert.match(DOCS_CSP, /(^|; )script-src 'self'(;|$)/);
  assert.match(DOCS_CSP, /(^|; )connect-src 'self'(;|$)/);
  // The fleet device page's audio players (routes/device.tsx) stream from this origin.
  assert.match(DOCS_CSP, /(^|; )media-src 'self'(;|$)/);
});

Deno.test("GET /docs/assets/<version>/* answers the package's files, gzipped when accepted", async () => {
  const { app, close } = docsApp();
  const html = await (await app.request("/docs")).text();
  const types: Record<string, string> = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
    "init.js": "text/javascript; charset=utf-8",
  };
  for (const url of references(html)) {
    const name = url.split("/").pop()!;
    const res = await app.request(url);
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get("content-type"), types[name], url);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const body = new Uint8Array(await res.arrayBuffer());
    if (name === "init.js") {
      const text = new TextDecoder().decode(body);
      assert.match(text, /url: "\/openapi\.json"/);
      assert.match(text, /validatorUrl: null/);
    } else {
      assert.deepEqual(body, await Deno.readFile(join(DIST, name)), url);
    }
    const zipped = await app.request(url, { headers: { "accept-encoding": "gzip, br" } });
    assert.equal(zipped.headers.get("content-encoding"), "gzip", url);
    await zipped.body?.cancel();
  }
  await close();
});

Deno.test("GET /docs/assets answers 404 for files it does not serve and when docs are off", async () => {
  const { app, close } = docsApp();
  for (const path of [`/docs/assets/${VERSION}/index.html`, "/docs/assets/0.0.0/init.js"]) {
    const res = await app.request(path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), { detail: "Not Found" });
  }
  await close();
  const prod = docsApp(productionEnv());
  for (const path of ["/docs", `/docs/assets/${VERSION}/swagger-ui-bundle.js`]) {
    assert.equal((await prod.app.request(path)).status, 404, path);
  }
  await prod.close();
});
