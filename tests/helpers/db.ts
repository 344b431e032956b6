/**
 * One migrated database per test file: embedded PGlite in memory by default, or a fresh
 * database on the server named by TEST_DATABASE_URL (dropped again by `close`).
 */
import postgres from "postgres";
import { connect, openDatabase, type Sql } from "../../db/client.ts";
import { migrate, type Migration } from "../../db/migrate.ts";

export interface TestDatabase {
  sql: Sql;
  kind: "postgres" | "embedded";
  /** URL other processes can use (the server database; null for in-memory PGlite). */
  url: string | null;
  close(): Promise<void>;
}

const PREFIX = "etl_test_";
const STALE_SECONDS = 30 * 60;

/** Returns the server URL for tests, or null to use the embedded database. */
export function serverUrl(): string | null {
  return Deno.env.get("TEST_DATABASE_URL")?.trim() || null;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Returns an empty database created on the test server (not migrated). */
export async function createServerDatabase(
  baseUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const epoch = Math.floor(Date.now() / 1000);
  try {
    // Drop what earlier, interrupted runs left behind.
    const stale = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${PREFIX + "%"}`;
    for (const { datname } of stale) {
      const born = Number(datname.split("_")[2]);
      if (Number.isFinite(born) && epoch - born > STALE_SECONDS) {
        await admin`drop database if exists ${admin(datname)} with (force)`;
      }
    }
    const name = `${PREFIX}${epoch}_${crypto.randomUUID().slice(0, 8)}`;
    await admin`create database ${admin(name)}`;
    return {
      url: withDatabase(baseUrl, name),
      async drop() {
        const again = postgres(baseUrl, { max: 1, onnotice: () => {} });
        await again`drop database if exists ${again(name)} with (force)`;
        await again.end();
      },
    };
  } finally {
    await admin.end();
  }
}

/** Returns a migrated database for one test file (all migrations, or the given ones). */
export async function openTestDatabase(migrations?: Migration[]): Promise<TestDatabase> {
  const base = serverUrl();
  if (base) {
    const created = await createServerDatabase(base);
    const sql = connect(created.url, 10);
    await migrate(sql, migrations);
    return {
      sql,
      kind: "postgres",
      url: created.url,
      async close() {
        await sql.end({ timeout: 5 });
        await created.drop();
      },
    };
  }
  const db = await openDatabase({ databaseUrl: null, dataDir: null });
  await migrate(db.sql, migrations);
  return { sql: db.sql, kind: "embedded", url: null, close: () => db.close() };
}
