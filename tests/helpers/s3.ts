/**
 * A local S3-compatible server for the S3 store's tests (s3rver from npm, in this process, on a
 * free loopback port, over a temporary folder): the same client code as production talks to it.
 */
import S3rver from "s3rver";
import type { S3StoreConfig } from "../../config.ts";

export interface LocalS3 {
  config: S3StoreConfig;
  close(): Promise<void>;
}

/** Returns a running local S3 server with an empty bucket `bucket`. */
export async function startLocalS3(bucket = "recordings-test"): Promise<LocalS3> {
  const directory = await Deno.makeTempDir({ prefix: "etl_s3_" });
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run() as { port: number };
  return {
    config: {
      kind: "s3",
      endpoint: `http://127.0.0.1:${port}`,
      bucket,
      region: "us-east-1",
      // s3rver's fixed credentials.
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    },
    async close() {
      await server.close();
      await Deno.remove(directory, { recursive: true }).catch(() => {});
    },
  };
}
