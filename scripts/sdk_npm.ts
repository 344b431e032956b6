/**
 * The npm package of the SDK (part of `deno task sdk`): sdk/mod.ts compiled to ESM (mod.js) and
 * CommonJS (mod.cjs) JavaScript with declarations for each (mod.d.ts, mod.d.cts), the generated
 * sdk/schema.d.ts (also as schema.d.cts), the contract, a package.json whose version is the
 * contract's, and a README — for integrators on Node.js 20+ (ESM or CommonJS) and bundlers.
 */
import ts from "typescript";

export const PACKAGE_NAME = "earth-task-telemetry-client";
/** Where `deno task sdk` writes the package (git-ignored; `npm pack` it from there). */
export const DEFAULT_OUT_DIR = new URL("../dist/sdk-npm/", import.meta.url);

const SDK_DIR = new URL("../sdk/", import.meta.url);
const SPEC_PATH = new URL("../openapi/openapi.json", import.meta.url);
const DENO_JSON = new URL("../deno.json", import.meta.url);

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  strict: true,
};
const COMMONJS_OPTIONS: ts.CompilerOptions = {
  ...COMPILER_OPTIONS,
  module: ts.ModuleKind.CommonJS,
  esModuleInterop: true,
};
/** Declarations from one file without type-checking need explicit types on every export. */
const DECLARATION_OPTIONS: ts.CompilerOptions = {
  ...COMPILER_OPTIONS,
  declaration: true,
  isolatedDeclarations: true,
};

/** Returns `text` transpiled (ESM, CommonJS, or declarations), or throws naming the diagnostics. */
function transpile(text: string, kind: "esm" | "cjs" | "dts"): string {
  const compilerOptions = kind === "dts"
    ? DECLARATION_OPTIONS
    : kind === "cjs"
    ? COMMONJS_OPTIONS
    : COMPILER_OPTIONS;
  const input = { compilerOptions, fileName: "mod.ts", reportDiagnostics: true };
  const out = kind === "dts"
    ? ts.transpileDeclaration(text, input)
    : ts.transpileModule(text, input);
  const problems = (out.diagnostics ?? []).map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n")
  );
  if (problems.length > 0) throw new Error(`sdk/mod.ts does not compile: ${problems.join("; ")}`);
  return out.outputText;
}

/** Returns the exact version of an npm package the repository maps in deno.json. */
async function mappedVersion(name: string): Promise<string> {
  const { imports } = JSON.parse(await Deno.readTextFile(DENO_JSON));
  const match = new RegExp(`^npm:${name}@(.+)$`).exec(imports[name] ?? "");
  if (!match) throw new Error(`deno.json maps no npm version of ${name}`);
  return match[1];
}

/** Every file of the package besides package.json. */
export const PACKAGE_FILES = [
  "mod.js",
  "mod.d.ts",
  "mod.cjs",
  "mod.d.cts",
  "schema.d.ts",
  "schema.d.cts",
  "openapi.json",
  "README.md",
] as const;

/** Returns the package.json of the SDK package for contract `version`. */
export function packageJson(version: string, openapiFetch: string): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version,
    description:
      "Typed client for the Earth Task Telemetry API (generated from its OpenAPI contract)",
    type: "module",
    main: "./mod.cjs",
    module: "./mod.js",
    types: "./mod.d.cts",
    exports: {
      ".": {
        import: { types: "./mod.d.ts", default: "./mod.js" },
        require: { types: "./mod.d.cts", default: "./mod.cjs" },
      },
      "./openapi.json": "./openapi.json",
    },
    files: [...PACKAGE_FILES],
    sideEffects: false,
    engines: { node: ">=20" },
    dependencies: { "openapi-fetch": openapiFetch },
    license: "UNLICENSED",
    earthTaskTelemetry: { contractVersion: version },
  };
}

const README = (version: string) =>
  `# ${PACKAGE_NAME} ${version}

Typed client for the Earth Task Telemetry API, contract version ${version} (the \`info.version\`
of the bundled \`openapi.json\`). Node.js 20 or newer (ESM \`import\` or CommonJS
\`require\`), or any bundler.

\`\`\`js
import { ApiError, createClient } from "${PACKAGE_NAME}";

const client = createClient({ baseUrl: "https://telemetry.example.com", ingestToken: "…" });
await client.postEvent(event);
const summary = await client.finalizeSession(event.session_id);
try {
  await client.postEvent({ ...event, duration_ms: 1 });
} catch (err) {
  if (err instanceof ApiError && err.status === 409) console.log(err.detail);
}
\`\`\`

Every operation may be retried (the API is idempotent by key); the client retries 503 answers and
network errors with backoff. Built by \`deno task sdk\` from the repository's \`sdk/\`; see its
docs/sdk.md.
`;

/** Writes the package into `outDir` (emptied first); returns its name, version and directory. */
export async function buildNpmPackage(
  outDir: URL = DEFAULT_OUT_DIR,
): Promise<{ name: string; version: string; dir: string }> {
  const source = await Deno.readTextFile(new URL("mod.ts", SDK_DIR));
  const spec = await Deno.readTextFile(SPEC_PATH);
  const version: string = JSON.parse(spec).info.version;
  const js = transpile(source, "esm");
  const cjs = transpile(source, "cjs");
  // Declarations import the schema as "./schema.js" (resolved to schema.d.ts) and the CommonJS
  // ones as "./schema.cjs" (schema.d.cts): each format's types stay in that format.
  const declarations = transpile(source, "dts");
  const dts = declarations.replace(/(["'])\.\/schema\.d\.ts\1/g, '"./schema.js"');
  const dcts = declarations.replace(/(["'])\.\/schema\.d\.ts\1/g, '"./schema.cjs"');
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  const json = packageJson(version, await mappedVersion("openapi-fetch"));
  await Deno.writeTextFile(new URL("package.json", outDir), JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(new URL("mod.js", outDir), js);
  await Deno.writeTextFile(new URL("mod.d.ts", outDir), dts);
  await Deno.writeTextFile(new URL("mod.cjs", outDir), cjs);
  await Deno.writeTextFile(new URL("mod.d.cts", outDir), dcts);
  await Deno.copyFile(new URL("schema.d.ts", SDK_DIR), new URL("schema.d.ts", outDir));
  await Deno.copyFile(new URL("schema.d.ts", SDK_DIR), new URL("schema.d.cts", outDir));
  await Deno.writeTextFile(new URL("openapi.json", outDir), spec);
  await Deno.writeTextFile(new URL("README.md", outDir), README(version));
  return { name: PACKAGE_NAME, version, dir: outDir.pathname };
}
