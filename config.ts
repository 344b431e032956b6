/**
 * Configuration: every environment variable (docs/design.md "Configuration"), parsed and validated once.
 *
 * Development needs no environment at all; production refuses unsafe settings with one message
 * naming every problem (see `ConfigError`).
 */

import { type AddressRange, parseRanges } from "./core/client_address.ts";

export type DeployEnv = "development" | "test" | "production";

/** A dashboard bearer token and the user it may read (`*` = any user). */
export interface DashboardGrant {
  token: string;
  user: string;
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
  /** X-ADMIN-KEY secret. Empty (with an empty adminToken) = admin endpoints locked. */
  adminKey: string;
  /** `Authorization: Bearer` secret of the admin endpoints (ADMIN_TOKEN); empty = not accepted. */
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
  publicDocs: boolean;
  /** Failed (401/403) answers per client and window before 429; 0 = off. */
  authFailLimit: number;
  authFailWindowSeconds: number;
  /** Proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES; empty = use the socket peer). */
  trustedProxies: AddressRange[];
  /** Bearer token for GET /metrics in production (empty there = /metrics off). */
  metricsToken: string;
  /** Raw attempt events of finalized sessions older than this many days are deleted; null = kept. */
  rawEventRetentionDays: number | null;
  /** Worker processes to serve with (only with DATABASE_URL; the embedded database allows one). */
  workers: number;
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

/** Returns RAW_EVENT_RETENTION_DAYS: null when unset or empty, else a positive whole number. */
function retentionDays(raw: string | undefined, problems: string[]): number | null {
  if (raw === undefined || raw.trim() === "") return null;
  const days = raw.trim();
  // At most 100 years: the cutoff must stay a valid timestamp.
  if (!/^\d{1,6}$/.test(days) || Number(days) < 1 || Number(days) > 36_500) {
    problems.push(
      `RAW_EVENT_RETENTION_DAYS must be a whole number of days from 1 to 36500, or unset to keep raw events forever (got "${raw}")`,
    );
    return null;
  }
  return Number(days);
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

/** Returns the validated configuration for an environment, or throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined>, cores = 1): Config {
  const problems: string[] = [];
  const rawEnv = env.APP_ENV?.trim() || "development";
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

  const windowDays = integer("ROLLUP_WINDOW_DAYS", env.ROLLUP_WINDOW_DAYS, 7, problems);
  if (windowDays !== 7) problems.push(`ROLLUP_WINDOW_DAYS must be 7 (got ${windowDays})`);

  const rawEventRetentionDays = retentionDays(env.RAW_EVENT_RETENTION_DAYS, problems);

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

  const corsOrigins = [
    ...list(env.ALLOWED_ORIGINS ?? "http://localhost:8501"),
    ...list(env.DASHBOARD_ORIGIN),
    ...list(env.DASHBOARD_ALLOWED_ORIGINS),
  ];
  if (corsOrigins.includes("*")) problems.push("CORS origins must be listed exactly, not *");

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: env.HOST?.trim() || (production ? "0.0.0.0" : "127.0.0.1"),
    appEnv,
    databaseUrl,
    dataDir: env.DATA_DIR?.trim() || "./data",
    companySalt,
    dashboardTokenSalt,
    adminKey: env.ADMIN_KEY ?? "",
    adminToken: env.ADMIN_TOKEN?.trim() ?? "",
    commandTimeoutSeconds,
    corsOrigins: [...new Set(corsOrigins)],
    minCompanyN,
    ingestTokens,
    dashboardGrants,
    rollupWindowDays: 7,
    logLevel,
    publicDocs: !production || env.PUBLIC_DOCS === "true",
    authFailLimit,
    authFailWindowSeconds,
    trustedProxies: proxies.ranges,
    metricsToken: env.METRICS_TOKEN?.trim() ?? "",
    workers,
    rawEventRetentionDays,
  };
}
