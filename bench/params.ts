/**
 * Parameters of one `deno task bench` run: the scenario filter, durations and data sizes (full
 * run or `--quick`), the run's unique prefix, and the secrets and environment of the service.
 */

const args = Deno.args;
/** True for `--quick` (short runs, small data). */
export const quick = args.includes("--quick");
const onlyArg = args.find((a) => a.startsWith("--only="));
const positional = args.filter((a) => !a.startsWith("--"));
const only = onlyArg || positional.length > 0
  ? new Set([...(onlyArg ? onlyArg.slice(7).split(",") : []), ...positional])
  : null;
/** Returns whether a scenario is selected (`--only=a,b` or bare names; none = all). */
export const wanted = (name: string): boolean => only === null || only.has(name);

/** Durations, rounds and data sizes of a full run and of `--quick`. */
export const P = quick
  ? {
    warmupSeconds: 1,
    ingestSeconds: 2,
    ingestRounds: 1,
    batchSeconds: 2,
    batchRounds: 1,
    engagementSeconds: 2,
    engagementRounds: 1,
    latencySeconds: 2,
    finalizePlayers: 10,
    finalizeCount: 40,
    earlierSessions: 100,
    companySessions: 10_000,
    companyPlayers: 200,
    otherSessions: 90_000,
    otherCompanies: 19,
    otherPlayers: 4_000,
    playerPageSessions: 200,
    fleetSeconds: 2,
    fleetRounds: 1,
    fleetDevices: 10_000,
  }
  : {
    warmupSeconds: 2,
    ingestSeconds: 8,
    ingestRounds: 3,
    batchSeconds: 6,
    batchRounds: 2,
    engagementSeconds: 6,
    engagementRounds: 2,
    latencySeconds: 5,
    finalizePlayers: 50,
    finalizeCount: 250,
    earlierSessions: 100,
    companySessions: 100_000,
    companyPlayers: 2_000,
    otherSessions: 900_000,
    otherCompanies: 199,
    otherPlayers: 40_000,
    playerPageSessions: 200,
    fleetSeconds: 6,
    fleetRounds: 2,
    fleetDevices: 100_000,
  };

/** Connections of the load runs. */
export const CONNECTIONS = 10;
/** Unique prefix of this run (every body and id is new). */
export const RUN = Date.now().toString(36);

/** The service's secrets in the benchmark. */
export const SECRETS = {
  ingest: "bench-ingest-token-kkkkkkkkkkkkk",
  dashboard: "bench-dashboard-token-kkkkkkkkkk",
  companySalt: "bench-company-salt-kkkkkkkkkkkkk",
  dashboardSalt: "bench-dashboard-token-salt-kkkkk",
  admin: "bench-admin-key-kkkkkkkkkkkkkkkk",
};
/** Headers of the ingest and dashboard bearer tokens. */
export const INGEST = { Authorization: `Bearer ${SECRETS.ingest}` };
export const DASHBOARD = { Authorization: `Bearer ${SECRETS.dashboard}` };

/** Returns the production environment of a service process on `databaseUrl`. */
export function serviceEnv(databaseUrl: string, workers: number): Record<string, string> {
  return {
    APP_ENV: "production",
    AUDIO_STORE: "filesystem",
    DATABASE_URL: databaseUrl,
    WORKERS: String(workers),
    COMPANY_SALT: SECRETS.companySalt,
    DASHBOARD_TOKEN_SALT: SECRETS.dashboardSalt,
    INGEST_SERVICE_TOKEN: SECRETS.ingest,
    DASHBOARD_TOKEN_MAP: `${SECRETS.dashboard}:*`,
    ADMIN_KEY: SECRETS.admin,
    // BENCH_COMPANY_PRIVACY=exact measures the exact company path (the default is protected).
    COMPANY_PRIVACY: Deno.env.get("BENCH_COMPANY_PRIVACY")?.trim() || "protected",
  };
}
