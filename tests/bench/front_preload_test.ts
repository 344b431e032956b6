/** bench/front_preload.ts: the bench-only front harness never wraps this checkout's own service. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("bench/front_preload.ts refuses to wrap this checkout's own main.ts", async () => {
  // Were it to wrap it, the service would start (and be killed at the timeout, failing below).
  const dataDir = await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `--preload=${ROOT}bench/front_preload.ts`, `${ROOT}main.ts`],
    cwd: ROOT,
    env: { APP_ENV: "test", PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir },
    signal: AbortSignal.timeout(20_000),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(dataDir, { recursive: true }));
  assert.equal(out.code, 1);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /bench\/front_preload\.ts wraps an older checkout's service, not this one/,
  );
  assert.equal(new TextDecoder().decode(out.stdout), "", "main.ts never ran");
});
