/**
 * The embedded database: PGlite (Postgres compiled to WASM) in this process, served on a
 * loopback port by pglite-socket so postgres.js talks to it exactly as to a real server.
 *
 * PGlite has one backend session and no lock on its data directory, so this module takes an
 * exclusive lock file in the data directory: a second process on the same directory is refused.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** Thrown when another process already owns the data directory. */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another process (lock file ${
        lockPath(dataDir)
      }). ` +
        "Stop that process, or set DATA_DIR to another directory.",
    );
    this.name = "DataDirLockedError";
  }
}

export interface EmbeddedServer {
  /** postgres:// URL of the loopback socket. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function lockPath(dataDir: string): string {
  return `${dataDir.replace(/\/+$/, "")}/.etl.lock`;
}

/** Returns the held lock file of a data directory, or throws DataDirLockedError. */
async function lockDataDir(dataDir: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dataDir, { recursive: true });
  const file = await Deno.open(lockPath(dataDir), { read: true, write: true, create: true });
  // flock: released by the kernel when the process dies, so a crash never leaves a stale lock.
  const acquired = await Promise.race([
    file.lock(true).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 300)),
  ]);
  if (!acquired) {
    file.close();
    throw new DataDirLockedError(dataDir);
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return file;
}

/** Returns a running embedded server over `dataDir`, or an in-memory one when dataDir is null. */
export async function startEmbedded(dataDir: string | null): Promise<EmbeddedServer> {
  const lock = dataDir ? await lockDataDir(dataDir) : null;
  let db: PGlite | null = null;
  try {
    db = await PGlite.create(dataDir ? { dataDir: `${dataDir}/pgdata` } : {});
    const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
    await server.start();
    const port = socketPort(server);
    const pglite = db;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      async close() {
        await server.stop();
        await pglite.close();
        if (lock) {
          await lock.unlock();
          lock.close();
        }
      },
    };
  } catch (err) {
    await db?.close().catch(() => {});
    lock?.close();
    throw err;
  }
}

function socketPort(server: PGLiteSocketServer): number {
  const inner = (server as unknown as { server?: { address(): unknown } }).server;
  const address = inner?.address();
  if (address && typeof address === "object" && "port" in address) {
    return Number((address as { port: number }).port);
  }
  throw new Error("pglite-socket did not report its port");
}
