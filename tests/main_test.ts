import assert from "node:assert/strict";
import { runMain, startService } from "./helpers/process.ts";

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
  const { code, output } = await runMain({
    APP_ENV: "production",
    DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
    COMPANY_SALT: "main-company-salt-kkkkkkkkkkkkkkk",
    DASHBOARD_TOKEN_SALT: "main-dashboard-salt-kkkkkkkkkkkkk",
    INGEST_SERVICE_TOKEN: "main-ingest-token-kkkkkkkkkkkkkkk",
  });
  assert.equal(code, 1);
  assert.match(
    output,
    /Refusing to start: voice recordings need an object store in production: set S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or AUDIO_STORE=filesystem \(one node with a persistent disk\)/,
  );
});
