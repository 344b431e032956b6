import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseDashboardTokenMap } from "../config.ts";
import { productionEnv } from "./helpers/env.ts";

const SALT1 = "company-salt-0123456789abcdef0123";
const SALT2 = "token-salt-0123456789abcdef012345";
const NEW_TOKEN = "ingest-new-0123456789abcdef01234";
const OLD_TOKEN = "ingest-old-0123456789abcdef01234";
const TOK_A = "dashboard-a-0123456789abcdef0123";
const TOK_B = "dashboard-b-0123456789abcdef0123";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

Deno.test("development starts with no environment and the documented defaults", () => {
  const c = loadConfig({});
  assert.equal(c.appEnv, "development");
  assert.equal(c.port, 8000);
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.databaseUrl, null);
  assert.equal(c.dataDir, "./data");
  assert.equal(c.companySalt, "dev-company-salt-change-in-prod");
  assert.equal(c.dashboardTokenSalt, "dev-dashboard-token-salt-change-in-prod");
  assert.equal(c.adminKey, "");
  assert.deepEqual(c.corsOrigins, ["http://localhost:8501"]);
  assert.equal(c.minCompanyN, 5);
  assert.deepEqual(c.ingestTokens, ["dev-ingest-token"]);
  assert.deepEqual(c.dashboardGrants, [{ token: "dev-dashboard-token", user: "*" }]);
  assert.equal(c.rollupWindowDays, 7);
  assert.equal(c.logLevel, "info");
  assert.equal(c.policy.docsOpen, true);
  assert.equal(c.workers, 1);
  assert.equal(c.rawEventRetentionDays, null);
  assert.deepEqual(c.trustedProxies, []);
  assert.equal(c.metricsToken, "");
});

Deno.test("TRUSTED_PROXIES is read as ranges; an entry that does not parse is refused by name", () => {
  const c = loadConfig({ TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8,::1" });
  assert.deepEqual(c.trustedProxies.map((r) => r.text), ["127.0.0.1", "10.0.0.0/8", "::1"]);
  assert.deepEqual(problems({ TRUSTED_PROXIES: "127.0.0.1,nginx.local,10.0.0.0/40" }), [
    'TRUSTED_PROXIES entry "nginx.local" is not an IP address or CIDR range',
    'TRUSTED_PROXIES entry "10.0.0.0/40" is not an IP address or CIDR range',
  ]);
});

Deno.test("production names every missing or unsafe variable in one message", () => {
  assert.deepEqual(problems({ APP_ENV: "production" }), [
    "DATABASE_URL is required in production",
    "COMPANY_SALT is required in production",
    "DASHBOARD_TOKEN_SALT is required in production",
    "INGEST_SERVICE_TOKEN is required in production",
    "voice recordings need an object store in production: set S3_ENDPOINT, S3_BUCKET, " +
    "S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or AUDIO_STORE=filesystem " +
    "(one node with a persistent disk)",
  ]);
  assert.deepEqual(
    problems(
      productionEnv({
        DATABASE_URL: "postgres://db/x",
        COMPANY_SALT: "dev-company-salt-change-in-prod",
        DASHBOARD_TOKEN_SALT: "dev-dashboard-token-salt-change-in-prod",
        INGEST_SERVICE_TOKEN: "dev-ingest-token",
      }),
    ),
    [
      "COMPANY_SALT must not be the development default",
      "DASHBOARD_TOKEN_SALT must not be the development default",
      "INGEST_SERVICE_TOKEN must not be the development default",
    ],
  );
  const err = (() => {
    try {
      loadConfig({ APP_ENV: "production" });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.match(err!.message, /^Refusing to start: DATABASE_URL .*; COMPANY_SALT .*INGEST/);
});

Deno.test("blank salts count as missing in production", () => {
  assert.deepEqual(
    problems(
      productionEnv({
        DATABASE_URL: "postgres://db/x",
        COMPANY_SALT: "   ",
        DASHBOARD_TOKEN_SALT: "\t",
        INGEST_SERVICE_TOKEN: "t".repeat(32),
      }),
    ),
    ["COMPANY_SALT is required in production", "DASHBOARD_TOKEN_SALT is required in production"],
  );
});

Deno.test("a safe production configuration loads, with docs off and 0.0.0.0", () => {
  const c = loadConfig(
    productionEnv({
      DATABASE_URL: "postgresql://u@db:5432/etl",
      COMPANY_SALT: SALT1,
      DASHBOARD_TOKEN_SALT: SALT2,
      INGEST_SERVICE_TOKEN: `${NEW_TOKEN}, ${OLD_TOKEN}`,
      DASHBOARD_TOKEN_MAP: `${TOK_A}:user-1,${TOK_B}:*`,
      DASHBOARD_ORIGIN: "https://dash.example.com",
      ALLOWED_ORIGINS: "https://a.example.com,https://b.example.com",
    }),
    2,
  );
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.policy.docsOpen, false);
  assert.deepEqual(c.ingestTokens, [NEW_TOKEN, OLD_TOKEN]);
  assert.deepEqual(c.dashboardGrants, [
    { token: TOK_A, user: "user-1" },
    { token: TOK_B, user: "*" },
  ]);
  assert.deepEqual(c.corsOrigins, [
    "https://a.example.com",
    "https://b.example.com",
    "https://dash.example.com",
  ]);
  assert.equal(c.workers, 2);
  assert.deepEqual(c.dashboardGrants.length, 2);
});

Deno.test("PUBLIC_DOCS=true keeps the docs in production", () => {
  const c = loadConfig(
    productionEnv({
      DATABASE_URL: "postgres://db/x",
      COMPANY_SALT: SALT1,
      DASHBOARD_TOKEN_SALT: SALT2,
      INGEST_SERVICE_TOKEN: NEW_TOKEN,
      PUBLIC_DOCS: "true",
    }),
  );
  assert.equal(c.policy.docsOpen, true);
});

Deno.test("ROLLUP_WINDOW_DAYS other than 7 is refused in every environment", () => {
  assert.deepEqual(problems({ ROLLUP_WINDOW_DAYS: "14" }), [
    "ROLLUP_WINDOW_DAYS must be 7 (got 14)",
  ]);
  assert.deepEqual(problems({ APP_ENV: "test", ROLLUP_WINDOW_DAYS: "abc" }), [
    'ROLLUP_WINDOW_DAYS must be a whole number (got "abc")',
  ]);
  assert.equal(loadConfig({ ROLLUP_WINDOW_DAYS: "7" }).rollupWindowDays, 7);
});

Deno.test("bad values are refused with their names", () => {
  assert.deepEqual(problems({ MIN_COMPANY_N: "1" }), ["MIN_COMPANY_N must be at least 2"]);
  assert.deepEqual(problems({ APP_ENV: "development", DATABASE_URL: "mysql://x" }), [
    "DATABASE_URL must start with postgres:// or postgresql://",
  ]);
  assert.deepEqual(problems({ APP_ENV: "staging" }), [
    'APP_ENV must be development, test or production (got "staging")',
  ]);
  assert.deepEqual(problems({ ALLOWED_ORIGINS: "*" }), [
    "CORS origins must be listed exactly, not *",
  ]);
  assert.deepEqual(problems({ WORKERS: "2" }), [
    "WORKERS above 1 needs DATABASE_URL (the embedded database has one owner)",
  ]);
  assert.deepEqual(problems({ LOG_LEVEL: "loud" }), [
    "LOG_LEVEL must be one of debug, info, warn, error",
  ]);
});

Deno.test("DASHBOARD_TOKEN_MAP accepts token:user pairs and a JSON object", () => {
  assert.deepEqual(parseDashboardTokenMap("a:u1, b:u2"), [
    { token: "a", user: "u1" },
    { token: "b", user: "u2" },
  ]);
  assert.deepEqual(parseDashboardTokenMap('{"x":"u9","y":"*"}'), [
    { token: "x", user: "u9" },
    { token: "y", user: "*" },
  ]);
  const p: string[] = [];
  assert.deepEqual(parseDashboardTokenMap("nouser", p), []);
  assert.deepEqual(p, ["DASHBOARD_TOKEN_MAP entries must look like token:user"]);
});

Deno.test("RAW_EVENT_RETENTION_DAYS: unset keeps forever; anything but 1..36500 days is refused", () => {
  assert.equal(loadConfig({ RAW_EVENT_RETENTION_DAYS: "" }).rawEventRetentionDays, null);
  assert.equal(loadConfig({ RAW_EVENT_RETENTION_DAYS: " 90 " }).rawEventRetentionDays, 90);
  assert.equal(loadConfig({ RAW_EVENT_RETENTION_DAYS: "1" }).rawEventRetentionDays, 1);
  assert.equal(loadConfig({ RAW_EVENT_RETENTION_DAYS: "36500" }).rawEventRetentionDays, 36500);
  for (const bad of ["0", "-5", "1.5", "30d", "abc", "1e3", "36501", "0x10", "９０"]) {
    assert.deepEqual(problems({ RAW_EVENT_RETENTION_DAYS: bad }), [
      "RAW_EVENT_RETENTION_DAYS must be a whole number of days from 1 to 36500, or unset to " +
      `keep raw events forever (got "${bad}")`,
    ], bad);
  }
});

/** Returns the names `loadConfig` reads while it loads the given (valid) environment. */
function variablesRead(given: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(given as Record<string, string | undefined>, {
    get: (target, key) => {
      if (typeof key === "string") read.add(key);
      return Reflect.get(target, key);
    },
  });
  loadConfig(env);
  return read;
}

/** Returns the `NAME`s in the first column of a markdown document's table rows. */
function tableVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of markdown.split("\n")) {
    const first = line.startsWith("|") ? line.split("|")[1] : "";
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]);
  }
  return names;
}

Deno.test("loadConfig reads only variables the README and docs/deploy.md tables list", async () => {
  const production = productionEnv({
    DATABASE_URL: "postgres://db/etl",
    COMPANY_SALT: SALT1,
    DASHBOARD_TOKEN_SALT: SALT2,
    INGEST_SERVICE_TOKEN: NEW_TOKEN,
  });
  const read = new Set([...variablesRead({}), ...variablesRead(production)]);
  assert.ok(read.has("TRUSTED_PROXIES") && read.has("PUBLIC_DOCS"), "every branch is read");
  for (const doc of ["../README.md", "../docs/deploy.md"]) {
    const listed = tableVariables(await Deno.readTextFile(new URL(doc, import.meta.url)));
    assert.deepEqual([...read].filter((name) => !listed.has(name)).sort(), [], doc);
  }
});

/** A production environment whose every secret is long and distinct. */
const SAFE_PRODUCTION = productionEnv({
  DATABASE_URL: "postgres://db/etl",
  COMPANY_SALT: SALT1,
  DASHBOARD_TOKEN_SALT: SALT2,
  INGEST_SERVICE_TOKEN: NEW_TOKEN,
  DASHBOARD_TOKEN_MAP: `${TOK_A}:user-1`,
  ADMIN_KEY: "admin-key-0123456789abcdef012345",
  ADMIN_TOKEN: "admin-token-0123456789abcdef0123",
  METRICS_TOKEN: "metrics-token-0123456789abcdef01",
});

Deno.test("`loadConfig` refuses in production every secret under 32 characters, naming each", () => {
  assert.deepEqual(problems(SAFE_PRODUCTION), []);
  // issue 20, measurement 2: production accepted ADMIN_KEY=1.
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, ADMIN_KEY: "1" }), [
    "ADMIN_KEY must be at least 32 characters (got 1)",
  ]);
  const short = "x".repeat(31);
  assert.deepEqual(
    problems({
      ...SAFE_PRODUCTION,
      COMPANY_SALT: short,
      DASHBOARD_TOKEN_SALT: "y".repeat(5),
      INGEST_SERVICE_TOKEN: `${NEW_TOKEN},${"z".repeat(31)}`,
      DASHBOARD_TOKEN_MAP: `${TOK_A}:u1,abc:u2`,
      ADMIN_TOKEN: "short-admin-token",
      METRICS_TOKEN: "m",
    }),
    [
      "COMPANY_SALT must be at least 32 characters (got 31)",
      "DASHBOARD_TOKEN_SALT must be at least 32 characters (got 5)",
      "ADMIN_TOKEN must be at least 32 characters (got 17)",
      "METRICS_TOKEN must be at least 32 characters (got 1)",
      "INGEST_SERVICE_TOKEN token #2 must be at least 32 characters (got 31)",
      "DASHBOARD_TOKEN_MAP entry #2 must be at least 32 characters (got 3)",
    ],
  );
  // 32 characters exactly is enough.
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, ADMIN_KEY: "k".repeat(32) }), []);
  // Development and test keep their short defaults.
  assert.deepEqual(problems({ APP_ENV: "test", ADMIN_KEY: "1" }), []);
});

Deno.test("`loadConfig` refuses in production equal salts and a secret reused in two roles", () => {
  // issue 20, measurement 2: equal salts, and a dashboard token equal to the ingest token.
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, DASHBOARD_TOKEN_SALT: SALT1 }), [
    "COMPANY_SALT and DASHBOARD_TOKEN_SALT must differ (one secret, one role)",
  ]);
  assert.deepEqual(
    problems({ ...SAFE_PRODUCTION, DASHBOARD_TOKEN_MAP: `${TOK_A}:u1,${NEW_TOKEN}:u2` }),
    ["INGEST_SERVICE_TOKEN token #1 and DASHBOARD_TOKEN_MAP entry #2 must differ (one secret, one role)"],
  );
  assert.deepEqual(
    problems({ ...SAFE_PRODUCTION, METRICS_TOKEN: SAFE_PRODUCTION.ADMIN_KEY }),
    ["ADMIN_KEY and METRICS_TOKEN must differ (one secret, one role)"],
  );
  assert.deepEqual(
    problems({ ...SAFE_PRODUCTION, ADMIN_TOKEN: SAFE_PRODUCTION.ADMIN_KEY }),
    ["ADMIN_KEY and ADMIN_TOKEN must differ (one secret, one role)"],
  );
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, COMPANY_SALT: TOK_A }), [
    "COMPANY_SALT and DASHBOARD_TOKEN_MAP entry #1 must differ (one secret, one role)",
  ]);
  // Two dashboard grants of one token are one role (the map names each user once per token).
  assert.deepEqual(
    problems({ ...SAFE_PRODUCTION, DASHBOARD_TOKEN_MAP: `${TOK_A}:u1,${TOK_A}:u2` }),
    [],
  );
});

Deno.test("`loadConfig` reads ADMIN_TOKEN as config.adminToken, empty by default", () => {
  assert.equal(loadConfig({}).adminToken, "");
  assert.equal(loadConfig({ ADMIN_TOKEN: " tok " }).adminToken, "tok");
  assert.equal(loadConfig(SAFE_PRODUCTION).adminToken, SAFE_PRODUCTION.ADMIN_TOKEN);
});

Deno.test("`loadConfig` refuses null and wildcard origins in production; localhost is development only", () => {
  // issue 20, measurement 10.
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, ALLOWED_ORIGINS: "null" }), [
    'CORS origin "null" is refused in production',
  ]);
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, DASHBOARD_ORIGIN: "https://*.example.com" }), [
    'CORS origin "https://*.example.com" is refused in production (no wildcards)',
  ]);
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, ALLOWED_ORIGINS: "example.com" }), [
    'CORS origin "example.com" must be scheme://host[:port] in production',
  ]);
  assert.deepEqual(loadConfig(SAFE_PRODUCTION).corsOrigins, []);
  assert.deepEqual(loadConfig({}).corsOrigins, ["http://localhost:8501"]);
  assert.deepEqual(loadConfig({ APP_ENV: "test" }).corsOrigins, ["http://localhost:8501"]);
});

Deno.test("`loadConfig` refuses an unset APP_ENV with DATABASE_URL or a public HOST, naming APP_ENV", () => {
  // issue 20, measurement 10: this ran as development (open reads, the dev token, /docs).
  assert.deepEqual(problems({ DATABASE_URL: "postgres://db/etl" }), [
    "APP_ENV is unset but DATABASE_URL is set: set APP_ENV=production (or development)",
  ]);
  assert.deepEqual(problems({ HOST: "0.0.0.0" }), [
    "APP_ENV is unset but HOST=0.0.0.0 is not a loopback address: set APP_ENV=production (or development)",
  ]);
  assert.deepEqual(problems({ APP_ENV: " ", HOST: "10.1.2.3" }).length, 1);
  for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) {
    assert.deepEqual(problems({ HOST: host }), [], host);
  }
  assert.equal(
    loadConfig({ APP_ENV: "development", DATABASE_URL: "postgres://db/x" }).appEnv,
    "development",
  );
});

Deno.test("`loadConfig` decides the environment policy once: production turns every convenience off", () => {
  assert.deepEqual(loadConfig({}).policy, {
    openIngest: true,
    openReads: true,
    docsOpen: true,
    metricsOpen: true,
    secureCookies: false,
    demoTools: true,
    demoData: true,
    loopbackHostOnly: true,
    hstsMaxAge: null,
  });
  assert.deepEqual(loadConfig({ APP_ENV: "test" }).policy, {
    openIngest: true,
    openReads: true,
    docsOpen: true,
    metricsOpen: true,
    secureCookies: false,
    demoTools: false,
    demoData: true,
    loopbackHostOnly: false,
    hstsMaxAge: null,
  });
  assert.deepEqual(loadConfig(SAFE_PRODUCTION).policy, {
    openIngest: false,
    openReads: false,
    docsOpen: false,
    metricsOpen: false,
    secureCookies: true,
    demoTools: false,
    demoData: false,
    loopbackHostOnly: false,
    hstsMaxAge: 31_536_000,
  });
  assert.equal(
    loadConfig({ ...SAFE_PRODUCTION, HSTS_MAX_AGE_SECONDS: "600" }).policy.hstsMaxAge,
    600,
  );
});

Deno.test("`loadConfig` reads the request timeouts, refusing values outside their range", () => {
  const c = loadConfig({});
  assert.deepEqual([c.headerTimeoutSeconds, c.bodyTimeoutSeconds, c.idleTimeoutSeconds], [
    10,
    20,
    30,
  ]);
  const d = loadConfig({
    HEADER_TIMEOUT_SECONDS: "3",
    BODY_TIMEOUT_SECONDS: "4",
    IDLE_TIMEOUT_SECONDS: "5",
  });
  assert.deepEqual([d.headerTimeoutSeconds, d.bodyTimeoutSeconds, d.idleTimeoutSeconds], [3, 4, 5]);
  assert.deepEqual(problems({ HEADER_TIMEOUT_SECONDS: "0" }), [
    "HEADER_TIMEOUT_SECONDS must be from 1 to 300 seconds (got 0)",
  ]);
  assert.deepEqual(problems({ BODY_TIMEOUT_SECONDS: "soon" }), [
    'BODY_TIMEOUT_SECONDS must be a whole number (got "soon")',
  ]);
});

Deno.test("`loadConfig` reads the minimum upload rate and its window (8 KiB/s over 30 s)", () => {
  const c = loadConfig({});
  assert.deepEqual([c.uploadMinBytesPerSecond, c.uploadRateWindowSeconds], [8192, 30]);
  const d = loadConfig({ UPLOAD_MIN_BYTES_PER_SECOND: "2000", UPLOAD_RATE_WINDOW_SECONDS: "5" });
  assert.deepEqual([d.uploadMinBytesPerSecond, d.uploadRateWindowSeconds], [2000, 5]);
  assert.deepEqual(problems({ UPLOAD_MIN_BYTES_PER_SECOND: "0" }), [
    "UPLOAD_MIN_BYTES_PER_SECOND must be from 1 to 10485760 (got 0)",
  ]);
  assert.deepEqual(problems({ UPLOAD_RATE_WINDOW_SECONDS: "601" }), [
    "UPLOAD_RATE_WINDOW_SECONDS must be from 1 to 600 seconds (got 601)",
  ]);
});

Deno.test("company numbers are protected by default in every environment, ε = 1 exactly", () => {
  for (const env of [{}, { APP_ENV: "test" }, SAFE_PRODUCTION]) {
    const p = loadConfig(env).companyPrivacy;
    assert.deepEqual(p, {
      mode: "protected",
      epsilon: { num: BigInt(10), den: BigInt(10) },
      epsilonText: "1.0",
      contributionBound: 3,
      rereleaseLimit: 2,
    });
  }
  const exact = loadConfig({ ...SAFE_PRODUCTION, COMPANY_PRIVACY: "exact" }).companyPrivacy;
  assert.equal(exact.mode, "exact", "exact only when asked for (main.ts warns at start)");
  const custom = loadConfig({
    COMPANY_PRIVACY_EPSILON: "0.25",
    COMPANY_PRIVACY_CONTRIBUTION_BOUND: "5",
    COMPANY_PRIVACY_RERELEASES: "0",
  }).companyPrivacy;
  assert.deepEqual(
    [custom.epsilon, custom.contributionBound, custom.rereleaseLimit],
    [{ num: BigInt(25), den: BigInt(100) }, 5, 0],
  );
});

Deno.test("values that break the privacy guarantee are refused, production refuses weak ones", () => {
  const eps = (v: string) =>
    `COMPANY_PRIVACY_EPSILON must be a decimal above 0 and at most 10, with at most 4 decimals (got "${v}")`;
  for (const bad of ["0", "0.0", "-1", "abc", "1e-3", "0.00001", "10.5", "Infinity", "NaN"]) {
    assert.deepEqual(problems({ COMPANY_PRIVACY_EPSILON: bad }), [eps(bad)], bad);
  }
  assert.deepEqual(problems({ COMPANY_PRIVACY: "off" }), [
    'COMPANY_PRIVACY must be protected or exact (got "off")',
  ]);
  assert.deepEqual(problems({ COMPANY_PRIVACY_CONTRIBUTION_BOUND: "0" }), [
    "COMPANY_PRIVACY_CONTRIBUTION_BOUND must be from 1 to 50 sessions",
  ]);
  assert.deepEqual(problems({ COMPANY_PRIVACY_RERELEASES: "11" }), [
    "COMPANY_PRIVACY_RERELEASES must be at most 10",
  ]);
  assert.deepEqual(problems({ COMPANY_PRIVACY_RERELEASES: "-1" }), [
    'COMPANY_PRIVACY_RERELEASES must be a whole number (got "-1")',
  ]);
  // Allowed in development, refused in production.
  assert.deepEqual(
    problems({ COMPANY_PRIVACY_EPSILON: "5", COMPANY_PRIVACY_RERELEASES: "8" }),
    [],
  );
  assert.deepEqual(
    problems({
      ...SAFE_PRODUCTION,
      COMPANY_PRIVACY_EPSILON: "5",
      COMPANY_PRIVACY_RERELEASES: "8",
    }),
    [
      'COMPANY_PRIVACY_EPSILON above 2 is refused in production: it no longer hides one person (got "5")',
      "COMPANY_PRIVACY_RERELEASES above 5 is refused in production",
    ],
  );
  assert.deepEqual(problems({ ...SAFE_PRODUCTION, COMPANY_PRIVACY_EPSILON: "2" }), []);
});
