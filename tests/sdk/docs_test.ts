/**
 * The SDK's documentation: every export carries JSDoc (`deno doc --lint sdk/mod.ts` is clean) and
 * docs/sdk.md names every method of the client and every exported type.
 */
import assert from "node:assert/strict";
import { documented } from "../../scripts/sdk.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("`deno doc --lint sdk/mod.ts` finds no undocumented or private export", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "sdk/mod.ts"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text);
});

Deno.test("`documented` adds JSDoc to undocumented declarations and members only", () => {
  const input = [
    "export interface paths {",
    '    "/events": {',
    "        get?: never;",
    "    };",
    "}",
    "export type webhooks = Record<string, never>;",
    "export interface operations {",
    "    /** Already said. */",
    "    postEvent: {",
    "    };",
    "}",
  ].join("\n");
  assert.equal(
    documented(input),
    [
      "/** Every path of the contract, each with its operations. */",
      "export interface paths {",
      "    /** `/events`: its parameters and operations. */",
      '    "/events": {',
      "        get?: never;",
      "    };",
      "}",
      "/** The contract declares no webhooks. */",
      "export type webhooks = Record<string, never>;",
      "/** Every operation of the contract by operationId: parameters, body, answers. */",
      "export interface operations {",
      "    /** Already said. */",
      "    postEvent: {",
      "    };",
      "}",
    ].join("\n"),
  );
});

Deno.test("docs/sdk.md names every method of the client and every exported type", async () => {
  const source = await Deno.readTextFile(`${ROOT}sdk/mod.ts`);
  const docs = await Deno.readTextFile(`${ROOT}docs/sdk.md`);
  const client = source.slice(
    source.indexOf("export interface TelemetryClient {"),
    source.indexOf("\n}\n", source.indexOf("export interface TelemetryClient {")),
  );
  const methods = [...client.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]);
  assert.ok(methods.length === 33, `found ${methods.length} methods`);
  const types = [...source.matchAll(/^export (?:type|interface|class) (\w+)/gm)].map((m) => m[1]);
  assert.ok(types.includes("PlayerExport") && types.includes("ClientOptions"));
  const missing = [...methods, ...types].filter((name) => !docs.includes(`\`${name}`));
  assert.deepEqual(missing, []);
});
