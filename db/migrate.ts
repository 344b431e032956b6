/**
 * Migration runner: applies `migrations/NNNN_name.sql` in order, each once and each in its own
 * transaction, recorded in `schema_migrations`, under an advisory lock so concurrent starts
 * cannot race.
 */
import type { Sql } from "./client.ts";

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export interface MigrationStatus {
  version: string;
  name: string;
  appliedAt: Date | null;
}

/** Arbitrary constant key of the advisory lock held while migrating. */
const MIGRATION_LOCK_KEY = 727_001;

const DEFAULT_DIR = new URL("../migrations/", import.meta.url);

/** Returns the migration files of a directory, sorted by version. */
export async function readMigrations(dir: URL = DEFAULT_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const text = await Deno.readTextFile(new URL(entry.name, dir));
    migrations.push({ version: match[1], name: match[2], sql: text });
  }
  migrations.sort((a, b) => a.version.localeCompare(b.version));
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i].version === migrations[i - 1].version) {
      throw new Error(`Two migrations share version ${migrations[i].version}`);
    }
  }
  return migrations;
}

async function ensureTable(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx`
      create table if not exists schema_migrations (
        version text primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
  });
}

/** Applies every pending migration and returns the versions it applied. */
export async function migrate(sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? await readMigrations();
  await ensureTable(sql);
  const applied: string[] = [];
  for (const migration of all) {
    const didApply = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const done = await tx`select 1 from schema_migrations where version = ${migration.version}`;
      if (done.length > 0) return false;
      await tx.unsafe(migration.sql);
      await tx`
        insert into schema_migrations (version, name)
        values (${migration.version}, ${migration.name})`;
      return true;
    });
    if (didApply) applied.push(`${migration.version}_${migration.name}`);
  }
  return applied;
}

/** Returns every known migration with the time it was applied (null = pending). */
export async function migrationStatus(
  sql: Sql,
  migrations?: Migration[],
): Promise<MigrationStatus[]> {
  const all = migrations ?? await readMigrations();
  await ensureTable(sql);
  const rows = await sql<{ version: string; applied_at: Date }[]>`
    select version, applied_at from schema_migrations`;
  const appliedAt = new Map(rows.map((r) => [r.version, r.applied_at]));
  return all.map((m) => ({
    version: m.version,
    name: m.name,
    appliedAt: appliedAt.get(m.version) ?? null,
  }));
}
