/**
 * The object store of voice recordings: an interface with two implementations chosen by the
 * configuration, the embedded filesystem store under DATA_DIR/objects/ (db/_objects_fs.ts) and
 * any S3-compatible store (db/_objects_s3.ts). Both keep the same keys.
 */
import type { AudioStoreConfig } from "../config.ts";
import { filesystemStore } from "./_objects_fs.ts";
import { s3Store } from "./_objects_s3.ts";
import type { ObjectStore } from "./object_store.ts";

export type { ByteRange, ObjectStore, StoredObject } from "./object_store.ts";
export { ObjectStoreError } from "./object_store.ts";

/** Returns the store a configuration names (nothing is opened or created until first use). */
export function openObjectStore(config: AudioStoreConfig, dataDir: string): ObjectStore {
  return config.kind === "s3"
    ? s3Store(config, `${dataDir}/spool`)
    : filesystemStore(`${dataDir}/objects`);
}
