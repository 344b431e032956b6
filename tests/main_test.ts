import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import { startupBanner } from "../main.ts";
import { runMain, startService } from "./helpers/process.ts";
import { productionEnv } from "./helpers/env.ts";

Deno.test("production refuses to start, naming every missing variable", async () => {
  const { code, output } = await runMain({ APP_ENV: "production" });
  assert.equal(code, 1);
  assert.match(
    output,
    /Refusing to start: DATABASE_URL is required in production; COMPANY_SALT is required in production; DASHBOARD_TOKEN_SALT is required in production; INGEST_SERVICE_TOKEN is required in production/,
  );
});

Deno.test("ROLLUP_WINDOW_DAYS=8 is refused even in development", async () => {
  const { code, output } = await runMain({ APP_ENV: "development", ROLLUP_WINDOW_DAYS: "8" });
  assert.equal(code, 1);
  assert.match(output, /ROLLUP_WINDOW_DAYS must be 7 \(got 8\)/);
});

Deno.test("a TRUSTED_PROXIES entry that does not parse is refused at start, by name", async () => {
  const { code, output } = await runMain({
    APP_ENV: "development",
    TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8, proxy.internal",
  });
  assert.equal(code, 1);
  assert.match(
    output,
    /Refusing to start: TRUSTED_PROXIES entry "proxy\.internal" is not an IP address or CIDR range/,
  );
});

Deno.test("a RAW_EVENT_RETENTION_DAYS that is not a positive whole number is refused at start", async () => {
  const { code, output } = await runMain({
    APP_ENV: "development",
    RAW_EVENT_RETENTION_DAYS: "0",
  });
  assert.equal(code, 1);
  assert.match(
    output,
    /Refusing to start: RAW_EVENT_RETENTION_DAYS must be a whole number of days from 1 to 36500, or unset to keep raw events forever \(got "0"\)/,
  );
});

Deno.test("embedded database: a DATA_DIR lock refuses a second process; data survives a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "etl-data-" });
  try {
    const first = await startService({ DATA_DIR: dataDir, APP_ENV: "development" });
    console.log(
      `startup to healthy /health (first start, fresh DATA_DIR): ${first.startupMs.toFixed(0)} ms`,
    );
    const second = await runMain({ DATA_DIR: dataDir });
    assert.equal(second.code, 1);
    assert.match(second.output, /is in use by another process/);
    const firstRun = await first.stop("SIGTERM");
    assert.equal(firstRun.code, 0, firstRun.output);
    assert.match(firstRun.output, /migrations applied/);
    assert.match(firstRun.output, /Development ingest token: dev-ingest-token/);

    const again = await startService({ DATA_DIR: dataDir, APP_ENV: "development" });
    console.log(`startup to healthy /health (warm restart): ${again.startupMs.toFixed(0)} ms`);
    const againRun = await again.stop("SIGINT");
    assert.equal(againRun.code, 0, againRun.output);
    assert.doesNotMatch(againRun.output, /migrations applied/, "schema persisted across restart");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("production refuses to start without a recordings store, naming S3_* and AUDIO_STORE", async () => {
  const { code, output } = await runMain(
    productionEnv({ DATABASE_URL: "postgres://postgres@127.0.0.1:1/none", AUDIO_STORE: undefined }),
  );
  assert.equal(code, 1);
  assert.match(
    output,
    /Refusing to start: voice recordings need an object store in production: set S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or AUDIO_STORE=filesystem \(one node with a persistent disk\)/,
  );
});

Deno.test("`startupBanner` gives the same facts with WORKERS=2 as with one worker", () => {
  const env = productionEnv({
    DATABASE_URL: "postgres://db.internal/etl",
    COMPANY_SALT: "banner-company-salt-0123456789abcdef",
    DASHBOARD_TOKEN_SALT: "banner-dashboard-salt-0123456789abcdef",
    INGEST_SERVICE_TOKEN: "banner-ingest-token-0123456789abcdef",
    DASHBOARD_TOKEN_MAP: "banner-dashboard-token-0123456789abcdef:*",
    PORT: "8801",
  });
  const one = startupBanner(loadConfig({ ...env, WORKERS: "1" }), "postgres");
  const two = startupBanner(loadConfig({ ...env, WORKERS: "2" }), "postgres");
  assert.deepEqual(one, [
    "Earth Task Telemetry (production) on http://0.0.0.0:8801",
    "Database: PostgreSQL (DATABASE_URL)",
  ]);
  assert.deepEqual(two, [
    "Earth Task Telemetry (production) on http://0.0.0.0:8801 with 2 worker processes",
    "Database: PostgreSQL (DATABASE_URL)",
  ]);
});

Deno.test("`startupBanner` warns when no dashboard token is configured, naming what is unreachable", () => {
  const production = loadConfig(productionEnv({
    DATABASE_URL: "postgres://db.internal/etl",
    COMPANY_SALT: "banner-company-salt-0123456789abcdef",
    DASHBOARD_TOKEN_SALT: "banner-dashboard-salt-0123456789abcdef",
    INGEST_SERVICE_TOKEN: "banner-ingest-token-0123456789abcdef",
  }));
  assert.equal(
    startupBanner(production, "postgres").at(-1),
    "Warning: DASHBOARD_TOKEN_MAP grants no dashboard token, so every token is refused and " +
      "nobody can reach the player pages /players/{player_id}, the engagement pages " +
      "/engagement/{user_id}, GET /api/dashboard/{user_id}, GET /players/{player_id}/sessions, " +
      "GET /model/state/{player_id}. Set DASHBOARD_TOKEN_MAP=token:user,… (`*` for any user; " +
      "docs/deploy.md).",
  );
  const development = loadConfig({ APP_ENV: "development", DASHBOARD_TOKEN_MAP: "" });
  assert.match(
    startupBanner(development, "embedded").at(-1)!,
    /^Warning: .* nobody can reach the engagement pages \/engagement\/\{user_id\}, GET \/api\/dashboard\/\{user_id\}\. Set/,
  );
  assert.ok(
    startupBanner(loadConfig({ APP_ENV: "development" }), "embedded")
      .every((line) => !line.startsWith("Warning")),
  );
});

Deno.test("the log holds no Deno warning about request.signal after a finalize with an empty body", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "etl-signal-" });
  try {
    const service = await startService({
      DATA_DIR: dataDir,
      APP_ENV: "development",
      DASHBOARD_TOKEN_MAP: "",
    });
    const res = await fetch(`${service.baseUrl}/sessions/no-such-session/finalize`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 404, await res.text());
    // A streamed (chunked) JSON body goes through the size limit's copy of the request too.
    const chunked = await fetch(`${service.baseUrl}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob(["{}"]).stream(),
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 422, await chunked.text());
    const health = await fetch(`${service.baseUrl}/health`);
    await health.body?.cancel();
    const { code, output } = await service.stop("SIGTERM");
    assert.equal(code, 0, output);
    assert.doesNotMatch(output, /request\.signal/);
    assert.match(output, /^Warning: DASHBOARD_TOKEN_MAP grants no dashboard token/m);
    const plain = output.split("\n").filter((l) => l !== "" && !l.startsWith("{"));
    assert.deepEqual(plain.map((l) => l.split(":")[0]), [
      "Earth Task Telemetry (development) on http",
      "Database",
      "Development ingest token",
      "Warning",
    ]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
