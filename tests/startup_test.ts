/**
 * Issue 20, measurement 13: a database that cannot be used at start gives one line naming the
 * host, port and database, then exit 1 — from the service and from every task. No stack trace.
 */
import assert from "node:assert/strict";
import { serverUrl } from "./helpers/db.ts";
import { freePort, runMain, startService } from "./helpers/process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const STACK = /^\s+at /m;

/** Returns the exit code and output of `deno run -A scripts/<script>` with `env`. */
async function runScript(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `scripts/${script}`, ...args],
    cwd: ROOT,
    env: { APP_ENV: "test", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

Deno.test("main.ts and the tasks: an unreachable database is one line naming host, port and database", async () => {
  const port = freePort(); // nothing listens there
  const env = { DATABASE_URL: `postgres://etl:secret-pw@127.0.0.1:${port}/etl_prod` };
  const expected = new RegExp(
    `^Cannot reach the database server at 127\\.0\\.0\\.1:${port} \\(database "etl_prod"\\): ECONNREFUSED\\.\\n$`,
  );
  for (
    const [name, run] of [
      ["main.ts", () => runMain(env)],
      ["migrate", () => runScript("migrate.ts", env)],
      ["retention", () => runScript("retention.ts", { ...env, RAW_EVENT_RETENTION_DAYS: "30" })],
      ["erase", () => runScript("erase.ts", env, ["player-1", "--yes"])],
    ] as const
  ) {
    const { code, output } = await run();
    assert.equal(code, 1, `${name}: ${output}`);
    assert.match(output, expected, name);
    assert.doesNotMatch(output, STACK, name);
    assert.ok(!output.includes("secret-pw"), `${name} never prints the password`);
  }
});

Deno.test({
  name: "main.ts and migrate: a database that does not exist is one line naming it",
  ignore: serverUrl() === null,
  fn: async () => {
    const url = new URL(serverUrl()!);
    url.pathname = "/etl_missing_database_20";
    const where = `${url.hostname}:${url.port || "5432"}`.replace(/\./g, "\\.");
    for (
      const run of [
        () => runMain({ DATABASE_URL: url.href }),
        () => runScript("migrate.ts", { DATABASE_URL: url.href }),
      ]
    ) {
      const { code, output } = await run();
      assert.equal(code, 1, output);
      assert.match(
        output,
        new RegExp(
          `^Database "etl_missing_database_20" does not exist on ${where} \\(DATABASE_URL\\)\\.\\n$`,
        ),
      );
    }
  },
});

Deno.test("every task on a locked data directory prints the promised line, no stack trace", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "etl-locked-" });
  const service = await startService({ DATA_DIR: dataDir, APP_ENV: "development" });
  try {
    const env = { DATA_DIR: dataDir };
    for (
      const [name, run] of [
        ["migrate", () => runScript("migrate.ts", env)],
        ["retention", () => runScript("retention.ts", { ...env, RAW_EVENT_RETENTION_DAYS: "30" })],
        ["erase", () => runScript("erase.ts", env, ["player-1", "--yes"])],
      ] as const
    ) {
      const { code, output } = await run();
      assert.equal(code, 1, `${name}: ${output}`);
      assert.match(output, /The data directory .* is in use by another process/, name);
      assert.equal(output.trim().split("\n").length, 1, `${name}: one line: ${output}`);
      assert.doesNotMatch(output, STACK, name);
    }
  } finally {
    await service.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
