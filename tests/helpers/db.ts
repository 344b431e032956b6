/**
 * One migrated database per test file: embedded PGlite in memory by default, or a fresh
 * database on the server named by TEST_DATABASE_URL (dropped again by `close`).
 *
 * A test file declares it with `testDatabase()`: opened before the file's first test runs
 * (never when the file is imported) and closed after its last test.
 */
import postgres from "postgres";
import { connect, connectNotices, openDatabase, type Sql } from "../../db/client.ts";
import type { Notices } from "../../db/notices.ts";
import { migrate, type Migration } from "../../db/migrate.ts";
import { createScratchDatabase, type ScratchDatabase } from "../../db/scratch.ts";

export interface TestDatabase {
  sql: Sql;
  kind: "postgres" | "embedded";
  /** URL other processes can use (the server database; null for in-memory PGlite). */
  url: string | null;
  /** LISTEN/NOTIFY of the database (db/notices.ts). */
  notices: Notices;
  close(): Promise<void>;
}

const PREFIX = "etl_test_";

/** Returns the server URL for tests, or null to use the embedded database. */
export function serverUrl(): string | null {
  return Deno.env.get("TEST_DATABASE_URL")?.trim() || null;
}

/** Returns an empty database created on the test server (not migrated). */
export function createServerDatabase(baseUrl: string): Promise<ScratchDatabase> {
  return createScratchDatabase(baseUrl, PREFIX);
}

/** Returns a migrated database for one test file (all migrations, or the given ones). */
export async function openTestDatabase(migrations?: Migration[]): Promise<TestDatabase> {
  const base = serverUrl();
  if (base) {
    const created = await createServerDatabase(base);
    const sql = connect(created.url, 10);
    await migrate(sql, migrations);
    const notices = connectNotices(created.url);
    return {
      sql,
      kind: "postgres",
      url: created.url,
      notices,
      async close() {
        await notices.end();
        await sql.end({ timeout: 5 });
        await created.drop();
      },
    };
  }
  const db = await openDatabase({ databaseUrl: null, dataDir: null });
  await migrate(db.sql, migrations);
  return { sql: db.sql, kind: "embedded", url: null, notices: db.notices, close: () => db.close() };
}

/** A test file's database, opened by the first test that runs and closed after the last. */
export interface FileDatabase {
  /** The connection; capture it anywhere (`testApp(db.sql)`), call it only inside tests. */
  readonly sql: Sql;
  /** Which database the tests run on (known once open). */
  readonly kind: "postgres" | "embedded";
  /** URL other processes can use (the server database; null for in-memory PGlite). */
  readonly url: string | null;
  /** LISTEN/NOTIFY of the database (known once open). */
  readonly notices: Notices;
  /** Registers `fn` to fill the database once, right after it opens (in registration order). */
  prepare(fn: () => Promise<unknown>): void;
}

/**
 * Returns this test file's database. It opens in a `Deno.test.beforeEach` hook, so before the
 * first test that actually runs (a filtered-out file opens nothing), runs the `prepare`
 * functions once, and closes in a `Deno.test.afterAll` hook, after the file's last test.
 * Tests that use it need `dbTestOptions` (the connection outlives each single test).
 */
export function testDatabase(migrations?: Migration[]): FileDatabase {
  let db: TestDatabase | null = null;
  const preparations: (() => Promise<unknown>)[] = [];
  const current = (): TestDatabase => {
    if (db) return db;
    throw new Error("the test database is used outside a test (it opens before the first one)");
  };
  Deno.test.beforeEach(async () => {
    if (db) return;
    const opened = await openTestDatabase(migrations);
    db = opened;
    try {
      for (const fn of preparations) await fn();
    } catch (err) {
      db = null; // the next test tries again on a fresh database
      await opened.close();
      throw err;
    }
  });
  Deno.test.afterAll(async () => {
    const closing = db;
    db = null;
    await closing?.close();
  });
  // postgres.js's `sql` is a function with properties: forward both to the open connection.
  const sql = new Proxy(function () {} as unknown as Sql, {
    apply: (_target, thisArg, args) => Reflect.apply(current().sql, thisArg, args),
    get: (_target, key) => Reflect.get(current().sql, key),
  });
  return {
    sql,
    get kind() {
      return current().kind;
    },
    get url() {
      return current().url;
    },
    get notices() {
      return current().notices;
    },
    prepare(fn) {
      preparations.push(fn);
    },
  };
}

/**
 * Returns a connection to a database that cannot be reached: port 9 (discard) on loopback, where
 * nothing listens, so every query fails at once as in an outage (call `end()` after the test).
 */
export function unreachableDatabase(): Sql {
  return postgres("postgres://nobody@127.0.0.1:9/none", {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
}
