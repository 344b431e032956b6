/** HTTP `Range: bytes=…` of one range (RFC 9110 §14): what part of a file an answer holds. */

/**
 * Returns the inclusive byte range `header` asks of a `size`-byte file: null for the whole file
 * (no header, another unit, several ranges or a malformed one, which a server may ignore), or
 * "unsatisfiable" when it starts past the end.
 */
export function parseByteRange(
  header: string | undefined | null,
  size: number,
): { start: number; end: number } | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}
