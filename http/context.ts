/** The Hono environment shared by every handler: dependencies and per-request variables. */
import type { Config } from "../config.ts";
import type { RandomWords } from "../core/dp_sampler.ts";
import type { TaskRegistry } from "../core/tasks.ts";
import type { Sql } from "../db/client.ts";
import type { ObjectStore } from "../db/objects.ts";
import type { CommandHints } from "../core/command_hints.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";

/** What the app is built from; tests pass their own. */
export interface AppDeps {
  config: Config;
  sql: Sql;
  log: Logger;
  /** The clock; tests pin it. */
  now: () => Date;
  /** The recordings' object store (the composition root opens the configured one when none is given). */
  objects?: ObjectStore;
  /** The process's metrics (createApp makes one when none is given). */
  metrics?: Metrics;
  /** The noise source of company releases; crypto.getRandomValues unless a test seeds one. */
  random?: RandomWords;
  /**
   * Which devices may have a pending command (services/command_hints.ts): with it an empty poll
   * is answered without SQL, on the light path of app.ts. Without it every poll asks the database.
   */
  commandHints?: CommandHints;
  /** The tasks (core/tasks.ts REGISTRY when none is given; tests inject their own). */
  tasks?: TaskRegistry;
}

/**
 * The dependencies once the composition root (app.ts `composeDeps`) resolved the defaults: the
 * one object store and the one metrics registry every sub-app and handler shares.
 */
export type ComposedDeps = AppDeps & { objects: ObjectStore; metrics: Metrics };

export interface AppEnv {
  Variables: {
    requestId: string;
    /** The client's address (the socket peer, or what a trusted proxy forwarded). */
    clientAddress: string;
    /** The user or player a request is about, for the request log. */
    userId?: string;
    /** Replaces the request path in the log line (a route whose path holds a personal id). */
    logPath?: string;
    /** Extra fields of the request's log line. */
    logFields?: Record<string, unknown>;
    /** Set when the request was refused for its credentials (counted by the rate limiter). */
    credentialFailure?: boolean;
  };
}
