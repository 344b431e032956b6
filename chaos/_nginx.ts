/**
 * Test helpers for the proxy tests: runs Debian's nginx with deploy/nginx.conf (ports replaced)
 * as an unprivileged-path, foreground process, and sends requests from a chosen loopback source
 * address through Node's http client (fetch cannot bind a source address).
 */

/**
 * Returns the nginx binary (NGINX_BIN, else PATH, then Debian's /usr/sbin), or null when it is
 * not installed.
 */
export function findNginx(): string | null {
  const given = Deno.env.get("NGINX_BIN");
  if (given !== undefined) {
    try {
      return Deno.statSync(given).isFile ? given : null;
    } catch {
      return null;
    }
  }
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      const path = `${dir}/nginx`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface Nginx {
  port: number;
  stop(): Promise<void>;
  /** The error log so far (for failure messages). */
  errors(): Promise<string>;
  /** The access log so far (deploy/nginx.conf's format). */
  accessLog(): Promise<string>;
}

/** The access log path deploy/nginx.conf ships. */
export const ACCESS_LOG = "/var/log/nginx/earth_task_telemetry.access.log";

/**
 * Returns deploy/nginx.conf with its listen address and the two upstream ports replaced (and its
 * access log moved to `accessLog`).
 */
export async function siteConfig(
  port: number,
  upstreams: [number, number],
  accessLog = ACCESS_LOG,
): Promise<string> {
  const text = await Deno.readTextFile(new URL("../deploy/nginx.conf", import.meta.url));
  const replaced = text
    .replace("server 127.0.0.1:8001 ", `server 127.0.0.1:${upstreams[0]} `)
    .replace("server 127.0.0.1:8002 ", `server 127.0.0.1:${upstreams[1]} `)
    .replace("listen 80;", `listen 127.0.0.1:${port};`)
    .replace("listen [::]:80;", "")
    .replace(ACCESS_LOG, accessLog);
  for (const gone of ["127.0.0.1:8001", "127.0.0.1:8002", "listen 80;", "listen [::]:80;"]) {
    if (replaced.includes(gone)) throw new Error(`deploy/nginx.conf: "${gone}" not replaced`);
  }
  return replaced;
}

/** Returns a running nginx in front of the two upstream ports once it answers /health. */
export async function startNginx(
  binary: string,
  port: number,
  upstreams: [number, number],
): Promise<Nginx> {
  const dir = await Deno.makeTempDir({ prefix: "etl-nginx-" });
  await Deno.chmod(dir, 0o755);
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
    await Deno.mkdir(`${dir}/${sub}`, { mode: 0o777 });
  }
  await Deno.writeTextFile(
    `${dir}/site.conf`,
    await siteConfig(port, upstreams, `${dir}/access.log`),
  );
  const root = Deno.uid() === 0;
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `${root ? "user root;\n" : ""}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const child = new Deno.Command(binary, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const errors = () => Deno.readTextFile(`${dir}/error.log`).catch(() => "");
  const accessLog = () => Deno.readTextFile(`${dir}/access.log`).catch(() => "");
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 200; i++) {
    if (exited) break;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      await res.body?.cancel();
      if (res.status === 200) return { port, stop, errors, accessLog };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = await errors();
  await stop();
  throw new Error(`nginx did not start:\n${log}`);
}

export interface SourcedRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const NODE_CLIENT = `
const http = require("node:http");
const { url, localAddress, requests } = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const r of requests) {
    out.push(await new Promise((resolve, reject) => {
      const body = r.body === undefined ? undefined : JSON.stringify(r.body);
      const headers = { ...(r.headers || {}) };
      if (body !== undefined) headers["content-type"] = "application/json";
      const req = http.request(url + r.path, { method: r.method, headers, localAddress }, (res) => {
        res.resume();
        res.on("end", () => resolve([res.statusCode, res.headers["retry-after"] ?? null]));
      });
      req.on("error", reject);
      req.end(body);
    }));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

/**
 * Returns [status, Retry-After] of each request, sent in order from `localAddress` (a loopback
 * address such as 127.0.0.2) by Node's http client.
 */
export async function requestsFrom(
  localAddress: string,
  url: string,
  requests: SourcedRequest[],
): Promise<[number, string | null][]> {
  const out = await new Deno.Command("node", {
    args: ["-e", NODE_CLIENT, JSON.stringify({ url, localAddress, requests })],
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  if (out.code !== 0) throw new Error(`node client failed: ${text.decode(out.stderr)}`);
  return JSON.parse(text.decode(out.stdout));
}
