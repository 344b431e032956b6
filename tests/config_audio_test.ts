import assert from "node:assert/strict";
import { ConfigError, DEFAULT_AUDIO_MAX_BYTES, loadConfig } from "../config.ts";
import { productionEnv } from "./helpers/env.ts";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

const PROD = productionEnv({ DATABASE_URL: "postgres://db/x", AUDIO_STORE: undefined });
const S3 = {
  S3_ENDPOINT: "https://acct.r2.example",
  S3_BUCKET: "voices",
  S3_REGION: "auto",
  S3_ACCESS_KEY_ID: "key-id",
  S3_SECRET_ACCESS_KEY: "secret",
};

Deno.test("`loadConfig` refuses production without a store, naming S3_* and AUDIO_STORE=filesystem", () => {
  assert.deepEqual(problems(PROD), [
    "voice recordings need an object store in production: set S3_ENDPOINT, S3_BUCKET, " +
    "S3_REGION, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or AUDIO_STORE=filesystem " +
    "(one node with a persistent disk)",
  ]);
  assert.deepEqual(loadConfig({ ...PROD, AUDIO_STORE: "filesystem" }).audioStore, {
    kind: "filesystem",
  });
  assert.deepEqual(loadConfig({ ...PROD, ...S3 }).audioStore, {
    kind: "s3",
    endpoint: "https://acct.r2.example",
    bucket: "voices",
    region: "auto",
    accessKeyId: "key-id",
    secretAccessKey: "secret",
  });
});

Deno.test("`loadConfig` defaults to the filesystem store outside production", () => {
  const c = loadConfig({});
  assert.deepEqual(c.audioStore, { kind: "filesystem" });
  assert.equal(c.audioMaxBytes, DEFAULT_AUDIO_MAX_BYTES);
  assert.equal(c.audioMaxBytes, 52_428_800);
  assert.equal(c.audioRetentionDays, null);
});

Deno.test("`loadConfig` names the missing S3 variables of a partial S3 store", () => {
  assert.deepEqual(problems({ S3_BUCKET: "b" }), [
    "the S3 store needs S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY",
  ]);
  assert.deepEqual(problems({ ...S3, S3_ENDPOINT: "ftp://x" }), [
    "S3_ENDPOINT must be an http:// or https:// URL",
  ]);
  assert.equal(loadConfig({ ...S3, S3_REGION: "" }).audioStore.kind, "s3");
  assert.deepEqual(problems({ ...S3, AUDIO_STORE: "filesystem" }), [
    "AUDIO_STORE=filesystem conflicts with S3_ENDPOINT, S3_BUCKET, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (choose one store)",
  ]);
  assert.deepEqual(problems({ AUDIO_STORE: "disk" }), [
    'AUDIO_STORE must be filesystem or s3 (got "disk")',
  ]);
});

Deno.test("`loadConfig` reads AUDIO_MAX_BYTES and AUDIO_RETENTION_DAYS", () => {
  const c = loadConfig({ AUDIO_MAX_BYTES: "2048", AUDIO_RETENTION_DAYS: "30" });
  assert.equal(c.audioMaxBytes, 2048);
  assert.equal(c.audioRetentionDays, 30);
  assert.deepEqual(problems({ AUDIO_MAX_BYTES: "10" }), [
    "AUDIO_MAX_BYTES must be from 1024 to 5368709120 (5 GiB)",
  ]);
  assert.deepEqual(problems({ AUDIO_RETENTION_DAYS: "0" }), [
    'AUDIO_RETENTION_DAYS must be a whole number of days from 1 to 36500, or unset to keep recordings forever (got "0")',
  ]);
});
