/**
 * Entry point: reads the configuration, opens the database, migrates, serves, and shuts down
 * gracefully on SIGINT/SIGTERM (in-flight requests finish, then the database closes).
 */
import { createApp } from "./app.ts";
import { ACCEPT_GRACE_MS } from "./http/front.ts";
import { frontTimeouts, serveBehindFront } from "./http/serve.ts";
import { UPLOAD_PATHS } from "./api/recordings.ts";
import { jsonLogger, type Logger } from "./http/log.ts";
import {
  type Config,
  ConfigError,
  DEV_DASHBOARD_TOKEN,
  DEV_INGEST_TOKEN,
  loadConfig,
} from "./config.ts";
import { type Database, openDatabase } from "./db/client.ts";
import { DataDirLockedError } from "./db/embedded.ts";
import { startupFailure } from "./db/errors.ts";
import { analyzeStaleTables } from "./db/maintenance.ts";
import { migrate } from "./db/migrate.ts";
import { scheduleRetention } from "./services/retention_schedule.ts";
import { scheduleRecordingUpkeep } from "./services/recording_schedule.ts";
import { openObjectStore } from "./db/objects.ts";
import { scheduleFleetMaintenance } from "./services/fleet_schedule.ts";
import { startCommandHints } from "./services/command_hints.ts";
import { isWorker, supervise } from "./supervisor.ts";

/** At most this long (ms), requests the front holds are given to finish before the server stops. */
const SHUTDOWN_BUSY_MS = 5000;
/** How often the embedded database's statistics are brought up to date (ms). */
const STATISTICS_UPKEEP_MS = 60_000;

function fail(message: string): never {
  console.error(message);
  Deno.exit(1);
}

/** Returns what a dashboard token opens: nobody reaches it without one (reads open or not). */
export function tokenGatedPaths(openReads: boolean): string[] {
  const always = ["the engagement pages /engagement/{user_id}", "GET /api/dashboard/{user_id}"];
  if (openReads) return always;
  return [
    "the player pages /players/{player_id}",
    ...always,
    "GET /players/{player_id}/sessions",
    "GET /model/state/{player_id}",
  ];
}

/**
 * Returns the start banner: where it serves and with how many processes, the database, the
 * development tokens, and a warning when no dashboard token is configured. The same facts with
 * one worker and with a supervisor of several.
 */
export function startupBanner(config: Config, kind: "embedded" | "postgres"): string[] {
  const processes = config.workers > 1 ? ` with ${config.workers} worker processes` : "";
  const lines = [
    `Earth Task Telemetry (${config.appEnv}) on http://${config.host}:${config.port}${processes}`,
    kind === "embedded"
      ? `Database: embedded PGlite in ${config.dataDir} (development store, no fsync)`
      : "Database: PostgreSQL (DATABASE_URL)",
  ];
  {
    // Production refuses the development tokens, so they are printed only where they work.
    if (config.ingestTokens.includes(DEV_INGEST_TOKEN)) {
      lines.push(`Development ingest token: ${DEV_INGEST_TOKEN}`);
    }
    if (config.dashboardGrants.some((g) => g.token === DEV_DASHBOARD_TOKEN)) {
      lines.push(`Development dashboard token (any user): ${DEV_DASHBOARD_TOKEN}`);
    }
  }
  if (config.dashboardGrants.length === 0) {
    lines.push(
      "Warning: DASHBOARD_TOKEN_MAP grants no dashboard token, so every token is refused and " +
        `nobody can reach ${tokenGatedPaths(config.policy.openReads).join(", ")}. ` +
        "Set DASHBOARD_TOKEN_MAP=token:user,… (`*` for any user; docs/deploy.md).",
    );
  }
  return lines;
}

function announce(config: Config, kind: "embedded" | "postgres"): void {
  console.log(startupBanner(config, kind).join("\n"));
}

/** Returns the stop function of the embedded database's periodic ANALYZE (no autovacuum). */
function startStatisticsUpkeep(db: Database, log: Logger): () => void {
  if (db.kind !== "embedded") return () => {};
  const timer = setInterval(async () => {
    try {
      const tables = await analyzeStaleTables(db.sql);
      if (tables.length > 0) log("debug", { msg: "statistics updated", tables });
    } catch (err) {
      log("warn", { msg: "statistics upkeep failed", error: String(err) });
    }
  }, STATISTICS_UPKEEP_MS);
  return () => clearInterval(timer);
}

/** Exits 1 with one line (host, port, database) when `err` says the database cannot be used. */
function failOnDatabase(err: unknown, config: Config): void {
  const line = startupFailure(err, config.databaseUrl);
  if (line !== null) fail(line);
}

async function migrateOnce(config: Config): Promise<void> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: null, max: 1 });
  try {
    const applied = await migrate(db.sql);
    if (applied.length > 0) console.log(`migrations applied: ${applied.join(", ")}`);
  } catch (err) {
    failOnDatabase(err, config);
    throw err;
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(Deno.env.toObject(), navigator.hardwareConcurrency);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  const worker = isWorker();
  if (config.workers > 1 && !worker) {
    await migrateOnce(config);
    announce(config, "postgres");
    Deno.exit(await supervise(config));
  }

  let db;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  } catch (err) {
    if (err instanceof DataDirLockedError) fail(err.message);
    throw err;
  }
  const log = jsonLogger(config.logLevel);
  if (config.companyPrivacy.mode === "exact") {
    log("warn", {
      msg: "COMPANY_PRIVACY=exact: company dashboards answer exact aggregates (k-anonymity " +
        "only), which a reader who can also post sessions can difference down to one person; " +
        "use it only for trusted readers (docs/privacy.md)",
    });
  }
  try {
    if (worker) await db.sql`select 1`;
    else {
      const applied = await migrate(db.sql);
      if (applied.length > 0) log("info", { msg: "migrations applied", applied });
    }
  } catch (err) {
    failOnDatabase(err, config);
    throw err;
  }

  const stopUpkeep = startStatisticsUpkeep(db, log);
  const retention = config.rawEventRetentionDays === null ? null : scheduleRetention(
    db.sql,
    config.rawEventRetentionDays,
    { exclusive: db.kind === "postgres", log },
  );
  // Empty polls are answered from these hints, fed by LISTEN (docs/devices.md, "Empty polls").
  const commandHints = await startCommandHints(db.sql, db.notices, log);
  const fleet = scheduleFleetMaintenance(db.sql, {
    exclusive: db.kind === "postgres",
    commandTimeoutSeconds: config.commandTimeoutSeconds,
    log,
    afterRun: () => commandHints.refresh(),
  });
  const objects = openObjectStore(config.audioStore, config.dataDir);
  // One process upkeeps the recordings (the supervisor's first worker, or the only process).
  const recordingUpkeep = worker && Deno.env.get("WORKER_INDEX") !== "0"
    ? null
    : scheduleRecordingUpkeep(db.sql, objects, {
      retentionDays: config.audioRetentionDays,
      log,
    });
  const app = createApp({
    config,
    sql: db.sql,
    log,
    now: () => new Date(),
    objects,
    commandHints,
  });
  // The HTTP server listens on loopback only; the public port is the TCP front, which times out
  // slow clients (Deno.serve cannot: docs/security.md) and names each client to the app. An
  // upload whose ingest token is valid is held to a minimum rate instead of the body deadline.
  const { server, front } = serveBehindFront(
    app,
    // reusePort is an --unstable-net option (the start task and the supervisor pass the flag).
    { port: config.port, hostname: config.host, reusePort: worker } as Deno.ListenOptions,
    frontTimeouts(config, UPLOAD_PATHS),
  );
  if (!worker) announce(config, db.kind);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log("info", { msg: "shutting down", signal });
    // The front keeps accepting briefly, then stops; requests it holds but has not handed on
    // yet (a head still arriving, a connection to the server being opened) finish before the
    // server stops taking connections.
    await front.drain(Date.now() + ACCEPT_GRACE_MS + SHUTDOWN_BUSY_MS);
    await server.shutdown();
    front.closeAll();
    stopUpkeep();
    // A purge or fleet maintenance under way fails at its next chunk when the database closes;
    // it resumes next run.
    retention?.stop();
    recordingUpkeep?.stop();
    fleet.stop();
    commandHints.stop();
    await db.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}

if (import.meta.main) await main();
