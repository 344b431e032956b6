/** Builds the app for API tests (no network): test config, captured log lines, pinned clock. */
import type { Hono } from "hono";
import { createApp } from "../../app.ts";
import type { AppEnv } from "../../http/context.ts";
import type { LogFields } from "../../http/log.ts";
import { type Config, loadConfig } from "../../config.ts";
import type { Sql } from "../../db/client.ts";
import type { TaskRegistry } from "../../core/tasks.ts";
import type { RandomWords } from "../../core/dp_sampler.ts";

/** Options of testApp. */
export interface TestAppOptions {
  adjust?: (config: Config) => Config;
  tasks?: TaskRegistry;
  /** The noise source of company releases (e.g. a seeded one). */
  random?: RandomWords;
}

export interface TestApp {
  app: Hono<AppEnv>;
  /** Every log line the app wrote, as JSON text. */
  logs: string[];
  /** Sets the clock the app reads. */
  setNow(date: Date): void;
  request(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Returns an app over `sql` with APP_ENV=test and the given environment overrides. Options:
 * `adjust` changes the loaded configuration (e.g. the contract examples' reference salts, which
 * are shorter than production accepts); `tasks` is a task registry injected at the composition
 * root instead of the service's; `random` the noise source of company releases.
 */
export function testApp(
  sql: Sql,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): TestApp {
  const { adjust = (config: Config) => config, tasks, random } = options;
  const config = adjust(loadConfig({
    APP_ENV: "test",
    ADMIN_KEY: "test-admin-key-kkkkkkkkkkkkkkkkk",
    ...env,
  }));
  const logs: string[] = [];
  let now: Date | null = null;
  const app = createApp({
    config,
    sql,
    log: (level: string, fields: LogFields) => logs.push(JSON.stringify({ level, ...fields })),
    now: () => now ?? new Date(),
    ...(tasks === undefined ? {} : { tasks }),
    ...(random === undefined ? {} : { random }),
  });
  return {
    app,
    logs,
    setNow(date) {
      now = date;
    },
    request: (path, init) => Promise.resolve(app.request(path, init)),
  };
}

/** Returns RequestInit for a JSON POST. */
export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  };
}

/** Deno.test options for tests that share a database connection across the file. */
export const dbTestOptions = { sanitizeOps: false, sanitizeResources: false } as const;
