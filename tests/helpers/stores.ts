/**
 * Both object stores for a test file: the filesystem store under a temporary DATA_DIR and the
 * S3 store against a local s3rver. Opened before the first test that uses them (in a
 * `beforeEach` hook), closed after the last.
 */
import { type ObjectStore, openObjectStore } from "../../db/objects.ts";
import { type LocalS3, startLocalS3 } from "./s3.ts";

export interface StoreUnderTest {
  kind: "filesystem" | "s3";
  store: ObjectStore;
  /** The DATA_DIR the store spools under (and, for the filesystem store, keeps objects in). */
  dataDir: string;
}

/** Returns the two stores of this file (call `.get(kind)` inside a test). */
export function testStores() {
  let opened: { fs: StoreUnderTest; s3: StoreUnderTest; server: LocalS3; dirs: string[] } | null =
    null;
  Deno.test.beforeEach(async () => {
    if (opened) return;
    const fsDir = await Deno.makeTempDir({ prefix: "etl_fs_store_" });
    const s3Dir = await Deno.makeTempDir({ prefix: "etl_s3_spool_" });
    const server = await startLocalS3();
    opened = {
      fs: {
        kind: "filesystem",
        store: openObjectStore({ kind: "filesystem" }, fsDir),
        dataDir: fsDir,
      },
      s3: { kind: "s3", store: openObjectStore(server.config, s3Dir), dataDir: s3Dir },
      server,
      dirs: [fsDir, s3Dir],
    };
  });
  Deno.test.afterAll(async () => {
    if (!opened) return;
    await opened.server.close();
    for (const dir of opened.dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    opened = null;
  });
  return {
    get(kind: "filesystem" | "s3"): StoreUnderTest {
      if (!opened) throw new Error("the stores open before the first test");
      return kind === "s3" ? opened.s3 : opened.fs;
    },
  };
}

export const STORE_KINDS = ["filesystem", "s3"] as const;
