/**
 * Real audio files for the recording tests, made by Debian's tools (sox, flac, opusenc; `.ci/run`
 * installs them): FLAC files with known STREAMINFO and Ogg/Opus files; plus multipart bodies
 * built by hand so tests control every byte and every chunk boundary.
 */

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Options of a generated tone. */
export interface ToneOptions {
  /** Samples per second (default 16000). */
  rate?: number;
  /** Channels (default 1). */
  channels?: number;
  /** Bits per sample (default 16). */
  bits?: number;
  /** Length in samples per channel (default 40000 = 2.5 s at 16 kHz). */
  samples?: number;
  /** Tone frequency (default 440), so two files can differ. */
  frequency?: number;
  /** "sine" (default) or "whitenoise" (compresses badly: large files). */
  kind?: "sine" | "whitenoise";
}

/** Returns a FLAC file of a tone encoded by sox (with the exact sample count asked). */
export async function flacFile(options: ToneOptions = {}): Promise<Uint8Array> {
  const { rate = 16000, channels = 1, bits = 16, samples = 40000, frequency = 440 } = options;
  const dir = await Deno.makeTempDir({ prefix: "etl_audio_" });
  try {
    const path = `${dir}/tone.flac`;
    await run("sox", [
      "-r",
      String(rate),
      "-n",
      "-r",
      String(rate),
      "-c",
      String(channels),
      "-b",
      String(bits),
      path,
      "synth",
      `${samples}s`,
      options.kind ?? "sine",
      String(frequency),
    ]);
    return await Deno.readFile(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Returns an Ogg/Opus file of a tone (sox makes the WAV, opusenc encodes it). */
export async function opusFile(seconds = 1.5, frequency = 330): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "etl_audio_" });
  try {
    await run("sox", [
      "-n",
      "-r",
      "48000",
      "-c",
      "1",
      "-b",
      "16",
      `${dir}/t.wav`,
      "synth",
      String(seconds),
      "sine",
      String(frequency),
    ]);
    await run("opusenc", ["--quiet", `${dir}/t.wav`, `${dir}/t.opus`]);
    return await Deno.readFile(`${dir}/t.opus`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Returns the lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const BOUNDARY = "----etl-boundary-7MA4YWxkTrZu0gW";

/** Returns a multipart/form-data body with a `metadata` part and (unless null) a `file` part. */
export function multipartBody(
  metadata: unknown,
  file: Uint8Array | null,
  { boundary = BOUNDARY, fileFirst = false } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const meta = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n` +
      `${typeof metadata === "string" ? metadata : JSON.stringify(metadata)}\r\n`,
  );
  const fileHead = enc.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="turn.flac"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const parts: Uint8Array[] = [];
  const filePart = file === null ? [] : [fileHead, file, enc.encode("\r\n")];
  if (fileFirst) parts.push(...filePart, meta);
  else parts.push(meta, ...filePart);
  parts.push(enc.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Returns the Content-Type of a multipart body built with `boundary`. */
export const multipartType = (boundary = BOUNDARY) => `multipart/form-data; boundary=${boundary}`;
