/**
 * docs/unreal.md against the contract (openapi/openapi.json): every status it lists per endpoint,
 * every limit of its event table, the batch size, and the rules it states about 403 and companies.
 */
import assert from "node:assert/strict";
import { CompanyNameSchema } from "../../openapi/common.ts";
import { MAX_BATCH } from "../../openapi/telemetry.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const guide = await Deno.readTextFile(`${ROOT}docs/unreal.md`);
const spec = JSON.parse(await Deno.readTextFile(`${ROOT}openapi/openapi.json`));

interface JsonSchema {
  type?: string | string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
  enum?: string[];
  items?: { anyOf: JsonSchema[] };
}

/** Returns the text of a `## title` section of the guide (up to the next `## `). */
function section(title: string): string {
  const start = guide.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `docs/unreal.md has a section "${title}"`);
  const end = guide.indexOf("\n## ", start + 4);
  return guide.slice(start, end < 0 ? undefined : end);
}

/** Returns the rows of the first Markdown table in `text`, each as its trimmed cells. */
function tableRows(text: string): string[][] {
  return text.split("\n").filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l)).slice(1)
    .map((l) => l.slice(1, -1).split(" | ").map((c) => c.trim()));
}

/** Returns the status codes the contract lists for one operation, as numbers. */
function contractCodes(method: string, path: string): number[] {
  const operation = spec.paths[path]?.[method.toLowerCase()];
  assert.ok(operation, `the contract has ${method} ${path}`);
  return Object.keys(operation.responses).map(Number).sort((a, b) => a - b);
}

/** Returns a number written the guide's way: 1000000 → "1 000 000". */
const spaced = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, " ");

Deno.test("the guide's status table lists exactly the contract's statuses of each endpoint", () => {
  const rows = tableRows(section("Status codes by endpoint"));
  assert.ok(rows.length >= 5);
  for (const [endpoint, codes] of rows) {
    const [method, path] = endpoint.replaceAll("`", "").split(" ");
    assert.deepEqual(codes.split(", ").map(Number), contractCodes(method, path), endpoint);
  }
  const listed = rows.map(([e]) => e.replaceAll("`", ""));
  for (
    const call of ["POST /events", "POST /events/batch", "POST /sessions/{session_id}/finalize"]
  ) {
    assert.ok(listed.includes(call), call);
  }
});

Deno.test("the retry table names only statuses the ingest endpoints answer (no 403)", () => {
  const ingest = new Set(
    [["POST", "/events"], ["POST", "/events/batch"], ["POST", "/sessions/{session_id}/finalize"]]
      .flatMap(([m, p]) => contractCodes(m, p)),
  );
  assert.ok(!ingest.has(403), "the contract's ingest endpoints have no 403");
  const retries = section("Timeouts and retries");
  const table = retries.slice(0, retries.indexOf("\n\n", retries.indexOf("| outcome")));
  const named = [...table.matchAll(/\b([1-5]\d\d)\b/g)].map((m) => Number(m[1]));
  assert.ok(named.length >= 10);
  assert.deepEqual(named.filter((code) => !ingest.has(code)), []);
  assert.match(retries, /The ingest endpoints never answer 403/);
});

Deno.test("the guide's event table states every limit of the contract's AttemptSubmitted", () => {
  const schema = spec.components.schemas.AttemptSubmitted;
  const rows = new Map(
    tableRows(section("The event")).flatMap(([fields, rule]) =>
      fields.split(", ").map((f) => [f.replaceAll("`", ""), rule] as const)
    ),
  );
  const expected: [string, string][] = [];
  for (const [field, raw] of Object.entries(schema.properties)) {
    const p = raw as JsonSchema;
    const types = [p.type].flat();
    if (types.includes("string") && p.pattern) {
      expected.push([field, p.pattern.replace(/^\^|\$$/g, "")]);
    } else if (types.includes("string") && p.enum) {
      for (const value of p.enum) expected.push([field, `"${value}"`]);
    } else if (types.includes("string") && p.minLength !== undefined) {
      expected.push([field, `${p.minLength}–${p.maxLength} characters`]);
    } else if (types.includes("string")) {
      expected.push([field, `at most ${p.maxLength} characters`]);
    } else if (types.includes("integer")) {
      expected.push([field, `integer ${spaced(p.minimum!)}–${spaced(p.maximum!)}`]);
    } else if (types.includes("array")) {
      expected.push([field, `at most ${p.maxItems} items`]);
      const text = p.items!.anyOf.find((i) => i.type === "string")!;
      expected.push([field, `≤ ${text.maxLength} chars`]);
      const int = p.items!.anyOf.find((i) => i.type === "integer")!;
      assert.equal(int.maximum, 2 ** 31 - 1);
      expected.push([field, "integer (32-bit)"]);
    } else expected.push([field, types[0]!]);
  }
  const missing = expected.filter(([field, phrase]) => !(rows.get(field) ?? "").includes(phrase));
  assert.deepEqual(missing, []);
  assert.equal(expected.length >= Object.keys(schema.properties).length, true);
});

Deno.test("the guide states the rules the contract's text cannot: company name, ids, batch size", () => {
  const event = section("The event");
  const companyRule = CompanyNameSchema.safeParse("!!! ---");
  assert.equal(companyRule.success, false);
  assert.match(companyRule.error!.issues[0].message, /at least one letter or digit/);
  assert.match(
    event,
    /`company_name` +\| optional string, 1–256 characters with at least one letter or digit/,
  );
  assert.match(event, /`player_id` +\| string, 1–128 characters, not `\.` or `\.\.`/);
  assert.ok(guide.includes(`(≤ ${MAX_BATCH})`));
  assert.equal(spec.components.schemas.EventBatch.properties.events.maxItems, MAX_BATCH);
  assert.match(event, /\*\*Such a session can never\s+be finalized\*\*/);
});

Deno.test("the guide names production auth for reads, the queue cap and the clock rules", () => {
  const reads = section("Reading a player's results (production)");
  assert.match(reads, /`GET \/players\/\{player_id\}\/sessions`/);
  assert.match(reads, /`GET \/model\/state\/\{player_id\}/);
  assert.match(reads, /\*\*In production both need a dashboard token\*\*/);
  for (const path of ["/players/{player_id}/sessions", "/model/state/{player_id}"]) {
    const op = spec.paths[path].get;
    assert.deepEqual(op.security, [{ dashboardToken: [] }, {}], path);
    assert.ok(op.responses["401"] && op.responses["403"], path);
  }
  const queue = section("Offline queue and safe resends");
  assert.match(queue, /\*\*Cap the queue\*\*: at most 10 000 requests and 20 MiB/);
  assert.match(queue, /drop the \*\*oldest whole session\*\* first/);
  const clocks = section("Clocks");
  assert.match(clocks, /`ts_utc` is the \*\*client's\*\* clock/);
  assert.match(clocks, /The \*\*server's\*\* receive time/);
  assert.match(clocks, /The accepted window for `ts_utc`/);
});
