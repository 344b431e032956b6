/**
 * The page renderer: Fresh's conventions on npm packages.
 *
 * A page is a Preact tree rendered once on the server with `preact-render-to-string`. Inside it,
 * `<Island name="…" props={…} />` renders an island's server HTML inside a marked `<div>` and
 * serializes its props into a `<script type="application/json">` beside it; the renderer then adds
 * one `<script type="module">` per island used (the content-hashed bundles of routes/assets.ts).
 * A page that renders no island ships no JavaScript at all.
 */
import {
  type Attributes,
  type ComponentChildren,
  createContext,
  type FunctionComponent,
  h,
  type VNode,
} from "preact";
import { useContext } from "preact/hooks";
import { renderToString } from "preact-render-to-string";
import { type IslandName, type IslandProps, islands } from "../islands/mod.ts";
import { CONTENT_SECURITY_POLICY } from "../http/csp.ts";

/** Headers of every HTML page. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": "text/html; charset=utf-8",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
};

const JSON_ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/**
 * Returns JSON that is safe as the text of a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029
 * are written as `\u` escapes, so no value can close the tag or open a comment.
 */
export function serializeProps(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => JSON_ESCAPES[ch]);
}

/** Collects the islands a render used, in order. */
class IslandCollector {
  readonly used: IslandName[] = [];
  /** Returns the element id of the next island's props. */
  add(name: IslandName): string {
    this.used.push(name);
    return `island-props-${this.used.length}`;
  }
}

const IslandContext = createContext<IslandCollector | null>(null);

/** Renders an island: its server HTML now, hydrated in the browser from the serialized props. */
export function Island<N extends IslandName>(
  { name, props }: { name: N; props: IslandProps<N> },
): VNode {
  const collector = useContext(IslandContext);
  if (!collector) throw new Error("Island rendered outside renderDocument");
  const id = collector.add(name);
  // The registry maps each name to its component; TypeScript cannot follow the correlation.
  const Component = islands[name] as unknown as FunctionComponent<IslandProps<N>>;
  return (
    <>
      <div class="island" data-island={name} data-props={id}>
        {h(Component, props as IslandProps<N> & Attributes)}
      </div>
      <script
        type="application/json"
        id={id}
        dangerouslySetInnerHTML={{ __html: serializeProps(props) }}
      />
    </>
  );
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Returns the server HTML of a page tree and the islands it rendered (each name once). */
export function renderBody(tree: ComponentChildren): { body: string; islands: IslandName[] } {
  const collector = new IslandCollector();
  const body = renderToString(
    <IslandContext.Provider value={collector}>{tree}</IslandContext.Provider>,
  );
  return { body, islands: [...new Set(collector.used)] };
}

/** Returns the full HTML document around a rendered body; one module script per island URL. */
export function wrapDocument(
  body: string,
  parts: { title: string; stylesheet: string; scripts: readonly string[] },
): string {
  const scripts = parts.scripts
    .map((url) => `<script type="module" src="${escapeHtml(url)}"></script>`)
    .join("");
  return "<!doctype html>" +
    '<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(parts.title)}</title>` +
    `<link rel="stylesheet" href="${escapeHtml(parts.stylesheet)}">` +
    `<link rel="icon" href="data:,">${scripts}</head>` +
    `<body>${body}</body></html>`;
}
