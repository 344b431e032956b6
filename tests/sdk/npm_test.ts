/**
 * The SDK as an npm package, used from Node.js: `deno task sdk`'s package is packed with
 * `npm pack`, installed from the tarball into a fresh Node project (its dependency from the npm
 * registry), type-checked there with TypeScript against the shipped declarations, and run with
 * node against the real service (main.ts spawned; development on the embedded database, or
 * production on a fresh server database with TEST_DATABASE_URL).
 */
import assert from "node:assert/strict";
import { buildNpmPackage, PACKAGE_NAME } from "../../scripts/sdk_npm.ts";
import { createServerDatabase, serverUrl } from "../helpers/db.ts";
import { sampleEvents } from "../helpers/play.ts";
import { startService } from "../helpers/process.ts";
import { productionEnv } from "../helpers/env.ts";

const INGEST = "npm-ingest-token-kkkkkkkkkkkkkkk";
const DASHBOARD = "npm-dashboard-token-kkkkkkkkkkkk";
const opts = { sanitizeOps: false, sanitizeResources: false } as const;
const text = new TextDecoder();

/** Returns the stdout of a command, or throws with its output. */
async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdin: "null" }).output();
  const stdout = text.decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}):\n${stdout}\n${text.decode(out.stderr)}`,
    );
  }
  return stdout;
}

const CONSUMER_TS = `
import { ApiError, createClient, type AttemptEvent, type SessionSummary } from "${PACKAGE_NAME}";

const client = createClient({ baseUrl: "http://127.0.0.1:1", ingestToken: "t" });
const event: AttemptEvent = {
  player_id: "p", session_id: "s", sequence_index: 1, sequence_length: 4, attempt_index: 1,
  presented: [1, 2, 3, 4], input: [1, 2, 3, 4], is_correct: true, duration_ms: 1,
  ts_utc: "2026-11-20T10:00:00Z", remediation_stage: "none",
};
export async function attempts(): Promise<number> {
  await client.postEvent(event);
  const summary: SessionSummary = await client.finalizeSession(event.session_id);
  return summary.n_attempts;
}
export function statusOf(err: unknown): number | null {
  return err instanceof ApiError ? err.status : null;
}
// @ts-expect-error sequence_index is a number in the contract
export const wrong: AttemptEvent = { ...event, sequence_index: "1" };
`;

const CONSUMER_MJS = `
import { ApiError, createClient } from "${PACKAGE_NAME}";
const [baseUrl, ingestToken, dashboardToken, eventsJson] = process.argv.slice(2);
const events = JSON.parse(eventsJson);
const client = createClient({ baseUrl, ingestToken, dashboardToken, retryDelayMs: 5 });
const out = { posted: [] };
for (const event of events) out.posted.push(await client.postEvent(event));
out.resend = await client.postEvent(events[2]);
try {
  await client.postEvent({ ...events[2], duration_ms: 1 });
  out.conflict = null;
} catch (err) {
  out.conflict = { apiError: err instanceof ApiError, name: err.name, status: err.status, detail: err.detail };
}
const summary = await client.finalizeSession(events[0].session_id);
out.summary = { fta_level: summary.fta_level, repetition_burden: summary.repetition_burden,
  earth_score_bucket: summary.earth_score_bucket, n_attempts: summary.n_attempts };
out.listed = JSON.stringify(await client.playerSessions(summary.player_id)) === JSON.stringify([summary]);
console.log(JSON.stringify(out));
`;

Deno.test(
  "the packed SDK installs into a fresh Node 20 project, type-checks and talks to the service",
  opts,
  async () => {
    const work = await Deno.makeTempDir({ prefix: "etl-npm-" });
    const base = serverUrl();
    const database = base ? await createServerDatabase(base) : null;
    const credentials = { INGEST_SERVICE_TOKEN: INGEST, DASHBOARD_TOKEN_MAP: `${DASHBOARD}:*` };
    const service = await startService(
      database
        ? productionEnv({
          ...credentials,
          DATABASE_URL: database.url,
          HOST: "127.0.0.1",
          WORKERS: "1",
        })
        : { ...credentials, APP_ENV: "development", DATA_DIR: `${work}/data` },
    );
    try {
      const pkg = await buildNpmPackage(new URL(`file://${work}/package/`));
      const contract = JSON.parse(await Deno.readTextFile("openapi/openapi.json")).info.version;
      assert.equal(pkg.version, contract);
      const manifest = JSON.parse(await Deno.readTextFile(`${pkg.dir}package.json`));
      assert.equal(manifest.version, contract, "package.json carries the contract version");
      assert.deepEqual(manifest.dependencies, { "openapi-fetch": "0.17.0" });

      const tarball = (await run("npm", ["pack", "--pack-destination", work], pkg.dir)).trim()
        .split("\n").pop()!;
      assert.equal(tarball, `${PACKAGE_NAME}-${contract}.tgz`);
      const project = `${work}/consumer`;
      await Deno.mkdir(project);
      await Deno.writeTextFile(
        `${project}/package.json`,
        JSON.stringify({ name: "consumer", private: true, type: "module" }),
      );
      await run(
        "npm",
        [
          "install",
          "--no-audit",
          "--no-fund",
          "--prefer-offline",
          `${work}/${tarball}`,
          "typescript@5.9.3",
        ],
        project,
      );
      const installed = JSON.parse(
        await Deno.readTextFile(`${project}/node_modules/${PACKAGE_NAME}/package.json`),
      );
      assert.equal(installed.version, contract);

      // TypeScript in the Node project accepts the declarations (and refuses a wrong field type).
      await Deno.writeTextFile(`${project}/check.ts`, CONSUMER_TS);
      await Deno.writeTextFile(
        `${project}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            module: "nodenext",
            moduleResolution: "nodenext",
            target: "ES2022",
            lib: ["ES2022", "DOM"],
            strict: true,
            noEmit: true,
          },
          files: ["check.ts"],
        }),
      );
      await run("node", ["node_modules/typescript/bin/tsc", "-p", "."], project);

      assert.match(await run("node", ["--version"], project), /^v20\./);
      await Deno.writeTextFile(`${project}/run.mjs`, CONSUMER_MJS);
      const events = await sampleEvents();
      const out = JSON.parse(
        await run(
          "node",
          ["run.mjs", service.baseUrl, INGEST, DASHBOARD, JSON.stringify(events)],
          project,
        ),
      );
      assert.deepEqual(out, {
        posted: events.map(() => ({ stored: true })),
        resend: { stored: true },
        conflict: {
          apiError: true,
          name: "ApiError",
          status: 409,
          detail: "Attempt already stored with different content " +
            "(same session_id, sequence_index and attempt_index)",
        },
        summary: { fta_level: 1 / 3, repetition_burden: 2, earth_score_bucket: 5, n_attempts: 6 },
        listed: true,
      });
    } finally {
      await service.stop();
      await database?.drop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
);

const DOCS = new URL("../../docs/sdk.md", import.meta.url);

/** Returns the fenced block of docs/sdk.md whose first line is `first`, without its fences. */
function docsBlock(docs: string, language: string, first: string): string {
  const start = docs.indexOf("```" + language + "\n" + first);
  assert.ok(start >= 0, `docs/sdk.md has a ${language} block starting ${first}`);
  const body = docs.slice(start + language.length + 4);
  return body.slice(0, body.indexOf("```"));
}

/** Returns the output of a shell script run with bash -e in `cwd`, or throws with its output. */
function shell(script: string, cwd: string): Promise<string> {
  return run("bash", ["-e", "-c", script], cwd);
}

Deno.test(
  "the docs' example builds verbatim in a fresh `npm init -y` project with `tsc --init` defaults and runs against the service",
  opts,
  async () => {
    const docs = await Deno.readTextFile(DOCS);
    const work = await Deno.makeTempDir({ prefix: "etl-npm-docs-" });
    const base = serverUrl();
    const database = base ? await createServerDatabase(base) : null;
    // Development defaults: the example's tokens are the printed development tokens.
    const service = await startService({
      APP_ENV: "development",
      ...(database ? { DATABASE_URL: database.url } : { DATA_DIR: `${work}/data` }),
    });
    const here = (text: string) => text.replaceAll("http://127.0.0.1:8000", service.baseUrl);
    try {
      const pkg = await buildNpmPackage(new URL(`file://${work}/repo/dist/sdk-npm/`));
      // The pack command of the docs, run from the repository root it names.
      const pack = docsBlock(docs, "bash", "deno task sdk\n").split("\n")
        .filter((line) => line.startsWith("npm pack"));
      assert.deepEqual(pack.map((l) => l.replace(/\s+#.*$/, "")), ["npm pack ./dist/sdk-npm"]);
      const repo = `${work}/repo`;
      await shell(pack[0], repo);
      const tarball = `${repo}/${PACKAGE_NAME}-${pkg.version}.tgz`;
      assert.ok((await Deno.stat(tarball)).isFile);

      const steps = docsBlock(docs, "bash", "mkdir my-game-backend");
      const [setup, build] = steps.split(/^# write example\.ts.*$/m);
      assert.ok(build, "the steps say where example.ts is written");
      await shell(setup, repo); // the project sits next to the tarball, as in the docs
      const project = `${repo}/my-game-backend`;
      const tsconfig = await Deno.readTextFile(`${project}/tsconfig.json`);
      assert.match(tsconfig, /^\s*"exactOptionalPropertyTypes": true/m, "tsc --init defaults");
      assert.match(tsconfig, /^\s*"verbatimModuleSyntax": true/m);
      await Deno.writeTextFile(
        `${project}/example.ts`,
        here(docsBlock(docs, "ts", "// example.ts\n")),
      );
      const out = await shell(build, project);
      assert.equal(
        out,
        "{ stored: 2, duplicates: 0 }\n" +
          "409 Attempt already stored with different content " +
          "(same session_id, sequence_index and attempt_index)\n" +
          "0 2\n" +
          "1\n",
      );

      // CommonJS: a fresh `npm init -y` project (no "type") requires the package, from plain
      // JavaScript (the docs' example.cjs) and from TypeScript with `import … = require`.
      const cjs = `${work}/cjs-project`;
      await Deno.mkdir(cjs);
      await shell(
        `npm init -y >/dev/null && npm install --no-audit --no-fund --prefer-offline ` +
          `${tarball} typescript && npx tsc --init >/dev/null`,
        cjs,
      );
      assert.equal(JSON.parse(await Deno.readTextFile(`${cjs}/package.json`)).type, "commonjs");
      await Deno.writeTextFile(
        `${cjs}/example.cjs`,
        here(docsBlock(docs, "js", "// example.cjs\n")),
      );
      assert.equal(await run("node", ["example.cjs"], cjs), "{ status: 'ok' }\n");
      await Deno.writeTextFile(
        `${cjs}/index.ts`,
        `import sdk = require("${PACKAGE_NAME}");\n` +
          `const settings: Record<string, string> = { baseUrl: "${service.baseUrl}" };\n` +
          "async function main(): Promise<void> {\n" +
          "  const api = sdk.createClient({\n" +
          '    baseUrl: settings.baseUrl ?? "",\n' +
          "    dashboardToken: settings.dashboardToken,\n" +
          "  });\n" +
          "  const sessions: sdk.SessionSummary[] = await api.playerSessions(\n" +
          '    "sdk-example-player",\n' +
          "  );\n" +
          "  console.log(sessions.map((s) => s.n_attempts).join());\n" +
          "}\n" +
          "void main();\n",
      );
      await run("npx", ["tsc"], cjs);
      assert.equal(await run("node", ["index.js"], cjs), "2\n");
    } finally {
      await service.stop();
      await database?.drop();
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
);
