/**
 * The real process: uploads acknowledged with 200 survive a SIGKILL of the service, on both
 * stores (files under DATA_DIR/objects/, and a local S3 server this test starts).
 */
import assert from "node:assert/strict";
import { DEV_INGEST_TOKEN } from "../config.ts";
import { flacFile, multipartBody, multipartType } from "./helpers/audio.ts";
import { createServerDatabase, serverUrl } from "./helpers/db.ts";
import { startService } from "./helpers/process.ts";
import { startLocalS3 } from "./helpers/s3.ts";

const opts = { sanitizeOps: false, sanitizeResources: false } as const;
const ADMIN_KEY = "crash-admin-key";

for (const kind of ["filesystem", "s3"] as const) {
  Deno.test(
    `acknowledged uploads (${kind}) are all there after a SIGKILL of the service`,
    opts,
    async () => {
      const dataDir = await Deno.makeTempDir({ prefix: "etl_rec_crash_" });
      const base = serverUrl();
      const database = base ? await createServerDatabase(base) : null;
      const s3 = kind === "s3" ? await startLocalS3() : null;
      const env: Record<string, string> = {
        DATA_DIR: dataDir,
        ADMIN_KEY,
        ...(database ? { DATABASE_URL: database.url } : {}),
        ...(s3
          ? {
            S3_ENDPOINT: s3.config.endpoint,
            S3_BUCKET: s3.config.bucket,
            S3_REGION: s3.config.region,
            S3_ACCESS_KEY_ID: s3.config.accessKeyId,
            S3_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
          }
          : {}),
      };
      try {
        const tone = await flacFile();
        let svc = await startService(env);
        const session = crypto.randomUUID();
        const statuses = await Promise.all(Array.from({ length: 6 }, async (_, turn) => {
          const body = multipartBody({
            session_id: session,
            device_id: "crash-device",
            turn_number: turn,
            recorded_at: "2026-10-01T10:00:00Z",
            duration_ms: 2500,
          }, tone);
          const res = await fetch(`${svc.baseUrl}/internal/ingest/session_audio`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${DEV_INGEST_TOKEN}`,
              "content-type": multipartType(),
            },
            body: body as Uint8Array<ArrayBuffer>,
          });
          await res.body?.cancel();
          return res.status;
        }));
        assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
        await svc.stop("SIGKILL");

        svc = await startService(env);
        try {
          const res = await fetch(`${svc.baseUrl}/admin/sessions/${session}/recordings`, {
            headers: { "x-admin-key": ADMIN_KEY },
          });
          const manifest = await res.json();
          assert.equal(res.status, 200, JSON.stringify(manifest));
          assert.deepEqual(manifest.turns.map((t: { turn: number }) => t.turn), [0, 1, 2, 3, 4, 5]);
          for (const turn of manifest.turns) {
            const audio = await fetch(`${svc.baseUrl}${turn.user.audio_url}`, {
              headers: { "x-admin-key": ADMIN_KEY },
            });
            assert.deepEqual(new Uint8Array(await audio.arrayBuffer()), tone, `turn ${turn.turn}`);
          }
        } finally {
          await svc.stop();
        }
      } finally {
        await s3?.close();
        await database?.drop();
        await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      }
    },
  );
}
