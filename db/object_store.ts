/** The object store interface of voice recordings (implemented in db/_objects_fs.ts and
 * db/_objects_s3.ts, chosen by db/objects.ts) and its error. */

/** One object as listed. */
export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Bytes `start`..`end` of an object, both inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectStore {
  readonly kind: "filesystem" | "s3";
  /** A local folder where uploads are spooled before they are stored (created on demand). */
  readonly spoolDir: string;
  /**
   * Resolves once the file at `path` (`size` bytes with hex SHA-256 `sha256`, fsynced by the
   * caller) is durably stored under `key`, replacing any object there. Consumes the file: it is
   * gone afterwards.
   */
  putFile(
    key: string,
    path: string,
    size: number,
    contentType: string,
    sha256: string,
  ): Promise<void>;
  /** Returns the object's bytes (all, or `range`) as a stream, or null when there is none. */
  get(key: string, range?: ByteRange): Promise<ReadableStream<Uint8Array> | null>;
  /** Resolves once no object is under `key` (none there is fine). */
  delete(key: string): Promise<void>;
  /** Returns every object whose key starts with `prefix`, in key order, page by page. */
  list(prefix: string): AsyncGenerator<StoredObject>;
}

/** Thrown when the object store cannot be reached or refuses a request (answered 503). */
export class ObjectStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ObjectStoreError";
  }
}
