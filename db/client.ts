/**
 * The process's one postgres.js client: a real Postgres when DATABASE_URL is set, otherwise the
 * embedded PGlite server (one connection, notices silenced).
 */
import postgres from "postgres";
import { startEmbedded } from "./embedded.ts";
import { createNoticeHub, type NoticeHooks, type Notices, serverNotices } from "./notices.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export interface Database {
  sql: Sql;
  kind: "postgres" | "embedded";
  /** LISTEN/NOTIFY (db/notices.ts): its own connection on a server, the one session embedded. */
  notices: Notices;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  /** Data directory for the embedded database; null = in memory (tests). */
  dataDir: string | null;
  /** Pool size for a real server (default 10: enough for a 2-core box). */
  max?: number;
}

const silence = () => {};

/**
 * Returns the fragment `array(…)` of `values` as a text[] sent as ONE jsonb parameter. A raw JS
 * array parameter is typed by postgres.js from a describe round trip and was seen sent as a bare
 * scalar ("malformed array literal", 22P02) on a fresh connection; JSON is typed explicitly.
 * `= any(array(…))` is planned as index probes at every table size.
 */
export function textArray(q: Sql | Tx, values: readonly string[]) {
  return q`array(select jsonb_array_elements_text(${q.json(values as string[])}))`;
}

/** Returns a postgres.js client for a server URL with this service's pool and timeouts. */
export function connect(url: string, max = 10): Sql {
  return postgres(url, {
    max,
    connect_timeout: 3,
    idle_timeout: 30,
    max_lifetime: 60 * 30,
    onnotice: silence,
    // Reconnect quickly after an outage (postgres.js would back off up to 20 s, and a request
    // waiting for such a connection would hang that long).
    backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
    connection: { application_name: "earth-task-telemetry" },
  });
}

/**
 * Returns the notices of a server database: a dedicated one-connection client that holds the
 * LISTENs (never idle-closed or recycled; re-listened by the hub after any loss).
 */
export function connectNotices(url: string): Notices & { end(): Promise<void> } {
  return serverNotices((hooks) =>
    postgres(url, {
      max: 1,
      connect_timeout: 3,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      onnotice: silence,
      onclose: hooks.onclose,
      backoff: (retries: number) => Math.min(0.05 * retries, 0.5),
      connection: { application_name: "earth-task-telemetry-listen" },
      ...notifyOption(hooks),
    })
  );
}

/** The client option delivering notifications (postgres.js supports it; its types omit it). */
function notifyOption(hooks: NoticeHooks): Record<string, unknown> {
  return { onnotify: hooks.onnotify };
}

/** Returns the opened database for the configuration. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const sql = connect(options.databaseUrl, options.max);
    const notices = connectNotices(options.databaseUrl);
    return {
      sql,
      kind: "postgres",
      notices,
      async close() {
        await notices.end();
        await sql.end({ timeout: 5 });
      },
    };
  }
  const embedded = await startEmbedded(options.dataDir);
  const hub = createNoticeHub();
  const sql = postgres(embedded.url, {
    max: 1,
    connect_timeout: 3,
    onnotice: silence,
    // A single connection that is never dropped or recycled: PGlite has one backend session,
    // which also holds the LISTENs of the notices.
    idle_timeout: 0,
    max_lifetime: null,
    onclose: hub.hooks.onclose,
    ...notifyOption(hub.hooks),
  });
  hub.attach(sql);
  return {
    sql,
    kind: "embedded",
    notices: hub,
    async close() {
      hub.close();
      await sql.end({ timeout: 5 });
      await embedded.close();
    },
  };
}
