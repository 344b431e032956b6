/**
 * An S3-compatible object store (AWS S3, Cloudflare R2, MinIO, …) through `aws4fetch`: SigV4
 * signing on the runtime's own fetch, no other dependency (docs/recordings.md says why). Objects
 * are addressed path-style (`{endpoint}/{bucket}/{key}`). A put streams the spool file part by
 * part: one PUT up to a part's size, a multipart upload above it, so an upload holds one part in
 * memory whatever the file's size. Every part is signed with its SHA-256, which the store checks.
 */
import { AwsClient } from "aws4fetch";
import type { S3StoreConfig } from "../config.ts";
import { type ObjectStore, ObjectStoreError, type StoredObject } from "./objects.ts";

/** Bytes per part of a multipart upload (S3's minimum for every part but the last is 5 MiB). */
export const S3_PART_BYTES = 5 * 1024 * 1024;

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

/** Reads up to `buffer.length` bytes of `file` into it; returns how many (0 at the end). */
async function readFull(file: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return filled;
}

/** Returns the S3 store of a configuration; uploads are spooled under `spoolDir`. */
export function s3Store(
  config: S3StoreConfig,
  spoolDir: string,
  partBytes = S3_PART_BYTES,
): ObjectStore {
  const client = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    region: config.region,
    service: "s3",
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

  async function multipart(key: string, file: Deno.FsFile, contentType: string): Promise<void> {
    const created = await expectOk(
      await send(urlOf(key, "?uploads"), {
        method: "POST",
        headers: { "content-type": contentType },
      }, "create upload"),
      "create upload",
    );
    const uploadId = tags(await created.text(), "UploadId")[0];
    if (!uploadId) throw new ObjectStoreError("object store gave no UploadId");
    const q = (extra: string) => `?${extra}uploadId=${encodeURIComponent(uploadId)}`;
    try {
      const etags: string[] = [];
      const buffer = new Uint8Array(partBytes);
      for (let part = 1;; part++) {
        const n = await readFull(file, buffer);
        if (n === 0) break;
        const res = await expectOk(
          await send(urlOf(key, q(`partNumber=${part}&`)), {
            method: "PUT",
            body: buffer.subarray(0, n),
          }, "upload part"),
          "upload part",
        );
        await res.body?.cancel();
        etags.push(res.headers.get("etag") ?? "");
        if (n < buffer.length) break;
      }
      const body = "<CompleteMultipartUpload>" +
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join("") +
        "</CompleteMultipartUpload>";
      const done = await expectOk(
        await send(urlOf(key, q("")), { method: "POST", body }, "complete upload"),
        "complete upload",
      );
      // S3 may answer 200 with an <Error> body for a failed completion.
      const text = await done.text();
      if (text.includes("<Error>")) {
        throw new ObjectStoreError(
          `object store refused complete upload: ${tags(text, "Code")[0]}`,
        );
      }
    } catch (err) {
      await send(urlOf(key, q("")), { method: "DELETE" }, "abort upload")
        .then((r) => r.body?.cancel()).catch(() => {});
      throw err;
    }
  }

  return {
    kind: "s3",
    spoolDir,
    async putFile(key, path, size, contentType) {
      const file = await Deno.open(path, { read: true });
      try {
        if (size <= partBytes) {
          const buffer = new Uint8Array(size);
          await readFull(file, buffer);
          const res = await expectOk(
            await send(urlOf(key), {
              method: "PUT",
              headers: { "content-type": contentType },
              body: buffer,
            }, "put"),
            "put",
          );
          await res.body?.cancel();
        } else {
          await multipart(key, file, contentType);
        }
      } finally {
        file.close();
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
