/**
 * Configuration: every environment variable (docs/design.md "Configuration"), parsed and validated once.
 *
 * Development needs no environment at all; production refuses unsafe settings with one message
 * naming every problem (see `ConfigError`).
 */

import { type AddressRange, parseRanges } from "./core/client_address.ts";
import type { Rational } from "./core/dp_sampler.ts";

export type DeployEnv = "development" | "test" | "production";

/** A dashboard bearer token and the user it may read (`*` = any user). */
export interface DashboardGrant {
  token: string;
  user: string;
}

/** An S3-compatible store (S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY). */
export interface S3StoreConfig {
  kind: "s3";
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Where voice recordings are stored: S3, or files under DATA_DIR/objects/. */
export type AudioStoreConfig = S3StoreConfig | { kind: "filesystem" };

export const S3_VARIABLES = [
  "S3_ENDPOINT",
  "S3_BUCKET",
  "S3_REGION",
  "S3_ACCESS_KEY_ID",
  "S3_SECRET_ACCESS_KEY",
] as const;

/** The default AUDIO_MAX_BYTES: 50 MiB. */
export const DEFAULT_AUDIO_MAX_BYTES = 50 * 1024 * 1024;

/**
 * What the deployment environment allows, decided once in `loadConfig` (never by comparing
 * `appEnv` elsewhere). Production turns every convenience off.
 */
export interface Policy {
  /** Attempt ingest and finalize work without an ingest token (development and test). */
  openIngest: boolean;
  /** Player reads (API and pages) work without a dashboard token (development and test). */
  openReads: boolean;
  /** `/docs` and `/openapi.json` are served (outside production, or PUBLIC_DOCS=true). */
  docsOpen: boolean;
  /** `/metrics` answers without METRICS_TOKEN (outside production; production then answers 404). */
  metricsOpen: boolean;
  /** Session cookies are `__Host-` prefixed and Secure (production). */
  secureCookies: boolean;
  /** The player page offers the demo-data generator (development). */
  demoTools: boolean;
  /** `deno task demo` may write demo data (outside production). */
  demoData: boolean;
  /** Only loopback `Host` names are served (development: no DNS rebinding). */
  loopbackHostOnly: boolean;
  /** Strict-Transport-Security max-age in seconds, or null for no HSTS (outside production). */
  hstsMaxAge: number | null;
}

export interface Config {
  port: number;
  host: string;
  appEnv: DeployEnv;
  /** `postgres://…` URL, or null for the embedded PGlite database under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  companySalt: string;
  dashboardTokenSalt: string;
  /** X-ADMIN-KEY secret; empty string = not accepted. */
  adminKey: string;
  /** `Authorization: Bearer` admin secret (ADMIN_TOKEN); empty = not accepted. Both empty = locked. */
  adminToken: string;
  /** A picked-up command not reported within this many seconds fails with "timed out". */
  commandTimeoutSeconds: number;
  /** Every origin allowed by CORS (ALLOWED_ORIGINS + DASHBOARD_ORIGIN + DASHBOARD_ALLOWED_ORIGINS). */
  corsOrigins: string[];
  minCompanyN: number;
  /** Accepted ingest tokens (a comma list, so a token can be rotated without downtime). */
  ingestTokens: string[];
  dashboardGrants: DashboardGrant[];
  rollupWindowDays: 7;
  logLevel: "debug" | "info" | "warn" | "error";
  policy: Policy;
  /** Seconds a client may take to send a request's headers (HEADER_TIMEOUT_SECONDS). */
  headerTimeoutSeconds: number;
  /** Seconds a client may take to send a request's body once its headers are in (BODY_TIMEOUT_SECONDS). */
  bodyTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection is kept (IDLE_TIMEOUT_SECONDS). */
  idleTimeoutSeconds: number;
  /**
   * The least an audio upload with a valid ingest token must bring per second, averaged over each
   * rate window, once it is exempt from the body timeout (UPLOAD_MIN_BYTES_PER_SECOND).
   */
  uploadMinBytesPerSecond: number;
  /** The window of that average, in seconds (UPLOAD_RATE_WINDOW_SECONDS). */
  uploadRateWindowSeconds: number;
  /** Failed (401/403) answers per client and window before 429; 0 = off. */
  authFailLimit: number;
  authFailWindowSeconds: number;
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES; empty = use the socket peer). */
  trustedProxies: AddressRange[];
  /** Bearer token for GET /metrics in production (empty there = /metrics off). */
  metricsToken: string;
  /** Raw attempt events of finalized sessions older than this many days are deleted; null = kept. */
  rawEventRetentionDays: number | null;
  /** The object store of voice recordings. */
  audioStore: AudioStoreConfig;
  /** The largest audio upload accepted (AUDIO_MAX_BYTES, bytes of the whole request body). */
  audioMaxBytes: number;
  /** Recordings whose recorded_at is older than this many days are deleted; null = kept. */
  audioRetentionDays: number | null;
  /** Worker processes to serve with (only with DATABASE_URL; the embedded database allows one). */
  workers: number;
  /** How company numbers are released (COMPANY_PRIVACY; docs/privacy.md "Company numbers"). */
  companyPrivacy: CompanyPrivacy;
}

/** The company-number policy: protected (differential privacy) or exact (trusted readers only). */
export interface CompanyPrivacy {
  mode: "protected" | "exact";
  /** ε of one period release (COMPANY_PRIVACY_EPSILON), an exact decimal. */
  epsilon: Rational;
  /** The same ε as written (for logs and docs). */
  epsilonText: string;
  /** C: sessions per player and period that count (COMPANY_PRIVACY_CONTRIBUTION_BOUND). */
  contributionBound: number;
  /** Fresh releases of a period after its first, when its data change (COMPANY_PRIVACY_RERELEASES). */
  rereleaseLimit: number;
}

export const DEV_COMPANY_SALT = "dev-company-salt-change-in-prod";
export const DEV_DASHBOARD_TOKEN_SALT = "dev-dashboard-token-salt-change-in-prod";
export const DEV_INGEST_TOKEN = "dev-ingest-token";
export const DEV_DASHBOARD_TOKEN = "dev-dashboard-token";

/** Thrown when the environment cannot be turned into a safe configuration. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Refusing to start: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function integer(
  name: string,
  raw: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${name} must be a whole number (got "${raw}")`);
    return fallback;
  }
  return Number(raw.trim());
}

/** Returns a retention in days (RAW_EVENT_RETENTION_DAYS, AUDIO_RETENTION_DAYS): null when
 * unset or empty, else a whole number from 1 to 36500. */
function retentionDays(
  raw: string | undefined,
  problems: string[],
  name = "RAW_EVENT_RETENTION_DAYS",
  what = "raw events",
): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const days = raw.trim();
  // At most 100 years: the cutoff must stay a valid timestamp.
  if (!/^\d{1,6}$/.test(days) || Number(days) < 1 || Number(days) > 36_500) {
    problems.push(
      `${name} must be a whole number of days from 1 to 36500, or unset to keep ${what} forever (got "${raw}")`,
    );
    return null;
  }
  return Number(days);
}

/** Returns the recordings' store: S3 when any S3_* is set (then all but S3_REGION are needed),
 * files with AUDIO_STORE=filesystem; production refuses to guess. */
function audioStore(
  env: Record<string, string | undefined>,
  production: boolean,
  problems: string[],
): AudioStoreConfig {
  const value = (name: string) => env[name]?.trim() ?? "";
  const chosen = value("AUDIO_STORE").toLowerCase();
  const setS3 = S3_VARIABLES.filter((name) => value(name) !== "");
  if (chosen !== "" && chosen !== "filesystem" && chosen !== "s3") {
    problems.push(`AUDIO_STORE must be filesystem or s3 (got "${env.AUDIO_STORE}")`);
  }
  if (chosen === "filesystem") {
    if (setS3.length > 0) {
      problems.push(`AUDIO_STORE=filesystem conflicts with ${setS3.join(", ")} (choose one store)`);
    }
    return { kind: "filesystem" };
  }
  if (setS3.length === 0 && chosen !== "s3") {
    if (production) {
      problems.push(
        "voice recordings need an object store in production: set S3_ENDPOINT, S3_BUCKET, " +
          "S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or AUDIO_STORE=filesystem " +
          "(one node with a persistent disk)",
      );
    }
    return { kind: "filesystem" };
  }
  const missing = S3_VARIABLES.filter((name) => name !== "S3_REGION" && value(name) === "");
  if (missing.length > 0) problems.push(`the S3 store needs ${missing.join(", ")}`);
  const endpoint = value("S3_ENDPOINT");
  if (endpoint !== "" && !/^https?:\/\/[^/]/.test(endpoint)) {
    problems.push("S3_ENDPOINT must be an http:// or https:// URL");
  }
  return {
    kind: "s3",
    endpoint,
    bucket: value("S3_BUCKET"),
    region: value("S3_REGION") || "auto",
    accessKeyId: value("S3_ACCESS_KEY_ID"),
    secretAccessKey: value("S3_SECRET_ACCESS_KEY"),
  };
}

/** Returns ε of a decimal text (at most 4 decimals) as an exact rational, or null. */
export function parseEpsilon(text: string): Rational | null {
  const m = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m) return null;
  const decimals = m[2] ?? "";
  const num = BigInt(m[1] + decimals);
  const den = BigInt(10) ** BigInt(decimals.length);
  return num === BigInt(0) ? null : { num, den };
}

/** Returns the company-number policy, pushing every problem (production refuses weak values). */
function companyPrivacy(
  env: Record<string, string | undefined>,
  production: boolean,
  problems: string[],
): CompanyPrivacy {
  const mode = env.COMPANY_PRIVACY?.trim() || "protected";
  if (mode !== "protected" && mode !== "exact") {
    problems.push(`COMPANY_PRIVACY must be protected or exact (got "${mode}")`);
  }
  const epsilonText = env.COMPANY_PRIVACY_EPSILON?.trim() || "1.0";
  const epsilon = parseEpsilon(epsilonText);
  const above = (r: Rational, limit: number) => r.num > BigInt(limit) * r.den;
  if (epsilon === null || above(epsilon, 10)) {
    problems.push(
      `COMPANY_PRIVACY_EPSILON must be a decimal above 0 and at most 10, with at most 4 decimals (got "${epsilonText}")`,
    );
  } else if (production && above(epsilon, 2)) {
    problems.push(
      `COMPANY_PRIVACY_EPSILON above 2 is refused in production: it no longer hides one person (got "${epsilonText}")`,
    );
  }
  const bound = integer(
    "COMPANY_PRIVACY_CONTRIBUTION_BOUND",
    env.COMPANY_PRIVACY_CONTRIBUTION_BOUND,
    3,
    problems,
  );
  if (bound < 1 || bound > 50) {
    problems.push("COMPANY_PRIVACY_CONTRIBUTION_BOUND must be from 1 to 50 sessions");
  }
  const rereleases = integer(
    "COMPANY_PRIVACY_RERELEASES",
    env.COMPANY_PRIVACY_RERELEASES,
    2,
    problems,
  );
  if (rereleases > 10) problems.push("COMPANY_PRIVACY_RERELEASES must be at most 10");
  else if (production && rereleases > 5) {
    problems.push("COMPANY_PRIVACY_RERELEASES above 5 is refused in production");
  }
  return {
    mode: mode === "exact" ? "exact" : "protected",
    epsilon: epsilon ?? { num: BigInt(1), den: BigInt(1) },
    epsilonText,
    contributionBound: bound,
    rereleaseLimit: rereleases,
  };
}

/** Returns the dashboard grants of a `token:user,…` map (or a JSON object `{token: user}`). */
export function parseDashboardTokenMap(raw: string, problems: string[] = []): DashboardGrant[] {
  const text = raw.trim();
  if (text === "") return [];
  if (text.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
        return Object.entries(parsed as Record<string, unknown>).map(([token, user]) => ({
          token,
          user: String(user),
        }));
      }
    } catch {
      // fall through to the problem below
    }
    problems.push("DASHBOARD_TOKEN_MAP is not a valid JSON object");
    return [];
  }
  const grants: DashboardGrant[] = [];
  for (const pair of list(text)) {
    const at = pair.lastIndexOf(":");
    const token = pair.slice(0, at).trim();
    const user = pair.slice(at + 1).trim();
    if (at <= 0 || token === "" || user === "") {
      problems.push("DASHBOARD_TOKEN_MAP entries must look like token:user");
      continue;
    }
    grants.push({ token, user });
  }
  return grants;
}

/** Shortest secret production accepts (characters). */
export const MIN_SECRET_LENGTH = 32;

/** Host names that reach only this machine. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"];

/** Returns true for a loopback host or address (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_HOSTS.includes(h) || /^127(\.\d{1,3}){3}$/.test(h) || h.endsWith(".localhost");
}

/** The secrets production checks, each named as the refusal line names it. */
interface NamedSecret {
  name: string;
  value: string;
}

/** Pushes a problem for every secret shorter than MIN_SECRET_LENGTH and every value in two roles. */
function checkSecrets(secrets: NamedSecret[], problems: string[]): void {
  for (const { name, value } of secrets) {
    if (value.length < MIN_SECRET_LENGTH) {
      problems.push(
        `${name} must be at least ${MIN_SECRET_LENGTH} characters (got ${value.length})`,
      );
    }
  }
  const roleOf = (name: string) => name.replace(/ (token|entry) #\d+$/, "");
  const seen = new Map<string, string>();
  for (const { name, value } of secrets) {
    const first = seen.get(value);
    if (first === undefined) seen.set(value, name);
    else if (roleOf(first) !== roleOf(name)) {
      problems.push(`${first} and ${name} must differ (one secret, one role)`);
    }
  }
}

/** Returns a problem for an origin production may not allow (`null`, wildcards, not http(s)). */
function unsafeOrigin(origin: string): string | null {
  if (origin === "null") return 'CORS origin "null" is refused in production';
  if (origin.includes("*")) {
    return `CORS origin "${origin}" is refused in production (no wildcards)`;
  }
  if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
    return `CORS origin "${origin}" must be scheme://host[:port] in production`;
  }
  return null;
}

/** Returns the validated configuration for an environment, or throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined>, cores = 1): Config {
  const problems: string[] = [];
  const given = env.APP_ENV?.trim() ?? "";
  const rawEnv = given || "development";
  if (rawEnv !== "development" && rawEnv !== "test" && rawEnv !== "production") {
    problems.push(`APP_ENV must be development, test or production (got "${rawEnv}")`);
  }
  const appEnv: DeployEnv = rawEnv === "production" || rawEnv === "test" ? rawEnv : "development";
  const production = appEnv === "production";

  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push("DATABASE_URL must start with postgres:// or postgresql://");
  }
  if (production && !databaseUrl) problems.push("DATABASE_URL is required in production");
  const host = env.HOST?.trim() || (production ? "0.0.0.0" : "127.0.0.1");
  if (given === "" && databaseUrl) {
    problems.push(
      "APP_ENV is unset but DATABASE_URL is set: set APP_ENV=production (or development)",
    );
  }
  if (given === "" && !isLoopbackHost(host)) {
    problems.push(
      `APP_ENV is unset but HOST=${host} is not a loopback address: set APP_ENV=production (or development)`,
    );
  }

  const companySalt = env.COMPANY_SALT?.trim() || (production ? "" : DEV_COMPANY_SALT);
  const dashboardTokenSalt = env.DASHBOARD_TOKEN_SALT?.trim() ||
    (production ? "" : DEV_DASHBOARD_TOKEN_SALT);
  if (production) {
    if (!companySalt) problems.push("COMPANY_SALT is required in production");
    else if (companySalt === DEV_COMPANY_SALT) {
      problems.push("COMPANY_SALT must not be the development default");
    }
    if (!dashboardTokenSalt) problems.push("DASHBOARD_TOKEN_SALT is required in production");
    else if (dashboardTokenSalt === DEV_DASHBOARD_TOKEN_SALT) {
      problems.push("DASHBOARD_TOKEN_SALT must not be the development default");
    }
  }

  let ingestTokens = list(env.INGEST_SERVICE_TOKEN);
  if (ingestTokens.length === 0) {
    if (production) problems.push("INGEST_SERVICE_TOKEN is required in production");
    else ingestTokens = [DEV_INGEST_TOKEN];
  }
  if (production && ingestTokens.includes(DEV_INGEST_TOKEN)) {
    problems.push("INGEST_SERVICE_TOKEN must not be the development default");
  }

  const dashboardGrants = env.DASHBOARD_TOKEN_MAP === undefined
    ? (production ? [] : [{ token: DEV_DASHBOARD_TOKEN, user: "*" }])
    : parseDashboardTokenMap(env.DASHBOARD_TOKEN_MAP, problems);
  if (production && dashboardGrants.some((g) => g.token === DEV_DASHBOARD_TOKEN)) {
    problems.push("DASHBOARD_TOKEN_MAP must not contain the development token");
  }

  const adminKey = env.ADMIN_KEY ?? "";
  const adminToken = env.ADMIN_TOKEN?.trim() ?? "";
  const metricsToken = env.METRICS_TOKEN?.trim() ?? "";
  if (production) {
    const secrets: NamedSecret[] = [];
    // A missing or development value is named once, above.
    if (companySalt && companySalt !== DEV_COMPANY_SALT) {
      secrets.push({ name: "COMPANY_SALT", value: companySalt });
    }
    if (dashboardTokenSalt && dashboardTokenSalt !== DEV_DASHBOARD_TOKEN_SALT) {
      secrets.push({ name: "DASHBOARD_TOKEN_SALT", value: dashboardTokenSalt });
    }
    if (adminKey) secrets.push({ name: "ADMIN_KEY", value: adminKey });
    if (adminToken) secrets.push({ name: "ADMIN_TOKEN", value: adminToken });
    if (metricsToken) secrets.push({ name: "METRICS_TOKEN", value: metricsToken });
    ingestTokens.forEach((value, i) => {
      if (value !== DEV_INGEST_TOKEN) {
        secrets.push({ name: `INGEST_SERVICE_TOKEN token #${i + 1}`, value });
      }
    });
    dashboardGrants.forEach(({ token }, i) => {
      if (token !== DEV_DASHBOARD_TOKEN) {
        secrets.push({ name: `DASHBOARD_TOKEN_MAP entry #${i + 1}`, value: token });
      }
    });
    checkSecrets(secrets, problems);
  }

  const windowDays = integer("ROLLUP_WINDOW_DAYS", env.ROLLUP_WINDOW_DAYS, 7, problems);
  if (windowDays !== 7) problems.push(`ROLLUP_WINDOW_DAYS must be 7 (got ${windowDays})`);

  const rawEventRetentionDays = retentionDays(env.RAW_EVENT_RETENTION_DAYS, problems);

  const audioRetentionDays = retentionDays(
    env.AUDIO_RETENTION_DAYS,
    problems,
    "AUDIO_RETENTION_DAYS",
    "recordings",
  );
  const audioMaxBytes = integer(
    "AUDIO_MAX_BYTES",
    env.AUDIO_MAX_BYTES,
    DEFAULT_AUDIO_MAX_BYTES,
    problems,
  );
  if (audioMaxBytes < 1024 || audioMaxBytes > 5 * 1024 ** 3) {
    problems.push("AUDIO_MAX_BYTES must be from 1024 to 5368709120 (5 GiB)");
  }
  const store = audioStore(env, production, problems);
  const commandTimeoutSeconds = integer(
    "COMMAND_TIMEOUT_SECONDS",
    env.COMMAND_TIMEOUT_SECONDS,
    900,
    problems,
  );
  if (commandTimeoutSeconds < 30 || commandTimeoutSeconds > 604_800) {
    problems.push("COMMAND_TIMEOUT_SECONDS must be from 30 to 604800 (seven days)");
  }

  const minCompanyN = integer("MIN_COMPANY_N", env.MIN_COMPANY_N, 5, problems);
  if (minCompanyN < 2) problems.push("MIN_COMPANY_N must be at least 2");

  const port = integer("PORT", env.PORT, 8000, problems);
  if (port > 65535) problems.push("PORT must be at most 65535");

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || "info") as Config["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }

  const authFailLimit = integer("AUTH_FAIL_LIMIT", env.AUTH_FAIL_LIMIT, 30, problems);
  const authFailWindowSeconds = integer(
    "AUTH_FAIL_WINDOW_SECONDS",
    env.AUTH_FAIL_WINDOW_SECONDS,
    60,
    problems,
  );
  if (authFailWindowSeconds < 1) problems.push("AUTH_FAIL_WINDOW_SECONDS must be at least 1");

  const seconds = (name: string, fallback: number, min: number, max: number) => {
    const value = integer(name, env[name], fallback, problems);
    if (value < min || value > max) {
      problems.push(`${name} must be from ${min} to ${max} seconds (got ${value})`);
    }
    return value;
  };
  const headerTimeoutSeconds = seconds("HEADER_TIMEOUT_SECONDS", 10, 1, 300);
  const bodyTimeoutSeconds = seconds("BODY_TIMEOUT_SECONDS", 20, 1, 600);
  const idleTimeoutSeconds = seconds("IDLE_TIMEOUT_SECONDS", 30, 1, 3600);
  const uploadMinBytesPerSecond = integer(
    "UPLOAD_MIN_BYTES_PER_SECOND",
    env.UPLOAD_MIN_BYTES_PER_SECOND,
    8192,
    problems,
  );
  if (uploadMinBytesPerSecond < 1 || uploadMinBytesPerSecond > 10 * 1024 * 1024) {
    problems.push(
      `UPLOAD_MIN_BYTES_PER_SECOND must be from 1 to 10485760 (got ${uploadMinBytesPerSecond})`,
    );
  }
  const uploadRateWindowSeconds = seconds("UPLOAD_RATE_WINDOW_SECONDS", 30, 1, 600);
  const hstsSeconds = seconds("HSTS_MAX_AGE_SECONDS", 31_536_000, 0, 63_072_000);

  const defaultWorkers = databaseUrl && production ? cores : 1;
  const workers = integer("WORKERS", env.WORKERS, defaultWorkers, problems);
  if (workers < 1) problems.push("WORKERS must be at least 1");
  if (workers > 1 && !databaseUrl) {
    problems.push("WORKERS above 1 needs DATABASE_URL (the embedded database has one owner)");
  }

  const proxies = parseRanges(env.TRUSTED_PROXIES ?? "");
  for (const entry of proxies.invalid) {
    problems.push(`TRUSTED_PROXIES entry "${entry}" is not an IP address or CIDR range`);
  }

  const privacy = companyPrivacy(env, production, problems);

  const corsOrigins = [
    ...list(env.ALLOWED_ORIGINS ?? (production ? "" : "http://localhost:8501")),
    ...list(env.DASHBOARD_ORIGIN),
    ...list(env.DASHBOARD_ALLOWED_ORIGINS),
  ];
  if (production) {
    for (const origin of new Set(corsOrigins)) {
      const problem = unsafeOrigin(origin);
      if (problem) problems.push(problem);
    }
  } else if (corsOrigins.includes("*")) {
    problems.push("CORS origins must be listed exactly, not *");
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    appEnv,
    databaseUrl,
    dataDir: env.DATA_DIR?.trim() || "./data",
    companySalt,
    dashboardTokenSalt,
    adminKey,
    adminToken,
    commandTimeoutSeconds,
    corsOrigins: [...new Set(corsOrigins)],
    minCompanyN,
    ingestTokens,
    dashboardGrants,
    rollupWindowDays: 7,
    logLevel,
    policy: {
      openIngest: !production,
      openReads: !production,
      docsOpen: !production || env.PUBLIC_DOCS === "true",
      metricsOpen: !production,
      secureCookies: production,
      demoTools: appEnv === "development",
      demoData: !production,
      loopbackHostOnly: appEnv === "development",
      hstsMaxAge: production ? hstsSeconds : null,
    },
    headerTimeoutSeconds,
    bodyTimeoutSeconds,
    uploadMinBytesPerSecond,
    uploadRateWindowSeconds,
    idleTimeoutSeconds,
    authFailLimit,
    authFailWindowSeconds,
    trustedProxies: proxies.ranges,
    metricsToken,
    workers,
    rawEventRetentionDays,
    audioStore: store,
    audioMaxBytes,
    audioRetentionDays,
    companyPrivacy: privacy,
  };
}
