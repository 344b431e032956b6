/**
 * Checking an answer against the contract: the operation a request reaches (by method and path
 * template of the committed document), whether the answer's status is declared for it, and
 * whether its body fits the response declared for that status, both in the generated document
 * (a JSON-schema check) and in the zod schema it was generated from (refinements and formats
 * the document cannot carry).
 */
import type { z } from "zod";
import { jsonMedia, type Operation, operations, response } from "./contract.ts";
import { check, type Schema } from "./jsonschema.ts";

/** The zod side of a route: its response schemas by status and media type. */
export interface ZodRoute {
  method: string;
  path: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

/** What one checked answer was. */
export interface Answer {
  key: string;
  status: number;
  body: unknown;
  problems: string[];
}

/** Returns the zod routes of an OpenAPIHono registry, keyed `METHOD /path`. */
export function zodRoutes(
  definitions: readonly { type: string; route?: unknown }[],
): Map<string, ZodRoute> {
  const out = new Map<string, ZodRoute>();
  for (const def of definitions) {
    if (def.type !== "route") continue;
    const route = def.route as ZodRoute;
    out.set(`${route.method.toUpperCase()} ${route.path}`, route);
  }
  return out;
}

/** Returns a checker of answers against `doc` and its zod routes, recording what it saw. */
export function contractChecker(doc: Schema, routes: Map<string, ZodRoute>) {
  const ops = operations(doc);
  const templates = ops.map((op) => ({
    op,
    params: (op.path.match(/\{/g) ?? []).length,
    pattern: new RegExp(`^${op.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  /** Per operation key, every status it answered. */
  const seen = new Map<string, Set<number>>();

  /** Returns the operation a method and path reach (the literal path wins over a template). */
  const operationOf = (method: string, pathname: string): Operation | undefined =>
    templates
      .filter((t) => t.op.method === method.toLowerCase() && t.pattern.test(pathname))
      .sort((a, b) => a.params - b.params)[0]?.op;

  /** Returns every way the answer breaks what `op` declares (empty when it conforms). */
  const problemsOf = async (op: Operation, res: Response): Promise<[unknown, string[]]> => {
    const declared = response(op.op, res.status);
    if (!declared) {
      const text = await res.text();
      return [text, [`${op.key}: undeclared status ${res.status} (${text.slice(0, 200)})`]];
    }
    const types = Object.keys((declared.content as Schema | undefined) ?? {});
    const contentType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    const media = jsonMedia(declared);
    if (!media) {
      const bytes = (await res.arrayBuffer()).byteLength;
      if (types.length === 0) {
        return [
          null,
          bytes === 0 ? [] : [`${op.key} ${res.status}: a body where none is declared`],
        ];
      }
      return [
        bytes,
        types.includes(contentType)
          ? []
          : [`${op.key} ${res.status}: content type ${contentType} not in ${types.join(", ")}`],
      ];
    }
    const text = await res.text();
    if (contentType !== "application/json") {
      return [text, [`${op.key} ${res.status}: content type ${contentType}, not JSON`]];
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [text, [`${op.key} ${res.status}: the body is not JSON`]];
    }
    const problems = check(body, media.schema as Schema, doc).map((p) =>
      `${op.key} ${res.status} (document) ${p}`
    );
    const zodSchema = routes.get(op.key)?.responses[String(res.status)]?.content?.[
      "application/json"
    ]?.schema as z.ZodType | undefined;
    if (!zodSchema) problems.push(`${op.key} ${res.status}: no zod schema for the answer`);
    else {
      const parsed = zodSchema.safeParse(body);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          problems.push(
            `${op.key} ${res.status} (zod) $.${issue.path.join(".")}: ${issue.message}`,
          );
        }
      }
    }
    return [body, problems];
  };

  return {
    operationOf,
    /** Per operation key, every status it answered so far. */
    seen,
    /** Returns the checked answer of `res` to `req` (the request must reach an operation). */
    async answer(req: Request, res: Response): Promise<Answer> {
      const url = new URL(req.url);
      const op = operationOf(req.method, url.pathname);
      if (!op) throw new Error(`${req.method} ${url.pathname} reaches no documented operation`);
      const [body, problems] = await problemsOf(op, res);
      if (!seen.has(op.key)) seen.set(op.key, new Set());
      seen.get(op.key)!.add(res.status);
      return { key: op.key, status: res.status, body, problems };
    },
  };
}
