/**
 * A local S3-compatible server for `deno task bench audio` (s3rver, a process of its own so its
 * CPU and memory are not the service's): `deno run -A bench/s3_server.ts DIR BUCKET` prints
 * `port N` once listening and serves until SIGTERM.
 */
import S3rver from "s3rver";

const [directory, bucket] = Deno.args;
const server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  silent: true,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run() as { port: number };
console.log(`port ${port}`);
Deno.addSignalListener("SIGTERM", async () => {
  await server.close();
  Deno.exit(0);
});
