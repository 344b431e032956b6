/** Reading the committed OpenAPI document: its operations, their examples and schemas. */
import { resolveRef, type Schema } from "./jsonschema.ts";

export interface Operation {
  /** `METHOD /path`, e.g. `POST /events`. */
  key: string;
  method: string;
  path: string;
  op: Schema;
}

export const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** Returns every operation of the document, in document order. */
export function operations(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (op) out.push({ key: `${method.toUpperCase()} ${path}`, method, path, op });
    }
  }
  return out;
}

/** Returns the parameters of an operation. */
export function parameters(op: Schema): Schema[] {
  return (op.parameters as Schema[] | undefined) ?? [];
}

/** Returns the example of a parameter (its own or its schema's), or undefined. */
export function parameterExample(param: Schema): unknown {
  return param.example ?? (param.schema as Schema | undefined)?.example;
}

/** Returns the JSON media object of a request body or response, or undefined. */
export function jsonMedia(holder: Schema | undefined): Schema | undefined {
  return (holder?.content as Record<string, Schema> | undefined)?.["application/json"];
}

/** Returns the example of a media object: its own, else its (referenced) schema's. */
export function mediaExample(doc: Schema, media: Schema): unknown {
  if (media.example !== undefined) return media.example;
  let schema = media.schema as Schema;
  if (typeof schema.$ref === "string") schema = resolveRef(doc, schema.$ref);
  if (schema.example !== undefined) return schema.example;
  for (const part of (schema.allOf as Schema[] | undefined) ?? []) {
    const inner = typeof part.$ref === "string" ? resolveRef(doc, part.$ref) : part;
    if (inner.example !== undefined) return inner.example;
  }
  return undefined;
}

/** Returns the response object of an operation for a status. */
export function response(op: Schema, status: number): Schema | undefined {
  return (op.responses as Record<string, Schema>)[String(status)];
}

/** Returns the scheme names of each security alternative (`[]` = no credentials). */
export function securityOf(op: Schema): string[][] {
  return ((op.security as Record<string, string[]>[] | undefined) ?? []).map((r) => Object.keys(r));
}

/** Returns the request an operation's examples describe (path, query, header, body examples). */
export function exampleRequest(
  doc: Schema,
  { method, path, op }: Operation,
  headers: Record<string, string> = {},
  omitQuery: string[] = [],
): Request {
  let url = path;
  const query = new URLSearchParams();
  for (const p of parameters(op)) {
    const value = parameterExample(p);
    if (value === undefined) continue;
    if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(String(value)));
    if (p.in === "query" && !omitQuery.includes(p.name as string)) {
      query.set(p.name as string, String(value));
    }
    if (p.in === "header") headers = { ...headers, [p.name as string]: String(value) };
  }
  const qs = query.toString();
  const media = jsonMedia(op.requestBody as Schema | undefined);
  const init: RequestInit = { method: method.toUpperCase(), headers: { ...headers } };
  if (media) {
    init.body = JSON.stringify(mediaExample(doc, media));
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  return new Request(`http://contract.test${url}${qs ? `?${qs}` : ""}`, init);
}
