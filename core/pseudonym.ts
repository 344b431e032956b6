/** Keyed pseudonyms of personal ids for logs: linkable by whoever holds the key, by no one else. */
import { createHmac } from "node:crypto";

/** Returns the first 16 hex characters of HMAC-SHA256(key, "player:" + id) (64 bits). */
export function logPseudonym(id: string, key: string): string {
  return createHmac("sha256", key).update(`player:${id}`, "utf8").digest("hex").slice(0, 16);
}
