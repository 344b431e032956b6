/**
 * An S3-compatible object store (AWS S3, Cloudflare R2, MinIO, …) through `aws4fetch`: SigV4
 * signing with no other dependency (docs/recordings.md says why). Objects are addressed
 * path-style (`{endpoint}/{bucket}/{key}`). A put is one PUT streamed from the spool file in 64 KiB
 * chunks with its length and its SHA-256 (X-Amz-Content-Sha256, known from the upload), which
 * the store checks; it goes through node:http because the runtime's fetch sends a stream body
 * chunked, without the Content-Length S3 requires. One PUT takes objects up to 5 GiB, the most
 * AUDIO_MAX_BYTES allows. The other calls (GET with Range, DELETE, ListObjectsV2) use fetch.
 */
import http from "node:http";
import https from "node:https";
import { AwsClient } from "aws4fetch";
import type { S3StoreConfig } from "../config.ts";
import { type ObjectStore, ObjectStoreError, type StoredObject } from "./object_store.ts";

/** Bytes read from the spool file per write. */
const CHUNK_BYTES = 64 * 1024;

const XML_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

/** Returns XML text with its entities decoded. */
function xmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X"
        ? parseInt(name.slice(2), 16)
        : parseInt(name.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return XML_ENTITIES[name] ?? whole;
  });
}

/** Returns the content of every `<tag>…</tag>` in `xml` (entities decoded unless `raw`). */
function tags(xml: string, tag: string, raw = false): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) =>
    raw ? m[1] : xmlText(m[1])
  );
}

/** Resolves with the status and body text once `path` was sent as the body of `request`. */
async function sendFile(
  request: http.ClientRequest,
  path: string,
): Promise<{ status: number; text: string }> {
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  // A failure while waiting for "drain" ends the wait too (it never drains then).
  const failed = answered.then(() => {}, (err) => Promise.reject(err));
  failed.catch(() => {});
  const file = await Deno.open(path, { read: true });
  try {
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (;;) {
      const n = await file.read(chunk);
      if (n === null) break;
      // A copy: the request may still hold the bytes when the next read fills the buffer.
      if (!request.write(chunk.slice(0, n))) {
        await Promise.race([new Promise((resolve) => request.once("drain", resolve)), failed]);
      }
    }
    request.end();
  } catch (err) {
    request.destroy();
    throw err;
  } finally {
    file.close();
  }
  const res = await answered;
  let text = "";
  for await (const part of res) text += String(part);
  return { status: res.statusCode ?? 0, text };
}

/** Returns the S3 store of a configuration; uploads are spooled under `spoolDir`. */
export function s3Store(config: S3StoreConfig, spoolDir: string): ObjectStore {
  const client = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    region: config.region,
    service: "s3",
    // aws4fetch retries 5xx and 429 itself; a few quick tries, then the caller's 503.
    retries: 2,
  });
  const bucketUrl = `${config.endpoint.replace(/\/+$/, "")}/${encodeURIComponent(config.bucket)}`;
  const urlOf = (key: string, query = "") =>
    `${bucketUrl}/${key.split("/").map(encodeURIComponent).join("/")}${query}`;

  async function send(url: string, init: RequestInit, what: string): Promise<Response> {
    let res: Response;
    try {
      res = await client.fetch(url, init);
    } catch (err) {
      throw new ObjectStoreError(`object store unreachable (${what})`, { cause: err });
    }
    return res;
  }
  async function expectOk(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    const code = tags(text, "Code")[0] ?? "";
    throw new ObjectStoreError(`object store refused ${what}: ${res.status} ${code}`.trim());
  }

  return {
    kind: "s3",
    spoolDir,
    async putFile(key, path, size, contentType, sha256) {
      try {
        const url = new URL(urlOf(key));
        const signed = await client.sign(url.toString(), {
          method: "PUT",
          headers: { "content-type": contentType, "x-amz-content-sha256": sha256 },
        });
        const headers: Record<string, string> = Object.fromEntries(signed.headers);
        headers["content-length"] = String(size);
        const request = (url.protocol === "https:" ? https : http).request({
          method: "PUT",
          host: url.hostname,
          port: url.port || (url.protocol === "https:" ? 443 : 80),
          path: url.pathname + url.search,
          headers,
        });
        let answer: { status: number; text: string };
        try {
          answer = await sendFile(request, path);
        } catch (err) {
          throw new ObjectStoreError("object store unreachable (put)", { cause: err });
        }
        if (answer.status < 200 || answer.status >= 300) {
          const code = tags(answer.text, "Code")[0] ?? "";
          throw new ObjectStoreError(`object store refused put: ${answer.status} ${code}`.trim());
        }
      } finally {
        await Deno.remove(path).catch(() => {});
      }
    },
    async get(key, range) {
      const headers: Record<string, string> = range
        ? { range: `bytes=${range.start}-${range.end}` }
        : {};
      const res = await send(urlOf(key), { method: "GET", headers }, "get");
      if (res.status === 404) {
        await res.body?.cancel();
        return null;
      }
      await expectOk(res, "get");
      return res.body ?? new ReadableStream({ start: (c) => c.close() });
    },
    async delete(key) {
      const res = await send(urlOf(key), { method: "DELETE" }, "delete");
      await res.body?.cancel();
      if (!res.ok && res.status !== 404) {
        throw new ObjectStoreError(`object store refused delete: ${res.status}`);
      }
    },
    async *list(prefix) {
      let token: string | null = null;
      for (;;) {
        const query = `?list-type=2&prefix=${encodeURIComponent(prefix)}` +
          (token ? `&continuation-token=${encodeURIComponent(token)}` : "");
        const res = await expectOk(await send(`${bucketUrl}${query}`, {}, "list"), "list");
        const xml = await res.text();
        for (const contents of tags(xml, "Contents", true)) {
          const object: StoredObject = {
            key: tags(contents, "Key")[0],
            size: Number(tags(contents, "Size")[0] ?? 0),
            lastModified: new Date(tags(contents, "LastModified")[0] ?? 0),
          };
          yield object;
        }
        token = tags(xml, "IsTruncated")[0] === "true"
          ? tags(xml, "NextContinuationToken")[0] ?? null
          : null;
        if (!token) return;
      }
    },
  };
}
