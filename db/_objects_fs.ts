/**
 * The embedded object store: each object is a file `root/{key}`. A put renames the fsynced spool
 * file (on the same filesystem, under `root/.spool/`) into place and fsyncs its folder, so a
 * stored object survives a crash and a reader never sees half a file.
 */
import type { ByteRange, ObjectStore, StoredObject } from "./object_store.ts";

const SPOOL = ".spool";

/** Resolves once the folder's entries (a rename into it) are on disk. */
async function syncFolder(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/** Returns the stream of `file` from `start`, `length` bytes long; closes the file at the end. */
function fileStream(file: Deno.FsFile, length: number): ReadableStream<Uint8Array> {
  let left = length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = new Uint8Array(Math.min(64 * 1024, left));
      const n = left === 0 ? null : await file.read(chunk);
      if (n === null || n === 0) {
        file.close();
        controller.close();
        return;
      }
      left -= n;
      controller.enqueue(chunk.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  });
}

/** Returns the filesystem store rooted at `root` (created on first put). */
export function filesystemStore(root: string): ObjectStore {
  const pathOf = (key: string) => `${root}/${key}`;
  async function* walk(dir: string, rel: string): AsyncGenerator<StoredObject> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (rel === "" && entry.name === SPOOL) continue;
      const key = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) yield* walk(`${dir}/${entry.name}`, key);
      else if (entry.isFile) {
        const info = await Deno.stat(`${dir}/${entry.name}`).catch(() => null);
        if (info) yield { key, size: info.size, lastModified: info.mtime ?? new Date(0) };
      }
    }
  }
  return {
    kind: "filesystem",
    spoolDir: `${root}/${SPOOL}`,
    async putFile(key, path) {
      const target = pathOf(key);
      const folder = target.slice(0, target.lastIndexOf("/"));
      await Deno.mkdir(folder, { recursive: true });
      await Deno.rename(path, target);
      await syncFolder(folder);
    },
    async get(key, range?: ByteRange) {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(pathOf(key), { read: true });
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
      const size = (await file.stat()).size;
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      if (start > 0) await file.seek(start, Deno.SeekMode.Start);
      return fileStream(file, Math.max(0, end - start + 1));
    },
    async delete(key) {
      try {
        await Deno.remove(pathOf(key));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    },
    async *list(prefix) {
      // Walk from the deepest folder the prefix names, then filter by the rest of it.
      const slash = prefix.lastIndexOf("/");
      const base = slash < 0 ? "" : prefix.slice(0, slash);
      for await (const object of walk(base === "" ? root : `${root}/${base}`, base)) {
        if (object.key.startsWith(prefix)) yield object;
      }
    },
  };
}
