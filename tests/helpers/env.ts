/**
 * The production environment the tests start from: production mode with every secret at least
 * 32 characters long and no two alike (what `loadConfig` demands), a filesystem audio store and a
 * database URL that is never dialled (the tests pass their own connection).
 */

/** The base production environment of the tests (its secrets are 32+ characters, distinct). */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = {
  APP_ENV: "production",
  AUDIO_STORE: "filesystem",
  DATABASE_URL: "postgres://unused@127.0.0.1/unused",
  COMPANY_SALT: "test-company-salt-kkkkkkkkkkkkkkk",
  DASHBOARD_TOKEN_SALT: "test-dashboard-salt-kkkkkkkkkkkkk",
  INGEST_SERVICE_TOKEN: "test-ingest-token-kkkkkkkkkkkkkkk",
};

/**
 * Returns the production environment with `overrides` applied; an override of `undefined`
 * removes the variable (e.g. `{ AUDIO_STORE: undefined }` for a refusal test).
 */
export function productionEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string> = { ...PRODUCTION_ENV };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
