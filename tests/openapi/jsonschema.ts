/**
 * A small JSON Schema (2020-12) checker for the keywords the OpenAPI document uses. Unknown
 * assertion keywords throw, so a schema can never pass by being misunderstood.
 */

export type Schema = { [key: string]: unknown };

/** Annotation keywords: they describe a value and never reject one. */
const ANNOTATIONS = new Set([
  "description",
  "example",
  "examples",
  "default",
  "title",
  "deprecated",
  "readOnly",
  "writeOnly",
  "format",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/** Returns the schema a local `$ref` (`#/components/schemas/X`) points to. */
export function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    node = (node as Schema | undefined)?.[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  if (!node || typeof node !== "object") throw new Error(`unresolved $ref ${ref}`);
  return node as Schema;
}

/** Returns every way `value` breaks `schema` (empty when it conforms). */
export function check(value: unknown, schema: Schema, root: Schema, at = "$"): string[] {
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(`${at}: ${msg}`);
  for (const [key, rule] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    switch (key) {
      case "$ref":
        problems.push(...check(value, resolveRef(root, rule as string), root, at));
        break;
      case "allOf":
        for (const sub of rule as Schema[]) problems.push(...check(value, sub, root, at));
        break;
      case "anyOf":
      case "oneOf": {
        const passing = (rule as Schema[]).filter((s) => check(value, s, root, at).length === 0);
        if (passing.length === 0 || (key === "oneOf" && passing.length > 1)) {
          fail(`${key}: matches ${passing.length} of ${(rule as Schema[]).length} schemas`);
        }
        break;
      }
      case "type": {
        const types = Array.isArray(rule) ? rule as string[] : [rule as string];
        if (!types.some((t) => hasType(value, t))) fail(`expected ${types.join("|")}`);
        break;
      }
      case "enum":
        if (!(rule as unknown[]).some((v) => v === value)) {
          fail(`not one of ${JSON.stringify(rule)}`);
        }
        break;
      case "const":
        if (value !== rule) fail(`expected ${JSON.stringify(rule)}`);
        break;
      case "properties":
        if (typeOf(value) !== "object") break;
        for (const [name, sub] of Object.entries(rule as Record<string, Schema>)) {
          const v = (value as Schema)[name];
          if (v !== undefined) problems.push(...check(v, sub, root, `${at}.${name}`));
        }
        break;
      case "required":
        if (typeOf(value) !== "object") break;
        for (const name of rule as string[]) {
          if (!(name in (value as Schema))) fail(`missing required ${name}`);
        }
        break;
      case "additionalProperties":
        if (typeOf(value) !== "object") break;
        for (const [name, v] of Object.entries(value as Schema)) {
          if (name in ((schema.properties as Schema | undefined) ?? {})) continue;
          if (rule === false) fail(`unexpected property ${name}`);
          else if (rule !== true) problems.push(...check(v, rule as Schema, root, `${at}.${name}`));
        }
        break;
      case "items":
        if (!Array.isArray(value)) break;
        value.forEach((v, i) => {
          if (i >= ((schema.prefixItems as unknown[] | undefined)?.length ?? 0)) {
            problems.push(...check(v, rule as Schema, root, `${at}[${i}]`));
          }
        });
        break;
      case "prefixItems":
        if (!Array.isArray(value)) break;
        (rule as Schema[]).forEach((sub, i) => {
          if (i < value.length) problems.push(...check(value[i], sub, root, `${at}[${i}]`));
        });
        break;
      case "minItems":
      case "maxItems":
        if (
          Array.isArray(value) &&
          (key === "minItems" ? value.length < (rule as number) : value.length > (rule as number))
        ) fail(`${key} ${rule}`);
        break;
      case "minLength":
      case "maxLength":
        if (
          typeof value === "string" &&
          (key === "minLength"
            ? [...value].length < (rule as number)
            : [...value].length > (rule as number))
        ) fail(`${key} ${rule}`);
        break;
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        if (typeof value !== "number") break;
        const r = rule as number;
        const ok = key === "minimum"
          ? value >= r
          : key === "maximum"
          ? value <= r
          : key === "exclusiveMinimum"
          ? value > r
          : value < r;
        if (!ok) fail(`${key} ${r}`);
        break;
      }
      case "pattern":
        if (typeof value === "string" && !new RegExp(rule as string, "u").test(value)) {
          fail(`does not match ${rule}`);
        }
        break;
      default:
        throw new Error(`${at}: unsupported schema keyword ${key}`);
    }
  }
  return problems;
}
