/** `deno task erase` and `deno task retention` as an operator runs them (subprocesses). */
import assert from "node:assert/strict";
import { openDatabase, type Sql } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { eraseArgs } from "../../scripts/erase.ts";
import { retentionDaysOf } from "../../scripts/retention.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { createServerDatabase, serverUrl } from "../helpers/db.ts";
import { playSession } from "../helpers/play.ts";

const opts = dbTestOptions;
/** The scripts' database, made before this file's first test and removed after its last. */
let server: { url: string; drop(): Promise<void> } | null = null;
let dataDir = "";
let target: Record<string, string> = {};

/** Runs `fn` on the scripts' database (the embedded one is closed again for the scripts). */
async function withDatabase<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const db = await openDatabase({
    databaseUrl: server?.url ?? null,
    dataDir: server ? null : dataDir,
  });
  try {
    return await fn(db.sql);
  } finally {
    await db.close();
  }
}

async function run(script: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `scripts/${script}.ts`, ...args],
    cwd: new URL("../../", import.meta.url),
    env: { APP_ENV: "test", ...target, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test.beforeEach(async () => {
  if (dataDir) return;
  const base = serverUrl();
  server = base ? await createServerDatabase(base) : null;
  dataDir = await Deno.makeTempDir({ prefix: "etl-privacy-scripts-" });
  target = server ? { DATABASE_URL: server.url } : { DATA_DIR: dataDir };
  await withDatabase(async (sql) => {
    await migrate(sql);
    const t = testApp(sql);
    await playSession(t, {
      player: "cli-1",
      session: "cli-a",
      pattern: [1, 2, 0],
      start: "2024-01-10T09:00:00Z",
    });
    await playSession(t, {
      player: "cli-2",
      session: "cli-b",
      pattern: [1, 1, 1],
      start: "2024-01-11T09:00:00Z",
    });
    // Received when played (retention goes by the server's receive time).
    await sql`update raw_events set received_at = ts_utc`;
  });
});
Deno.test.afterAll(async () => {
  await server?.drop();
  if (dataDir) await Deno.remove(dataDir, { recursive: true });
});

Deno.test("eraseArgs takes one valid id and --yes", opts, () => {
  assert.deepEqual(eraseArgs(["p1"]), { playerId: "p1", yes: false });
  assert.deepEqual(eraseArgs(["--yes", "ü😀"]), { playerId: "ü😀", yes: true });
  assert.equal(eraseArgs([]), "usage: deno task erase <player_id> [--yes]");
  assert.equal(eraseArgs(["a", "b"]), "usage: deno task erase <player_id> [--yes]");
  assert.match(eraseArgs(["x".repeat(129)]) as string, /^Not a valid player id: /);
});

Deno.test("retentionDaysOf: --days wins, else the configuration, else a message", opts, () => {
  assert.equal(retentionDaysOf(["--days", "7"], 30), 7);
  assert.equal(retentionDaysOf([], 30), 30);
  assert.match(retentionDaysOf([], null) as string, /^RAW_EVENT_RETENTION_DAYS is not set/);
  assert.match(retentionDaysOf(["--days", "0"], 30) as string, /^--days must be/);
  assert.match(retentionDaysOf(["--days"], 30) as string, /^--days must be/);
});

Deno.test("deno task erase asks first, erases with --yes and prints the counts", opts, async () => {
  const unconfirmed = await run("erase", ["cli-1"]);
  assert.equal(unconfirmed.code, 1, unconfirmed.stderr);
  assert.match(unconfirmed.stderr, /Not confirmed; nothing erased/);
  const done = await run("erase", ["cli-1", "--yes"]);
  assert.equal(done.code, 0, done.stderr);
  assert.match(
    done.stdout,
    /^Erased "cli-1": 6 raw events, 1 sessions, 1 models, 1 engagement sessions\.\nLog pseudonym \(player_hash\): [0-9a-f]{16}\n$/,
  );
  const counts = await withDatabase((sql) =>
    sql<{ n: number }[]>`select count(*)::int as n from raw_events where player_id = 'cli-1'`
  );
  assert.equal(counts[0].n, 0);
  assert.equal((await run("erase", [])).code, 2);
});

Deno.test("deno task retention deletes once and reports; refuses a bad setting", opts, async () => {
  const unset = await run("retention", []);
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /RAW_EVENT_RETENTION_DAYS is not set/);
  const bad = await run("retention", [], { RAW_EVENT_RETENTION_DAYS: "soon" });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /RAW_EVENT_RETENTION_DAYS must be a whole number of days/);
  const done = await run("retention", [], { RAW_EVENT_RETENTION_DAYS: "30" });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^Deleting raw events of finalized sessions older than 30 days\n/);
  assert.match(done.stdout, /Deleted 3 raw events received before \S+ \(0 older ones kept/);
  const again = await run("retention", ["--days", "30"]);
  assert.match(again.stdout, /Deleted 0 raw events/);
});
