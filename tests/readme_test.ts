/**
 * README.md's "The first hour" runs as written: its shell lines, in their order, from a checkout
 * with a fresh data directory (PORT and DATA_DIR point them at a free port and a temporary
 * folder; every `127.0.0.1:8000` of a line is that port). The first line, `deno task start`,
 * keeps running while the others run; `deno task demo` then writes through the service's API.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { freePort } from "./helpers/process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const opts = { sanitizeOps: false, sanitizeResources: false } as const;
const text = new TextDecoder();

/** Returns the command lines of the first sh block under README's "## The first hour". */
export function firstHourCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf("## The first hour"));
  const start = section.indexOf("```sh\n") + "```sh\n".length;
  return section.slice(start, section.indexOf("```", start)).split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "");
}

Deno.test("README's first-hour lines run in their order", opts, async () => {
  const lines = firstHourCommands(await Deno.readTextFile(`${ROOT}README.md`));
  assert.deepEqual(lines, [
    "deno task start",
    "deno task demo",
    "curl http://127.0.0.1:8000/health",
    "deno task test tests/core/rollup_test.ts",
  ]);
  const port = freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "etl-readme-" });
  const env = {
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
    HOME: Deno.env.get("HOME") ?? dataDir,
    PORT: String(port),
    DATA_DIR: dataDir,
    NO_COLOR: "1",
  };
  const here = (line: string) => line.replaceAll("127.0.0.1:8000", `127.0.0.1:${port}`);
  // setsid: the task and the service it spawns form one process group, stopped together.
  const service = new Deno.Command("setsid", {
    args: ["bash", "-c", here(lines[0])],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const log = Promise.all([
    new Response(service.stdout).text(),
    new Response(service.stderr).text(),
  ]);
  try {
    let healthy = false;
    for (let i = 0; i < 1200 && !healthy; i++) {
      healthy = await fetch(`http://127.0.0.1:${port}/health`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }, () => false);
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(healthy, "the service answers /health");

    const outputs: string[] = [];
    for (const line of lines.slice(1)) {
      const out = await new Deno.Command("bash", {
        args: ["-c", here(line)],
        cwd: ROOT,
        env,
        clearEnv: true,
        stdin: "null",
      }).output();
      const stdout = text.decode(out.stdout);
      assert.equal(out.code, 0, `${line}:\n${stdout}\n${text.decode(out.stderr)}`);
      outputs.push(stdout);
    }
    const [demo, health, tests] = outputs;
    assert.match(demo, new RegExp(`The service at http://127\\.0\\.0\\.1:${port} holds `));
    assert.match(demo, /Seeded in [\d.]+ s: 3 companies, 21 players, \d+ sessions/);
    // The links the demo printed work on the running service.
    const company = new RegExp(`http://127\\.0\\.0\\.1:${port}/company\\?t=[0-9a-f]{24}`);
    const link = demo.match(company)?.[0];
    assert.ok(link, demo);
    const page = await fetch(link);
    assert.equal(page.status, 200);
    // Acme Corp's 9 players: under the default protected mode its numbers are released per
    // closed week with noise, so the page shows either them or the "too few players" state.
    const html = await page.text();
    assert.match(html, /<h1>(Acme Corp|Company c_[0-9a-f]{12})<\/h1>/);
    assert.match(html, /Averages over (about )?\d+ players|Not enough players yet/);
    assert.match(demo, /Without ADMIN_KEY the companies were registered by their first session/);
    // The fleet as the API can write it: every demo device beats now (the service's clock), and
    // demo-box-5 reports two boot times.
    const fleet = await (await fetch(`http://127.0.0.1:${port}/api/heartbeats`, {
      headers: { Authorization: "Bearer dev-dashboard-token" },
    })).json();
    assert.deepEqual(
      fleet.devices.map((d: { deviceId: string }) => d.deviceId).sort(),
      ["demo-box-1", "demo-box-2", "demo-box-3", "demo-box-4", "demo-box-5", "demo-box-6"],
    );
    assert.ok(fleet.devices.every((d: { status: string }) => d.status !== "dead"), fleet);
    assert.equal(health, '{"status":"ok"}');
    assert.match(tests, /ok \| \d+ passed \| 0 failed/);
  } finally {
    Deno.kill(-service.pid, "SIGTERM");
    await service.status;
    await log;
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

/** Returns the pages the browser tests shoot for the docs (`doc: true` in tests/e2e/pages_e2e.ts). */
export async function docScreenshotPages(): Promise<string[]> {
  const e2e = await Deno.readTextFile(`${ROOT}tests/e2e/pages_e2e.ts`);
  return [...e2e.matchAll(/name: "([\w-]+)",(?:(?!name:)[^\]])*?doc: true/g)].map((m) => m[1]);
}

Deno.test("README shows every screenshot `deno task screenshots` writes, at 1280 and 360 px", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const shown = [...readme.matchAll(/!\[[^\]]+\]\(docs\/screenshots\/([\w-]+)\.png\)/g)]
    .map((m) => m[1]).sort();
  const pages = await docScreenshotPages();
  // The pages issue 24 changed, the sign-in form among them.
  for (
    const page of ["engagement-login", "player", "company", "engagement", "fleet", "fleet-device"]
  ) assert.ok(pages.includes(page), `${page} is shot for the docs`);
  assert.deepEqual(shown, pages.flatMap((p) => [p, `${p}-phone`]).sort());
});
