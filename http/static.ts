/** Static files served by the edges: kept plain and gzipped, sent with a long cache lifetime. */
import type { Context } from "hono";

/** One servable file, plain and gzipped. */
export interface StaticFile {
  body: Uint8Array;
  gzip: Uint8Array;
  type: string;
}

/** Returns the gzip of some bytes. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Returns a servable file (the gzip computed once). */
export async function staticFile(body: Uint8Array, type: string): Promise<StaticFile> {
  return { body, gzip: await gzip(body), type };
}

/** Returns a static file response: immutable for a year, gzipped when the client accepts it. */
export function sendStatic(c: Context, file: StaticFile): Response {
  const headers: Record<string, string> = {
    "Content-Type": file.type,
    "Cache-Control": "public, max-age=31536000, immutable",
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  };
  const accepts = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (accepts) headers["Content-Encoding"] = "gzip";
  const body = accepts ? file.gzip : file.body;
  return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers });
}
