import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { startEmbedded } from "../../db/embedded.ts";
import { resetData, tableCounts } from "../../db/demo.ts";
import { generateDemo } from "../../scripts/demo_data.ts";
import { type DemoResult, formatReport, progressReporter, writeDemo } from "../../scripts/demo.ts";
import { freePort } from "../helpers/process.ts";
import { dbTestOptions, testApp } from "../helpers/app.ts";
import { testDatabase } from "../helpers/db.ts";

const opts = dbTestOptions;
const NOW = new Date("2025-06-18T12:00:00Z");
const DAY = 86_400_000;
const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("the demo data is deterministic per seed, dated in the last ~90 days", opts, () => {
  const a = generateDemo(7, NOW);
  assert.deepEqual(generateDemo(7, NOW), a);
  assert.notDeepEqual(generateDemo(8, NOW).sessions, a.sessions);

  assert.deepEqual(a.companies.map((c) => [c.name, c.players.length]), [
    ["Acme Corp", 9],
    ["Globex Industries", 7],
    ["Initech", 3],
  ]);
  assert.equal(a.players.length, 21);
  assert.equal(new Set(a.sessions.map((s) => s.sessionId)).size, a.sessions.length);
  for (const s of a.sessions) {
    const start = Date.parse(s.events[0].ts_utc);
    assert.ok(start >= NOW.getTime() - 91 * DAY && s.finalizeAt <= NOW, s.sessionId);
    const company = a.companies.find((c) => c.players.includes(s.playerId))?.name;
    assert.ok(s.events.every((e) => e.company_name === company && e.player_id === s.playerId));
  }
  for (const e of a.engagement) {
    assert.ok(Date.parse(e.started_at) >= NOW.getTime() - 11 * DAY);
    assert.ok(Date.parse(e.started_at) + e.duration_seconds * 1000 < NOW.getTime());
  }
});

Deno.test("progress: a redrawn bar on a terminal, a few plain lines otherwise", opts, () => {
  const plain: string[] = [];
  const report = progressReporter(false, (t) => plain.push(t));
  for (let i = 0; i <= 100; i++) report("sessions", i, 100);
  assert.deepEqual(plain, [0, 25, 50, 75, 100].map((n) => `demo: sessions ${n}/100\n`));

  const tty: string[] = [];
  const bar = progressReporter(true, (t) => tty.push(t));
  bar("events", 1, 2);
  bar("events", 2, 2);
  bar("sessions", 0, 0);
  assert.deepEqual(tty, [
    `\revents     [${"#".repeat(15)}${"-".repeat(15)}] 1/2`,
    `\revents     [${"#".repeat(30)}] 2/2`,
    "\n",
    `\rsessions   [${"#".repeat(30)}] 0/0`,
  ]);
});

const db = testDatabase();
const t = testApp(db.sql, { COMPANY_PRIVACY: "exact" });
t.setNow(NOW);
const config = loadConfig({ APP_ENV: "test" });
let seeded: DemoResult;

Deno.test(
  "seeds through the services: summaries, models, companies, engagement",
  opts,
  async () => {
    const phases = new Set<string>();
    seeded = await writeDemo(db.sql, config, {
      seed: 3,
      now: NOW,
      reset: false,
      progress: (phase) => phases.add(phase),
    });
    assert.deepEqual([...phases], ["events", "sessions", "engagement", "fleet"]);
    const { demo } = seeded;
    const nEvents = demo.sessions.reduce((n, s) => n + s.events.length, 0);
    assert.deepEqual(seeded.sessions, { created: demo.sessions.length, present: 0 });
    assert.deepEqual(seeded.events, { stored: nEvents, duplicates: 0 });
    assert.deepEqual(seeded.engagement, { stored: demo.engagement.length, duplicates: 0 });
    const counts = await tableCounts(db.sql);
    assert.equal(counts.session_summary, demo.sessions.length);
    assert.equal(counts.raw_events, nEvents);
    assert.equal(counts.company_registry, 3);
    // 21 earth models and a water model for each of Acme's 9 players.
    assert.equal(counts.model_state, 30);
    const water = demo.sessions.filter((s) => s.finalize !== undefined);
    assert.deepEqual(
      [...new Set(water.map((s) => s.playerId))].sort(),
      [...demo.companies[0].players].sort(),
    );
    for (const s of water) {
      assert.ok(s.events.every((e) => e.task_version === "water_v1"), s.sessionId);
      const stress = s.finalize!.stress_score;
      assert.ok(stress >= 0 && stress <= 100 && Number.isInteger(stress * 2), `${stress}`);
    }
    assert.equal(counts.engagement_sessions, demo.sessions.length + demo.engagement.length);
  },
);

Deno.test("fleet: six devices, each status, a double reboot, users and a log", opts, async () => {
  assert.equal(seeded.fleet.written, true);
  assert.equal(seeded.fleet.devices, 6);
  const fleet = await (await t.request("/api/heartbeats", {
    headers: { Authorization: "Bearer dev-dashboard-token" },
  })).json();
  const status = Object.fromEntries(
    fleet.devices.map((d: { deviceId: string; status: string }) => [d.deviceId, d.status]),
  );
  assert.deepEqual(status, {
    "demo-box-1": "healthy",
    "demo-box-2": "healthy",
    "demo-box-3": "degraded",
    "demo-box-4": "degraded",
    "demo-box-5": "healthy",
    "demo-box-6": "dead",
  });
  assert.equal(fleet.devices[0].lastSeen, NOW.toISOString());
  const uptime = await (await t.request("/admin/devices/uptime", {
    headers: { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" },
  })).json();
  const reboots = Object.fromEntries(
    uptime.devices.map((
      d: { device_id: string; reboots_7d: number },
    ) => [d.device_id, d.reboots_7d]),
  );
  assert.deepEqual(Object.values(reboots), [0, 0, 0, 0, 2, 0]);
  // The heartbeats older than two hours were compacted.
  const [hours] = await db.sql`select count(*)::int as n from device_hours`;
  assert.ok(hours.n >= 6 * 20, `${hours.n} hourly summaries`);
  const users = await (await t.request("/admin/devices/demo-box-1/users", {
    headers: { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" },
  })).json();
  assert.deepEqual(users.users.map((u: { user_external_id: string }) => u.user_external_id), [
    seeded.demo.familyUsers[0],
  ]);
  const log = await (await t.request("/admin/logs/demo-box-1", {
    headers: { "x-admin-key": "test-admin-key-kkkkkkkkkkkkkkkkk" },
  })).json();
  assert.match(log.snapshot.log_content, /UPLOAD_LOGS received/);
});

Deno.test("company dashboards: two with aggregates, one below MIN_COMPANY_N", opts, async () => {
  const [acme, globex, initech] = seeded.companies;
  for (const c of [acme, globex]) {
    const res = await t.request(`/dashboard/summary?t=${c.dashboard_token}`);
    assert.equal(res.status, 200);
    const summary = await res.json();
    assert.equal(summary.n_players, c.players);
    // Only Acme's players play the water task: its stress average stands on 9 players.
    assert.equal(summary.avg_stress_score === null, c !== acme, c.company_name);
    assert.equal(summary.n_water_sessions > 0, c === acme, c.company_name);
    const weeks =
      await (await t.request(`/dashboard/timeseries?t=${c.dashboard_token}&bucket=week`))
        .json();
    assert.ok(weeks.buckets.length >= 8, `${c.company_name}: ${weeks.buckets.length} weeks`);
  }
  const info = await (await t.request(`/dashboard/company?t=${initech.dashboard_token}`)).json();
  assert.equal(info.has_sufficient_data, false);
  assert.equal(info.n_players, 3);
  assert.equal((await t.request(`/dashboard/summary?t=${initech.dashboard_token}`)).status, 403);
  assert.equal(initech.company_name, "Initech");
});

Deno.test(
  "players learn: first-try accuracy rises and burden falls; models predict",
  opts,
  async () => {
    let early = 0, late = 0, earlyBurden = 0, lateBurden = 0;
    for (const player of seeded.demo.players) {
      const all = await (await t.request(`/players/${player}/sessions`)).json();
      const sessions = all.filter((s: { fta_level: number | null }) => s.fta_level !== null);
      const third = Math.floor(sessions.length / 3);
      const mean = (
        xs: { fta_level: number; repetition_burden: number }[],
        k: "fta_level" | "repetition_burden",
      ) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
      early += mean(sessions.slice(0, third), "fta_level");
      late += mean(sessions.slice(-third), "fta_level");
      earlyBurden += mean(sessions.slice(0, third), "repetition_burden");
      lateBurden += mean(sessions.slice(-third), "repetition_burden");
      for (const s of all) {
        assert.ok(Date.parse(s.played_at) < Date.parse(s.created_ts_utc));
        assert.ok(Date.parse(s.created_ts_utc) <= NOW.getTime());
      }
      const model = await (await t.request(`/model/state/${player}`)).json();
      assert.equal(model.status, "trained");
      assert.equal(typeof model.predicted_next_fta, "number");
      if (seeded.demo.companies[0].players.includes(player)) {
        const w = await (await t.request(`/model/state/${player}?model_name=water`)).json();
        assert.deepEqual([w.model_name, w.status], ["water", "trained"], player);
        assert.ok(w.predicted_next >= 0 && w.predicted_next <= 100, player);
      }
    }
    const n = seeded.demo.players.length;
    assert.ok(late / n > early / n + 0.15, `fta ${early / n} → ${late / n}`);
    assert.ok(
      lateBurden / n < earlyBurden / n - 0.2,
      `burden ${earlyBurden / n} → ${lateBurden / n}`,
    );
  },
);

Deno.test("engagement: varied tone, one user stale", opts, async () => {
  const tone = async (user: string) => {
    const res = await t.request(`/api/dashboard/${user}`, {
      headers: { authorization: "Bearer dev-dashboard-token" },
    });
    assert.equal(res.status, 200);
    return await res.json();
  };
  const [first, , lena, omar] = seeded.demo.familyUsers;
  assert.equal((await tone(first)).toneTrend.current, "positive");
  assert.equal((await tone(lena)).toneTrend.current, "negative");
  const stale = await tone(omar);
  assert.deepEqual(stale.streak.dailyActivity, [false, false, false, false, false, false, false]);
  assert.ok(Date.parse(stale.lastSession.timestamp) < NOW.getTime() - 7 * DAY);
});

Deno.test("a second run adds nothing; the report lists links and tokens", opts, async () => {
  const before = await tableCounts(db.sql);
  const again = await writeDemo(db.sql, config, { seed: 3, now: NOW, reset: false });
  assert.deepEqual(again.sessions, { created: 0, present: seeded.demo.sessions.length });
  assert.deepEqual(again.engagement, { stored: 0, duplicates: seeded.demo.engagement.length });
  assert.deepEqual(again.fleet, { devices: 6, heartbeats: 0, written: false });
  assert.deepEqual(await tableCounts(db.sql), before);

  const text = formatReport(again, config, 1).join("\n");
  for (const c of again.companies) {
    assert.ok(text.includes(`http://127.0.0.1:8000/company?t=${c.dashboard_token}`));
  }
  assert.match(text, /Initech \(3 players\) — below MIN_COMPANY_N=5/);
  assert.match(text, /already present/);
  assert.match(text, /\/engagement\/family-lena {2}token: dev-dashboard-token/);
  assert.match(text, /ADMIN_KEY is empty/);
});

Deno.test("reset empties every data table and keeps the migrations", opts, async () => {
  await resetData(db.sql);
  const counts = await tableCounts(db.sql);
  assert.ok(Object.values(counts).every((n) => n === 0), JSON.stringify(counts));
  const [{ n }] = await db.sql<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
  assert.ok(n >= 2);
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const silentPort = String(freePort()); // nothing listens there
const runSeed = (dataDir: string, args: string[] = []) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/demo.ts", ...args],
    cwd: ROOT,
    env: { DATA_DIR: dataDir, DATABASE_URL: "", APP_ENV: "development", PORT: silentPort },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();

Deno.test(
  "the CLI says what to do when another process holds the data directory and no service answers, and seeds a free one",
  opts,
  async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "etl-seed-" });
    const held = await startEmbedded(dataDir);
    try {
      const out = await runSeed(dataDir);
      assert.equal(out.code, 1);
      const base = `http://127.0.0.1:${silentPort}`;
      assert.equal(
        text(out.stderr),
        `demo: The data directory ${dataDir} is in use by another process (lock file ` +
          `${dataDir}/.etl.lock). Stop that process, or set DATA_DIR to another directory. ` +
          `No service answers at ${base}/health, so the demo cannot write through its API ` +
          "either. If that process is `deno task start` on another HOST or PORT, run the demo " +
          "with the same HOST and PORT; otherwise stop it and run `deno task demo` again.\n",
      );
    } finally {
      await held.close();
    }
    const out = await runSeed(dataDir, ["--seed", "2", "--reset"]);
    assert.equal(out.code, 0, text(out.stderr));
    const stdout = text(out.stdout);
    assert.match(stdout, /^demo: events 0\/\d+$/m);
    assert.match(stdout, /^demo: sessions \d+\/\d+$/m);
    assert.doesNotMatch(stdout, /\r/);
    assert.match(
      stdout,
      new RegExp(`http://127\\.0\\.0\\.1:${silentPort}/company\\?t=[0-9a-f]{24}`),
    );
    assert.match(stdout, new RegExp(`http://127\\.0\\.0\\.1:${silentPort}/players/acme-`));
    await Deno.remove(dataDir, { recursive: true });
  },
);
