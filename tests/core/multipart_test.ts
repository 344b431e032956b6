import assert from "node:assert/strict";
import {
  createMultipartParser,
  MAX_PART_HEADER_BYTES,
  multipartBoundary,
  type MultipartEvent,
  parsePartHead,
} from "../../core/multipart.ts";
import { DomainError } from "../../core/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const B = "XyZ-boundary";

/** Returns the parts of `body` fed in the chunks `cuts` makes (cut positions, ascending). */
function parse(body: Uint8Array, cuts: number[], boundary = B) {
  const parser = createMultipartParser(boundary);
  const events: MultipartEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    for (const e of parser.push(body.slice(from, cut))) {
      events.push(e.type === "data" ? { type: "data", bytes: e.bytes.slice() } : e);
    }
    from = cut;
  }
  parser.end();
  const parts: { name: string; filename: string | null; type: string | null; data: Uint8Array }[] =
    [];
  for (const e of events) {
    if (e.type === "part") {
      parts.push({
        name: e.head.name,
        filename: e.head.filename,
        type: e.head.contentType,
        data: new Uint8Array(0),
      });
    } else if (e.type === "data") {
      const p = parts[parts.length - 1];
      const joined = new Uint8Array(p.data.length + e.bytes.length);
      joined.set(p.data);
      joined.set(e.bytes, p.data.length);
      p.data = joined;
    }
  }
  return parts;
}

// A file part whose bytes contain near-misses of the delimiter: CR LF, "--", most of the boundary.
const FILE = new Uint8Array([
  ...enc.encode("fLaC\r\n--XyZ-bound\r\n\r--XyZ-boundar"),
  0,
  255,
  13,
  10,
  45,
  45,
  ...enc.encode("XyZ-boundarx"),
]);
const BODY = new Uint8Array([
  ...enc.encode(
    `preamble to ignore\r\n--${B}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n` +
      `{"a":1}\r\n--${B}  \r\ncontent-disposition: form-data; name="file"; filename="t.flac"\r\n` +
      "Content-Type: Audio/FLAC\r\n\r\n",
  ),
  ...FILE,
  ...enc.encode(`\r\n--${B}--\r\nepilogue --${B}\r\n`),
]);

Deno.test("`createMultipartParser` yields the same parts wherever the body is split in two", () => {
  for (let cut = 0; cut <= BODY.length; cut++) {
    const parts = parse(BODY, [cut]);
    assert.equal(parts.length, 2, `cut at ${cut}`);
    assert.equal(parts[0].name, "metadata");
    assert.equal(dec.decode(parts[0].data), '{"a":1}', `cut at ${cut}`);
    assert.deepEqual(
      [parts[1].name, parts[1].filename, parts[1].type],
      ["file", "t.flac", "audio/flac"],
    );
    assert.deepEqual(parts[1].data, FILE, `cut at ${cut}`);
  }
});

Deno.test("`createMultipartParser` yields the same parts fed one byte at a time", () => {
  const cuts = Array.from({ length: BODY.length - 1 }, (_, i) => i + 1);
  const parts = parse(BODY, cuts);
  assert.deepEqual(parts.map((p) => p.name), ["metadata", "file"]);
  assert.deepEqual(parts[1].data, FILE);
});

Deno.test("`createMultipartParser` splits at three random places of many bodies alike", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const cuts = [next(), next(), next()].map((x) => Math.floor(x * BODY.length)).sort((a, b) =>
      a - b
    );
    const parts = parse(BODY, cuts);
    assert.deepEqual(parts[1].data, FILE, JSON.stringify(cuts));
  }
});

Deno.test("`createMultipartParser` refuses a body without its closing delimiter", () => {
  const truncated = BODY.slice(0, BODY.indexOf(45, BODY.length - 30));
  assert.throws(
    () => parse(truncated, []),
    (e: unknown) =>
      e instanceof DomainError && e.kind === "bad_request" &&
      e.message === "Multipart body ended before its closing boundary",
  );
});

Deno.test("`createMultipartParser` refuses a part without Content-Disposition or a name", () => {
  const noDisposition = enc.encode(`--${B}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${B}--`);
  assert.throws(() => parse(noDisposition, []), /needs Content-Disposition: form-data/);
  const noName = enc.encode(`--${B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${B}--`);
  assert.throws(() => parse(noName, []), /has no name/);
});

Deno.test("`createMultipartParser` refuses part headers over the cap", () => {
  const big = enc.encode(
    `--${B}\r\nContent-Disposition: form-data; name="a"\r\nX-Pad: ${
      "p".repeat(MAX_PART_HEADER_BYTES)
    }\r\n\r\nx\r\n--${B}--`,
  );
  assert.throws(() => parse(big, [100]), /headers too large/);
});

Deno.test("`createMultipartParser` keeps no more than a delimiter of a data chunk back", () => {
  const parser = createMultipartParser(B);
  parser.push(enc.encode(`--${B}\r\nContent-Disposition: form-data; name="file"\r\n\r\n`));
  const chunk = new Uint8Array(100_000).fill(1);
  const events = parser.push(chunk);
  assert.equal(events.length, 1);
  assert.equal(events[0].type === "data" && events[0].bytes.length, 100_000);
  // A chunk ending with the start of the delimiter keeps exactly that start back.
  const tail = parser.push(enc.encode(`abc\r\n--XyZ`));
  assert.equal(tail.length, 1);
  assert.equal(tail[0].type === "data" && dec.decode(tail[0].bytes), "abc");
});

Deno.test("`multipartBoundary` reads plain and quoted boundaries and refuses others", () => {
  assert.equal(multipartBoundary("multipart/form-data; boundary=abc"), "abc");
  assert.equal(multipartBoundary('Multipart/Form-Data; charset=x; boundary="a b:c"'), "a b:c");
  assert.throws(() => multipartBoundary("application/json"), /must be multipart\/form-data/);
  assert.throws(() => multipartBoundary(undefined), /must be multipart\/form-data/);
  assert.throws(() => multipartBoundary("multipart/form-data"), /needs a boundary/);
});

Deno.test("`parsePartHead` reads quoted names with escapes and unquoted ones", () => {
  assert.deepEqual(
    parsePartHead('Content-Disposition: form-data; name="we\\"ird"; filename=a.ogg'),
    { name: 'we"ird', filename: "a.ogg", contentType: null },
  );
});
