import assert from "node:assert/strict";
import { STORE_KINDS, testStores } from "../helpers/stores.ts";
import { sha256Hex } from "../helpers/audio.ts";

const stores = testStores();
const opts = { sanitizeOps: false, sanitizeResources: false } as const;

async function spoolFile(dir: string, bytes: Uint8Array): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${crypto.randomUUID()}.part`;
  await Deno.writeFile(path, bytes);
  return path;
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}

const read = async (s: ReadableStream<Uint8Array> | null) =>
  new Uint8Array(await new Response(s).arrayBuffer());

for (const kind of STORE_KINDS) {
  Deno.test(
    `\`ObjectStore\` (${kind}) stores, reads whole and by range, lists and deletes`,
    opts,
    async () => {
      const { store } = stores.get(kind);
      const bytes = pattern(70_000);
      const key = `recordings/dev-${kind}/2026/01/02/a%2Fb.flac`;
      const path = await spoolFile(store.spoolDir, bytes);
      await store.putFile(key, path, bytes.length, "audio/flac", await sha256Hex(bytes));
      await assert.rejects(Deno.stat(path), Deno.errors.NotFound, "the spool file is consumed");
      assert.deepEqual(await read(await store.get(key)), bytes);
      assert.deepEqual(
        await read(await store.get(key, { start: 10, end: 19 })),
        bytes.slice(10, 20),
      );
      assert.deepEqual(
        await read(await store.get(key, { start: 69_990, end: 69_999 })),
        bytes.slice(69_990),
      );
      const listed = await Array.fromAsync(store.list(`recordings/dev-${kind}/`));
      assert.deepEqual(listed.map((o) => [o.key, o.size]), [[key, 70_000]]);
      assert.ok(Date.now() - listed[0].lastModified.getTime() < 600_000);
      assert.equal(await store.get(`recordings/dev-${kind}/none.flac`), null);
      await store.delete(key);
      await store.delete(key); // deleting twice is fine
      assert.equal(await store.get(key), null);
      assert.deepEqual(await Array.fromAsync(store.list(`recordings/dev-${kind}/`)), []);
    },
  );

  Deno.test(
    `\`ObjectStore\` (${kind}) stores an 11 MiB file intact (streamed, one PUT)`,
    opts,
    async () => {
      const { store } = stores.get(kind);
      const bytes = pattern(11 * 1024 * 1024 + 5);
      const key = `recordings/big-${kind}/2026/01/02/big.flac`;
      const sha = await sha256Hex(bytes);
      await store.putFile(
        key,
        await spoolFile(store.spoolDir, bytes),
        bytes.length,
        "audio/flac",
        sha,
      );
      const back = await read(await store.get(key));
      assert.equal(back.length, bytes.length);
      assert.deepEqual(back, bytes);
      await store.delete(key);
    },
  );

  Deno.test(`\`ObjectStore\` (${kind}) lists keys in order under a prefix only`, opts, async () => {
    const { store } = stores.get(kind);
    const keys = [
      `recordings/order-${kind}/2026/01/02/s/01_user.flac`,
      `recordings/order-${kind}/2026/01/02/s/00_user.flac`,
      `recordings/order-${kind}/2026/01/01/x.ogg`,
      `recordings/order-${kind}x/2026/01/01/other.ogg`,
    ];
    for (const key of keys) {
      const bytes = new TextEncoder().encode(key);
      const sha = await sha256Hex(bytes);
      await store.putFile(
        key,
        await spoolFile(store.spoolDir, bytes),
        bytes.length,
        "audio/ogg",
        sha,
      );
    }
    const listed = await Array.fromAsync(store.list(`recordings/order-${kind}/`));
    assert.deepEqual(listed.map((o) => o.key), [keys[2], keys[1], keys[0]]);
    for (const key of keys) await store.delete(key);
  });
}
